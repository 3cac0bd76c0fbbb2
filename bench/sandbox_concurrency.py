"""How well the sandbox overlaps slow answers: N concurrent requests at 50 ms latency.

Starts `manage.py sandbox_upstream` in its own process (so client and server
do not share an interpreter), fires N requests at once over real HTTP, and
prints the wall time against the ideal (one latency: every answer overlapping)
and the throughput, twice: with one AsyncClient whose pool holds every
connection, and with the requests spread over many small clients, because
httpx's pool costs client CPU that grows with its size (the client CPU printed
shows how much of the wall time is the client's own). Run from the project root:

    .venv/bin/python bench/sandbox_concurrency.py [--requests 500] [--latency-ms 50]
    [--per-client 2]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx

PROJECT = Path(__file__).resolve().parents[1]


def start_sandbox(latency_ms: float) -> tuple[subprocess.Popen[str], str]:
    """The sandbox process (built-in profiles, no rate limits) and its base URL."""
    command = [
        sys.executable, "manage.py", "sandbox_upstream", "--port", "0",
        "--latency-ms", str(latency_ms), "--tm-rps", "0", "--tm-daily-quota", "1000000",
    ]  # fmt: skip
    process = subprocess.Popen(
        command, cwd=PROJECT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    match = re.search(r"http://\S+:\d+", line)
    if not match:
        process.terminate()
        raise SystemExit(f"sandbox did not start: {line!r}")
    return process, match.group()


def build_requests(
    artists: list[dict], headers: dict[str, str], count: int
) -> list[tuple[str, dict, dict]]:
    """`count` requests alternating Ticketmaster event pages and Spotify album pages."""
    requests = []
    for n in range(count):
        artist = artists[n % len(artists)]
        if n % 2:
            params = {
                "apikey": "bench",
                "attractionId": artist["tm_attraction_id"],
                "page": n % 5,
                "size": 5,
            }
            requests.append(("/discovery/v2/events.json", params, {}))
        else:
            path = f"/v1/artists/{artist['spotify_id']}/albums"
            requests.append((path, {"offset": n % 40, "limit": 5}, headers))
    return requests


async def fire(base_url: str, count: int, shards: int) -> dict:
    """Send `count` requests at once over `shards` clients; return timings and server stats.

    A warm-up round opens the connections first, so the measured round times
    the sandbox's answers rather than TCP set-up.
    """
    per_shard = math.ceil(count / shards)
    limits = httpx.Limits(max_connections=per_shard, max_keepalive_connections=per_shard)
    async with contextlib.AsyncExitStack() as stack:
        clients = [
            await stack.enter_async_context(
                httpx.AsyncClient(base_url=base_url, limits=limits, timeout=30)
            )
            for _ in range(shards)
        ]
        admin = clients[0]
        artists = (await admin.get("/_sandbox/artists")).json()["artists"]
        token = await admin.post(
            "/api/token", data={"grant_type": "client_credentials"}, auth=("bench", "bench")
        )
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        requests = build_requests(artists, headers, count)

        async def round_trip() -> list[httpx.Response]:
            return await asyncio.gather(
                *(
                    clients[n % shards].get(path, params=params, headers=h)
                    for n, (path, params, h) in enumerate(requests)
                )
            )

        await round_trip()
        await admin.post("/_sandbox/reset")
        cpu, started = time.process_time(), time.perf_counter()
        answers = await round_trip()
        elapsed, client_cpu = time.perf_counter() - started, time.process_time() - cpu
        stats = (await admin.get("/_sandbox/stats")).json()
    return {
        "elapsed": elapsed,
        "client_cpu": client_cpu,
        "statuses": [a.status_code for a in answers],
        "peak": stats["peak_concurrency"],
    }


def report(label: str, result: dict, latency_ms: float) -> bool:
    """Print one measurement; True when every request was answered 200."""
    elapsed, statuses = result["elapsed"], result["statuses"]
    ideal = latency_ms / 1000
    ok = statuses.count(200)
    ratio = f" ({elapsed / ideal:.1f}x)" if ideal else ""
    print(f"{label}:")
    print(f"  answered 200: {ok}/{len(statuses)}; server peak concurrency {result['peak']}")
    print(f"  wall time {elapsed * 1000:.0f} ms vs ideal {ideal * 1000:.0f} ms{ratio}")
    print(f"  throughput {len(statuses) / elapsed:.0f} requests/s")
    print(f"  client CPU in the measured round {result['client_cpu'] * 1000:.0f} ms")
    return ok == len(statuses)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument(
        "--per-client",
        type=int,
        default=2,
        help="connections per AsyncClient in the sharded run (httpx's pool costs grow with size)",
    )
    args = parser.parse_args()
    process, base_url = start_sandbox(args.latency_ms)
    try:
        shared = asyncio.run(fire(base_url, args.requests, 1))
        shards = math.ceil(args.requests / args.per_client)
        sharded = asyncio.run(fire(base_url, args.requests, shards))
    finally:
        process.terminate()
        process.wait(timeout=10)
    print(f"{args.requests} concurrent requests, {args.latency_ms:g} ms latency, {base_url}")
    ok = report(f"one AsyncClient, pool of {args.requests}", shared, args.latency_ms)
    ok &= report(
        f"{shards} AsyncClients of {args.per_client} connections", sharded, args.latency_ms
    )
    if not ok:
        raise SystemExit("some requests failed")


if __name__ == "__main__":
    main()
