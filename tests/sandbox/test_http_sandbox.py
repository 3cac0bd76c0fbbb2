"""`/_sandbox/*`: statistics, reset, and the loaded artists."""

from __future__ import annotations

import asyncio

import pytest

from sandbox import truth
from sandbox.config import SandboxConfig
from tests.sandbox.support import BAND, BAND_SPOTIFY, VENUE, bearer, spotify_id, tm

pytestmark = pytest.mark.anyio


async def test_stats_count_requests_statuses_repeats_and_batches(open_sandbox, edge_world):
    config = SandboxConfig(tm_rps=1)
    async with open_sandbox(edge_world, config) as client:
        attraction = f"/discovery/v2/attractions/{BAND}.json"
        await client.get(attraction, params=tm())
        await client.get(attraction, params=tm())  # 429: over 1 request/second
        await client.get(f"/discovery/v2/venues/{VENUE}.json", params={"apikey": "key-2"})
        # Identical but for the key: a repeated fetch.
        await client.get(f"/discovery/v2/venues/{VENUE}.json", params={"apikey": "key-3"})
        await client.get("/discovery/v2/events.json", params={"attractionId": BAND})  # 401
        headers = await bearer(client)
        ids = ",".join(spotify_id("0edgeExtra", n) for n in range(1, 4))
        await client.get("/v1/albums", headers=headers, params={"ids": ids})
        await client.get("/v1/albums", headers=headers, params={"ids": ids})
        await client.get(
            "/v1/tracks", headers=headers, params={"ids": spotify_id("0edgeTrackB", 1)}
        )
        await client.get(f"/v1/artists/{BAND_SPOTIFY}/albums", headers=headers)
        await client.get("/v1/nothing-here", headers=headers)
        stats = (await client.get("/_sandbox/stats")).json()
    assert stats["requests"] == {
        "tm.attraction": 2,
        "tm.venue": 2,
        "tm.events": 1,
        "accounts.token": 1,
        "spotify.albums_batch": 2,
        "spotify.tracks_batch": 1,
        "spotify.artist_albums": 1,
        "unknown": 1,
    }
    assert stats["requests_total"] == 11
    assert stats["responses"] == {"200": 8, "429": 1, "401": 1, "404": 1}
    assert stats["endpoints"]["tm.attraction"]["responses"] == {"200": 1, "429": 1}
    assert stats["rate_limited"] == 1 and stats["rate_limited_by_endpoint"] == {"tm.attraction": 1}
    assert stats["repeated"] == {"tm.attraction": 1, "tm.venue": 1, "spotify.albums_batch": 1}
    assert stats["repeated_total"] == 3
    assert stats["batch_ids"] == {"spotify.albums_batch": [3, 3], "spotify.tracks_batch": [1]}
    assert stats["faults"] == 0 and stats["in_flight"] == 0
    assert stats["peak_concurrency"] >= 1


async def test_peak_concurrency(open_sandbox, edge_world):
    # Each answer takes 2 s: the 12 requests, sent at once, are all in flight together
    # however slowly a loaded machine opens their connections (250 ms was once too short).
    async with open_sandbox(edge_world, SandboxConfig(tm_rps=0, latency_ms=2000)) as client:
        await asyncio.gather(
            *(client.get(f"/discovery/v2/venues/{VENUE}.json", params=tm(n=n)) for n in range(12))
        )
        stats = (await client.get("/_sandbox/stats")).json()
    assert stats["peak_concurrency"] == 12
    assert stats["repeated_total"] == 0  # the queries differ


async def test_reset_clears_stats_and_rate_limit_windows(open_sandbox, edge_world):
    async with open_sandbox(edge_world, SandboxConfig(tm_rps=1)) as client:
        attraction = f"/discovery/v2/attractions/{BAND}.json"
        assert (await client.get(attraction, params=tm())).status_code == 200
        assert (await client.get(attraction, params=tm())).status_code == 429
        reset = await client.post("/_sandbox/reset")
        after = await client.get(attraction, params=tm())
        stats = (await client.get("/_sandbox/stats")).json()
    assert reset.status_code == 200
    assert after.status_code == 200
    assert stats["requests"] == {"tm.attraction": 1}
    assert stats["rate_limited"] == 0 and stats["repeated_total"] == 0


async def test_loaded_artists_with_ids_and_sizes(open_sandbox, builtin_world):
    async with open_sandbox(builtin_world) as client:
        body = (await client.get("/_sandbox/artists")).json()
    listed = {a["tm_attraction_id"]: a for a in body["artists"]}
    assert len(listed) == len(builtin_world.artists)
    for artist in builtin_world.artists:
        entry = listed[artist.tm_attraction_id]
        assert entry["spotify_id"] == artist.spotify_id and entry["name"] == artist.name
        assert entry["profile"] == artist.profile
        assert entry["sizes"] == truth.artist_sizes(artist)
    prolific = next(a for a in body["artists"] if a["profile"] == "prolific")
    assert prolific["sizes"]["events"] >= 1200
    assert prolific["sizes"]["raw_tracks"] >= 2500 and prolific["sizes"]["releases"] >= 150
