"""Small builders for rows the tests need; services replace them as they land."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

from catalog.models import Album, Artist, Track
from integrations.ticketmaster.records import TicketmasterEvent
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


def tm_event(tm_event_id: str, *, days: int = 30, **fields) -> TicketmasterEvent:
    """An event as the Ticketmaster client returns it, dated `days` from today; no
    venue, no time, no bill unless given."""
    values = {
        "tm_event_id": tm_event_id,
        "name": "Show",
        "local_date": date.today() + timedelta(days=days),
        "local_time": None,
        "starts_at": None,
        "date_tba": False,
        "time_tba": False,
        "status": "onsale",
        "url": "",
        "image_url": "",
        "venue": None,
        "bill": None,
    }
    return TicketmasterEvent(**(values | fields))
