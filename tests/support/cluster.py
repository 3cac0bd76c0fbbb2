"""Real `manage.py qcluster` processes for integration tests, pointed at the test database.

`TEST_QCLUSTERS` (default 1) sets how many cluster processes a test's cluster is made of,
and `TEST_QBROKER` (default orm) the broker they share: CI's scale-out lane runs the
integration tests on PostgreSQL + Redis with two clusters on the Redis broker.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from django.conf import settings
from django.db import close_old_connections, connection
from django.db.models import Exists, OuterRef
from django_q.conf import Conf

from imports.models import ImportEvent, ImportPhase, ImportRun, ImportStatus
from imports.phases import PhaseName
from imports.services import start_import
from sandbox.server import importer_environment

ROOT = Path(__file__).resolve().parents[2]
# django-q2 stops a phase's task after PHASE_TIMEOUT_SECONDS, and the ORM broker hands the
# task of a dead worker to another after PHASE_RETRY_SECONDS (which must be longer): tests
# that kill a cluster wait that long, so it is short. But the timeout must never be what a
# test meets: the longest phase here (the prolific catalog from scratch against a 150 ms
# upstream) takes 3 s on an idle machine and has taken five times that on CI's (two test
# workers and their clusters on two cores), so it is ten times the idle figure.
PHASE_TIMEOUT_SECONDS = 30
PHASE_RETRY_SECONDS = 32


def cluster_count() -> int:
    return max(1, int(os.environ.get("TEST_QCLUSTERS", "1") or 1))


def default_broker() -> str:
    return os.environ.get("TEST_QBROKER", "orm") or "orm"


def database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


class Cluster:
    """`count` `manage.py qcluster` processes, each in a session of its own so that
    kill -9 takes all of it (sentinel, workers, monitor, pusher)."""

    def __init__(self, env: dict[str, str], log: Path, count: int = 1) -> None:
        self.env = env
        self.log = log
        self.count = count
        self.processes: list[subprocess.Popen] = []

    @property
    def process(self) -> subprocess.Popen | None:
        """The first process (tests that look at one)."""
        return self.processes[0] if self.processes else None

    def start(self) -> None:
        self.processes = []
        for _ in range(self.count):
            with self.log.open("ab") as out:
                self.processes.append(
                    subprocess.Popen(
                        [sys.executable, "manage.py", "qcluster"],
                        cwd=ROOT,
                        env=self.env,
                        stdout=out,
                        stderr=subprocess.STDOUT,
                        start_new_session=True,
                    )
                )

    def alive(self) -> bool:
        return any(process.poll() is None for process in self.processes)

    def kill(self) -> None:
        """kill -9 of every cluster process and its children."""
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)


def cluster_factory(sandbox, tmp_path: Path, monkeypatch):
    """`with cluster(broker=…, count=…, **sandbox_config) as (cluster, stats):`."""

    @contextlib.contextmanager
    def start(*, broker: str | None = None, count: int | None = None, env=None, **sandbox_config):
        broker = broker or default_broker()
        name = f"theset-test-{uuid.uuid4().hex[:8]}"
        # This process enqueues; it must use the same broker and queue as the cluster.
        monkeypatch.setattr(Conf, "CLUSTER_NAME", name)
        monkeypatch.setattr(Conf, "PREFIX", name)  # tasks are signed with it
        if broker == "redis":
            monkeypatch.setattr(Conf, "ORM", None)
            monkeypatch.setattr(Conf, "BROKER_CLASS", "imports.broker.PriorityRedisBroker")
            monkeypatch.setattr(Conf, "REDIS", settings.REDIS_URL)
        with sandbox(**sandbox_config) as stats:
            cluster_env = {
                **os.environ,
                "DJANGO_SETTINGS_MODULE": "theset.settings",
                "DATABASE_URL": database_url(),
                "Q_NAME": name,
                "Q_BROKER": broker,
                "Q_WORKERS": "2",
                "IMPORT_PHASE_TIMEOUT_SECONDS": str(PHASE_TIMEOUT_SECONDS),
                "IMPORT_PHASE_RETRY_SECONDS": str(PHASE_RETRY_SECONDS),
                **importer_environment(settings.TICKETMASTER_BASE_URL),
                **(env or {}),
            }
            if settings.REDIS_URL:
                cluster_env["REDIS_URL"] = settings.REDIS_URL
            qcluster = Cluster(cluster_env, tmp_path / "qcluster.log", count or cluster_count())
            qcluster.start()
            try:
                yield qcluster, stats
            finally:
                qcluster.stop()

    return start


def phases_under_way(run_id: int, *phases: PhaseName) -> bool:
    """Every phase named is running and has reported progress since it started (it is
    past its start): an event of its own above 0% (its reports are events only)."""
    reported = ImportEvent.objects.filter(
        run_id=run_id, stage=OuterRef("phase"), percent__gt=0, at__gte=OuterRef("started_at")
    )
    return ImportPhase.objects.filter(
        Exists(reported), run_id=run_id, phase__in=phases, status=ImportStatus.RUNNING
    ).count() == len(phases)


def wait_for(predicate, *, timeout: float, what: str, qcluster: Cluster | None = None):
    deadline = time.monotonic() + timeout
    log = qcluster.log if qcluster else None
    while time.monotonic() < deadline:
        if qcluster and qcluster.processes and not qcluster.alive():
            break
        close_old_connections()
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    tail = log.read_text(errors="replace")[-3000:] if log and log.exists() else ""
    raise AssertionError(f"gave up waiting for {what}\n{tail}")


def finished_run(import_id: int, qcluster: Cluster, timeout: float = 90) -> ImportRun:
    return wait_for(
        lambda: ImportRun.objects.filter(
            pk=import_id, status__in=(ImportStatus.SUCCEEDED, ImportStatus.FAILED)
        ).first(),
        timeout=timeout,
        what=f"import #{import_id} to finish",
        qcluster=qcluster,
    )


def start_imports_at_once(tm_attraction_ids: list[str]) -> list[int]:
    """Kick off one import per id from as many threads, released together (a barrier),
    as people clicking at once would; the import ids, in the order given."""
    barrier = threading.Barrier(len(tm_attraction_ids))

    def kickoff(tm_attraction_id: str) -> int:
        try:
            barrier.wait(timeout=30)
            return start_import(tm_attraction_id).import_id
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(tm_attraction_ids)) as pool:
        return list(pool.map(kickoff, tm_attraction_ids))
