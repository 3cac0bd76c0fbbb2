"""Parked phases and the machinery around them: which task may resume a phase, the
sweeper and waiting runs, the run's status while phases park and finish side by side,
and a person's kickoff taking over a parked re-sync."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from django.utils.module_loading import import_string
from django_q.models import OrmQ, Schedule

from imports.models import ImportPhase, ImportRun, ImportStatus, ImportTrigger
from imports.phases import PhaseName
from imports.progress import PhaseReporter, fail_run, park_phase
from imports.rules import SweepAction
from imports.selectors import queued_import_tasks
from imports.services import import_run_create, stale_runs_sweep, start_import
from imports.tasks import run_phase_task
from sandbox import profiles

pytestmark = pytest.mark.django_db

PROLIFIC = profiles.BUILTIN_ATTRACTION_IDS["prolific"]
TM_QUOTA = "Ticketmaster's daily quota"
STALE = 600


def parked_run(phase: PhaseName = PhaseName.SHOWS, *, minutes: int = 30) -> tuple[int, object]:
    """A run whose identity succeeded and whose `phase` waits `minutes` more."""
    run_id = import_run_create(tm_attraction_id="K8vZ917Park").import_id
    PhaseReporter(run_id=run_id, phase=PhaseName.IDENTITY).start()
    PhaseReporter(run_id=run_id, phase=PhaseName.IDENTITY).finish("done")
    PhaseReporter(run_id=run_id, phase=phase).start()
    until = (timezone.now() + timedelta(minutes=minutes)).replace(microsecond=0)
    park_phase(run_id, phase, what=TM_QUOTA, until=until)
    OrmQ.objects.all().delete()  # the tasks queued on the way: not what is tested
    return run_id, until


def phase(run_id: int, name: PhaseName) -> ImportPhase:
    return ImportPhase.objects.get(run_id=run_id, phase=name)


@pytest.mark.parametrize(
    ("resume", "runs"),
    [
        (None, False),  # handed out again after its worker died: the schedule owns it
        ("2001-01-01T00:00:00+00:00", False),  # the schedule of an earlier wait
        ("not a time", False),
        ("the wait's end", True),
    ],
    ids=["redelivered", "earlier-wait", "garbled", "its-schedule"],
)
def test_only_the_task_its_schedule_queued_resumes_a_waiting_phase(monkeypatch, resume, runs):
    run_id, until = parked_run()
    ran = []
    monkeypatch.setattr(
        "imports.phases.Phase.run", lambda self, run_id: ran.append((self.name, run_id))
    )
    token = until.isoformat() if resume == "the wait's end" else resume
    run_phase_task(run_id, PhaseName.SHOWS, resume=token)
    assert ran == ([(PhaseName.SHOWS, run_id)] if runs else [])


def test_a_redelivered_task_of_a_phase_that_succeeded_spends_nothing_again(monkeypatch):
    run_id = start_import("K8vZ917Done").import_id
    for name in (PhaseName.IDENTITY, PhaseName.SHOWS, PhaseName.CATALOG):
        PhaseReporter(run_id=run_id, phase=name).start()
        PhaseReporter(run_id=run_id, phase=name).finish("done")
    OrmQ.objects.all().delete()
    ran = []
    monkeypatch.setattr("imports.phases.Phase.run", lambda self, run_id: ran.append(self.name))
    run_phase_task(run_id, PhaseName.SHOWS)
    assert ran == []
    # What it would have queued next is queued all the same (its worker may have died
    # before doing so).
    assert [t.task["name"] for t in OrmQ.objects.all()] == [f"import-{run_id}-finalize"]


def test_the_sweeper_leaves_a_waiting_run_alone_until_well_past_its_wait(settings):
    settings.IMPORT_STALE_AFTER_SECONDS = STALE
    run_id, until = parked_run(minutes=30)
    ImportRun.objects.filter(pk=run_id).update(updated_at=timezone.now() - timedelta(hours=5))
    assert queued_import_tasks() == {run_id: {PhaseName.SHOWS}}  # its schedule counts
    # Idle for hours, but waiting for half an hour more: not stale.
    assert stale_runs_sweep() == []
    # Past its wait by more than the stale period, and still scheduled: the broker's.
    later = until + timedelta(seconds=STALE + 1)
    [swept] = stale_runs_sweep(now=later)
    assert (swept.action, swept.phases) == (SweepAction.WAIT, ("shows",))
    # Its schedule lost: re-queued.
    Schedule.objects.all().delete()
    [swept] = stale_runs_sweep(now=later)
    # Shows, and catalog, which this made-up run never started.
    assert (swept.action, swept.phases) == (SweepAction.REQUEUE, ("shows", "catalog"))
    assert phase(run_id, PhaseName.SHOWS).status == ImportStatus.QUEUED
    assert sorted(t.task["name"] for t in OrmQ.objects.all()) == [
        f"import-{run_id}-catalog",
        f"import-{run_id}-shows",
    ]


def test_the_run_waits_only_once_no_phase_of_it_runs():
    run_id, until = parked_run(PhaseName.SHOWS)
    assert ImportRun.objects.get(pk=run_id).status == ImportStatus.WAITING
    # Catalog starts beside it: the run is running again.
    PhaseReporter(run_id=run_id, phase=PhaseName.CATALOG).start()
    assert ImportRun.objects.get(pk=run_id).status == ImportStatus.RUNNING
    # It parks too, for longer: still waiting, until the earliest of the two.
    later = until + timedelta(hours=1)
    park_phase(run_id, PhaseName.CATALOG, what="Spotify, which asked us to pause", until=later)
    run = ImportRun.objects.get(pk=run_id)
    assert (run.status, run.waiting_until) == (ImportStatus.WAITING, until)
    assert run.message.startswith(f"waiting for {TM_QUOTA} until ")


def test_a_phase_finishing_beside_a_parked_one_leaves_the_run_waiting_and_saying_why():
    run_id, until = parked_run(PhaseName.SHOWS)
    reporter = PhaseReporter(run_id=run_id, phase=PhaseName.CATALOG)
    reporter.start()
    reporter.report(50, "half the albums")
    assert ImportRun.objects.get(pk=run_id).message == "half the albums"
    reporter.finish("712 studio songs")
    run = ImportRun.objects.get(pk=run_id)
    assert (run.status, run.waiting_until) == (ImportStatus.WAITING, until)
    assert run.message.startswith(f"waiting for {TM_QUOTA} until ")


def test_a_run_that_fails_beside_a_parked_phase_ends_it_and_its_schedule():
    run_id, _ = parked_run(PhaseName.SHOWS)
    PhaseReporter(run_id=run_id, phase=PhaseName.CATALOG).start()
    fail_run(run_id, PhaseName.CATALOG, "Spotify answered HTTP 500")
    run = ImportRun.objects.get(pk=run_id)
    assert (run.status, run.waiting_until) == (ImportStatus.FAILED, None)
    assert phase(run_id, PhaseName.SHOWS).status == ImportStatus.FAILED
    assert not Schedule.objects.filter(name__startswith=f"import-{run_id}-").exists()


def test_a_persons_kickoff_takes_over_a_parked_resync():
    run_id = import_run_create(tm_attraction_id=PROLIFIC, trigger=ImportTrigger.RESYNC).import_id
    PhaseReporter(run_id=run_id, phase=PhaseName.SHOWS).start()
    park_phase(
        run_id,
        PhaseName.SHOWS,
        what="Ticketmaster's daily quota (what is left is kept for imports people start)",
        until=timezone.now() + timedelta(hours=3),
    )
    OrmQ.objects.all().delete()

    started = start_import(PROLIFIC)
    assert (started.import_id, started.created) == (run_id, False)
    run = ImportRun.objects.get(pk=run_id)
    assert run.trigger == ImportTrigger.PERSON
    assert not Schedule.objects.filter(name__startswith=f"import-{run_id}-").exists()
    assert phase(run_id, PhaseName.SHOWS).status == ImportStatus.QUEUED
    # Queued now, and among a person's tasks, not the re-syncs'.
    [task] = OrmQ.objects.all()
    assert (task.task["name"], task.task["group"]) == (f"import-{run_id}-shows", f"import-{run_id}")
    # A second kickoff changes nothing more.
    start_import(PROLIFIC)
    assert OrmQ.objects.count() == 1
    assert import_string(task.task["func"]) is not None


def test_following_a_run_that_only_waits_ends_at_the_timeout_without_failing():
    run_id, _ = parked_run()
    out = io.StringIO()
    call_command("import_artist", "K8vZ917Park", "--timeout", "0.3", stdout=out)
    assert f"K8vZ917Park: import #{run_id} is waiting for {TM_QUOTA} until " in out.getvalue()
    # A run still running at the timeout is another matter.
    ImportRun.objects.filter(pk=run_id).update(status=ImportStatus.RUNNING)
    with pytest.raises(CommandError, match=r"not finished after 0\.3 s"):
        call_command("import_artist", "K8vZ917Park", "--timeout", "0.3", stdout=io.StringIO())
