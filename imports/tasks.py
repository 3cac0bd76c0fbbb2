"""The import phases as django-q2 tasks, in the order `imports.phases` declares:
identity, then shows and catalog side by side, then finalize, queued by whichever of
the two finishes last.

Each task takes a run id (never a model instance) and runs one phase through the
function the registry names. A phase that fails records the failure on the run and
returns normally, so the task is acknowledged; a worker that dies mid-phase
leaves its task unacknowledged, and the broker hands it out again after
`Q_CLUSTER["retry"]` seconds, up to `max_attempts`. Phases are idempotent
upserts, so a re-run phase resumes without duplicating rows; the phase row
records each attempt.

Who enqueues a phase is decided by the database: the phase's row is created
(unique per run and phase) by exactly one caller, and that caller enqueues.

Queued tasks name their function (`imports.tasks.<phase>_task`): those names outlive
a deploy in the queue, so each phase keeps its own thin task.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django_q.brokers import get_broker
from django_q.conf import Conf
from django_q.models import OrmQ, Schedule
from django_q.signing import SignedPackage
from django_q.tasks import async_task

from imports.models import ACTIVE_STATUSES, ImportPhase, ImportRun, ImportStatus, ImportTrigger
from imports.phases import (
    LAST_PHASE,
    PhaseFailed,
    PhaseName,
    PhaseParked,
    is_ready,
    phase_get,
    phase_task_name,
)

logger = logging.getLogger(__name__)


def phase_task_function(phase: str) -> str:
    """The dotted path of the task that runs `phase` on the cluster."""
    return f"imports.tasks.{PhaseName(phase).value}_task"


def task_group(run_id: int, trigger: str) -> str:
    """The queue group of a run's tasks, which says who started it: the brokers
    (`imports.broker`) hand out a person's imports before re-syncs."""
    return f"{'resync' if trigger == ImportTrigger.RESYNC else 'import'}-{run_id}"


def _q_options(run_id: int, phase: PhaseName) -> dict[str, str]:
    trigger = ImportRun.objects.values_list("trigger", flat=True).get(pk=run_id)
    return {"task_name": phase_task_name(run_id, phase), "group": task_group(run_id, trigger)}


def enqueue_phase(run_id: int, phase: PhaseName) -> None:
    """Queue one phase of a run, atomically with the caller's transaction.

    The ORM broker's queue is a table: the task row commits (or rolls back)
    with the run or phase row that justifies it, so a crash in between loses
    nothing. Another broker gets the task once the transaction has committed.
    """
    q_options = _q_options(run_id, phase)

    def send() -> None:
        async_task(phase_task_function(phase), run_id, q_options=dict(q_options))

    if Conf.ORM:
        send()
    else:
        transaction.on_commit(send)


def schedule_phase(run_id: int, phase: PhaseName, *, at: datetime) -> None:
    """Queue one phase of a run at `at` (a parked phase's resumption): a django-q2
    schedule, run once and then deleted, named like the task it queues. It is a row,
    so it outlives a killed cluster, and commits with the caller's transaction."""
    Schedule.objects.create(
        name=phase_task_name(run_id, phase),
        func=phase_task_function(phase),
        args=repr((run_id,)),
        # The wait it ends: the one task allowed to resume the phase (run_phase_task).
        kwargs=repr({"resume": at.isoformat(), "q_options": _q_options(run_id, phase)}),
        schedule_type=Schedule.ONCE,
        repeats=-1,
        next_run=at,
        cluster=Conf.CLUSTER_NAME,
    )


def unschedule_phases(run_id: int) -> int:
    """Delete the schedules that would resume phases of a run; how many there were."""
    names = [phase_task_name(run_id, phase) for phase in PhaseName]
    deleted, _ = Schedule.objects.filter(name__in=names).delete()
    return deleted


def claim_and_enqueue(run_id: int, phase: PhaseName) -> bool:
    """Create the phase's row and queue its task; only the one caller that creates the
    row (unique per run and phase) queues it. True if this caller did."""
    try:
        with transaction.atomic():
            ImportPhase.objects.create(run_id=run_id, phase=phase)
            enqueue_phase(run_id, phase)
    except IntegrityError:
        return False
    return True


def _run_is_active(run_id: int) -> bool:
    return ImportRun.objects.filter(pk=run_id, status__in=ACTIVE_STATUSES).exists()


def run_phase_task(run_id: int, phase: PhaseName, *, resume: str | None = None) -> None:
    """Run one phase of an active run, then queue each phase waiting for it whose
    prerequisites have now all succeeded. A waiting phase runs only from the task its
    schedule queued (`resume`: the end of the wait it was queued for)."""
    if not _run_is_active(run_id):
        return
    status, waiting_until = (
        ImportPhase.objects.filter(run_id=run_id, phase=phase)
        .values_list("status", "waiting_until")
        .first()
    ) or (None, None)
    if status == ImportStatus.WAITING and not _resumes(resume, waiting_until):
        # A task handed out again (its worker died before acknowledging it) while the
        # phase waits, or the schedule of an earlier wait: the phase's own schedule
        # resumes it when the upstream said.
        return
    # Handed out again after it succeeded: its requests are not spent twice (the last
    # phase, which spends none and settles the run, runs again).
    if status != ImportStatus.SUCCEEDED or phase == LAST_PHASE.name:
        try:
            phase_get(phase).run(run_id)
        except (PhaseFailed, PhaseParked):
            return
    for following in phase_get(phase).next:
        enqueue_when_ready(run_id, following.name)


