"""Many artists at once: N generated `mid` artists queued together on one cluster,
against the bound the shared Ticketmaster rate sets (all its requests / 5 rps) and
against the real floor of all the imports' requests through the one key's rolling
window (bench/floor.py: each import's chain from its phase counters, every
Ticketmaster request of all of them in the same window, and the Spotify tails).

    .venv/bin/python bench/many_artists.py [--artists 100] [--workers 2] [--repeats 1]

`--workers` defaults to the service's own default (Q_WORKERS: two per CPU core).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from common import record, running_cluster, setup_scratch_django, show, spread
from floor import chain_from_counters, real_floor

TM_RPS = 5
TM_WINDOW_SECONDS = 1.0
TARGET_RATIO = 1.1  # wall time / shared-rate bound
TARGET_RATE_LIMITED = 0  # 429s received


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
    floors_exact: list[bool] = []
    rate_limited_by_endpoint: dict[str, int] = {}
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
                floor = real_floor(
                    import_chains(ImportPhase.objects.filter(run_id__in=run_ids)),
                    latency=args.latency_ms / 1000,
                    rate=TM_RPS,
                    window=TM_WINDOW_SECONDS,
                )
                floors_exact.append(floor.exact)
                rate_limited_by_endpoint = stats.get("rate_limited_by_endpoint", {})
                for name, value in (
                    ("total_s", total),
                    ("bound_s", bound),
                    ("ratio", total / bound),
                    ("floor_s", floor.seconds),
                    ("floor_ratio", total / floor.seconds),
                    ("tm_requests", tm_requests),
                    ("floor_requests", floor.requests),
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
        "floor_exact": all(floors_exact),
        "rate_limited_by_endpoint": rate_limited_by_endpoint,  # the last repeat's
        "phases": phase_runs[-1]["phases"],
        "busy_fraction": phase_runs[-1]["busy_fraction"],
        "target_ratio": TARGET_RATIO,
        "target_rate_limited": TARGET_RATE_LIMITED,
    }
    met_ratio = statistics.median(samples["ratio"]) <= TARGET_RATIO
    met_rate_limited = max(samples["rate_limited"]) <= TARGET_RATE_LIMITED
    figures["met"] = met_ratio and met_rate_limited
    limiter = "Redis" if settings.REDIS_URL else "a SQLite file"
    print(
        f"{args.artists} mid artists through {workers} workers on {connection.vendor}, "
        f"rate limit shared in {limiter}"
    )
    print(f"  succeeded            {show(figures['succeeded'], 'runs')} of {args.artists}")
    print(f"  wall time            {show(figures['total_s'], 's')}")
    print(
        f"  shared-rate bound    {show(figures['bound_s'], 's')} "
        f"(Ticketmaster requests / {TM_RPS} rps: {figures['tm_requests']['median']:g} requests)"
    )
    print(
        f"  total / bound        {show(figures['ratio'], 'x')} (target <= {TARGET_RATIO}) "
        f"{'met' if met_ratio else 'MISSED'}"
    )
    exact = "" if figures["floor_exact"] else "; not proven optimal"
    print(
        f"  real floor           {show(figures['floor_s'], 's')} (the imports' "
        f"{figures['floor_requests']['median']:g} chained requests through one rolling window "
        f"of {TM_RPS} a second{exact})"
    )
    print(f"  total / real floor   {show(figures['floor_ratio'], 'x')}")
    by_endpoint = ", ".join(f"{e} {n}" for e, n in rate_limited_by_endpoint.items())
    print(
        f"  429s received        {show(figures['rate_limited'], '429s')} "
        f"(target {TARGET_RATE_LIMITED}) {'met' if met_rate_limited else 'MISSED'}"
        + (f": {by_endpoint} in the last repeat, each retried" if by_endpoint else "")
    )
    for name, phase in figures["phases"].items():
        print(
            f"    {name:9s} x{phase['count']:<4d} median {phase['median_s']:.2f} s, "
            f"p90 {phase['p90_s']:.2f} s, worker time {phase['sum_s']:.1f} s"
        )
    print(f"  workers busy {figures['busy_fraction']:.0%} of the wall time")
    record(f"many_artists_{workers}w_{connection.vendor}", figures)


def import_chains(phases) -> list:
    """Each run's request chain (bench/floor.py) from its phases' counters."""
    counters: dict[int, dict[str, dict]] = {}
    for phase in phases:
        counters.setdefault(phase.run_id, {})[phase.phase] = phase.counters or {}
    return [
        chain_from_counters(
            by_phase.get("identity", {}), by_phase.get("shows", {}), by_phase.get("catalog", {})
        )
        for _, by_phase in sorted(counters.items())
    ]


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
