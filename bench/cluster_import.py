"""The prolific import end to end through a real `qcluster`, against the sandbox with
network-like latency: wall time per phase and in total, and upstream requests.

    .venv/bin/python bench/cluster_import.py [--latency-ms 50] [--jitter-ms 10]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/theset_bench \\
        .venv/bin/python bench/cluster_import.py
"""

from __future__ import annotations

import argparse
import os
import time

from common import peak_rss_mb, record, running_cluster, setup_scratch_django


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--jitter-ms", type=int, default=10)
    parser.add_argument("--profile", default="prolific")
    args = parser.parse_args()
    setup_scratch_django()
    import httpx
    from django.db import close_old_connections, connection

    from imports.models import ImportPhase, ImportRun
    from imports.sandbox.config import SandboxConfig
    from imports.sandbox.profiles import BUILTIN_ATTRACTION_IDS
    from imports.sandbox.server import importer_environment, running_sandbox
    from imports.sandbox.world import build_world
    from imports.services import start_import

    config = SandboxConfig(port=0, latency_ms=args.latency_ms, jitter_ms=args.jitter_ms, tm_rps=5)
    with running_sandbox(build_world(), config) as base_url:
        env = {**os.environ, **importer_environment(base_url), "LOG_LEVEL": "WARNING"}
        with running_cluster(env) as cluster:
            started_at = time.perf_counter()
            started = start_import(BUILTIN_ATTRACTION_IDS[args.profile])
            while True:
                close_old_connections()
                run = ImportRun.objects.get(pk=started.import_id)
                if not run.is_active:
                    break
                time.sleep(0.05)
            total = time.perf_counter() - started_at
            stats = httpx.get(f"{base_url}/_sandbox/stats").json()
            peak_mb = peak_rss_mb(cluster.pid)
    print(f"{args.profile} import through the cluster on {connection.vendor}: {run.status}")
    print(f"  kickoff to finished: {total:.2f} s (latency {args.latency_ms}±{args.jitter_ms} ms)")
    for phase in ImportPhase.objects.filter(run=run).order_by("started_at"):
        print(f"  {phase.phase:9s} {phase.seconds:6.2f} s  attempt {phase.attempt}")
    print(f"  upstream requests: {stats['requests_total']} {stats['requests']}")
    print(f"  peak RSS of a cluster process: {peak_mb:.0f} MB (target <= 250 MB)")
    # Lower bound: Ticketmaster's requests at 5 per second, or Spotify's chain of
    # dependent round trips (token, first albums page, other pages, album batches,
    # album tracks, track batches, first audio-features batch, the rest), whichever
    # is longer.
    tm_requests = sum(n for name, n in stats["requests"].items() if name.startswith("tm."))
    spotify_chain = 8 * args.latency_ms / 1000
    lower_bound = max(tm_requests / 5, spotify_chain)
    print(
        f"  lower bound {lower_bound:.2f} s ({tm_requests} Ticketmaster requests / 5 rps; "
        f"Spotify chain {spotify_chain:.2f} s); total / lower bound = {total / lower_bound:.2f} "
        "(target <= 1.5)"
    )
    record(
        f"cluster_import_{args.profile}_{connection.vendor}",
        {
            "status": run.status,
            "total_s": round(total, 3),
            "phases_s": {
                p.phase: p.seconds for p in ImportPhase.objects.filter(run=run) if p.seconds
            },
            "requests": stats["requests"],
            "lower_bound_s": round(lower_bound, 3),
            "peak_rss_mb": round(peak_mb, 1),
            "ratio": round(total / lower_bound, 3),
        },
    )


if __name__ == "__main__":
    main()