def _resumes(resume: str | None, waiting_until: datetime | None) -> bool:
    """Whether a task queued to end the wait `resume` ends the phase's current wait."""
    if resume is None or waiting_until is None:
        return False
    try:
        return datetime.fromisoformat(resume) == waiting_until
    except ValueError:
        return False


def enqueue_when_ready(run_id: int, phase: PhaseName) -> None:
    """Enqueue `phase` if every phase it waits for has succeeded and the run is active.

    Each caller's own phase success is committed before it looks, so the one of
    parallel prerequisites that finishes last sees them all; if several see them
    all, the phase row's unique constraint lets only one of them enqueue.
    """
    succeeded = ImportPhase.objects.filter(
        run_id=run_id, phase__in=phase_get(phase).waits_for, status=ImportStatus.SUCCEEDED
    ).values_list("phase", flat=True)
    if is_ready(phase, succeeded) and _run_is_active(run_id):
        claim_and_enqueue(run_id, phase)


def identity_task(run_id: int, resume: str | None = None) -> None:
    run_phase_task(run_id, PhaseName.IDENTITY, resume=resume)


def shows_task(run_id: int, resume: str | None = None) -> None:
    run_phase_task(run_id, PhaseName.SHOWS, resume=resume)


def catalog_task(run_id: int, resume: str | None = None) -> None:
    run_phase_task(run_id, PhaseName.CATALOG, resume=resume)


def finalize_task(run_id: int, resume: str | None = None) -> None:
    run_phase_task(run_id, PhaseName.FINALIZE, resume=resume)


# --- Re-sync runs in groups -------------------------------------------------------

RESYNC_RUNS_TASK = "imports.tasks.resync_runs_task"


def resync_runs_task_name(run_ids: list[int]) -> str:
    return f"resync-runs-{run_ids[0]}"


# Inside `interleaved_resync_tasks()`: the re-sync tasks queued so far, by kind.
_pending_resync_tasks: ContextVar[dict[str, list[Callable[[], object]]] | None] = ContextVar(
    "pending_resync_tasks", default=None
)


def send_resync_task(kind: str, send: Callable[[], object]) -> None:
    """Queue a re-sync task (`send` queues it): at once with the ORM broker (the queue is
    a table: the task commits with the rows that justify it), else once committed, or
    held for `interleaved_resync_tasks`."""
    pending = _pending_resync_tasks.get()
    if pending is not None:
        pending.setdefault(kind, []).append(send)
    elif Conf.ORM:
        send()
    else:
        transaction.on_commit(send)


@contextmanager
def interleaved_resync_tasks() -> Iterator[None]:
    """Queue the re-sync tasks made inside, of every kind, interleaved on the way out.

    A round makes shows batches (waiting on Ticketmaster's rate) and groups of runs
    (Spotify and the database): queued alternately, workers take some of each, so the
    runs go on while the batches wait for their permits instead of after them. (Rows
    made inside without their task for a moment: a process dying then leaves them to
    the sweeper.)"""
    pending: dict[str, list[Callable[[], object]]] = {}
    token = _pending_resync_tasks.set(pending)
    try:
        yield
    finally:
        _pending_resync_tasks.reset(token)
        for sends in itertools.zip_longest(*pending.values()):
            for send in sends:
                if send is not None:
                    send()


def enqueue_resync_runs(run_ids: list[int]) -> None:
    """Queue one task running these re-sync runs whole (`resync_runs_task`): its args
    name them, so the stale-run sweeper sees they are held (`queued_import_tasks`)."""
    if not run_ids:
        return
    name = resync_runs_task_name(run_ids)
    q_options = {"task_name": name, "group": name}  # a re-sync's group: handed out last

    def send() -> None:
        async_task(RESYNC_RUNS_TASK, list(run_ids), q_options=dict(q_options))

    send_resync_task("runs", send)


def resync_runs_task(run_ids: list[int]) -> None:
    """Run a group of re-sync runs here (`imports.resync.resync_runs`)."""
    from asgiref.sync import async_to_sync

    from imports.resync import resync_runs

    async_to_sync(resync_runs)(list(run_ids))


def shows_batch_task(batch_id: int, resume: str | None = None) -> None:
    """A shows re-sync batch (`imports.resync`)."""
    from imports.resync import shows_batch_run

    shows_batch_run(batch_id, resume=resume)


def queued_task_take(name: str) -> bool:
    """Remove the queued task called `name` unless a worker has taken it; True if this
    call removed it. The ORM broker hands a row out by moving its lock with a
    conditional update: this delete is conditional on the same lock, so one of the two
    wins. The Redis broker pops a task atomically: LREM removing it is the proof."""
    broker = get_broker()
    if Conf.ORM:
        queue = OrmQ.objects.using(Conf.ORM)
        for row in queue.filter(key=broker.list_key, lock__lt=timezone.now()):
            if row.name() == name:
                deleted, _ = queue.filter(pk=row.pk, lock=row.lock).delete()
                return deleted == 1
        return False
    for key in (broker.list_key, getattr(broker, "later_key", None)):
        if key is None:
            continue
        for payload in broker.connection.lrange(key, 0, -1):
            try:
                package = SignedPackage.loads(payload)
            except Exception:
                continue
            if package.get("name") == name:
                return bool(broker.connection.lrem(key, 1, payload))
    return False
