"""The migration to songs, on a database holding catalogs imported as bare recordings."""

from __future__ import annotations

import pytest

from catalog.models import ArtistTrack, Song, Track
from tests.support.migrations import latest, migrate

BEFORE = [("catalog", "0005_artist_name_search")]
AFTER = [("catalog", "0006_songs")]


@pytest.fixture
def old_database():
    apps = migrate(BEFORE)
    yield apps
    migrate(latest())


@pytest.mark.django_db(transaction=True)
def test_stored_recordings_land_in_their_songs_with_their_versions(old_database):
    Artist = old_database.get_model("catalog", "Artist")
    Album = old_database.get_model("catalog", "Album")
    Track0 = old_database.get_model("catalog", "Track")
    ArtistTrack0 = old_database.get_model("catalog", "ArtistTrack")
    first = Artist.objects.create(tm_attraction_id="K8vZ917Firs", name="First", slug="first")
    second = Artist.objects.create(tm_attraction_id="K8vZ917Secd", name="Second", slug="second")
    album = Album.objects.create(
        spotify_id="albmig000000000000001", name="A", album_type="album", release_date="2001"
    )
    single = Album.objects.create(
        spotify_id="albmig000000000000002", name="S", album_type="single", release_date="1999"
    )
    names = [
        ("Alive", album),
        ("Alive (Demo)", single),
        ("Alive - 2011 Remaster", album),
        ("Mono No Aware", album),
    ]
    tracks = [
        Track0.objects.create(
            spotify_id=f"trkmig{n:016d}", name=name, album=on, duration_ms=200_000
        )
        for n, (name, on) in enumerate(names)
    ]
    for track in tracks:
        ArtistTrack0.objects.create(artist=first, track=track)
    ArtistTrack0.objects.create(artist=second, track=tracks[1])

    migrate(AFTER)
    migrate(latest())

    assert ArtistTrack.objects.count() == 5  # no recording lost
    songs = {
        (song.artist.slug, song.title): (
            song.main_track.name,
            sorted(song.recordings.values_list("track__name", flat=True)),
            song.recordings_count,
        )
        for song in Song.objects.select_related("artist", "main_track")
    }
    assert songs == {
        ("first", "Alive"): ("Alive", ["Alive", "Alive (Demo)", "Alive - 2011 Remaster"], 3),
        ("first", "Mono No Aware"): ("Mono No Aware", ["Mono No Aware"], 1),
        ("second", "Alive"): ("Alive (Demo)", ["Alive (Demo)"], 1),
    }
    assert dict(Track.objects.values_list("name", "version")) == {
        "Alive": "original",
        "Alive (Demo)": "demo",
        "Alive - 2011 Remaster": "remaster",
        "Mono No Aware": "original",
    }
