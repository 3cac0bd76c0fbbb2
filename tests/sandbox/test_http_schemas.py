"""Spotify answers validated against Spotify's own OpenAPI files (tests/sandbox/specs/).

Extended-quota answers against the 2025-10-03 file, development-mode answers
against the 2026-05-30 file, with openapi-schema-validator resolving $refs.
The 2026 file still marks as required some fields development-mode apps no
longer get; those documented removals (UPSTREAM.md's table), and only those,
are made optional for development mode, and the answers must leave them out.
"""

from __future__ import annotations

import copy
import functools
from typing import Any

import pytest
import yaml
from jsonschema.exceptions import ValidationError
from openapi_schema_validator import OAS30StrictValidator, validate
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from sandbox.config import SandboxConfig
from tests.sandbox.support import (
    BAND_SPOTIFY,
    SPEC_FILES,
    SPECS,
    assert_spotify_schema,
    bearer,
    spotify_id,
)

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
# UPSTREAM.md's development-mode table, by the 2026 schema declaring each field.
DOCUMENTED_REMOVALS: dict[str, frozenset[str]] = {
    "ArtistObject": frozenset({"followers", "genres", "popularity"}),
    "AlbumBase": frozenset({"available_markets"}),
    "AlbumObject": frozenset({"label", "popularity"}),
    "SimplifiedTrackObject": frozenset({"available_markets", "linked_from"}),
    "TrackObject": frozenset({"available_markets", "linked_from", "popularity"}),
}
# The same removals by the `type` of the object in an answer.
REMOVED_BY_TYPE = {
    "artist": DOCUMENTED_REMOVALS["ArtistObject"],
    "album": DOCUMENTED_REMOVALS["AlbumBase"] | DOCUMENTED_REMOVALS["AlbumObject"],
    "track": DOCUMENTED_REMOVALS["TrackObject"],
}


def _own_parts(schemas: dict[str, Any], name: str) -> list[dict[str, Any]]:
    """The schema and its inline `allOf` parts (not the ones it refers to)."""
    node = schemas[name]
    return [node, *(part for part in node.get("allOf", []) if "$ref" not in part)]


@functools.cache
def _development_registry() -> tuple[Registry, str]:
    """The 2026 spec with only the documented removals taken out of `required`."""
    path = SPECS / SPEC_FILES["development"]
    spec = copy.deepcopy(yaml.load(path.read_text(), Loader=yaml.CSafeLoader))
    schemas = spec["components"]["schemas"]
    for name, removed in DOCUMENTED_REMOVALS.items():
        parts = _own_parts(schemas, name)
        declared = {field for part in parts for field in part.get("properties", {})}
        assert removed <= declared, f"{name} declares no {sorted(removed - declared)}"
        for part in parts:
            if "required" in part:
                part["required"] = [f for f in part["required"] if f not in removed]
    uri = "urn:spotify-openapi:development-documented"
    resource = Resource.from_contents(spec, default_specification=DRAFT4)
    return Registry().with_resource(uri, resource), uri


def assert_development_schema(body: Any, response: str) -> None:
    """Validate a development-mode answer: the 2026 schema minus the documented removals."""
    registry, uri = _development_registry()
    pointer = f"{uri}#/components/responses/{response}/content/application~1json/schema"
    validate(body, {"$ref": pointer}, cls=OAS30StrictValidator, registry=registry)


def removed_fields_present(body: Any, where: str = "$") -> list[str]:
    """Paths of documented-removed fields anywhere in `body` (by each object's `type`)."""
    found = []
    if isinstance(body, dict):
        removed = REMOVED_BY_TYPE.get(body.get("type"), frozenset())  # type: ignore[arg-type]
        found += [f"{where}.{name}" for name in sorted(removed & set(body))]
        for key, value in body.items():
            found += removed_fields_present(value, f"{where}.{key}")
    elif isinstance(body, list):
        for position, value in enumerate(body):
            found += removed_fields_present(value, f"{where}[{position}]")
    return found


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
            if app_mode == "development":
                assert_development_schema(response.json(), component)
                assert removed_fields_present(response.json()) == [], name
            else:
                assert_spotify_schema(response.json(), component)
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


