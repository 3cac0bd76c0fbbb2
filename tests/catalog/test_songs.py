"""Songs as the catalog writes them: one per title per artist, every kept recording in
exactly one, written idempotently in bulk, curators' moves surviving every re-import."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction
from django.db.models.deletion import RestrictedError

from catalog.models import ArtistTrack, Song, SongOverride, Track
from catalog.services import StudioTrack, catalog_upsert, songs_regroup
from integrations.spotify.records import SpotifyAlbumSummary
from tests.factories import make_artist

pytestmark = pytest.mark.django_db

ALBUM = SpotifyAlbumSummary(
    "albsongs0000000000001", "Alive", "album", "album", "2001-03-04", "day", 9, ""
)
SINGLE = SpotifyAlbumSummary(
    "albsongs0000000000002", "Alive (Remixes)", "single", "single", "2000-01-01", "day", 2, ""
)
REMASTER = SpotifyAlbumSummary(
    "albsongs0000000000003", "Alive (2021 Remaster)", "single", "single", "2021-06-01", "day", 1, ""
)


def track(n: int, name: str, album=ALBUM, *, isrc: str | None = None) -> StudioTrack:
    return StudioTrack(
        spotify_id=f"trksongs{n:014d}",
        name=name,
        isrc=isrc if isrc is not None else f"USAAA01{n:05d}",
        album_spotify_id=album.spotify_id,
        duration_ms=200_000 + n,
        popularity=50,
        disc_number=1,
        track_number=n,
        is_remix="Remix" in name,
    )


CATALOG = [
    track(1, "Alive"),
    track(2, "Alive (Demo)"),
    track(3, "Alive - Early Version"),
    track(4, "Alive (Neon Cartel Remix)", SINGLE),
    track(5, "Demolition Man"),
    track(6, "Demolition Man - Instrumental"),
    track(7, "Edit the Heart"),
    track(8, "Sól (feat. Noémie)"),
]


def write(artist, tracks=CATALOG, albums=(ALBUM, SINGLE, REMASTER)):
    return catalog_upsert(artist_id=artist.pk, albums=list(albums), tracks=list(tracks))


def songs_of(artist) -> dict[str, list[tuple[str, str]]]:
    """Title -> its recordings (name, version), main first."""
    songs = {}
    for song in Song.objects.filter(artist=artist).select_related("main_track"):
        recordings = [
            (link.track.name, link.track.version)
            for link in song.recordings.select_related("track").order_by("track__spotify_id")
        ]
        main = (song.main_track.name, song.main_track.version)
        assert main in recordings and song.recordings_count == len(recordings)
        songs[song.title] = [main, *(r for r in recordings if r != main)]
    return songs


def snapshot(artist) -> tuple:
    return (
        sorted(
            Song.objects.filter(artist=artist).values_list(
                "pk", "key", "title", "main_track", "recordings_count"
            )
        ),
        sorted(ArtistTrack.objects.filter(artist=artist).values_list("pk", "track_id", "song_id")),
        sorted(Track.objects.values_list("pk", "spotify_id", "version")),
    )


def test_every_kept_recording_is_in_exactly_one_song_main_first():
    artist = make_artist()
    written = write(artist)
    assert (written.tracks, written.songs) == (8, 4)
    assert songs_of(artist) == {
        "Alive": [
            ("Alive", "original"),
            ("Alive (Demo)", "demo"),
            ("Alive - Early Version", "alternate"),
            ("Alive (Neon Cartel Remix)", "remix"),
        ],
        "Demolition Man": [
            ("Demolition Man", "original"),
            ("Demolition Man - Instrumental", "instrumental"),
        ],
        "Edit the Heart": [("Edit the Heart", "original")],
        "Sól": [("Sól (feat. Noémie)", "original")],
    }
    assert not ArtistTrack.objects.filter(artist=artist, song=None).exists()


def test_writing_the_same_catalog_again_changes_nothing():
    artist = make_artist()
    write(artist)
    before = snapshot(artist)
    written = write(artist)
    assert snapshot(artist) == before
    assert (written.links_added, written.links_removed, written.songs) == (0, 0, 4)


def test_a_new_remaster_adds_a_recording_to_its_song_not_a_song():
    artist = make_artist()
    write(artist)
    songs_before = set(Song.objects.filter(artist=artist).values_list("pk", "title"))
    written = write(artist, [*CATALOG, track(9, "Alive - 2021 Remaster", REMASTER)])
    assert set(Song.objects.filter(artist=artist).values_list("pk", "title")) == songs_before
    assert written.links_added == 1
    assert songs_of(artist)["Alive"][-1] == ("Alive - 2021 Remaster", "remaster")
    assert Song.objects.get(artist=artist, key="alive").recordings_count == 5


def test_a_song_whose_recordings_are_all_dropped_goes_and_the_others_stay():
    artist = make_artist()
    write(artist)
    write(artist, [t for t in CATALOG if not t.name.startswith("Demolition")])
    assert set(songs_of(artist)) == {"Alive", "Edit the Heart", "Sól"}


def test_the_main_recording_changes_when_the_original_goes():
    artist = make_artist()
    write(artist)
    write(artist, [t for t in CATALOG if t.name != "Alive"])
    assert songs_of(artist)["Alive"][0] == ("Alive - Early Version", "alternate")


def test_songs_are_per_artist_over_shared_tracks():
    first, second = make_artist(), make_artist()
    write(first)
    write(second, CATALOG[:2])
    assert set(songs_of(second)) == {"Alive"}
    assert Song.objects.filter(key="alive").count() == 2
    assert len(songs_of(first)["Alive"]) == 4


@pytest.mark.parametrize(
    ("key", "title", "expected"),
    [
        pytest.param(
            {"spotify_id": "trksongs00000000000003"},
            "Alive Again",
            {"Alive": 3, "Alive Again": 1, "Demolition Man": 2},
            id="split-off-one-release",
        ),
        pytest.param(
            {"isrc": "USAAA0100006"},
            "Alive",
            {"Alive": 5, "Demolition Man": 1},
            id="moved-by-isrc-into-another-song",
        ),
        pytest.param(
            {"isrc": "USAAA0100005"},
            "Demolition Man (Original Demo)",
            {"Alive": 4, "Demolition Man": 1, "Demolition Man (Original Demo)": 1},
            id="main-split-off-the-rest-keep-the-title",
        ),
    ],
)
def test_curator_moves_apply_at_once_and_survive_every_re_import(key, title, expected):
    artist = make_artist()
    write(artist)
    SongOverride.objects.create(artist=artist, song_title=title, **key)

    songs_regroup(artist_id=artist.pk)
    moved = {t: len(r) for t, r in songs_of(artist).items() if t.startswith(("Alive", "Demo"))}
    assert moved == expected

    write(artist)  # the next import
    again = {t: len(r) for t, r in songs_of(artist).items() if t.startswith(("Alive", "Demo"))}
    assert again == expected


def test_deleting_a_move_puts_the_recording_back_where_its_title_reads():
    artist = make_artist()
    write(artist)
    override = SongOverride.objects.create(
        artist=artist, spotify_id="trksongs00000000000002", song_title="Something Else"
    )
    songs_regroup(artist_id=artist.pk)
    assert songs_of(artist)["Something Else"] == [("Alive (Demo)", "demo")]
    override.delete()
    songs_regroup(artist_id=artist.pk)
    assert "Something Else" not in songs_of(artist)
    assert len(songs_of(artist)["Alive"]) == 4


def test_the_database_keeps_songs_whole():
    artist = make_artist()
    write(artist)
    song = Song.objects.get(artist=artist, key="alive")
    with pytest.raises(IntegrityError), transaction.atomic():
        Song.objects.create(artist=artist, key="alive", title="ALIVE!")
    with pytest.raises(RestrictedError):
        song.delete()  # its recordings would be left without a song
    artist.delete()  # the artist takes its songs and recordings with it
    assert not Song.objects.exists() and not ArtistTrack.objects.exists()


def test_writing_the_same_catalog_again_writes_no_song_or_link_row():
    artist = make_artist()
    write(artist)
    stamps = (
        sorted(Song.objects.filter(artist=artist).values_list("pk", "updated_at")),
        sorted(ArtistTrack.objects.filter(artist=artist).values_list("pk", "updated_at")),
    )
    write(artist)
    songs_regroup(artist_id=artist.pk)
    assert (
        sorted(Song.objects.filter(artist=artist).values_list("pk", "updated_at")),
        sorted(ArtistTrack.objects.filter(artist=artist).values_list("pk", "updated_at")),
    ) == stamps


def test_a_title_longer_once_normalised_keeps_a_key_that_fits():
    artist = make_artist()
    long_title = ("Straße " * 70).strip()  # 489 characters; "ss" makes its key longer
    write(artist, [track(1, long_title), track(2, f"{long_title} - Demo")])
    (song,) = Song.objects.filter(artist=artist)
    assert len(song.key) == Song._meta.get_field("key").max_length
    assert (song.title, song.recordings_count) == (long_title, 2)
