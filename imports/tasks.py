"""The import phases as django-q2 tasks: identity, then shows and catalog side by side,
then finalize, started by whichever of the two finishes last.

Each task takes a run id (never a model instance) and runs one phase of
`imports.pipeline`. A phase that fails records the failure on the run and
returns normally, so the task is acknowledged; a worker that dies mid-phase
leaves its task unacknowledged, and the broker hands it out again after
`Q_CLUSTER["retry"]` seconds, up to `max_attempts`. Phases are idempotent
upserts, so a re-run phase resumes without duplicating rows; the phase row
records each attempt.

Who enqueues a phase is decided by the database: the phase's row is created
(unique per run and phase) by exactly one caller, and that caller enqueues.
"""

from __future__ import annotations

import logging

from asgiref.sync import async_to_sync
from django.db import IntegrityError, transaction
from django_q.conf import Conf
from django_q.tasks import async_task

from imports import pipeline
from imports.models import ImportPhase, ImportRun, ImportStage, ImportStatus

logger = logging.getLogger(__name__)

PARALLEL_PHASES = (ImportStage.SHOWS, ImportStage.CATALOG)


def enqueue_phase(run_id: int, phase: ImportStage) -> None:
    """Queue one phase of a run, atomically with the caller's transaction.

    The ORM broker's queue is a table: the task row commits (or rolls back)
    with the run or phase row that justifies it, so a crash in between loses
    nothing. Another broker gets the task once the transaction has committed.
    """

    def send() -> None:
        async_task(
            f"imports.tasks.{phase.value}_task",
            run_id,
            task_name=f"import-{run_id}-{phase.value}",
            group=f"import-{run_id}",
        )

    if Conf.ORM:
        send()
    else:
        transaction.on_commit(send)


def claim_and_enqueue(run_id: int, phase: ImportStage) -> bool:
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
    return ImportRun.objects.filter(
        pk=run_id, status__in=(ImportStatus.QUEUED, ImportStatus.RUNNING)
    ).exists()


def _run(phase_coroutine, run_id: int) -> bool:
    try:
        async_to_sync(phase_coroutine)(run_id)
    except pipeline.PhaseFailed:
        return False
    return True


def identity_task(run_id: int) -> None:
    if not _run_is_active(run_id):
        return
    if _run(pipeline.identity_phase, run_id):
        for phase in PARALLEL_PHASES:
            claim_and_enqueue(run_id, phase)


def shows_task(run_id: int) -> None:
    if _run_is_active(run_id) and _run(pipeline.shows_phase, run_id):
        finalize_when_ready(run_id)


def catalog_task(run_id: int) -> None:
    if _run_is_active(run_id) and _run(pipeline.catalog_phase, run_id):
        finalize_when_ready(run_id)


def finalize_when_ready(run_id: int) -> None:
    """Enqueue finalize if shows and catalog have both succeeded.

    Each caller's own phase success is committed before it looks, so the one
    that finishes last sees both; if both see both, the finalize row's unique
    constraint lets only one of them enqueue.
    """
    succeeded = ImportPhase.objects.filter(
        run_id=run_id, phase__in=PARALLEL_PHASES, status=ImportStatus.SUCCEEDED
    ).count()
    if succeeded == len(PARALLEL_PHASES) and _run_is_active(run_id):
        claim_and_enqueue(run_id, ImportStage.FINALIZE)


def finalize_task(run_id: int) -> None:
    if _run_is_active(run_id):
        pipeline.finalize_phase(run_id)