@pytest.mark.parametrize(
    ("component", "body", "message"),
    [
        pytest.param(
            "PagingArtistDiscographyAlbumObject", "listed_album", "album_group", id="kept-field"
        ),
        pytest.param("OneAlbum", "full_album", "copyrights", id="kept-full-album-field"),
    ],
)
def test_development_validation_allows_only_the_documented_removals(component, body, message):
    """Dropping a documented removal passes; dropping any other required field does not."""
    album = {
        "album_type": "album",
        "total_tracks": 0,
        "external_urls": {"spotify": "https://open.spotify.com/album/x"},
        "href": "https://api.spotify.com/v1/albums/x",
        "id": "x",
        "images": [],
        "name": "x",
        "release_date": "2020",
        "release_date_precision": "year",
        "type": "album",
        "uri": "spotify:album:x",
        "artists": [],
    }
    paging = {"href": "h", "limit": 1, "next": None, "offset": 0, "previous": None, "total": 0}
    samples = {
        "listed_album": {**paging, "total": 1, "items": [{**album, "album_group": "album"}]},
        "full_album": {
            **album,
            "tracks": {**paging, "items": []},
            "copyrights": [],
            "external_ids": {},
            "genres": [],
        },
    }
    assert_development_schema(samples[body], component)
    broken = copy.deepcopy(samples[body])
    target = broken["items"][0] if "items" in broken else broken
    del target[message]
    with pytest.raises(ValidationError, match=message):
        assert_development_schema(broken, component)
    # The classic API requires what development mode leaves out.
    with pytest.raises(ValidationError, match=r"'(available_markets|label)' is a required"):
        assert_spotify_schema(samples[body], component, "extended")


def objects_of_type(body: Any, kind: str) -> list[dict[str, Any]]:
    """Every object in `body` whose `type` is `kind`, nested ones included."""
    if isinstance(body, list):
        return [found for value in body for found in objects_of_type(value, kind)]
    if not isinstance(body, dict):
        return []
    own = [body] if body.get("type") == kind else []
    return own + [found for value in body.values() for found in objects_of_type(value, kind)]


# Answers carrying artists, albums or tracks -> (path, params, fields of the answer's
# own object that only extended mode has).
CARRIERS = {
    "artist": (f"/v1/artists/{BAND_SPOTIFY}", {}, {"followers", "genres", "popularity"}),
    "artist_albums": (
        f"/v1/artists/{BAND_SPOTIFY}/albums",
        {"include_groups": "album,single,appears_on,compilation", "limit": 10},
        set(),
    ),
    "artist_albums_in_market": (
        f"/v1/artists/{BAND_SPOTIFY}/albums",
        {"market": "US", "limit": 10},
        set(),
    ),
    "album": (f"/v1/albums/{BIG_BOX}", {"market": "US"}, {"label", "popularity"}),
    "album_tracks": (f"/v1/albums/{BIG_BOX}/tracks", {"limit": 50}, set()),
    "track": (f"/v1/tracks/{TRACKS[1]}", {"market": "US"}, {"popularity"}),
    "search": ("/v1/search", {"q": "example", "type": "album,artist,track"}, set()),
    "several_albums": ("/v1/albums", {"ids": f"{ALBUM},{BIG_BOX}"}, set()),
    "several_tracks": ("/v1/tracks", {"ids": ",".join(TRACKS)}, set()),
}


@pytest.mark.parametrize("app_mode", ["extended", "development"])
async def test_development_mode_leaves_out_the_removed_fields(open_sandbox, edge_world, app_mode):
    """Development mode: no removed field anywhere; extended mode: all of them."""
    config = SandboxConfig(tm_rps=0, spotify_app=app_mode)
    async with open_sandbox(edge_world, config) as client:
        headers = await bearer(client)
        answers = {
            name: await client.get(path, headers=headers, params=params)
            for name, (path, params, _) in CARRIERS.items()
            if app_mode == "extended" or name not in REMOVED_IN_DEVELOPMENT
        }
    bodies = {name: answer.json() for name, answer in answers.items()}
    assert {name: a.status_code for name, a in answers.items()} == dict.fromkeys(answers, 200)
    albums = [album for body in bodies.values() for album in objects_of_type(body, "album")]
    tracks = [track for body in bodies.values() for track in objects_of_type(body, "track")]
    # Every answer kind is covered: listed, full and embedded albums; simplified and full tracks.
    assert len(albums) >= 22 and len(tracks) >= 101
    if app_mode == "development":
        present = {name: removed_fields_present(body) for name, body in bodies.items()}
        assert {name: paths for name, paths in present.items() if paths} == {}
    else:
        assert all("available_markets" in album for album in albums)
        assert all("available_markets" in track for track in tracks)
        for name, (_, _, own_fields) in CARRIERS.items():
            assert own_fields <= set(bodies[name]), name
        assert all("popularity" in track for track in bodies["several_tracks"]["tracks"])
        # The walk the development branch relies on sees nested fields too.
        found = set(removed_fields_present(bodies["track"]))
        assert {"$.popularity", "$.album.available_markets"} <= found
