"""Crashes mid-import: kill -9 of the cluster in each phase, kill -9 of the web server
during a progress stream, the database killing the cluster's connections mid-write,
Redis restarted mid-import. After each, the run completes (the broker's retry, the
phase's resume or the stale-run sweeper) or fails saying why and a new import completes;
no row is lost or stored twice, no run is left "running".

Everything runs against real processes: `manage.py qcluster` (tests/support/cluster.py),
uvicorn serving `theset.asgi`, a private `redis-server`, the sandbox upstream over HTTP,
the test database. Where a phase is too short to be caught by polling (identity,
finalize), a breakpoint loaded into the cluster's interpreter holds the worker right
after a progress report commits, so the kill lands at a known point of the real code.
Each scenario adds a row to the reliability report (tests/reliability/report.py).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import redis
from django.db import close_old_connections, connection
from django_q.conf import Conf

from catalog.models import Album, Artist, ArtistTrack, Song, Track
from imports.models import ImportEvent, ImportPhase, ImportRun, ImportStatus
from imports.phases import PhaseName, RunStage
from imports.progress import PhaseReporter, fail_run
from imports.rules import SweepAction
from imports.services import SweptRun, import_run_create, stale_runs_sweep, start_import
from imports.stream import event_payload
from sandbox import truth
from shows.models import Show, Venue
from tests.imports.test_import_flow import assert_stores_the_scenario, sandbox_artist
from tests.imports.test_serve import free_port
from tests.imports.test_stream import Message
from tests.support.cluster import (
    PHASE_RETRY_SECONDS,
    PHASE_TIMEOUT_SECONDS,
    database_url,
    finished_run,
    phases_under_way,
    wait_for,
)
from tests.support.processes import terminate_backends

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.integration]

ROOT = Path(__file__).resolve().parents[2]
REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
RECOVERY_TIMEOUT = PHASE_RETRY_SECONDS + 90
# Slow upstream answers keep the prolific artist's shows and catalog phases running for
# seconds, long enough to crash something in the middle of them.
SLOW_UPSTREAM = {"latency_ms": 150, "jitter_ms": 0}
# For scenarios where no worker is killed: a phase is never timed out and retried.
UNHURRIED_PHASES = {"IMPORT_PHASE_TIMEOUT_SECONDS": "300", "IMPORT_PHASE_RETRY_SECONDS": "360"}

# Each stored row's natural key (the unique constraint a re-run upserts on).
NATURAL_KEYS: dict[type, tuple[str, ...]] = {
    Artist: ("tm_attraction_id",),
    Venue: ("tm_venue_id",),
    Show: ("tm_event_id",),
    Album: ("spotify_id",),
    Track: ("spotify_id",),
    ArtistTrack: ("artist_id", "track_id"),
    Song: ("artist_id", "key"),
}


# --- What a crash cost --------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    rows_lost: int
    duplicates: int


def outcome(run: ImportRun, expected, *, runs_started: int = 1) -> Outcome:
    """Rows the sandbox's truth expects that are missing, and rows stored twice: twice
    under a natural key, a second track for one ISRC, a run of the artist nobody started."""
    shows = set(
        Show.objects.filter(bill__artist_id=run.artist_id).values_list("tm_event_id", flat=True)
    )
    venues = set(
        Show.objects.filter(bill__artist_id=run.artist_id)
        .exclude(venue=None)
        .values_list("venue__tm_venue_id", flat=True)
    )
    tracks = Track.objects.filter(artist_tracks__artist_id=run.artist_id)
    isrcs = [isrc for isrc in tracks.values_list("isrc", flat=True) if isrc]
    missing_tracks = max(
        len(truth.expected_studio_isrcs(expected) - set(isrcs)),
        truth.expected_studio_track_count(expected) - tracks.count(),
    )
    songs = set(Song.objects.filter(artist_id=run.artist_id).values_list("title", flat=True))
    lost = (
        len(truth.expected_upcoming_event_ids(expected) - shows)
        + len(truth.expected_venue_ids(expected) - venues)
        + missing_tracks
        + len(set(truth.expected_songs(expected)) - songs)
    )
    twice = sum(
        model.objects.count() - model.objects.values(*key).distinct().count()
        for model, key in NATURAL_KEYS.items()
    )
    twice += len(isrcs) - len(set(isrcs))
    twice += ImportRun.objects.filter(artist_id=run.artist_id).count() - runs_started
    return Outcome(rows_lost=lost, duplicates=twice)


def record(
    reliability,
    scenario: str,
    run: ImportRun,
    result: Outcome,
    *,
    first: ImportRun | None = None,
    runs: int = 1,
    note: str = "",
) -> None:
    """One row of the report: `first` is the crashed run when a second one was started."""
    first = first or run
    reliability.record(
        scenario,
        runs=runs,
        failures=1 if first.status == ImportStatus.FAILED else 0,
        recovered=1 if run.status == ImportStatus.SUCCEEDED else 0,
        rows_lost=result.rows_lost,
        duplicates=result.duplicates,
        note=note,
    )


def assert_recovered_completely(run: ImportRun, expected, result: Outcome) -> None:
    assert run.status == ImportStatus.SUCCEEDED, run.error
    assert_stores_the_scenario(run, expected)
    assert (result.rows_lost, result.duplicates) == (0, 0)
    assert not ImportRun.objects.filter(status__in=(ImportStatus.QUEUED, ImportStatus.RUNNING))
    assert not ImportPhase.objects.filter(run=run).exclude(status=ImportStatus.SUCCEEDED)


def assert_failed_cleanly(run: ImportRun, *, cause: str) -> None:
    """Failed, saying why: the run, the phase it failed in and a progress event."""
    run.refresh_from_db()
    assert run.status == ImportStatus.FAILED
    assert cause in run.error, run.error
    assert run.finished_at is not None
    failed = ImportPhase.objects.get(run=run, phase=run.stage)
    assert (failed.status, failed.error) == (ImportStatus.FAILED, run.error)
    assert ImportEvent.objects.filter(
        run=run, status=ImportStatus.FAILED, message__contains=run.error[:100]
    ).exists()


def sweep_once(settings, run_id: int) -> SweptRun | None:
    """What the every-minute sweeper does to the run once it is idle (the stale delay
    cut to zero: the cluster is dead, nothing else can touch the run)."""
    settings.IMPORT_STALE_AFTER_SECONDS = 0
    close_old_connections()
    return {swept.run_id: swept for swept in stale_runs_sweep()}.get(run_id)


def expected_sweep_action() -> SweepAction:
    """The ORM broker keeps a task until its worker acknowledges it, so the sweeper
    leaves it to the broker; the Redis broker lost the task with the worker."""
    return SweepAction.WAIT if Conf.ORM else SweepAction.REQUEUE


# django-q's guard kills a task running past its timeout (plus a 3 s grace): a run idle
# for longer has nothing of it still executing, so re-queuing cannot run a phase twice.
STALE_AFTER_SECONDS = PHASE_TIMEOUT_SECONDS + 5


def await_outcome(
    run_id: int, qcluster, settings, *, timeout: float = RECOVERY_TIMEOUT
) -> tuple[ImportRun, list[SweptRun]]:
    """The run once it has ended, with the cluster still up, and what the stale-run
    sweeper did to it meanwhile: it sweeps here as its schedule would, after
    STALE_AFTER_SECONDS instead of minutes. A run that never ends fails the test."""
    settings.IMPORT_STALE_AFTER_SECONDS = STALE_AFTER_SECONDS
    swept: list[SweptRun] = []

    def ended() -> ImportRun | None:
        run = ImportRun.objects.get(pk=run_id)
        if run.is_active:
            swept.extend(
                s for s in stale_runs_sweep() if s.run_id == run_id and s.action != SweepAction.WAIT
            )
            return None
        return run

    run = wait_for(ended, timeout=timeout, what=f"import #{run_id} to end", qcluster=qcluster)
    return run, swept


@dataclass(frozen=True)
class Recovery:
    first: ImportRun  # the run that was crashed
    final: ImportRun  # it, or the run started again after it failed
    runs: int
    swept: list[SweptRun]

    @property
    def how(self) -> str:
        if self.runs > 1:
            return f"failed ({self.first.error[:60]}), imported again"
        if self.swept:
            return "resumed by the sweeper"
        return "resumed by the broker's retry" if self.first.attempt > 1 else "went on"


def record_recovery(
    reliability, scenario: str, recovery: Recovery, expected
) -> tuple[ImportRun, Outcome]:
    """The run that ended the scenario and what the crash cost, recorded in the report."""
    run = recovery.final
    result = outcome(run, expected, runs_started=recovery.runs)
    record(
        reliability,
        scenario,
        run,
        result,
        first=recovery.first,
        runs=recovery.runs,
        note=recovery.how,
    )
    return run, result


def await_recovery(run_id: int, expected, qcluster, settings, *, cause: str) -> Recovery:
    """The crashed run's end; if it failed, it must have failed cleanly (saying `cause`),
    and the import started again, as staff would, must end too."""
    first, swept = await_outcome(run_id, qcluster, settings)
    if first.status != ImportStatus.FAILED:
        return Recovery(first, first, 1, swept)
    assert_failed_cleanly(first, cause=cause)
    again = start_import(expected.tm_attraction_id)
    assert again.created
    final, _ = await_outcome(again.import_id, qcluster, settings)
    return Recovery(first, final, 2, swept)


# --- A breakpoint in the cluster's processes -----------------------------------------

# Loaded by the cluster's interpreter (PYTHONPATH): after the report of phase PHASE at
# PERCENT has committed (a transition's or a progress report's), the worker waits
# while HOLD exists, as a stalled host would.
# The code between the commits is the real code; only the pause is added.
BREAKPOINT = textwrap.dedent(
    """
    import os
    import time

    import django

    _setup = django.setup


    def setup(*args, **kwargs):
        _setup(*args, **kwargs)
        from imports.progress import PhaseReporter

        phase, percent, hold = os.environ["THESET_TEST_BREAKPOINT"].split(":", 2)

        def then_hold(report):
            def report_then_hold(self, *args, **kwargs):
                event = report(self, *args, **kwargs)
                if event.stage == phase and event.percent == int(percent):
                    deadline = time.monotonic() + 120
                    while os.path.exists(hold) and time.monotonic() < deadline:
                        time.sleep(0.05)
                return event

            return report_then_hold

        # Every method that commits an event: the transitions (`start`, `finish`,
        # `report`) and the reports between them (`progress`).
        for name in ("start", "finish", "report", "progress"):
            setattr(PhaseReporter, name, then_hold(getattr(PhaseReporter, name)))


    django.setup = setup
    """
)


def breakpoint_env(tmp_path: Path, phase: PhaseName, percent: int, hold: Path) -> dict[str, str]:
    folder = tmp_path / "breakpoint"
    folder.mkdir()
    (folder / "sitecustomize.py").write_text(BREAKPOINT)
    python_path = os.pathsep.join(p for p in (str(folder), os.environ.get("PYTHONPATH")) if p)
    return {
        "PYTHONPATH": python_path,
        "THESET_TEST_BREAKPOINT": f"{phase.value}:{percent}:{hold}",
    }


# --- 1. kill -9 of the cluster in each phase -----------------------------------------


@pytest.mark.parametrize(
    ("phase", "profile", "hold_at"),
    [
        # Held once Ticketmaster answered (40%), before the Spotify search: mid is
        # not linked to Spotify, so its identity phase has more to do after.
        pytest.param(PhaseName.IDENTITY, "mid", 40, id="identity"),
        # Slow upstream answers: killed mid-write.
        pytest.param(PhaseName.SHOWS, "prolific", None, id="shows"),
        pytest.param(PhaseName.CATALOG, "prolific", None, id="catalog"),
        # Finalize does no HTTP: held right after it started (its row running).
        pytest.param(PhaseName.FINALIZE, "mid", 0, id="finalize"),
    ],
)
def test_killing_the_cluster_mid_phase_resumes_without_duplicates(
    world, cluster, settings, tmp_path, reliability, phase, profile, hold_at
):
    expected = sandbox_artist(world, profile)
    hold = tmp_path / "hold"
    if hold_at is None:
        env, upstream = {}, SLOW_UPSTREAM
        reached = {"run__events__stage": phase, "run__events__percent__gt": 0}
    else:
        hold.touch()
        env, upstream = breakpoint_env(tmp_path, phase, hold_at, hold), {"latency_ms": 20}
        reached = {"run__events__stage": phase, "run__events__percent": hold_at}
    with cluster(env=env, **upstream) as (qcluster, _):
        started = start_import(expected.tm_attraction_id)
        wait_for(
            lambda: ImportPhase.objects.filter(
                run_id=started.import_id, phase=phase, status=ImportStatus.RUNNING, **reached
            ).exists(),
            timeout=60,
            what=f"the {phase} phase to be running",
            qcluster=qcluster,
        )
        qcluster.kill()
        hold.unlink(missing_ok=True)
        assert ImportPhase.objects.get(run_id=started.import_id, phase=phase).status == (
            ImportStatus.RUNNING
        )
        swept = sweep_once(settings, started.import_id)
        assert swept is not None and swept.action == expected_sweep_action()
        assert phase in swept.phases
        qcluster.start()
        run = finished_run(started.import_id, qcluster, timeout=RECOVERY_TIMEOUT)

    result = outcome(run, expected)
    resumed_by = "the broker's retry" if swept.action == SweepAction.WAIT else "the sweeper"
    record(
        reliability,
        f"crash: kill -9 cluster in {phase}",
        run,
        result,
        note=f"resumed by {resumed_by}",
    )
    assert_recovered_completely(run, expected, result)
    assert ImportPhase.objects.get(run=run, phase=phase).attempt >= 2
    assert run.attempt >= 2


# --- 2. kill -9 of the web server during a progress stream ----------------------------


class WebServer:
    """uvicorn serving `theset.asgi` in a process (and session) of its own, on the test
    database, as `manage.py serve` runs it."""

    def __init__(self, log: Path, env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log = log
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "theset.settings",
            "DATABASE_URL": database_url(),
            **(env or {}),
        }
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "uvicorn", "theset.asgi:application",
                 "--host", "127.0.0.1", "--port", str(self.port)],
                cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        deadline = time.monotonic() + 60
        while not self._answers():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"web server did not start\n{self.log.read_text()[-3000:]}")
            time.sleep(0.1)

    def _answers(self) -> bool:
        try:
            return httpx.get(f"{self.base_url}/admin/login/", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def kill(self) -> None:
        """kill -9 of the server and anything it started."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()


