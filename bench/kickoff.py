"""Kickoff latency: `start_import` calls, half for new artists, half for artists whose
run is already active, on a scratch database (SQLite by default; DATABASE_URL selects).

    .venv/bin/python bench/kickoff.py [--count 1000]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/theset_bench .venv/bin/python bench/kickoff.py
"""

from __future__ import annotations

import argparse
import statistics
import time

from common import record, setup_scratch_django


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=1000)
    args = parser.parse_args()
    setup_scratch_django()
    from django.db import connection

    from imports.services import start_import

    ids = [f"K8vZ9B{n:05d}" for n in range(args.count // 2)]
    timings: list[float] = []
    for tm_id in ids + ids:  # second pass: every artist already has an active run
        started = time.perf_counter()
        start_import(tm_id)
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    p99 = timings[int(len(timings) * 0.99) - 1]
    print(
        f"kickoff latency on {connection.vendor} over {len(timings)} calls: "
        f"median {statistics.median(timings):.2f} ms, p99 {p99:.2f} ms, max {timings[-1]:.2f} ms "
        f"(target p99 <= 20 ms)"
    )
    record(
        f"kickoff_{connection.vendor}",
        {
            "calls": len(timings),
            "median_ms": round(statistics.median(timings), 3),
            "p99_ms": round(p99, 3),
            "max_ms": round(timings[-1], 3),
        },
    )


if __name__ == "__main__":
    main()
