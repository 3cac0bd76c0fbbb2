"""Shared test data and helpers for the sandbox tests: the edge scenario, auth, schemas."""

from __future__ import annotations

import copy
import datetime
import functools
from pathlib import Path
from typing import Any

import httpx
import yaml
from openapi_schema_validator import OAS30StrictValidator, validate
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

ANCHOR = datetime.date(2026, 6, 1)
SPECS = Path(__file__).parent / "specs"
SPEC_FILES = {
    "extended": "spotify-web-api-2025-10-03.openapi.yml",
    "development": "spotify-web-api-2026-05-30.openapi.yml",
}
# Edge-world ids, named for the tests.
BAND = "K8vZ9171ob7"
NAMESAKE = "K8vZ9171nmS"
BAND_SPOTIFY = "0edgeBandSpotify000001"
NAMESAKE_SPOTIFY = "0edgeNamesakeSpotify01"
VENUE = "KovZEdge001"
BARE_VENUE = "KovZEdge002"  # no location, no timezone
DATED_EVENTS = 24  # dated events of the band, one listed twice
TBA_EVENT = "vvG1EdgeEventTBA"
NO_VENUE_EVENT = "vvG1EdgeEvent0005"
TWICE_EVENT = "vvG1EdgeEvent0003"
NO_TZ_EVENT = "vvG1EdgeEvent0007"
TIME_TBA_EVENT = "vvG1EdgeEvent0009"


def spotify_id(tag: str, number: int) -> str:
    """A 22-character base-62 id: `tag` then zero-padded `number`."""
    return f"{tag}{number:0{22 - len(tag)}d}"


def _track(tag: str, number: int, **fields: Any) -> dict[str, Any]:
    track = {
        "spotify_id": spotify_id(tag, number),
        "name": f"Song {tag} {number}",
        "duration_ms": 180_000 + number,
        "isrc": f"USAB1{number:07d}",
        "liveness": 0.1,
    }
    return {**track, **fields}


def edge_scenario() -> dict[str, Any]:
    """A small scenario with every edge the HTTP tests look at, at known places."""
    venue = {
        "tm_venue_id": VENUE,
        "name": "Example Hall",
        "city": " Austin ",  # stray whitespace, as live
        "state": "Texas",
        "state_code": "TX",
        "country": "United States Of America",
        "country_code": "US",
        "latitude": "30.26710000",
        "longitude": "-97.74310000",
        "timezone": "America/Chicago",
    }
    bare_venue = {"tm_venue_id": BARE_VENUE, "name": "Field", "city": "Oslo", "timezone": None}
    events: list[dict[str, Any]] = []
    for day in range(DATED_EVENTS):
        event: dict[str, Any] = {
            "tm_event_id": f"vvG1EdgeEvent{day:04d}",
            "name": f"Example Band night {day:02d}",
            "local_date": (datetime.date(2027, 1, 1) + datetime.timedelta(days=day)).isoformat(),
            "local_time": "20:00:00",
            "venue": venue,
        }
        events.append(event)
    events[1]["status"] = "cancelled"
    events[2]["status"] = "postponed"
    events[3]["listed_twice"] = True
    events[5]["venue"] = None
    events[6]["venue"] = bare_venue
    events[7]["timezone"] = None
    events[9]["local_time"] = None
    events.append({"tm_event_id": TBA_EVENT, "name": "Example Band TBA", "local_date": None})
    albums: list[dict[str, Any]] = [
        {
            "spotify_id": spotify_id("0edgeAlbum", 1),
            "name": "First Record",
            "album_type": "album",
            "release_date": "2019-05-17",
            "available_markets": ["US", "GB", "DE"],
            "tracks": [
                _track("0edgeTrackA", 1, liveness=0.11),
                _track("0edgeTrackA", 2, isrc=None),
                _track("0edgeTrackA", 3, liveness=None),
            ],
        },
        {
            "spotify_id": spotify_id("0edgeAlbum", 2),
            "name": "Big Box",
            "album_type": "compilation",
            "release_date": "2021",
            "available_markets": ["US"],
            "tracks": [_track("0edgeTrackB", n) for n in range(1, 61)],
        },
        {
            "spotify_id": spotify_id("0edgeAlbum", 3),
            "name": "Single One",
            "album_type": "single",
            "release_date": "2020-01",
            "available_markets": ["US", "GB"],
            "tracks": [_track("0edgeTrackC", 1)],
        },
        {
            "spotify_id": spotify_id("0edgeAlbum", 4),
            "name": "Various Hits",
            "album_type": "compilation",
            "album_group": "appears_on",
            "release_date": "2018-03-03",
            "tracks": [_track("0edgeTrackD", 1)],
        },
    ]
    albums += [
        {
            "spotify_id": spotify_id("0edgeExtra", n),
            "name": f"Extra {n}",
            "album_type": "album",
            "release_date": f"{1990 + n}-01-01",
            "available_markets": ["US"],
            "tracks": [_track("0edgeTrackE", n)],
        }
        for n in range(1, 21)
    ]
    namesake_events = [
        {
            "tm_event_id": f"vvG1EdgeNamesake{n}",
            "name": "Namesake live",
            "local_date": f"2027-03-0{n}",
            "local_time": "19:30:00",
            "venue": venue,
        }
        for n in (1, 2)
    ]
    return {
        "artists": [
            {
                "tm_attraction_id": BAND,
                "name": "Example Band",
                "spotify_id": BAND_SPOTIFY,
                "spotify_linked": True,
                "genres": ["Rock"],
                "albums": albums,
                "events": events,
            },
            {
                "tm_attraction_id": NAMESAKE,
                "name": "Namesake",
                "spotify_id": NAMESAKE_SPOTIFY,
                "spotify_linked": False,
                "albums": [],
                "events": namesake_events,
            },
        ]
    }


