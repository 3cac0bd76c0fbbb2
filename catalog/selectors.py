"""Reads about artists and their studio catalog."""

from __future__ import annotations

from collections.abc import Collection

from django.db.models import Case, QuerySet, Value, When
from django.db.models.functions import Lower

from catalog.models import Artist, SpotifyRelease, Track
from catalog.services import Release, ReleaseTrack


def artist_get(*, id_or_slug: str) -> Artist:
    """The artist with this id (all digits) or slug; raises `Artist.DoesNotExist`."""
    if id_or_slug.isascii() and id_or_slug.isdigit():
        return Artist.objects.get(pk=int(id_or_slug))
    return Artist.objects.get(slug=id_or_slug)


def artists_search(*, query: str = "", public_only: bool = True) -> QuerySet[Artist]:
    """Artists whose name contains `query` (ignoring case; every artist for ""), those
    whose name starts with it first, then by name. On PostgreSQL a trigram index on the
    upper-cased name serves the search (catalog migration 0005)."""
    artists = Artist.objects.public() if public_only else Artist.objects.all()
    query = query.strip()
    if not query:
        return artists.order_by("name", "pk")
    return (
        artists.filter(name__icontains=query)
        .annotate(starts=Case(When(name__istartswith=query, then=Value(0)), default=Value(1)))
        .order_by("starts", "name", "pk")
    )


def artists_recently_imported(*, limit: int) -> list[Artist]:
    """The public artists most recently named by an import, newest first."""
    return list(Artist.objects.public().order_by("-identity_synced_at", "-id")[:limit])


def studio_tracks(*, artist_id: int) -> QuerySet[Track]:
    """The artist's studio songs with their albums (one query), by name, ignoring case."""
    return (
        Track.objects.filter(artist_tracks__artist_id=artist_id)
        .select_related("album")
        .order_by(Lower("name"), "album__name", "pk")
    )


def releases_get(*, spotify_ids: Collection[str]) -> dict[str, Release]:
    """The stored releases among `spotify_ids`, by Spotify id (one query)."""
    rows = SpotifyRelease.objects.filter(spotify_id__in=list(spotify_ids)).values_list(
        "spotify_id",
        "name",
        "album_type",
        "release_date",
        "release_date_precision",
        "total_tracks",
        "image_url",
        "tracks",
    )
    return {
        row[0]: Release(*row[:7], tracks=tuple(ReleaseTrack.from_json(t) for t in row[7]))
        for row in rows
    }
