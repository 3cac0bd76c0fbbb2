"""The stale-run sweeper against the database and the ORM broker's queue."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone
from django_q.models import OrmQ

from imports.models import ImportEvent, ImportPhase, ImportRun, ImportStatus
from imports.phases import PhaseName
from imports.rules import SweepAction
from imports.schedules import sweep_stale_runs
from imports.selectors import queued_import_tasks
from imports.services import stale_runs_sweep, start_import
from tests.factories import make_artist

pytestmark = pytest.mark.django_db

STALE = 600


@pytest.fixture(autouse=True)
def _short_deadline(settings):
    settings.IMPORT_STALE_AFTER_SECONDS = STALE


def idle(run: ImportRun, seconds: int = STALE + 1) -> None:
    """Nothing written for the run for `seconds`: its row, nor an event (a running
    phase's reports are events only)."""
    then = timezone.now() - timedelta(seconds=seconds)
    ImportRun.objects.filter(pk=run.pk).update(updated_at=then)
    ImportEvent.objects.filter(run=run).update(at=then)


def lose_tasks() -> None:
    """What a broker that lost its tasks (or a worker that took one and died) leaves."""
    OrmQ.objects.all().delete()


def succeed(run: ImportRun, *phases: PhaseName) -> None:
    for phase in phases:
        ImportPhase.objects.update_or_create(
            run=run, phase=phase, defaults={"status": ImportStatus.SUCCEEDED}
        )


def test_a_queued_run_is_listed_with_its_phase_task():
    started = start_import("K8vZ917Sw01")
    assert queued_import_tasks() == {started.import_id: {"identity"}}


def test_a_run_with_recent_progress_is_left_alone():
    started = start_import("K8vZ917Sw02")
    lose_tasks()
    idle(ImportRun.objects.get(pk=started.import_id), seconds=STALE - 60)
    assert stale_runs_sweep() == []
    assert ImportRun.objects.get(pk=started.import_id).status == ImportStatus.QUEUED


def test_a_stale_run_whose_task_is_still_queued_waits_for_the_broker():
    started = start_import("K8vZ917Sw03")
    run = ImportRun.objects.get(pk=started.import_id)
    idle(run)
    [swept] = stale_runs_sweep()
    assert swept.action == SweepAction.WAIT
    assert OrmQ.objects.count() == 1  # nothing queued twice
    assert ImportRun.objects.get(pk=run.pk).requeued_at is None


def test_a_lost_identity_task_is_requeued_once_then_the_run_fails():
    started = start_import("K8vZ917Sw04")
    run = ImportRun.objects.get(pk=started.import_id)
    lose_tasks()
    idle(run)

    [swept] = stale_runs_sweep()
    assert (swept.action, swept.phases) == (SweepAction.REQUEUE, ("identity",))
    run.refresh_from_db()
    assert run.status == ImportStatus.QUEUED
    assert run.requeued_at is not None
    assert run.warnings == ["identity re-queued: the task was lost (its worker died?)"]
    assert queued_import_tasks() == {run.pk: {"identity"}}
    assert run.events.last().message == swept.reason

    # Its re-queued task is lost too: the next sweep past the deadline fails the run.
    lose_tasks()
    idle(run)
    [swept] = stale_runs_sweep()
    assert swept.action == SweepAction.FAIL
    run.refresh_from_db()
    assert run.status == ImportStatus.FAILED
    assert run.error == (
        "stalled in identity: its task was lost, and re-queuing it did not finish the run"
    )
    assert run.finished_at is not None
    # A failed run frees the artist: a new import can start.
    assert start_import("K8vZ917Sw04").created


def test_lost_parallel_phases_are_requeued_each_with_its_claim():
    started = start_import("K8vZ917Sw05")
    run = ImportRun.objects.get(pk=started.import_id)
    ImportRun.objects.filter(pk=run.pk).update(status=ImportStatus.RUNNING)
    succeed(run, PhaseName.IDENTITY, PhaseName.SHOWS)
    ImportPhase.objects.create(run=run, phase=PhaseName.CATALOG, status=ImportStatus.RUNNING)
    lose_tasks()
    idle(run)

    [swept] = stale_runs_sweep()
    assert (swept.action, swept.phases) == (SweepAction.REQUEUE, ("catalog",))
    assert queued_import_tasks() == {run.pk: {"catalog"}}
    assert ImportPhase.objects.get(run=run, phase=PhaseName.CATALOG).status == (ImportStatus.QUEUED)
    assert ImportPhase.objects.get(run=run, phase=PhaseName.SHOWS).status == (
        ImportStatus.SUCCEEDED
    )


def test_a_missing_finalize_is_claimed_and_queued():
    started = start_import("K8vZ917Sw06")
    run = ImportRun.objects.get(pk=started.import_id)
    ImportRun.objects.filter(pk=run.pk).update(status=ImportStatus.RUNNING)
    succeed(run, PhaseName.IDENTITY, PhaseName.SHOWS, PhaseName.CATALOG)
    lose_tasks()
    idle(run)

    [swept] = stale_runs_sweep()
    assert swept.phases == ("finalize",)
    assert ImportPhase.objects.filter(run=run, phase=PhaseName.FINALIZE).exists()
    assert queued_import_tasks() == {run.pk: {"finalize"}}


def test_finished_runs_are_never_swept():
    for status in (ImportStatus.SUCCEEDED, ImportStatus.FAILED):
        run = ImportRun.objects.create(artist=make_artist(), status=status)
        idle(run)
    lose_tasks()
    assert stale_runs_sweep() == []


def test_the_schedule_function_summarises_what_it_did():
    started = start_import("K8vZ917Sw07")
    lose_tasks()
    idle(ImportRun.objects.get(pk=started.import_id))
    assert sweep_stale_runs() == "requeue 1"
    assert sweep_stale_runs() == "nothing stale"  # re-queuing counts as progress


def test_the_sweeper_is_scheduled_every_minute():
    from django_q.models import Schedule

    schedule = Schedule.objects.get(name="imports: sweep stale runs")
    assert (schedule.func, schedule.schedule_type, schedule.minutes) == (
        "imports.schedules.sweep_stale_runs",
        Schedule.MINUTES,
        1,
    )


def test_tasks_waiting_in_the_redis_broker_are_seen_too(
    settings, monkeypatch, django_capture_on_commit_callbacks
):
    """With Q_BROKER=redis the queue is a Redis list: the sweeper reads it as well."""
    import uuid

    from django_q.brokers import get_broker
    from django_q.conf import Conf

    if not settings.REDIS_URL:
        pytest.skip("needs REDIS_URL (the PostgreSQL + Redis lane)")
    name = f"theset-test-{uuid.uuid4().hex[:8]}"
    monkeypatch.setattr(Conf, "ORM", None)
    monkeypatch.setattr(Conf, "BROKER_CLASS", "imports.broker.PriorityRedisBroker")
    monkeypatch.setattr(Conf, "REDIS", settings.REDIS_URL)
    monkeypatch.setattr(Conf, "CLUSTER_NAME", name)
    broker = get_broker()
    try:
        run = ImportRun.objects.create(artist=make_artist())
        from imports.tasks import enqueue_phase

        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            enqueue_phase(run.pk, PhaseName.CATALOG)  # sent once committed
        assert queued_import_tasks() == {run.pk: {"catalog"}}
        assert OrmQ.objects.count() == 0
    finally:
        broker.delete_queue()