async def bearer(client: httpx.AsyncClient, client_id: str = "sandbox") -> dict[str, str]:
    """Authorization headers with a fresh client-credentials token."""
    response = await client.post(
        "/api/token", data={"grant_type": "client_credentials"}, auth=(client_id, "secret")
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def tm(**params: Any) -> dict[str, Any]:
    """Ticketmaster query parameters with an API key."""
    return {"apikey": "sandbox-key", **params}


# --- Spotify OpenAPI validation ------------------------------------------------


@functools.cache
def _registry(app_mode: str) -> tuple[Registry, str]:
    """The Spotify spec for `app_mode` as a $ref registry, and its URI.

    The 2026 file still lists fields it marks deprecated as required, while
    development-mode apps no longer get them (UPSTREAM.md); for that mode the
    deprecated properties are made optional, derived from the spec itself.
    """
    spec = yaml.load((SPECS / SPEC_FILES[app_mode]).read_text(), Loader=yaml.CSafeLoader)
    if app_mode == "development":
        spec = _deprecated_made_optional(spec)
    uri = f"urn:spotify-openapi:{app_mode}"
    resource = Resource.from_contents(spec, default_specification=DRAFT4)
    return Registry().with_resource(uri, resource), uri


def _deprecated_made_optional(spec: dict[str, Any]) -> dict[str, Any]:
    spec = copy.deepcopy(spec)
    schemas = spec["components"]["schemas"]

    def properties(node: dict[str, Any]) -> dict[str, Any]:
        found = dict(node.get("properties", {}))
        for part in node.get("allOf", []):
            if "$ref" in part:
                part = schemas[part["$ref"].rsplit("/", 1)[1]]
            found.update(properties(part))
        return found

    def visit(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("required"), list):
                declared = properties(node)
                node["required"] = [
                    name
                    for name in node["required"]
                    if not declared.get(name, {}).get("deprecated", False)
                ]
            for value in node.values():
                visit(value)
        elif isinstance(node, list):
            for value in node:
                visit(value)

    visit(spec)
    return spec


def assert_spotify_schema(body: Any, response: str, app_mode: str = "extended") -> None:
    """Validate `body` against the spec's `components/responses/<response>` JSON schema."""
    registry, uri = _registry(app_mode)
    pointer = f"{uri}#/components/responses/{response}/content/application~1json/schema"
    validate(body, {"$ref": pointer}, cls=OAS30StrictValidator, registry=registry)
