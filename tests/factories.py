"""Small builders for rows the tests need; services replace them as they land."""

from __future__ import annotations

import itertools

from catalog.models import Album, Artist, Track
from shows.models import Billing, Show, Venue

_sequence = itertools.count(1)


def make_artist(**fields) -> Artist:
    n = next(_sequence)
    values = {"tm_attraction_id": f"K8vZ917{n:04d}", "slug": f"artist-{n}", "name": f"Artist {n}"}
    return Artist.objects.create(**(values | fields))


def make_venue(**fields) -> Venue:
    n = next(_sequence)
    values = {"tm_venue_id": f"KovZpZA{n:05d}", "name": f"Venue {n}", "city": "Austin"}
    return Venue.objects.create(**(values | fields))


def make_track(**fields) -> Track:
    n = next(_sequence)
    album = fields.pop("album", None) or Album.objects.create(
        spotify_id=f"album{n:017d}", name=f"Album {n}", album_type="album"
    )
    values = {
        "spotify_id": f"track{n:017d}",
        "name": f"Song {n}",
        "album": album,
        "duration_ms": 200_000,
        "isrc": f"USAB1{n:07d}",
    }
    return Track.objects.create(**(values | fields))


def make_show(*, artist: Artist | None = None, artist_id: int | None = None, **fields) -> Show:
    """A show billed on `artist` alone, listed by its own import (as imports write it)."""
    n = next(_sequence)
    show = Show.objects.create(
        **({"tm_event_id": f"vvG1fact{n:08d}", "name": f"Show {n}"} | fields)
    )
    Billing.objects.create(
        show=show,
        artist_id=artist.pk if artist is not None else artist_id,
        position=0,
        headliner=True,
        listed_at=show.updated_at,
    )
    return show
