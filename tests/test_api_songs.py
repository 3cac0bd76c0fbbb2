"""An artist's songs in the HTTP API: `GET /api/artists/{id_or_slug}/songs` (each song with
its main recording and every recording, main first; paged like `/tracks`; a title
search), the song count on the artist's detail, and the selectors behind them."""

from __future__ import annotations

from typing import Any

import pytest
from openapi_schema_validator import OAS31Validator

from catalog.models import Album, Artist, Track
from catalog.rules import song_title
from catalog.selectors import artist_songs, song_recordings
from tests.factories import link_track, make_artist, make_track

pytestmark = pytest.mark.django_db

SONGS = "/api/artists/{id_or_slug}/songs"


@pytest.fixture
def openapi(client) -> dict[str, Any]:
    return client.get("/api/openapi.json").json()


def assert_matches_openapi(openapi: dict, response, path: str) -> None:
    content = openapi["paths"][path]["get"]["responses"][str(response.status_code)]["content"]
    schema = {**content["application/json"]["schema"], "components": openapi["components"]}
    OAS31Validator(schema).validate(response.json())


def album(name: str, album_type: str, release_date: str) -> Album:
    return Album.objects.create(
        spotify_id=f"al{name.replace(' ', '')[:18]:0<20}",
        name=name,
        album_type=album_type,
        release_date=release_date,
    )


def recording(artist: Artist, name: str, on: Album, **fields) -> Track:
    """A studio recording of `artist` named `name` on `on`, with the version its name
    reads as (as an import stores it), in its song."""
    track = make_track(name=name, album=on, version=song_title(name).kind.value, **fields)
    link_track(artist, track)
    return track


@pytest.fixture
def catalog() -> dict[str, Any]:
    """An artist with three songs: "Anthem" in four versions, "blue" and "Coda" in one
    each; another artist with an "Anthem" of its own."""
    artist = make_artist(name="Song Band", slug="song-band")
    debut = album("Debut", "album", "2001-05-01")
    demos = album("Early Demos", "album", "1999")
    single = album("Anthem Remixed", "single", "2003-02-01")
    best_of = album("Best Of", "compilation", "2011-01-01")
    tracks = {
        "remaster": recording(artist, "Anthem - 2011 Remaster", best_of),
        "remix": recording(artist, "Anthem (Night Remix)", single, duration_ms=301_000),
        "demo": recording(artist, "Anthem (Demo)", demos, duration_ms=150_000),
        "original": recording(artist, "Anthem", debut, duration_ms=187_000),
        "coda": recording(artist, "Coda", debut, duration_ms=65_400),
        "blue": recording(artist, "blue", debut),
    }
    other = make_artist(name="Other Band")
    recording(other, "Anthem", album("Other Album", "album", "2005"))
    return {"artist": artist, "tracks": tracks}


def test_songs_by_title_each_with_its_main_recording_and_every_version_main_first(
    client, openapi, catalog
):
    artist, tracks = catalog["artist"], catalog["tracks"]

    response = client.get(f"/api/artists/{artist.slug}/songs")

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3
    assert [(s["title"], s["versions"]) for s in body["items"]] == [
        ("Anthem", 4),
        ("blue", 1),  # titles ignoring case
        ("Coda", 1),
    ]
    anthem = body["items"][0]
    assert anthem["key"] == "anthem"
    original = tracks["original"]
    assert anthem["main"] == {
        "spotify_id": original.spotify_id,
        "name": "Anthem",
        "isrc": original.isrc,
        "version": "original",
        "album": {
            "spotify_id": original.album.spotify_id,
            "name": "Debut",
            "album_type": "album",
            "release_date": "2001-05-01",
        },
        "duration_ms": 187_000,
    }
    # The original first, then album over single over compilation.
    assert [(r["name"], r["version"], r["is_main"]) for r in anthem["recordings"]] == [
        ("Anthem", "original", True),
        ("Anthem (Demo)", "demo", False),
        ("Anthem (Night Remix)", "remix", False),
        ("Anthem - 2011 Remaster", "remaster", False),
    ]
    assert anthem["recordings"][0] == anthem["main"] | {"is_main": True}
    assert [r["album"]["name"] for r in anthem["recordings"]] == [
        "Debut",
        "Early Demos",
        "Anthem Remixed",
        "Best Of",
    ]
    coda = body["items"][2]
    assert [r["spotify_id"] for r in coda["recordings"]] == [tracks["coda"].spotify_id]
    assert coda["main"]["spotify_id"] == tracks["coda"].spotify_id
    assert_matches_openapi(openapi, response, SONGS)


