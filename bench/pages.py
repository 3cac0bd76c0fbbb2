"""Public pages: the prolific artist's page (bytes, time to first byte) after a real import
from the sandbox, and `/` with its name search over 100,000 public artists (time to first
byte of the index, of a search matching many names and of one matching few, of a deep
page). Served by uvicorn on 127.0.0.1, read with httpx; medians of repeated requests.
On PostgreSQL it also says whether the planner uses the trigram index for the search.

    .venv/bin/python bench/pages.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/theset_bench .venv/bin/python bench/pages.py
"""

from __future__ import annotations

import argparse
import itertools
import os
import time

from common import PROJECT, record, setup_scratch_django, spread

# Targets of issue 19: the prolific page under 100 KB; search "fast on 100,000 artists",
# which we read as a page in under 200 ms to first byte.
PAGE_BYTES_TARGET = 100_000
SEARCH_TTFB_TARGET_MS = 200
WORDS = [
    "velvet",
    "electric",
    "golden",
    "midnight",
    "silver",
    "crimson",
    "paper",
    "glass",
    "northern",
    "quiet",
    "wild",
    "broken",
    "neon",
    "royal",
    "lucky",
    "hollow",
    "rolling",
    "static",
    "cosmic",
    "lonely",
    "rovers",
    "comets",
    "harbour",
    "parade",
    "echoes",
    "wolves",
    "saints",
    "lanterns",
    "tigers",
    "mirrors",
    "rivers",
    "engines",
    "sparrows",
    "machines",
    "ghosts",
    "pilots",
    "arrows",
    "dreamers",
]


def seed_artists(count: int) -> int:
    """`count` public artists named from WORDS ("Velvet Comets 1234"), bulk-inserted."""
    from django.utils import timezone

    from catalog.models import Artist

    now = timezone.now()
    names = itertools.cycle(itertools.product(WORDS[:20], WORDS[20:]))
    batch: list[Artist] = []
    for n in range(count):
        first, second = next(names)
        batch.append(
            Artist(
                tm_attraction_id=f"K8vZbench{n:07d}",
                slug=f"bench-{n}",
                name=f"{first.title()} {second.title()} {n}",
                identity_synced_at=now,
                genres=["Rock"],
            )
        )
        if len(batch) == 5000:
            Artist.objects.bulk_create(batch)
            batch = []
    Artist.objects.bulk_create(batch)
    return count


def time_to_first_byte(client, url: str, runs: int) -> tuple[list[float], int]:
    """Milliseconds to the response's headers (Django renders the whole page before
    them), per run, and the body's size in bytes."""
    client.get(url)  # warm: templates compiled, connections open
    times = []
    size = 0
    for _ in range(runs):
        start = time.perf_counter()
        with client.stream("GET", url) as response:
            times.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200, (url, response.status_code)
            size = len(response.read())
    return times, size


def search_plan(query: str) -> str:
    """PostgreSQL's plan of the search's count: does it use the trigram index?"""
    from django.db import connection

    from catalog.selectors import artists_search

    if connection.vendor != "postgresql":
        return ""
    sql, params = artists_search(query=query).only("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE catalog_artist")
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--artists", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()

    import sys

    sys.path.insert(0, str(PROJECT))
    from sandbox import profiles
    from sandbox.config import SandboxConfig
    from sandbox.server import importer_environment, running_sandbox, serve_in_thread
    from sandbox.world import build_world

    world = build_world(seed=0)
    prolific_id = profiles.BUILTIN_ATTRACTION_IDS["prolific"]
    with running_sandbox(world, SandboxConfig(port=0, seed=0)) as base_url:
        os.environ.update(importer_environment(base_url))
        os.environ.setdefault("DEBUG", "false")
        setup_scratch_django()
        from django.db import connection

        from catalog.models import Artist
        from imports.models import ImportStatus
        from imports.pipeline import run_import
        from imports.services import import_run_create

        run = run_import(import_run_create(tm_attraction_id=prolific_id).import_id)
        assert run.status == ImportStatus.SUCCEEDED, run.error

    seeded_at = time.perf_counter()
    seed_artists(args.artists)
    seed_seconds = time.perf_counter() - seeded_at
    prolific = Artist.objects.get(tm_attraction_id=prolific_id)
    plan = search_plan("velvet rovers 9999")

    import httpx

    from theset.asgi import application

    urls = {
        "artist page": prolific.get_absolute_url(),
        "artist page, filtered": f"{prolific.get_absolute_url()}?country=US&song=love",
        "index": "/",
        "search, many matches": "/?q=comets",
        "search, few matches": "/?q=velvet+rovers+9999",
        "search, deep page": "/?q=comets&page=150",
    }
    measured = {}
    with serve_in_thread(application) as web, httpx.Client(base_url=web, timeout=60) as client:
        for label, url in urls.items():
            times, size = time_to_first_byte(client, url, args.runs)
            measured[label] = {"ttfb_ms": spread(times, 1), "bytes": size}

    page = measured["artist page"]
    searches = [measured[k]["ttfb_ms"]["median"] for k in urls if k.startswith(("search", "index"))]
    figures = {
        "artists": Artist.objects.count(),
        "seed_seconds": round(seed_seconds, 1),
        "pages": measured,
        "artist_page_bytes": page["bytes"],
        "artist_page_bytes_met": page["bytes"] < PAGE_BYTES_TARGET,
        "artist_page_ttfb_ms": page["ttfb_ms"],
        "search_ttfb_worst_median_ms": max(searches),
        "search_met": max(searches) < SEARCH_TTFB_TARGET_MS,
        "trigram_index_used": ("catalog_artist_name_trgm" in plan) if plan else None,
    }
    path = record(f"pages_{connection.vendor}", figures)
    print(f"pages ({connection.vendor}): {figures['artists']:,} artists")
    for label, figure in measured.items():
        ttfb = figure["ttfb_ms"]
        print(
            f"  {label:<24} {figure['bytes'] / 1000:7.1f} KB  first byte "
            f"{ttfb['median']:.1f} ms median ({ttfb['min']:.1f}-{ttfb['max']:.1f})"
        )
    print(
        f"  prolific artist page {page['bytes'] / 1000:.1f} KB against < "
        f"{PAGE_BYTES_TARGET / 1000:.0f} KB ({page['bytes'] / PAGE_BYTES_TARGET:.2f}x); "
        f"worst search median {max(searches):.1f} ms against < {SEARCH_TTFB_TARGET_MS} ms"
    )
    if plan:
        print(f"  trigram index used by the search: {figures['trigram_index_used']}")
    print(f"  saved to {path.relative_to(PROJECT)}")


if __name__ == "__main__":
    main()
