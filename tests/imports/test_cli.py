"""`manage.py import_artist` people can find their way around: a hint when no task
cluster picks a run up, `--inline` taking over a run nobody has picked up, Ctrl-C
stopping cleanly, states named as they are, `--json` in the order given, and no
library log lines on the command line.

Following is driven by a fake clock (each poll's sleep returns at once and moves the
clock on), so nothing here waits for real time to pass."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import os
import signal
import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from asgiref.sync import sync_to_async
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone
from django_q.models import OrmQ

from imports import tasks
from imports.management.commands import import_artist
from imports.models import ImportPhase, ImportRun, ImportStatus
from imports.phases import PhaseName
from imports.progress import PhaseReporter
from imports.services import import_run_cancel, import_run_create, queued_run_claim, start_import
from imports.tasks import queued_task_take
from sandbox import profiles

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
SPARSE = profiles.BUILTIN_ATTRACTION_IDS["sparse"]
NO_CLUSTER_HINT = "still queued after"


class FakeClock:
    """Stands in for the command's `time`: each poll's sleep returns at once, moves the
    clock on by what it was asked to sleep, then calls `on_poll(polls so far)`."""

    def __init__(self, on_poll=lambda polls: None) -> None:
        self.now = 1000.0
        self.polls = 0
        self.on_poll = on_poll

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds
        self.polls += 1
        self.on_poll(self.polls)


def follow_with(monkeypatch, on_poll) -> FakeClock:
    clock = FakeClock(on_poll)
    monkeypatch.setattr(import_artist, "time", clock)
    return clock


def run_of(tm_attraction_id: str) -> ImportRun:
    return ImportRun.objects.get(artist__tm_attraction_id=tm_attraction_id)


def ctrl_c() -> None:
    """What pressing Ctrl-C does: SIGINT to the main thread."""
    signal.pthread_kill(threading.main_thread().ident, signal.SIGINT)


def lines(text: str) -> list[str]:
    return text.strip().splitlines()


# --- No cluster: the hint -------------------------------------------------------------


@pytest.mark.parametrize("as_json", [False, True], ids=["lines", "json"])
def test_a_run_no_cluster_picks_up_gets_one_hint_on_stderr(monkeypatch, as_json):
    tm_id = "K8vZ917Hint1"

    def on_poll(polls: int) -> None:
        if polls == 40:  # 10 s in: long past the hint; stop following
            import_run_cancel(run_id=run_of(tm_id).pk, by="the test")

    clock = follow_with(monkeypatch, on_poll)
    out, err = io.StringIO(), io.StringIO()
    flags = ["--json"] if as_json else []
    with pytest.raises(CommandError, match="1 of 1 imports failed"):
        call_command("import_artist", tm_id, *flags, stdout=out, stderr=err)

    run_id = run_of(tm_id).pk
    [hint] = [line for line in lines(err.getvalue()) if NO_CLUSTER_HINT in line]
    assert hint.startswith(f"import #{run_id} ({tm_id}) is still queued after 5 s: ")
    assert "no task cluster has picked it up, and none seems to be running" in hint
    assert "`python manage.py qcluster`" in hint
    assert f"`python manage.py import_artist --inline {tm_id}`" in hint
    assert NO_CLUSTER_HINT not in out.getvalue()  # stdout stays the command's output
    assert clock.polls == 40


def test_the_hint_waits_as_long_as_it_is_told(monkeypatch):
    tm_id = "K8vZ917Hint2"
    said_at: list[int] = []
    err = io.StringIO()

    def on_poll(polls: int) -> None:
        if NO_CLUSTER_HINT in err.getvalue() and not said_at:
            said_at.append(polls)
        if polls == 12:
            import_run_cancel(run_id=run_of(tm_id).pk, by="the test")

    follow_with(monkeypatch, on_poll)
    with pytest.raises(CommandError):
        call_command(
            "import_artist", tm_id, "--cluster-hint-after", "1", stdout=io.StringIO(), stderr=err
        )
    # Polls every 0.25 s: the hint is written at the poll 1 s in, seen by the next.
    assert said_at == [5]
    assert err.getvalue().count(NO_CLUSTER_HINT) == 1


def test_no_hint_for_a_run_a_cluster_picks_up_in_time(monkeypatch):
    tm_id = "K8vZ917Hint3"

    def on_poll(polls: int) -> None:
        run_id = run_of(tm_id).pk
        if polls == 2:  # a worker starts its first phase: the run is running
            PhaseReporter(run_id=run_id, phase=PhaseName.IDENTITY).start()
        if polls == 40:
            import_run_cancel(run_id=run_id, by="the test")

    follow_with(monkeypatch, on_poll)
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_artist", tm_id, stdout=io.StringIO(), stderr=err)
    assert NO_CLUSTER_HINT not in err.getvalue()


def test_a_recently_seen_cluster_is_said_to_be_busy(monkeypatch):
    tm_id = "K8vZ917Hint4"
    monkeypatch.setattr(import_artist, "check_cluster", lambda: {"last_seen_seconds_ago": 12.0})

    def on_poll(polls: int) -> None:
        if polls == 24:
            import_run_cancel(run_id=run_of(tm_id).pk, by="the test")

    follow_with(monkeypatch, on_poll)
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_artist", tm_id, stdout=io.StringIO(), stderr=err)
    assert "no task cluster has picked it up yet (one was seen 12 s ago: it may be busy" in (
        err.getvalue()
    )


# --- --inline on a run already there ------------------------------------------------


def test_inline_runs_a_queued_run_here_and_takes_its_task_off_the_queue(sandbox, capsys):
    started = start_import(SPARSE)
    [task] = OrmQ.objects.all()
    assert task.name() == f"import-{started.import_id}-identity"

    with sandbox():
        call_command("import_artist", "--inline", SPARSE)

    out = capsys.readouterr().out
    assert (
        f"{SPARSE}: import #{started.import_id} was queued and no task cluster had picked it "
        "up: running it here"
    ) in out
    run = ImportRun.objects.get(pk=started.import_id)
    assert run.status == ImportStatus.SUCCEEDED, run.error
    # Nothing left for a cluster started later to run a second time.
    assert not OrmQ.objects.exists()
    assert ImportPhase.objects.get(run=run, phase=PhaseName.IDENTITY).attempt == 1
    assert ImportRun.objects.filter(artist__tm_attraction_id=SPARSE).count() == 1


def test_a_claimed_run_is_not_claimed_twice():
    started = start_import("K8vZ917Claim1")
    assert queued_run_claim(run_id=started.import_id)
    assert not queued_run_claim(run_id=started.import_id)
    assert not OrmQ.objects.exists()
    # Running from now on: another `--inline` follows it, and the sweeper leaves it be.
    run = ImportRun.objects.get(pk=started.import_id)
    assert run.status == ImportStatus.RUNNING and run.started_at is not None


def test_a_run_whose_task_a_worker_has_taken_is_not_claimed():
    started = start_import("K8vZ917Claim2")
    # What the broker's dequeue does: it moves the row's lock past the retry delay.
    OrmQ.objects.update(lock=timezone.now() + timedelta(seconds=60))
    assert not queued_run_claim(run_id=started.import_id)
    assert OrmQ.objects.count() == 1  # still the worker's


def test_a_started_run_is_not_claimed():
    started = start_import("K8vZ917Claim3")
    PhaseReporter(run_id=started.import_id, phase=PhaseName.IDENTITY).start()
    ImportRun.objects.filter(pk=started.import_id).update(status=ImportStatus.QUEUED)
    assert not queued_run_claim(run_id=started.import_id)


def test_a_run_another_inline_created_is_not_claimed():
    # Created by `import_artist --inline` in another process, about to run there.
    started = import_run_create(tm_attraction_id="K8vZ917Claim4")
    assert not OrmQ.objects.exists()
    assert not queued_run_claim(run_id=started.import_id)


def test_the_redis_broker_gives_the_task_to_one_taker(settings, monkeypatch):
    if not settings.REDIS_URL:
        pytest.skip("the Redis broker runs in the PostgreSQL + Redis lane")
    import uuid

    import redis
    from django_q.conf import Conf
    from django_q.signing import SignedPackage

    from imports.broker import PriorityRedisBroker

    broker = PriorityRedisBroker(list_key=f"test-{uuid.uuid4().hex[:8]}")
    broker.connection = redis.from_url(settings.REDIS_URL)
    monkeypatch.setattr(Conf, "ORM", None)
    monkeypatch.setattr(tasks, "get_broker", lambda: broker)
    try:
        broker.enqueue(SignedPackage.dumps({"name": "import-7-identity", "group": "import-7"}))
        broker.enqueue(SignedPackage.dumps({"name": "import-8-identity", "group": "import-8"}))
        assert queued_task_take("import-7-identity")
        assert not queued_task_take("import-7-identity")
        assert broker.queue_size() == 1  # the other run's task stays
    finally:
        broker.delete_queue()


def inline_until_cancelled(monkeypatch, tm_id: str, run_id: int) -> io.StringIO:
    """`import_artist --inline tm_id`, while the run is cancelled on its third poll (so
    following it ends, failed); what the command printed."""

    def on_poll(polls: int) -> None:
        if polls == 3:
            import_run_cancel(run_id=run_id, by="the test")

    follow_with(monkeypatch, on_poll)
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_artist", "--inline", tm_id, stdout=out, stderr=io.StringIO())
    return out


def test_inline_follows_a_run_a_worker_has_just_taken(monkeypatch):
    tm_id = "K8vZ917Taken1"
    started = start_import(tm_id)
    OrmQ.objects.update(lock=timezone.now() + timedelta(seconds=60))

    out = inline_until_cancelled(monkeypatch, tm_id, started.import_id)
    assert (
        f"{tm_id}: import #{started.import_id} is being picked up by a task cluster (or "
        "another `import_artist --inline`); following it"
    ) in out.getvalue()
    assert not ImportPhase.objects.filter(run_id=started.import_id).exists()  # not run here


def test_inline_follows_a_run_a_cluster_is_running(monkeypatch):
    tm_id = "K8vZ917Running1"
    started = start_import(tm_id)
    PhaseReporter(run_id=started.import_id, phase=PhaseName.IDENTITY).start()

    out = inline_until_cancelled(monkeypatch, tm_id, started.import_id)
    assert f"{tm_id}: import #{started.import_id} is already running; following it" in (
        out.getvalue()
    )
    assert OrmQ.objects.count() == 1  # the cluster's task was left alone


# --- States named as they are -------------------------------------------------------


def test_no_wait_says_a_queued_run_is_queued_not_running():
    tm_id = "K8vZ917State1"
    started = start_import(tm_id)
    out = io.StringIO()

    call_command("import_artist", "--no-wait", tm_id, stdout=out)

    assert lines(out.getvalue()) == [
        f"{tm_id}: import #{started.import_id} is already queued (no task cluster has "
        "picked it up yet)"
    ]


@pytest.mark.parametrize(
    ("status", "message", "state"),
    [
        (ImportStatus.QUEUED, "", "queued (no task cluster has picked it up yet)"),
        (ImportStatus.RUNNING, "found X on Ticketmaster", "running"),
        (
            ImportStatus.WAITING,
            "waiting for Ticketmaster's daily quota until 14:05 UTC",
            "waiting for Ticketmaster's daily quota until 14:05 UTC",
        ),
        (ImportStatus.WAITING, "", "waiting (parked for an upstream quota)"),
        (ImportStatus.SUCCEEDED, "import finished", "succeeded"),
        (ImportStatus.FAILED, "Identity failed: …", "failed"),
    ],
    ids=["queued", "running", "waiting", "waiting-unsaid", "succeeded", "failed"],
)
def test_run_state(status, message, state):
    assert import_artist.run_state(ImportRun(status=status, message=message)) == state


# --- Ctrl-C -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("picked_up", "said"),
    [
        (
            False,
            "stopped following import #{id}; it stays queued (no task cluster has picked it "
            "up yet): a running task cluster (`python manage.py qcluster`) picks it up",
        ),
        (True, "stopped following import #{id}; it is running and goes on in the task cluster"),
    ],
    ids=["queued", "running"],
)
def test_ctrl_c_while_following_leaves_the_import_to_the_cluster(monkeypatch, picked_up, said):
    tm_id = "K8vZ917CtrlC1"
    started = start_import(tm_id)
    if picked_up:
        PhaseReporter(run_id=started.import_id, phase=PhaseName.IDENTITY).start()

    def on_poll(polls: int) -> None:
        if polls == 2:
            ctrl_c()

    follow_with(monkeypatch, on_poll)
    err = io.StringIO()
    with pytest.raises(SystemExit) as stopped:
        call_command("import_artist", tm_id, stdout=io.StringIO(), stderr=err)

    assert stopped.value.code == 130
    assert lines(err.getvalue()) == [f"{tm_id}: " + said.format(id=started.import_id)]
    run = ImportRun.objects.get(pk=started.import_id)
    assert run.status == (ImportStatus.RUNNING if picked_up else ImportStatus.QUEUED)
    assert OrmQ.objects.count() == 1  # the cluster's to run, as it was
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # handler given back


def test_ctrl_c_during_an_inline_import_cancels_it_and_exits_130(monkeypatch):
    tm_id = "K8vZ917CtrlC2"

    async def identity_interrupted(run_id: int) -> None:
        await sync_to_async(PhaseReporter(run_id=run_id, phase=PhaseName.IDENTITY).start)()
        ctrl_c()
        # A phase going on as a real one does (awaits, ORM calls) until it is stopped.
        for _ in range(600):
            await sync_to_async(ImportRun.objects.filter(pk=run_id).exists)()
            await asyncio.sleep(0.05)
        raise AssertionError("the phase was not stopped")

    monkeypatch.setattr("imports.pipeline.identity_phase", identity_interrupted)
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(SystemExit) as stopped:
        call_command("import_artist", "--inline", tm_id, stdout=out, stderr=err)

    assert stopped.value.code == 130
    run = run_of(tm_id)
    assert lines(err.getvalue()) == [
        f"{tm_id}: interrupted: import #{run.pk} cancelled, it is failed now (what it stored "
        "stays; importing the artist again starts a new run)"
    ]
    assert run.status == ImportStatus.FAILED
    assert run.error == "cancelled by Ctrl-C (import_artist --inline)"
    phase = ImportPhase.objects.get(run=run, phase=PhaseName.IDENTITY)
    assert (phase.status, phase.error) == (
        ImportStatus.FAILED,
        "cancelled by Ctrl-C (import_artist --inline)",
    )
    assert not ImportPhase.objects.filter(run=run, phase=PhaseName.SHOWS).exists()


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_ctrl_c_in_a_terminal_exits_130_without_a_traceback():
    """The real thing: a process of its own, no cluster running, Ctrl-C after the hint."""
    from tests.support.cluster import database_url

    env = os.environ | {"DATABASE_URL": database_url(), "PYTHONUNBUFFERED": "1"}
    command = subprocess.Popen(
        [sys.executable, "manage.py", "import_artist", "K8vZ917CtrlC3",
         "--cluster-hint-after", "0"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        said = [command.stderr.readline()]  # the hint: it is following now
        command.send_signal(signal.SIGINT)
        out, err = command.communicate(timeout=60)
    finally:
        if command.poll() is None:
            command.kill()
    said += err.splitlines()
    assert command.returncode == 130, said
    assert NO_CLUSTER_HINT in said[0]
    assert "Traceback" not in "".join(said) and "KeyboardInterrupt" not in "".join(said)
    run_id = run_of("K8vZ917CtrlC3").pk
    assert said[1:] == [
        f"K8vZ917CtrlC3: stopped following import #{run_id}; it stays queued (no task "
        "cluster has picked it up yet): a running task cluster (`python manage.py qcluster`) "
        "picks it up"
    ]
    assert out.splitlines() == [f"K8vZ917CtrlC3: import #{run_id} queued"]


# --- --json in the order given ------------------------------------------------------


def test_json_keeps_the_order_the_ids_were_given(monkeypatch):
    first, second, third = "K8vZ917Order1", "K8vZ917Order2", "K8vZ917Order3"

    def finish(tm_id: str) -> None:
        ImportRun.objects.filter(artist__tm_attraction_id=tm_id).update(
            status=ImportStatus.SUCCEEDED, finished_at=timezone.now()
        )

    def on_poll(polls: int) -> None:
        # They finish last to first.
        {1: lambda: finish(third), 3: lambda: finish(second), 5: lambda: finish(first)}.get(
            polls, lambda: None
        )()

    follow_with(monkeypatch, on_poll)
    out = io.StringIO()
    with pytest.raises(CommandError, match="1 of 4 imports failed"):
        call_command(
            "import_artist",
            first,
            "bad id!",
            second,
            third,
            first,  # given twice: reported once, where first given
            "--json",
            stdout=out,
            stderr=io.StringIO(),
        )

    report = json.loads(out.getvalue())["imports"]
    assert [entry["tm_attraction_id"] for entry in report] == [first, "bad id!", second, third]
    assert [entry.get("status") for entry in report] == [
        "succeeded",
        None,
        "succeeded",
        "succeeded",
    ]


# --- Library log lines stay off the command line ------------------------------------


@pytest.fixture
def log_records():
    """Every record that reaches the root logger's handlers."""
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    handler = Keep(level=logging.DEBUG)
    logging.getLogger().addHandler(handler)
    yield records
    logging.getLogger().removeHandler(handler)


@pytest.mark.parametrize(
    ("verbosity", "shown"), [(1, False), (2, True)], ids=["default", "verbose"]
)
def test_django_q_log_lines_show_only_with_verbosity_2(log_records, verbosity, shown):
    root_level = logging.getLogger().level
    call_command(
        "import_artist", "--no-wait", "K8vZ917Quiet1", verbosity=verbosity, stdout=io.StringIO()
    )
    enqueued = [r for r in log_records if r.getMessage().startswith("Enqueued")]
    assert bool(enqueued) is shown
    assert logging.getLogger().level == root_level  # the server's and workers' logs as they were


def test_warnings_still_show(log_records, monkeypatch):
    def warn(*args, **kwargs):
        logging.getLogger("django-q").warning("the broker is slow")
        return original(*args, **kwargs)

    original = import_artist.start_import
    monkeypatch.setattr(import_artist, "start_import", warn)
    call_command("import_artist", "--no-wait", "K8vZ917Quiet2", stdout=io.StringIO())
    assert [r.getMessage() for r in log_records if r.levelno >= logging.WARNING] == [
        "the broker is slow"
    ]
