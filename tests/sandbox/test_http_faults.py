"""Injected faults and latency: reproducible per seed, order-independent, non-blocking."""

from __future__ import annotations

import asyncio
import contextlib
import time

import httpx
import pytest

from sandbox.config import SandboxConfig
from sandbox.transport import sandbox_transport
from tests.sandbox.support import BAND, BAND_SPOTIFY, VENUE, bearer, spotify_id, tm

pytestmark = pytest.mark.anyio

Request = tuple[str, dict]


def requests_to_replay() -> list[Request]:
    """60 requests: ten distinct pages asked three times, and one attraction asked 30 times."""
    pages = [
        ("/discovery/v2/events.json", tm(attractionId=BAND, size=2, page=p)) for p in range(10)
    ]
    attraction = (f"/discovery/v2/attractions/{BAND}.json", tm())
    return pages * 3 + [attraction] * 30


async def outcome(client: httpx.AsyncClient, path: str, params: dict, **kwargs) -> int | str:
    """The status code, or "dropped" when the connection broke mid-answer."""
    try:
        return (await client.get(path, params=params, **kwargs)).status_code
    except httpx.RemoteProtocolError:
        return "dropped"


async def replay(open_sandbox, world, seed: int, rate: float = 0.3) -> list[int | str]:
    config = SandboxConfig(tm_rps=0, fault_rate=rate, seed=seed)
    async with open_sandbox(world, config) as client:
        return [await outcome(client, path, params) for path, params in requests_to_replay()]


async def test_same_seed_same_faults_other_seed_other_faults(open_sandbox, edge_world):
    first = await replay(open_sandbox, edge_world, seed=7)
    again = await replay(open_sandbox, edge_world, seed=7)
    other = await replay(open_sandbox, edge_world, seed=8)
    assert first == again
    assert first != other
    assert {500, 502, 503, "dropped"} <= set(first)  # every kind occurs
    assert 200 in first
    # A retry of the same request gets a fresh roll: the repeated attraction varies.
    assert len(set(first[30:])) > 1


async def test_outcomes_do_not_depend_on_concurrency_order(open_sandbox, edge_world):
    config = SandboxConfig(tm_rps=0, fault_rate=0.3, seed=3, latency_ms=5, jitter_ms=5)
    requests = requests_to_replay()
    async with open_sandbox(edge_world, config) as client:
        sequential = [await outcome(client, path, params) for path, params in requests]
    async with open_sandbox(edge_world, config) as client:
        concurrent = await asyncio.gather(
            *(outcome(client, path, params) for path, params in reversed(requests))
        )
    # The n-th attempt of a request has the same fate whatever the order; compare per request.
    by_request: dict[str, list] = {}
    for (path, params), result in zip(reversed(requests), concurrent, strict=True):
        by_request.setdefault(f"{path}{sorted(params.items())}", []).append(result)
    expected: dict[str, list] = {}
    for (path, params), result in zip(requests, sequential, strict=True):
        expected.setdefault(f"{path}{sorted(params.items())}", []).append(result)
    assert {k: sorted(map(str, v)) for k, v in by_request.items()} == {
        k: sorted(map(str, v)) for k, v in expected.items()
    }


async def test_fault_rate_is_roughly_p(edge_world):
    config = SandboxConfig(tm_rps=0, fault_rate=0.2, seed=11)
    transport = sandbox_transport(edge_world, config)
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox.test") as client:
        headers = await bearer(client)
        results = []
        for n in range(600):
            if n % 2:
                params = tm(attractionId=BAND, size=1, page=n % 300)
                result = await outcome(client, "/discovery/v2/events.json", params)
            else:
                path = f"/v1/artists/{BAND_SPOTIFY}/albums"
                params = {"offset": n, "limit": 1}
                result = await outcome(client, path, params, headers=headers)
            results.append(result)
        stats = (await client.get("/_sandbox/stats")).json()
    share = sum(r != 200 for r in results) / len(results)
    assert 0.15 <= share <= 0.25
    assert stats["faults"] == sum(r != 200 for r in results)
    assert stats["responses"]["200"] == results.count(200) + 1  # + the token


async def test_dropped_connection_is_an_httpx_error(open_sandbox, edge_world):
    config = SandboxConfig(tm_rps=0, fault_rate=1.0, seed=0)
    async with open_sandbox(edge_world, config) as client:
        for page in range(50):
            try:
                await client.get(
                    "/discovery/v2/events.json", params=tm(attractionId=BAND, page=page)
                )
            except httpx.RemoteProtocolError:
                break
        else:
            pytest.fail("no dropped connection in 50 faulty answers")
        stats = (await client.get("/_sandbox/stats")).json()
    assert stats["faults_by_kind"]["drop"] == 1
    assert stats["responses"]["dropped"] == 1


async def test_fault_bodies_are_the_providers(open_sandbox, edge_world):
    config = SandboxConfig(tm_rps=0, fault_rate=1.0, seed=0)
    tm_faults: list[httpx.Response] = []
    sp_faults: list[httpx.Response] = []
    async with open_sandbox(edge_world, config) as client:
        # Tokens and /_sandbox never fault, so a run can always authenticate and look.
        headers = await bearer(client)
        for n in range(12):
            with contextlib.suppress(httpx.RemoteProtocolError):
                tm_faults.append(
                    await client.get(f"/discovery/v2/venues/{VENUE}.json", params=tm(n=n))
                )
            with contextlib.suppress(httpx.RemoteProtocolError):
                track = spotify_id("0edgeTrackB", n + 1)
                sp_faults.append(await client.get(f"/v1/tracks/{track}", headers=headers))
        stats = await client.get("/_sandbox/stats")
    assert tm_faults and sp_faults
    for response in tm_faults:
        assert response.status_code in (500, 502, 503)
        assert set(response.json()["fault"]) == {"faultstring", "detail"}
        assert "Rate-Limit" not in response.headers
    for response in sp_faults:
        assert response.status_code in (500, 502, 503)
        assert response.json()["error"]["status"] == response.status_code
        assert response.json()["error"]["message"]
    assert stats.status_code == 200


async def test_latency_is_added_without_blocking(open_sandbox, edge_world):
    """The added latency is a wait, not a block: requests sent together are in flight
    together. Counted by the sandbox (its peak concurrency), not timed: a timed bound on
    the 30 answers failed on a loaded machine. Only the latency's lower bound is timed."""
    config = SandboxConfig(tm_rps=0, latency_ms=300)
    async with open_sandbox(edge_world, config) as client:
        started = time.perf_counter()
        await client.get(f"/discovery/v2/venues/{VENUE}.json", params=tm())
        single = time.perf_counter() - started
        await client.post("/_sandbox/reset")
        answers = await asyncio.gather(
            *(client.get(f"/discovery/v2/venues/{VENUE}.json", params=tm(n=n)) for n in range(30))
        )
        peak = (await client.get("/_sandbox/stats")).json()["peak_concurrency"]
    assert all(a.status_code == 200 for a in answers)
    assert single >= 0.3
    # A blocking wait would serve them one at a time (a peak of 1).
    assert peak > 1
