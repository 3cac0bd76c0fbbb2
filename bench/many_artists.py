"""Many artists at once: N generated `mid` artists queued together on a cluster of two
workers, against the bound the shared Ticketmaster rate sets (its requests / 5 rps).

    .venv/bin/python bench/many_artists.py [--artists 100]
"""

from __future__ import annotations

import argparse
import os
import time

from common import record, running_cluster, setup_scratch_django


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--artists", type=int, default=100)
    parser.add_argument("--latency-ms", type=int, default=50)
    args = parser.parse_args()
    setup_scratch_django()
    import httpx
    from django.db import close_old_connections, connection

    from imports.models import ImportPhase, ImportRun, ImportStatus
    from imports.sandbox.config import SandboxConfig
    from imports.sandbox.server import importer_environment, running_sandbox
    from imports.sandbox.world import build_world
    from imports.services import start_import

    world = build_world(scenario_sources=["sparse"], generate=[("mid", args.artists)])
    generated = [a.tm_attraction_id for a in world.artists if a.profile == "mid"]
    config = SandboxConfig(
        port=0, latency_ms=args.latency_ms, jitter_ms=10, tm_rps=5, tm_daily_quota=1_000_000
    )
    with running_sandbox(world, config) as base_url:
        env = {**os.environ, **importer_environment(base_url), "LOG_LEVEL": "WARNING"}
        env["Q_WORKERS"] = "2"
        with running_cluster(env):
            began = time.perf_counter()
            run_ids = [start_import(tm_id).import_id for tm_id in generated]
            while True:
                close_old_connections()
                active = ImportRun.objects.filter(
                    pk__in=run_ids, status__in=(ImportStatus.QUEUED, ImportStatus.RUNNING)
                ).count()
                if not active:
                    break
                time.sleep(0.5)
            total = time.perf_counter() - began
            stats = httpx.get(f"{base_url}/_sandbox/stats").json()
    succeeded = ImportRun.objects.filter(pk__in=run_ids, status=ImportStatus.SUCCEEDED).count()
    phases = phase_profile(ImportPhase.objects.filter(run_id__in=run_ids), workers=2, wall=total)
    tm_requests = sum(n for name, n in stats["requests"].items() if name.startswith("tm."))
    bound = tm_requests / 5
    limiter = "Redis (shared)" if os.environ.get("REDIS_URL") else "per process"
    print(f"{len(run_ids)} mid artists through 2 workers on {connection.vendor}, limiter {limiter}")
    print(f"  succeeded {succeeded}/{len(run_ids)} in {total:.1f} s")
    print(f"  Ticketmaster requests {tm_requests}: bound {bound:.1f} s; ratio {total / bound:.2f}")
    for name, figures in phases["phases"].items():
        print(
            f"  {name:9s} x{figures['count']:<4d} median {figures['median_s']:.2f} s, "
            f"p90 {figures['p90_s']:.2f} s, worker time {figures['sum_s']:.1f} s"
        )
    print(f"  workers busy {phases['busy_fraction']:.0%} of the wall time")
    print(f"  429s answered by the sandbox: {stats['rate_limited']} (target <= 1.2x the bound)")
    record(
        f"many_artists_{connection.vendor}",
        {
            "artists": len(run_ids),
            "succeeded": succeeded,
            "total_s": round(total, 2),
            "tm_requests": tm_requests,
            "bound_s": round(bound, 2),
            "ratio": round(total / bound, 3),
            "rate_limited": stats["rate_limited"],
            **phases,
        },
    )


def phase_profile(phases, *, workers: int, wall: float) -> dict:
    """Median, p90 and summed worker time per phase, and how busy the workers were."""
    import statistics

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
