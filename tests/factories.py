"""Small builders for rows the tests need; services replace them as they land."""

from __future__ import annotations

import itertools
from datetime import date, time, timedelta

from catalog.models import Album, Artist, ArtistTrack, Song, Track
from catalog.rules import song_title
from catalog.services import songs_regroup
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


def link_track(artist: Artist, track: Track) -> ArtistTrack:
    """`track` as one of `artist`'s recordings, in the song its name reads as; the
    artist's songs are then written as an import writes them (`songs_regroup`)."""
    read = song_title(track.name)
    song, _ = Song.objects.get_or_create(
        artist=artist, key=read.key, defaults={"title": read.title, "main_track": track}
    )
    link = ArtistTrack.objects.create(artist=artist, track=track, song=song)
    songs_regroup(artist_id=artist.pk)
    link.refresh_from_db()
    return link


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


def make_touring_artist(*, shows: int, songs: int, **fields) -> Artist:
    """A public artist (named by identity, its lists synced) touring from next month:
    even-numbered shows at 20:00 in Austin (first month), odd ones in London (second
    month), each with a ticket link; `songs` studio songs, every third one a "Ballad"."""
    from django.utils import timezone

    now = timezone.now()
    synced = {"identity_synced_at": now, "shows_synced_at": now, "catalog_synced_at": now}
    artist = make_artist(**(synced | fields))
    london = make_venue(
        name="Roundhouse",
        city="London",
        country="Great Britain",
        country_code="GB",
        timezone="Europe/London",
    )
    austin = make_venue(
        name="Moody Center",
        city="Austin",
        state="Texas",
        country="United States Of America",
        country_code="US",
        timezone="America/Chicago",
    )
    first = (timezone.localdate().replace(day=1) + timedelta(days=40)).replace(day=1)
    months = [first, (first + timedelta(days=31)).replace(day=1)]
    for n in range(shows):
        make_show(
            artist=artist,
            venue=london if n % 2 else austin,
            local_date=months[n % 2] + timedelta(days=n % 20),
            local_time=time(20, 0),
            url=f"https://www.ticketmaster.com/event/{n}",
        )
    for n in range(songs):
        track = make_track(name=f"Ballad {n:03d}" if n % 3 == 0 else f"Song {n:03d}")
        link_track(artist, track)
    return artist
