"""Spotify answers validated against Spotify's own OpenAPI files (tests/sandbox/specs/).

Extended-quota answers against the 2025-10-03 file, development-mode answers
against the 2026-05-30 file, with openapi-schema-validator resolving $refs.
"""

from __future__ import annotations

import pytest
from jsonschema.exceptions import ValidationError

from sandbox.config import SandboxConfig
from tests.sandbox.support import BAND_SPOTIFY, assert_spotify_schema, bearer, spotify_id

pytestmark = pytest.mark.anyio

ALBUM = spotify_id("0edgeAlbum", 1)
BIG_BOX = spotify_id("0edgeAlbum", 2)
TRACKS = [spotify_id("0edgeTrackA", 1), spotify_id("0edgeTrackA", 2), spotify_id("0edgeTrackB", 9)]
# name -> (path, params, the spec's response component); batches only where the mode has them.
SAMPLES = {
    "artist": (f"/v1/artists/{BAND_SPOTIFY}", {}, "OneArtist"),
    "artist_albums": (
        f"/v1/artists/{BAND_SPOTIFY}/albums",
        {"include_groups": "album,single,appears_on,compilation", "limit": 10},
        "PagingArtistDiscographyAlbumObject",
    ),
    "album": (f"/v1/albums/{BIG_BOX}", {}, "OneAlbum"),
    "album_tracks": (
        f"/v1/albums/{BIG_BOX}/tracks",
        {"offset": 5, "limit": 10},
        "PagingSimplifiedTrackObject",
    ),
    "track": (f"/v1/tracks/{TRACKS[1]}", {}, "OneTrack"),
    "search": ("/v1/search", {"q": "example", "type": "artist"}, "SearchItems"),
    "several_albums": (
        "/v1/albums",
        {"ids": f"{ALBUM},{BIG_BOX},{spotify_id('0edgeAlbum', 4)}"},
        "ManyAlbums",
    ),
    "several_tracks": ("/v1/tracks", {"ids": ",".join(TRACKS)}, "ManyTracks"),
    "audio_features": (
        "/v1/audio-features",
        {"ids": f"{TRACKS[0]},{TRACKS[2]}"},
        "ManyAudioFeatures",
    ),
}
REMOVED_IN_DEVELOPMENT = {"several_albums", "several_tracks", "audio_features"}


@pytest.mark.parametrize("app_mode", ["extended", "development"])
async def test_answers_match_the_spotify_openapi_schemas(open_sandbox, edge_world, app_mode):
    config = SandboxConfig(tm_rps=0, spotify_app=app_mode)
    async with open_sandbox(edge_world, config) as client:
        headers = await bearer(client)
        for name, (path, params, component) in SAMPLES.items():
            response = await client.get(path, headers=headers, params=params)
            if app_mode == "development" and name in REMOVED_IN_DEVELOPMENT:
                assert response.status_code == 403, name
                continue
            assert response.status_code == 200, (name, response.text)
            assert response.headers["content-type"].startswith("application/json")
            assert_spotify_schema(response.json(), component, app_mode)
        if app_mode == "development":
            refused = await client.get("/v1/albums", headers=headers, params={"ids": ALBUM})
            assert_spotify_schema(refused.json(), "Forbidden", app_mode)


async def test_error_bodies_match_the_schema(open_sandbox, edge_world):
    async with open_sandbox(edge_world) as client:
        missing_token = await client.get(f"/v1/artists/{BAND_SPOTIFY}")
        headers = await bearer(client)
        not_found = await client.get(f"/v1/albums/{spotify_id('0edgeNope', 1)}", headers=headers)
        bad_request = await client.get("/v1/tracks", headers=headers, params={"ids": "x" * 5})
    assert_spotify_schema(missing_token.json(), "Unauthorized")
    assert_spotify_schema(not_found.json(), "NotFound")
    assert_spotify_schema(bad_request.json(), "BadRequest")


def test_validation_is_not_vacuous():
    """A wrong type or a missing required field is caught: the $refs really resolve."""
    with pytest.raises(ValidationError, match="popularity"):
        assert_spotify_schema({"id": "x", "popularity": "high"}, "OneArtist")
    with pytest.raises(ValidationError, match=r"items|total"):
        assert_spotify_schema({"href": "h", "limit": 1}, "PagingSimplifiedTrackObject")
