"""The prolific import end to end through a real `qcluster`, against the sandbox with
network-like latency: wall time per phase and in total against the lower bound, the
requests issued per endpoint against the minimum, and the workers' peak memory.

Each repeat imports a different generated prolific artist (1,350 events, ~2,700
tracks) into the same database, through one warm cluster.

    .venv/bin/python bench/cluster_import.py [--repeats 3] [--latency-ms 50]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/theset_bench \\
        .venv/bin/python bench/cluster_import.py
"""

from __future__ import annotations

import argparse
import datetime
import os
import time

from common import peak_rss_mb, record, running_cluster, setup_scratch_django, show, spread
from economy import economy, minimum_requests

TM_RPS = 5
# Spotify's chain of dependent round trips: token, first page of albums, the other
# pages, album batches (with the long albums' extra track pages alongside), track
# batches, audio-features batches.
SPOTIFY_CHAIN_ROUND_TRIPS = 6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--jitter-ms", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    setup_scratch_django()
    import httpx
    from django.db import close_old_connections, connection

    from imports.models import ImportPhase, ImportRun, ImportStatus
    from imports.services import start_import
    from sandbox.config import SandboxConfig
    from sandbox.server import importer_environment, running_sandbox
    from sandbox.world import build_world

    world = build_world(scenario_sources=["sparse"], generate=[("prolific", args.repeats)])
    artists = [a for a in world.artists if a.profile == "prolific"]
    config = SandboxConfig(
        port=0, latency_ms=args.latency_ms, jitter_ms=args.jitter_ms, tm_rps=TM_RPS
    )
    runs = []
    with running_sandbox(world, config) as base_url:
        env = {**os.environ, **importer_environment(base_url), "LOG_LEVEL": "WARNING"}
        with running_cluster(env) as cluster:
            for artist in artists:
                httpx.post(f"{base_url}/_sandbox/reset")
                time.sleep(1)  # an empty Ticketmaster window, as a fresh import would see
                began = time.perf_counter()
                started = start_import(artist.tm_attraction_id)
                while True:
                    close_old_connections()
                    run = ImportRun.objects.get(pk=started.import_id)
                    if not run.is_active:
                        break
                    time.sleep(0.02)
                total = time.perf_counter() - began
                stats = httpx.get(f"{base_url}/_sandbox/stats").json()
                runs.append((artist, run, total, stats))
            peak_mb = peak_rss_mb(cluster.pid)

    today = datetime.datetime.now(datetime.UTC).date()
    totals, ratios, bounds, economies, repeated, tokens_repeated = [], [], [], [], 0, 0
    phase_times: dict[str, list[float]] = {}
    for artist, run, total, stats in runs:
        tm_requests = sum(n for name, n in stats["requests"].items() if name.startswith("tm."))
        bound = max(tm_requests / TM_RPS, SPOTIFY_CHAIN_ROUND_TRIPS * args.latency_ms / 1000)
        totals.append(total)
        bounds.append(bound)
        ratios.append(total / bound)
        for phase in ImportPhase.objects.filter(run=run):
            if phase.seconds is not None:
                phase_times.setdefault(phase.phase, []).append(phase.seconds)
        economies.append(economy(stats["requests"], minimum_requests(artist, today=today)))
        # A token per worker process is by design (each keeps it in memory, never on
        # disk): counted apart from repeated data fetches.
        tokens_repeated += stats["repeated"].get("accounts.token", 0)
        repeated += stats["repeated_total"] - stats["repeated"].get("accounts.token", 0)
        if run.status != ImportStatus.SUCCEEDED:
            print(f"  run {run.pk} {run.status}: {run.error}")
    succeeded = sum(1 for _, run, _, _ in runs if run.status == ImportStatus.SUCCEEDED)
    figures = {
        "runs": len(runs),
        "succeeded": succeeded,
        "total_s": spread(totals),
        "lower_bound_s": spread(bounds),
        "ratio": spread(ratios),
        "phases_s": {name: spread(times) for name, times in phase_times.items()},
        "requests": economies[-1]["endpoints"],
        "request_ratio": spread([e["ratio"] for e in economies]),
        "repeated_requests": repeated,
        "tokens_per_worker_process": tokens_repeated,
        "peak_rss_mb": round(peak_mb, 1),
        "targets": {"ratio": 1.5, "request_ratio": 1.1, "peak_rss_mb": 250},
    }
    figures["met"] = {
        "ratio": figures["ratio"]["median"] <= 1.5,
        "request_ratio": figures["request_ratio"]["max"] <= 1.1 and repeated == 0,
        "peak_rss_mb": peak_mb <= 250,
    }
    print(
        f"prolific import through the cluster on {connection.vendor} "
        f"(latency {args.latency_ms}±{args.jitter_ms} ms, Ticketmaster {TM_RPS} rps): "
        f"{succeeded}/{len(runs)} succeeded"
    )
    print(f"  kickoff to finished  {show(figures['total_s'], 's')}")
    for name in ("identity", "shows", "catalog", "finalize"):
        if name in figures["phases_s"]:
            print(f"    {name:9s}          {show(figures['phases_s'][name], 's')}")
    print(
        f"  lower bound          {show(figures['lower_bound_s'], 's')} (Ticketmaster requests "
        f"/ {TM_RPS} rps, or Spotify's {SPOTIFY_CHAIN_ROUND_TRIPS} dependent round trips)"
    )
    print(f"  total / lower bound  {show(figures['ratio'], 'x')} (target <= 1.5)")
    print("  requests per endpoint, issued / minimum (last run):")
    for endpoint, row in figures["requests"].items():
        print(f"    {endpoint:24s} {row['issued']:4d} / {row['minimum']}")
    print(
        f"  issued / minimum     {show(figures['request_ratio'], 'x')} (target <= 1.1); "
        f"repeated fetches {repeated} (target 0)"
    )
    if tokens_repeated:
        print(f"  (plus {tokens_repeated} Spotify token(s): one per worker process, in memory)")
    print(f"  peak RSS of a cluster process {peak_mb:.0f} MB (target <= 250 MB)")
    record(f"cluster_import_{connection.vendor}", figures)


if __name__ == "__main__":
    main()