@contextlib.contextmanager
def web_server(tmp_path: Path, settings) -> Iterator[WebServer]:
    env = {"IMPORT_STREAM_KEEPALIVE_SECONDS": "2"}
    if settings.REDIS_URL:
        env["REDIS_URL"] = settings.REDIS_URL
    server = WebServer(tmp_path / "web.log", env)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def sse_messages(response: httpx.Response) -> Iterator[Message]:
    """The complete messages of an SSE response as they arrive (a message cut short by a
    dying server is not one: it has no blank line after it)."""
    fields: dict[str, str] = {}
    for line in response.iter_lines():
        if line.startswith(":"):
            continue
        if line:
            name, _, value = line.partition(":")
            value = value.removeprefix(" ")
            fields[name] = f"{fields[name]}\n{value}" if name in fields else value
        elif "data" in fields:
            yield Message(fields.get("event", "message"), fields.get("id"), fields["data"])
            fields = {}
        else:
            fields = {}


def test_killing_the_web_server_mid_stream_loses_no_event_and_repeats_none(
    world, cluster, settings, tmp_path, reliability
):
    expected = sandbox_artist(world, "prolific")
    with (
        # No worker dies here: phases get all the time a loaded machine may need, so
        # none is timed out and handed out again (the import must never notice).
        cluster(env=UNHURRIED_PHASES, **SLOW_UPSTREAM) as (qcluster, _),
        web_server(tmp_path, settings) as web,
    ):
        started = start_import(expected.tm_attraction_id)
        url = f"{web.base_url}/api/artists/{started.artist_id}/stream"
        before: list[Message] = []
        active_when_killed = dropped = False
        try:
            with httpx.stream("GET", url, timeout=30) as response:
                assert response.status_code == 200
                for message in sse_messages(response):
                    before.append(message)
                    if len(before) == 5:
                        close_old_connections()
                        run = ImportRun.objects.get(pk=started.import_id)
                        active_when_killed = run.is_active
                        web.kill()
        except httpx.TransportError:
            dropped = True  # the server died mid-response
        assert dropped and active_when_killed, "the stream was not cut while the run went on"
        assert [m.event for m in before] == ["message"] * len(before)

        web.start()
        close_old_connections()
        live = ImportRun.objects.get(pk=started.import_id).is_active
        with httpx.stream(
            "GET", url, headers={"Last-Event-ID": before[-1].id}, timeout=30
        ) as response:
            after = list(sse_messages(response))
        run = finished_run(started.import_id, qcluster)

    received = [m.json for m in before + after if m.event == "message"]
    stored = [event_payload(e) for e in ImportEvent.objects.filter(run=run).order_by("pk")]
    received_ids = [p["id"] for p in received]
    stored_ids = [p["id"] for p in stored]
    events_lost = len(set(stored_ids) - set(received_ids))
    events_twice = len(received_ids) - len(set(received_ids))
    result = outcome(run, expected)
    record(
        reliability,
        "crash: kill -9 web server mid-stream",
        run,
        Outcome(result.rows_lost + events_lost, result.duplicates + events_twice),
        note=f"{len(stored)} events, {len(before)} before the kill; reconnected "
        + ("while the run went on" if live else "after it ended"),
    )
    assert received == stored  # every event once, in order, as stored
    assert after[-1].event == "end"
    assert after[-1].json == {"run_id": run.pk, "status": "succeeded"}
    assert_recovered_completely(run, expected, result)
    assert run.attempt == 1  # the import never noticed


