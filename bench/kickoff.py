"""Kickoff latency: `start_import` calls, half for new artists, half for artists whose
run is already active, on a scratch database (SQLite by default; DATABASE_URL selects).

    .venv/bin/python bench/kickoff.py [--count 1000] [--repeats 3]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/theset_bench .venv/bin/python bench/kickoff.py
"""

from __future__ import annotations

import argparse
import statistics
import time

from common import record, setup_scratch_django, show, spread


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    setup_scratch_django()
    from django.db import connection

    from imports.services import start_import

    medians, p99s, maxima = [], [], []
    for repeat in range(args.repeats):
        ids = [f"K8vZ9B{repeat}{n:05d}" for n in range(args.count // 2)]
        timings: list[float] = []
        for tm_id in ids + ids:  # second pass: every artist already has an active run
            started = time.perf_counter()
            start_import(tm_id)
            timings.append((time.perf_counter() - started) * 1000)
        timings.sort()
        medians.append(statistics.median(timings))
        p99s.append(timings[int(len(timings) * 0.99) - 1])
        maxima.append(timings[-1])
    figures = {
        "calls_per_run": args.count,
        "median_ms": spread(medians),
        "p99_ms": spread(p99s),
        "max_ms": spread(maxima),
        "target_p99_ms": 20,
        "met": statistics.median(p99s) <= 20,
    }
    print(f"kickoff latency on {connection.vendor}, {args.count} calls per run:")
    print(f"  median {show(figures['median_ms'], 'ms')}")
    print(f"  p99    {show(figures['p99_ms'], 'ms')} (target <= 20 ms)")
    print(f"  max    {show(figures['max_ms'], 'ms')}")
    record(f"kickoff_{connection.vendor}", figures)


if __name__ == "__main__":
    main()
