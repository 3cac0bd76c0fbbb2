"""CPU of the importer: the prolific import run `--inline` in a process of its own,
against the sandbox with network-like latency, paired with a process that only starts
Django (`manage.py shell -c pass`). The difference of their user+sys CPU seconds is
what the import itself costs, reported per import and per 1,000 tracks.

Each pair imports a different generated prolific artist (1,350 events, ~2,700 tracks)
into the same database; the pairs alternate which process runs first.

    .venv/bin/python bench/cpu.py [--pairs 5] [--latency-ms 50]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/theset_bench .venv/bin/python bench/cpu.py
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

from common import PROJECT, record, setup_scratch_django, show, spread

TARGET_CPU_S = 0.6
# py-spy samples the import from outside (every thread, only while on a CPU).
PROFILE_HZ = 200
PY_SPY = [str(Path(sys.executable).with_name("py-spy"))]


# Where a sample's CPU went, by the first of these whose text is in any frame of its stack
# (py-spy's folded stacks: "function (path:line)" joined by ";").
KINDS = [
    ("progress reports", ("imports/progress.py", "import_phase_metrics_record")),
    ("database writes (bulk upserts)", ("theset/bulk.py", "/services.py", "_record_catalog")),
    ("rate limit and quota ledger", ("integrations/http/quota.py", "ratelimit.py", "pyrate")),
    ("JSON decoding", ("UpstreamClient._json",)),
    ("parsing upstream answers", ("/parsing.py", "integrations/http/readers.py")),
    ("business rules", ("/rules.py",)),
    ("HTTP client", ("httpx/", "httpcore/", "h11/", "anyio/", "tenacity/")),
    ("other ORM reads and writes", ("django/db/",)),
    ("logging", ("structlog/", "logging/")),
    ("module imports during the run", ("_find_and_load (",)),
    ("command line (progress display)", ("import_artist.py", "rich/")),
    ("sync/async hops", ("asgiref/",)),
    ("event loop", ("asyncio/",)),
]
PHASES = [
    ("identity", ("identity_phase", "TicketmasterClient.attraction", "search_artists")),
    ("shows", ("shows_phase", "shows/", "TicketmasterClient", "ticketmaster/parsing.py")),
    ("catalog", ("catalog_phase", "catalog/", "_record_catalog", "spotify/")),
    ("finalize", ("finalize_phase",)),
]
# Samples whose innermost frame only waits (py-spy's --gil keeps few of them).
WAITING = ("_worker (concurrent/futures/thread.py", "EpollSelector.select", "Condition.wait")


def where_cpu_went(path: str) -> tuple[dict[str, int], dict[str, int], int]:
    """Samples of a py-spy `--format raw --gil` profile of `import_artist --inline`, by
    kind and by phase, and the samples of the process's start (before the command ran),
    which `shell -c pass` pays too."""
    kinds: dict[str, int] = {}
    phases: dict[str, int] = {}
    start = 0
    for line in Path(path).read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames = stack.split(";")
        if not stack or frames[-1].startswith(WAITING):
            continue
        samples = int(count)
        if "manage.py" in frames[0] and not any("run_from_argv" in f for f in frames):
            start += samples
            continue
        kind = next(
            (name for name, marks in KINDS if any(m in f for f in frames for m in marks)),
            "other",
        )
        kinds[kind] = kinds.get(kind, 0) + samples
        phase = next(
            (name for name, marks in PHASES if any(m in f for f in frames for m in marks)),
            "(not a phase's)",
        )
        phases[phase] = phases.get(phase, 0) + samples
    return kinds, phases, start


def child_cpu(command: list[str], env: dict[str, str]) -> float:
    """User+sys CPU seconds of one child process run to its end."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(
        command, cwd=PROJECT, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--jitter-ms", type=int, default=10)
    parser.add_argument("--pairs", type=int, default=5)
    parser.add_argument(
        "--profile",
        metavar="PATH",
        help="also import one more artist under py-spy (on-CPU samples of every thread, "
        "folded stacks written to PATH) and print where its CPU went",
    )
    args = parser.parse_args()
    setup_scratch_django()
    import httpx
    from django.db import connection

    from imports.models import ImportRun, ImportStatus
    from sandbox.config import SandboxConfig
    from sandbox.server import importer_environment, running_sandbox
    from sandbox.world import build_world

    world = build_world(
        scenario_sources=["sparse"], generate=[("prolific", args.pairs + bool(args.profile))]
    )
    artists = [a for a in world.artists if a.profile == "prolific"]
    paired, profiled = artists[: args.pairs], artists[args.pairs :]
    config = SandboxConfig(port=0, latency_ms=args.latency_ms, jitter_ms=args.jitter_ms)
    python = [sys.executable, "manage.py"]
    imports, starts, costs, per_thousand, wall, of_start = [], [], [], [], [], []
    with running_sandbox(world, config) as base_url:
        # As a deployed process: the bytecode compiled once and kept (this machine's
        # shells set PYTHONDONTWRITEBYTECODE), in the scratch folder, not the tree.
        env = {
            **{k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"},
            **importer_environment(base_url),
            "LOG_LEVEL": "WARNING",
            "DEBUG": "false",
            "PYTHONPYCACHEPREFIX": str(Path(os.environ["RATE_LIMIT_FILE"]).with_name("pycache")),
        }
        child_cpu([*python, "import_artist", "--help"], env)  # compiles it all
        for n, artist in enumerate(paired):
            httpx.post(f"{base_url}/_sandbox/reset")
            time.sleep(1)  # an empty Ticketmaster window, as a fresh import would see
            start_only = [*python, "shell", "-c", "pass"]
            importing = [*python, "import_artist", "--inline", artist.tm_attraction_id]
            if n % 2:
                start_cpu = child_cpu(start_only, env)
            began = time.perf_counter()
            import_cpu = child_cpu(importing, env)
            wall.append(time.perf_counter() - began)
            if not n % 2:
                start_cpu = child_cpu(start_only, env)
            run = ImportRun.objects.filter(artist__tm_attraction_id=artist.tm_attraction_id).latest(
                "pk"
            )
            if run.status != ImportStatus.SUCCEEDED:
                print(f"  run {run.pk} {run.status}: {run.error}")
            tracks = run.counters.get("raw_tracks", 0)
            imports.append(import_cpu)
            starts.append(start_cpu)
            costs.append(import_cpu - start_cpu)
            of_start.append((import_cpu - start_cpu) / start_cpu)
            per_thousand.append((import_cpu - start_cpu) / tracks * 1000 if tracks else 0.0)
        for artist in profiled:
            httpx.post(f"{base_url}/_sandbox/reset")
            time.sleep(1)
            sample = [*PY_SPY, "record", "--rate", str(PROFILE_HZ), "--gil"]
            importing = ["import_artist", "--inline", artist.tm_attraction_id]
            subprocess.run(
                [*sample, "--format", "raw", "--output", args.profile, "--", *python, *importing],
                cwd=PROJECT,
                env=env,
                check=True,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        if profiled:
            kinds, phases, start = where_cpu_went(args.profile)
            total = sum(kinds.values())
            print(f"where the import's CPU went ({total} samples at {PROFILE_HZ} Hz holding the")
            print(f"interpreter lock, beyond the {start} of the process's start):")
            for title, counts in (("by kind", kinds), ("by phase", phases)):
                print(f"  {title}:")
                for name, samples in sorted(counts.items(), key=lambda kv: -kv[1]):
                    print(f"    {name:34s} {samples:5d}  {100 * samples / total:5.1f}%")
    figures = {
        "pairs": len(costs),
        "import_process_cpu_s": spread(imports),
        "django_start_cpu_s": spread(starts),
        "import_cpu_s": spread(costs),
        "cpu_s_per_1000_tracks": spread(per_thousand),
        # The import's CPU in Django starts of the same pair: these machines' speed varies
        # by half from one day to the next, and both figures move with it.
        "import_cpu_of_start": spread(of_start),
        "import_wall_s": spread(wall),
        "targets": {"import_cpu_s": TARGET_CPU_S},
    }
    figures["met"] = {"import_cpu_s": figures["import_cpu_s"]["median"] <= TARGET_CPU_S}
    print(
        f"importer CPU, prolific import --inline on {connection.vendor} "
        f"(latency {args.latency_ms}±{args.jitter_ms} ms), user+sys:"
    )
    print(f"  import_artist --inline      {show(figures['import_process_cpu_s'], 's')}")
    print(f"  shell -c pass (start only)  {show(figures['django_start_cpu_s'], 's')}")
    print(
        f"  the import itself           {show(figures['import_cpu_s'], 's')} "
        f"(target <= {TARGET_CPU_S} s)"
    )
    print(f"  per 1,000 tracks            {show(figures['cpu_s_per_1000_tracks'], 's')}")
    print(
        f"  import / Django start       {show(figures['import_cpu_of_start'], 'x')} "
        "(the same machine's speed in both)"
    )
    print(f"  import wall time            {show(figures['import_wall_s'], 's')}")
    record(f"cpu_{connection.vendor}", figures)


if __name__ == "__main__":
    main()