# --- 3. the database kills the cluster's connections mid-write ------------------------


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="pg_terminate_backend is PostgreSQL's: SQLite has no server connections to kill",
)
def test_connections_killed_by_the_database_mid_write(world, cluster, settings, reliability):
    """Every connection of the cluster dies while shows and catalog are writing. A phase
    either fails, saying so (then the import is started again), or its task dies and
    the broker's retry or the sweeper resumes it."""
    expected = sandbox_artist(world, "prolific")
    application_name = f"theset-crash-{uuid.uuid4().hex[:8]}"
    with cluster(env={"PGAPPNAME": application_name}, **SLOW_UPSTREAM) as (qcluster, _):
        started = start_import(expected.tm_attraction_id)
        wait_for(
            lambda: phases_under_way(started.import_id, PhaseName.SHOWS, PhaseName.CATALOG),
            timeout=60,
            what="shows and catalog to be writing",
            qcluster=qcluster,
        )
        assert terminate_backends(application_name) >= 2  # at least the two workers'
        recovery = await_recovery(
            started.import_id, expected, qcluster, settings, cause="OperationalError"
        )

    run, result = record_recovery(
        reliability, "crash: database connections killed mid-write", recovery, expected
    )
    assert_recovered_completely(run, expected, result)


# --- 4. Redis restarted mid-import (scale-out: Redis broker and rate limiter) ---------


