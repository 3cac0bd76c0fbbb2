"""Many artists at once: N generated `mid` artists queued together on one cluster,
against the bound the shared Ticketmaster rate sets (all its requests / 5 rps).

    .venv/bin/python bench/many_artists.py [--artists 100] [--workers 2] [--repeats 1]

`--workers` defaults to the service's own default (Q_WORKERS: two per CPU core).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from common import record, running_cluster, setup_scratch_django, show, spread

TM_RPS = 5


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--artists", type=int, default=100)
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args()
    setup_scratch_django()
    import httpx
    from django.conf import settings
    from django.db import close_old_connections, connection

    from imports.models import ImportPhase, ImportRun, ImportStatus
    from imports.services import start_import
    from sandbox.config import SandboxConfig
    from sandbox.server import importer_environment, running_sandbox
    from sandbox.world import build_world

    workers = args.workers or settings.Q_CLUSTER["workers"]
    world = build_world(
        scenario_sources=["sparse"], generate=[("mid", args.artists * args.repeats)]
    )
    generated = [a.tm_attraction_id for a in world.artists if a.profile == "mid"]
    config = SandboxConfig(
        port=0, latency_ms=args.latency_ms, jitter_ms=10, tm_rps=TM_RPS, tm_daily_quota=1_000_000
    )
    samples: dict[str, list[float]] = {}
    phase_runs = []
    with running_sandbox(world, config) as base_url:
        env = {**os.environ, **importer_environment(base_url), "LOG_LEVEL": "WARNING"}
        env["Q_WORKERS"] = str(workers)
        with running_cluster(env):
            for repeat in range(args.repeats):
                httpx.post(f"{base_url}/_sandbox/reset")
                time.sleep(1)
                batch = generated[repeat * args.artists : (repeat + 1) * args.artists]
                began = time.perf_counter()
                run_ids = [start_import(tm_id).import_id for tm_id in batch]
                while True:
                    close_old_connections()
                    active = ImportRun.objects.filter(
                        pk__in=run_ids, status__in=(ImportStatus.QUEUED, ImportStatus.RUNNING)
                    ).count()
                    if not active:
                        break
                    time.sleep(0.25)
                total = time.perf_counter() - began
                stats = httpx.get(f"{base_url}/_sandbox/stats").json()
                tm_requests = sum(
                    n for name, n in stats["requests"].items() if name.startswith("tm.")
                )
                bound = tm_requests / TM_RPS
                succeeded = ImportRun.objects.filter(
                    pk__in=run_ids, status=ImportStatus.SUCCEEDED
                ).count()
                for name, value in (
                    ("total_s", total),
                    ("bound_s", bound),
                    ("ratio", total / bound),
                    ("tm_requests", tm_requests),
                    ("rate_limited", stats["rate_limited"]),
                    ("succeeded", succeeded),
                ):
                    samples.setdefault(name, []).append(value)
                phase_runs.append(
                    phase_profile(
                        ImportPhase.objects.filter(run_id__in=run_ids), workers=workers, wall=total
                    )
                )
    figures = {
        "artists": args.artists,
        "workers": workers,
        **{name: spread(values) for name, values in samples.items()},
        "phases": phase_runs[-1]["phases"],
        "busy_fraction": phase_runs[-1]["busy_fraction"],
        "target_ratio": 1.2,
        "met": statistics.median(samples["ratio"]) <= 1.2,
    }
    limiter = "Redis" if settings.REDIS_URL else "a SQLite file"
    print(
        f"{args.artists} mid artists through {workers} workers on {connection.vendor}, "
        f"rate limit shared in {limiter}"
    )
    print(f"  succeeded            {show(figures['succeeded'], 'runs')} of {args.artists}")
    print(f"  wall time            {show(figures['total_s'], 's')}")
    print(
        f"  bound                {show(figures['bound_s'], 's')} "
        f"(Ticketmaster requests / {TM_RPS} rps)"
    )
    print(f"  total / bound        {show(figures['ratio'], 'x')} (target <= 1.2)")
    print(f"  429s received        {show(figures['rate_limited'], '')} (each retried)")
    for name, phase in figures["phases"].items():
        print(
            f"    {name:9s} x{phase['count']:<4d} median {phase['median_s']:.2f} s, "
            f"p90 {phase['p90_s']:.2f} s, worker time {phase['sum_s']:.1f} s"
        )
    print(f"  workers busy {figures['busy_fraction']:.0%} of the wall time")
    record(f"many_artists_{workers}w_{connection.vendor}", figures)


def phase_profile(phases, *, workers: int, wall: float) -> dict:
    """Median, p90 and summed worker time per phase, and how busy the workers were."""
    by_phase: dict[str, list[float]] = {}
    for phase in phases:
        if phase.seconds is not None:
            by_phase.setdefault(phase.phase, []).append(phase.seconds)
    summary = {
        name: {
            "count": len(times),
            "median_s": round(statistics.median(times), 3),
            "p90_s": round(sorted(times)[int(0.9 * (len(times) - 1))], 3),
            "sum_s": round(sum(times), 2),
        }
        for name, times in by_phase.items()
    }
    busy = sum(s["sum_s"] for s in summary.values()) / (workers * wall)
    return {"phases": summary, "busy_fraction": round(busy, 3)}


if __name__ == "__main__":
    main()
