"""Natural keys are unique constraints, so re-running an import can never duplicate a row."""

import pytest
from django.db import IntegrityError, transaction

from catalog.models import ArtistTrack, Song
from shows.models import Show
from tests.factories import link_track, make_artist, make_track, make_venue

pytestmark = pytest.mark.django_db


def test_second_artist_with_same_attraction_id_is_refused():
    make_artist(tm_attraction_id="K8vZ9171ob7")
    with pytest.raises(IntegrityError), transaction.atomic():
        make_artist(tm_attraction_id="K8vZ9171ob7")


def test_second_artist_with_same_spotify_id_is_refused_but_many_may_have_none():
    make_artist(spotify_id=None)
    make_artist(spotify_id=None)
    make_artist(spotify_id="0exampleSpotifyArtist01")
    with pytest.raises(IntegrityError), transaction.atomic():
        make_artist(spotify_id="0exampleSpotifyArtist01")


def test_second_artist_with_same_slug_is_refused():
    make_artist(slug="example-band")
    with pytest.raises(IntegrityError), transaction.atomic():
        make_artist(slug="example-band")


def test_second_show_with_same_event_id_is_refused():
    venue = make_venue()
    Show.objects.create(tm_event_id="vvG1example0001", venue=venue)
    with pytest.raises(IntegrityError), transaction.atomic():
        Show.objects.create(tm_event_id="vvG1example0001", venue=None)


def test_second_venue_with_same_venue_id_is_refused():
    make_venue(tm_venue_id="KovZexample1")
    with pytest.raises(IntegrityError), transaction.atomic():
        make_venue(tm_venue_id="KovZexample1")


def test_second_link_for_same_artist_and_track_is_refused():
    artist = make_artist()
    track = make_track()
    link = link_track(artist, track)
    link_track(make_artist(), track)  # another artist: fine
    with pytest.raises(IntegrityError), transaction.atomic():
        ArtistTrack.objects.create(artist=artist, track=track, song=link.song)


def test_second_song_with_the_same_key_for_an_artist_is_refused():
    artist = make_artist()
    Song.objects.create(artist=artist, key="alive", title="Alive")
    Song.objects.create(artist=make_artist(), key="alive", title="Alive")  # another artist
    with pytest.raises(IntegrityError), transaction.atomic():
        Song.objects.create(artist=artist, key="alive", title="ALIVE")


def test_second_track_with_same_spotify_id_is_refused():
    track = make_track()
    with pytest.raises(IntegrityError), transaction.atomic():
        make_track(spotify_id=track.spotify_id)


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Example Band", "example-band"),
        ("311", "311-k8vz9171ob7"),
        ("Björk", "bjork"),
        ("Import", "import-k8vz9171ob7"),
    ],
    ids=["plain", "all-digits", "accented", "reserved-word"],
)
def test_identity_gives_a_readable_slug_that_never_looks_like_an_id(name, slug):
    from catalog.models import SpotifyMatch
    from catalog.services import artist_identity_update, artist_shell_upsert

    shell = artist_shell_upsert(tm_attraction_id="K8vZ9171ob7")
    artist = artist_identity_update(
        artist_id=shell.pk,
        name=name,
        image_url="",
        genres=[],
        spotify_id=None,
        spotify_match=SpotifyMatch.NOT_FOUND,
    )
    assert artist.slug == slug
    artist.refresh_from_db()
    assert artist.slug == slug
