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
    sys.path.insert(0, str(PROJECT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    if connection.vendor == "postgresql":
        call_command("flush", "--noinput", verbosity=0)
    call_command("migrate", verbosity=0)


def record(name: str, figures: dict) -> Path:
    """Save one benchmark's figures as JSON under bench/results/ (git-ignored)."""
    import json
    from datetime import UTC, datetime

    results = PROJECT / "bench" / "results"
    results.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = results / f"{stamp}-{name}.json"
    path.write_text(json.dumps({"benchmark": name, "at": stamp, "figures": figures}, indent=2))
    return path


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
    """A `manage.py qcluster` in a session of its own, warmed up, stopped on exit."""
    cluster = subprocess.Popen(
        [sys.executable, "manage.py", "qcluster"],
        cwd=PROJECT,
        env=env,
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
