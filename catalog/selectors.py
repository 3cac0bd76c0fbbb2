"""Reads about artists and their studio catalog."""

from __future__ import annotations

from django.db.models import QuerySet
from django.db.models.functions import Lower

from catalog.models import Artist, Track


def artist_get(*, id_or_slug: str) -> Artist:
    """The artist with this id (all digits) or slug; raises `Artist.DoesNotExist`."""
    if id_or_slug.isascii() and id_or_slug.isdigit():
        return Artist.objects.get(pk=int(id_or_slug))
    return Artist.objects.get(slug=id_or_slug)


def studio_tracks(*, artist_id: int) -> QuerySet[Track]:
    """The artist's studio songs with their albums (one query), by name, ignoring case."""
    return (
        Track.objects.filter(artist_tracks__artist_id=artist_id)
        .select_related("album")
        .order_by(Lower("name"), "album__name", "pk")
    )