@pytest.mark.parametrize(
    ("query", "titles", "count"),
    [
        ("limit=2", ["Anthem", "blue"], 3),
        ("limit=2&offset=2", ["Coda"], 3),
        ("offset=3", [], 3),
        ("q=BLU", ["blue"], 1),
        ("q=%20an%20", ["Anthem"], 1),  # surrounding spaces are ignored
        ("q=night", [], 0),  # a version's name is not the song's title
        ("q=a&limit=1&offset=1", ["Coda"], 2),
    ],
    ids=[
        "first page",
        "second page",
        "past the end",
        "title search",
        "spaces",
        "no match",
        "search paged",
    ],
)
def test_songs_page_by_limit_and_offset_and_search_titles(client, catalog, query, titles, count):
    body = client.get(f"/api/artists/{catalog['artist'].pk}/songs?{query}").json()

    assert [song["title"] for song in body["items"]] == titles
    assert body["count"] == count


def test_songs_of_an_unknown_artist_are_a_404(client, db):
    response = client.get("/api/artists/nobody/songs")

    assert response.status_code == 404
    assert response.json() == {"detail": "No artist with id, slug or Ticketmaster id 'nobody'"}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("limit=0", "limit: Input should be greater than or equal to 1"),
        ("limit=100000", "limit: Input should be less than or equal to"),
        ("offset=-1", "offset: Input should be greater than or equal to 0"),
        ("q=%00", "q: String should match pattern"),
    ],
    ids=["limit zero", "limit too large", "negative offset", "nul in the search"],
)
def test_songs_parameters_out_of_range_are_422_naming_the_field(client, db, query, expected):
    response = client.get(f"/api/artists/x/songs?{query}")

    assert response.status_code == 422
    assert expected in response.json()["detail"]


@pytest.mark.parametrize("songs", [3, 40], ids=["few songs", "many songs"])
def test_songs_take_the_same_few_queries_whatever_the_number_of_songs(
    client, django_assert_max_num_queries, songs
):
    artist = make_artist(slug="many-songs")
    shared = album("Shared", "album", "2010")
    for n in range(songs):
        recording(artist, f"Tune {n:02d}", shared)
        recording(artist, f"Tune {n:02d} (Demo)", shared)

    # The artist by slug, the count, the page of songs with their main recordings, the
    # page's recordings with their albums: never a query per song or per recording.
    with django_assert_max_num_queries(4):
        response = client.get(f"/api/artists/{artist.slug}/songs?limit=100")

    assert response.status_code == 200
    assert len(response.json()["items"]) == songs
    assert all(len(song["recordings"]) == 2 for song in response.json()["items"])


def test_the_artist_detail_counts_songs_beside_studio_recordings(client, openapi, catalog):
    response = client.get(f"/api/artists/{catalog['artist'].pk}")

    body = response.json()
    assert (body["studio_track_count"], body["song_count"]) == (6, 3)
    assert_matches_openapi(openapi, response, "/api/artists/{id_or_slug}")


# --- The selectors ----------------------------------------------------------------------


def test_song_recordings_reads_only_the_songs_asked_in_one_query(
    catalog, django_assert_num_queries
):
    artist = catalog["artist"]
    songs = list(artist_songs(artist_id=artist.pk))
    # A recording two artists share is in each artist's own song, once.
    shared = make_track(name="Coda", album=album("Split", "single", "2020"))
    link_track(artist, shared)
    link_track(make_artist(), shared)
    anthem, _, coda = songs

    with django_assert_num_queries(1):
        recordings = song_recordings(song_ids=[anthem.pk, coda.pk])

    assert set(recordings) == {anthem.pk, coda.pk}
    assert [(track.name, track.is_main) for track in recordings[anthem.pk]] == [
        ("Anthem", True),
        ("Anthem (Demo)", False),
        ("Anthem (Night Remix)", False),
        ("Anthem - 2011 Remaster", False),
    ]
    assert [(track.album.name, track.is_main) for track in recordings[coda.pk]] == [
        ("Debut", True),  # the album before the single
        ("Split", False),
    ]
    with django_assert_num_queries(0):
        assert song_recordings(song_ids=[]) == {}
