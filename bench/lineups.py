"""Lineups: a full import of every artist of the built-in world (the three profiles and
their five support acts, sharing tours, a co-headlined run), then the artist-show links
stored against the sandbox's truth, and against what one artist per show could hold.

    .venv/bin/python bench/lineups.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/theset_bench .venv/bin/python bench/lineups.py
"""

from __future__ import annotations

import argparse
import os
import time
from collections import Counter

from common import PROJECT, record, setup_scratch_django
from economy import minimum_requests


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    import sys

    sys.path.insert(0, str(PROJECT))
    from sandbox import truth
    from sandbox.config import SandboxConfig
    from sandbox.server import importer_environment, running_sandbox
    from sandbox.world import build_world

    world = build_world(seed=args.seed)
    with running_sandbox(world, SandboxConfig(port=0, seed=args.seed)) as base_url:
        os.environ.update(importer_environment(base_url))
        setup_scratch_django()
        import datetime

        import httpx
        from django.db import connection

        from imports.models import ImportStatus
        from imports.pipeline import run_import
        from imports.services import import_run_create
        from shows.models import Billing, Show

        wall = time.perf_counter()
        cpu = time.process_time()
        failed = []
        for artist in world.artists:
            run = run_import(import_run_create(tm_attraction_id=artist.tm_attraction_id).import_id)
            if run.status != ImportStatus.SUCCEEDED:
                failed.append(f"{artist.name}: {run.error}")
        wall = time.perf_counter() - wall
        cpu = time.process_time() - cpu
        served = httpx.get(f"{base_url}/_sandbox/stats").json()["requests"]

    today = datetime.date.today()
    bills = truth.expected_bills(world)
    listed = Billing.objects.filter(removed_upstream_at=None, listed_at__isnull=False)
    stored = set(listed.values_list("show__tm_event_id", "artist__tm_attraction_id"))
    expected = {(event, act) for event, acts in bills.items() for act in acts}
    shows = Show.objects.count()
    acts_per_show = Counter(Counter(Billing.objects.values_list("show_id", flat=True)).values())
    tm_issued = sum(n for endpoint, n in served.items() if endpoint.startswith("tm."))
    tm_minimum = sum(
        n
        for artist in world.artists
        for endpoint, n in minimum_requests(artist, today=today).items()
        if endpoint.startswith("tm.")
    )
    figures = {
        "artists": len(world.artists),
        "failed": failed,
        "shows": shows,
        "links_stored": len(stored),
        "links_expected": len(expected),
        "links_missing": len(expected - stored),
        "links_extra": len(stored - expected),
        # One artist per show (the model before bills) holds at most one link per show.
        "links_one_artist_per_show": shows,
        "shows_by_acts": dict(sorted(acts_per_show.items())),
        "tm_requests": tm_issued,
        "tm_minimum": tm_minimum,
        "wall_seconds": round(wall, 2),
        "cpu_seconds": round(cpu, 2),
    }
    path = record(f"lineups_{connection.vendor}", figures)
    print(
        f"lineups ({connection.vendor}): "
        f"{figures['artists']} artists imported, {len(failed)} failed; {shows} shows; "
        f"artist-show links {len(stored)} stored / {len(expected)} in the sandbox's truth "
        f"({len(expected - stored)} missing, {len(stored - expected)} extra); one artist per "
        f"show could hold {shows} ({len(stored) / shows:.2f}x)\n"
        f"  shows by number of acts: {figures['shows_by_acts']}\n"
        f"  Ticketmaster requests {tm_issued} against a minimum of {tm_minimum} "
        f"({tm_issued / tm_minimum:.2f}x); {wall:.1f} s wall, {cpu:.1f} s CPU\n"
        f"  saved to {path.relative_to(PROJECT)}"
    )


if __name__ == "__main__":
    main()
