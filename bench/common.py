"""Shared set-up of the benchmark scripts: Django on a scratch database."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]


def setup_scratch_django() -> None:
    """Django on a fresh database: a temporary SQLite file unless DATABASE_URL is set
    (a PostgreSQL benchmark database is flushed first), migrated."""
    scratch = tempfile.mkdtemp(prefix="theset-bench-")
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{scratch}/bench.sqlite3")
    os.environ.setdefault("RATE_LIMIT_FILE", f"{scratch}/ratelimit.sqlite3")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "theset.settings")
    # A benchmark is one client reading thousands of pages a minute from 127.0.0.1: the
    # anonymous read limit (ANON_READ_RATES) would time its 429s, not the pages.
    os.environ.setdefault("ANON_READ_RATES", "")
    sys.path.insert(0, str(PROJECT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    if connection.vendor == "postgresql":
        _create_database_if_missing(connection)
        call_command("flush", "--noinput", verbosity=0)
    call_command("migrate", verbosity=0)


RESULTS = PROJECT / "bench" / "results"


def _create_database_if_missing(connection) -> None:
    """The benchmark database on PostgreSQL, created on first use."""
    import psycopg
    from psycopg import sql

    params = connection.get_connection_params()
    name = params.pop("dbname")
    params.pop("cursor_factory", None)
    params.pop("context", None)
    with psycopg.connect(**{**params, "dbname": "postgres"}, autocommit=True) as admin:
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def record(name: str, figures: dict) -> Path:
    """Save one benchmark's figures as JSON under bench/results/ (git-ignored), tagged
    with the `make bench` session (BENCH_SESSION) that the summary table reads."""
    import json
    from datetime import UTC, datetime

    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    path = RESULTS / f"{stamp}-{name}.json"
    session = os.environ.get("BENCH_SESSION", "")
    path.write_text(
        json.dumps(
            {"benchmark": name, "at": stamp, "session": session, "figures": figures}, indent=2
        )
    )
    return path


def spread(values: list[float], digits: int = 3) -> dict:
    """Median and spread (min, max) of repeated measurements."""
    import statistics

    return {
        "median": round(statistics.median(values), digits),
        "min": round(min(values), digits),
        "max": round(max(values), digits),
        "runs": len(values),
    }


def show(figure: dict, unit: str) -> str:
    """'1.23 s (1.20-1.31, 3 runs)': a median with its spread."""
    if figure["runs"] == 1:
        return f"{figure['median']:g} {unit} (1 run)"
    return (
        f"{figure['median']:g} {unit} ({figure['min']:g}-{figure['max']:g}, {figure['runs']} runs)"
    )


def peak_rss_mb(session_id: int) -> float:
    """The largest peak resident set (VmHWM) among live processes of a session, in MB."""
    peak_kb = 0
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
            if os.getsid(int(status.parent.name)) != session_id:
                continue
        except (OSError, ValueError):
            continue
        for line in text.splitlines():
            if line.startswith("VmHWM:"):
                peak_kb = max(peak_kb, int(line.split()[1]))
    return peak_kb / 1024


@contextlib.contextmanager
def running_cluster(env: dict[str, str]) -> Iterator[subprocess.Popen]:
    """A `manage.py qcluster` in a session of its own, warmed up, stopped on exit; as
    deployed (README, "Sizing"): `DEBUG` off (on, Django formats every query for
    `connection.queries`: on PostgreSQL a tenth of the workers' CPU), and each worker
    keeping its PostgreSQL connection from task to task (`DB_CONN_MAX_AGE`; a new one
    for every task was about 3.5% of the workers' CPU)."""
    cluster = subprocess.Popen(
        [sys.executable, "manage.py", "qcluster"],
        cwd=PROJECT,
        env={"DB_CONN_MAX_AGE": "300", **env, "DEBUG": "false"},
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        time.sleep(2)  # let the workers come up: measure the imports, not the boot
        yield cluster
    finally:
        os.killpg(cluster.pid, signal.SIGTERM)
        try:
            cluster.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(cluster.pid, signal.SIGKILL)
