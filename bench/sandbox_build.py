"""How long the sandbox takes to build its biggest built-in artist (the prolific profile:
1,350 events, ~2,400 raw tracks), which every sandbox start and many tests pay.

    .venv/bin/python bench/sandbox_build.py [--runs 7]
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date

from common import PROJECT, record, spread

TARGET_MS = 500


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    sys.path.insert(0, str(PROJECT))
    from sandbox.profiles import build_profile

    anchor = date(2026, 1, 15)
    times = []
    for seed in range(args.runs):
        started = time.perf_counter()
        build_profile("prolific", seed=seed, anchor=anchor)
        times.append((time.perf_counter() - started) * 1000)
    figure = spread(times, 1)
    figures = {"prolific_build_ms": figure, "met": figure["median"] < TARGET_MS}
    path = record("sandbox_build", figures)
    print(
        f"sandbox: the prolific profile builds in {figure['median']:.0f} ms median "
        f"({figure['min']:.0f}-{figure['max']:.0f}, {args.runs} seeds) against < {TARGET_MS} ms"
        f"\n  saved to {path.relative_to(PROJECT)}"
    )


if __name__ == "__main__":
    main()