class RedisServer:
    """A private `redis-server` on a free port (never the machine's shared one), without
    persistence: a restart loses everything in it, as a crashed cache node does."""

    def __init__(self, folder: Path) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.folder = folder
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        with (self.folder / "redis.log").open("ab") as out:
            self.process = subprocess.Popen(
                [REDIS_SERVER, "--bind", "127.0.0.1", "--port", str(self.port),
                 "--save", "", "--appendonly", "no", "--dir", str(self.folder)],
                stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        client = redis.Redis.from_url(self.url, socket_connect_timeout=1)
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    if client.ping():
                        return
                except redis.ConnectionError:
                    if self.process.poll() is not None or time.monotonic() > deadline:
                        raise
                time.sleep(0.05)
        finally:
            client.close()

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    def restart(self) -> None:
        """kill -9, then a new server on the same port: empty, as after a crash."""
        self.kill()
        self.start()


@contextlib.contextmanager
def private_redis(tmp_path: Path) -> Iterator[RedisServer]:
    folder = tmp_path / "redis"
    folder.mkdir()
    server = RedisServer(folder)
    server.start()
    try:
        yield server
    finally:
        server.kill()


@pytest.mark.skipif(not Path(REDIS_SERVER).exists(), reason=f"needs {REDIS_SERVER}")
def test_redis_restarted_mid_import(world, cluster, settings, tmp_path, reliability):
    """Scale-out mode (Redis broker, Redis rate limiter, Redis pub/sub) on a private
    Redis, restarted empty while shows is fetching pages under the shared rate limit."""
    expected = sandbox_artist(world, "prolific")
    with private_redis(tmp_path) as redis_server:
        settings.REDIS_URL = redis_server.url  # the cluster fixture passes it on
        with cluster(broker="redis", **SLOW_UPSTREAM) as (qcluster, _):
            assert redis_server.url == Conf.REDIS and qcluster.env["Q_BROKER"] == "redis"
            started = start_import(expected.tm_attraction_id)
            wait_for(
                lambda: phases_under_way(started.import_id, PhaseName.SHOWS),
                timeout=60,
                what="shows to be fetching",
                qcluster=qcluster,
            )
            redis_server.restart()
            recovery = await_recovery(
                started.import_id, expected, qcluster, settings, cause="Error"
            )

    run, result = record_recovery(
        reliability, "crash: Redis restarted mid-import", recovery, expected
    )
    assert_recovered_completely(run, expected, result)
    # The rate limiter waits Redis out: the import goes on instead of failing.
    assert recovery.first.status == ImportStatus.SUCCEEDED, recovery.first.error


# --- What the crash tests found ------------------------------------------------------


def test_a_phase_failing_beside_a_failed_run_keeps_the_runs_first_error():
    """Both parallel phases lose their database connection (test 3): the run keeps the
    error it failed with, the second phase is marked failed with its own."""
    started = import_run_create(tm_attraction_id="K8vZ917Crash1")
    for phase in (PhaseName.SHOWS, PhaseName.CATALOG):
        PhaseReporter(run_id=started.import_id, phase=phase).start()
    fail_run(started.import_id, PhaseName.CATALOG, "OperationalError: connection terminated")
    failed = ImportRun.objects.get(pk=started.import_id)

    fail_run(started.import_id, PhaseName.SHOWS, "OperationalError: server closed the connection")

    run = ImportRun.objects.get(pk=started.import_id)
    assert (run.status, run.stage, run.error, run.message, run.finished_at) == (
        ImportStatus.FAILED,
        RunStage.CATALOG,
        "OperationalError: connection terminated",
        failed.message,
        failed.finished_at,
    )
    shows = ImportPhase.objects.get(run=run, phase=PhaseName.SHOWS)
    assert (shows.status, shows.error) == (
        ImportStatus.FAILED,
        "OperationalError: server closed the connection",
    )
