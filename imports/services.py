"""Writes that start and track imports; every interface (API, admin, CLI) calls these."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from catalog.models import TM_ATTRACTION_ID, TM_ATTRACTION_ID_MAX_LENGTH
from catalog.services import artist_shell_upsert
from imports import rules
from imports.models import (
    ACTIVE_STATUSES,
    DroppedTrack,
    ImportPhase,
    ImportRun,
    ImportStatus,
    ImportTrigger,
)
from imports.phases import FIRST_PHASE, PhaseName, phase_task_name
from imports.progress import PhaseReporter, fail_run
from imports.selectors import (
    active_runs_count,
    queued_import_tasks,
    resync_candidates,
    run_progressed_since,
    stale_runs,
)
from imports.tasks import (
    claim_and_enqueue,
    enqueue_phase,
    enqueue_resync_runs,
    queued_task_take,
    unschedule_phases,
)
from integrations.http.quota import spendable
from integrations.ticketmaster.client import quota_ledger

logger = logging.getLogger(__name__)


class InvalidAttractionId(ValueError):
    """The value given is not a Ticketmaster attraction id."""


@dataclass(frozen=True, slots=True)
class StartedImport:
    artist_id: int
    slug: str
    import_id: int
    created: bool  # False: an active run already existed and is returned instead


def validate_tm_attraction_id(value: object) -> str:
    """The id, stripped; raises `InvalidAttractionId` saying what is wrong with it."""
    if not isinstance(value, str):
        raise InvalidAttractionId(f"tm_attraction_id must be a string, not {type(value).__name__}")
    value = value.strip()
    if len(value) > TM_ATTRACTION_ID_MAX_LENGTH or not TM_ATTRACTION_ID.fullmatch(value):
        shown = value if len(value) <= 70 else f"{value[:70]}…"
        raise InvalidAttractionId(
            f"tm_attraction_id {shown!r} is not a Ticketmaster attraction id "
            f"(1 to {TM_ATTRACTION_ID_MAX_LENGTH} letters, digits, '-' or '_', "
            "at least one letter or digit, e.g. 'K8vZ9171ob7')"
        )
    return value


def import_run_create(
    *,
    tm_attraction_id: str,
    trigger: ImportTrigger = ImportTrigger.PERSON,
    full_catalog: bool = False,
) -> StartedImport:
    """Create a queued run for the artist, or return its active run (as it is: a
    `full_catalog` asked for now does not change it).

    "One active run per artist" is the database's unique constraint: of two
    kickoffs racing, one inserts and the other gets the winner's run.
    """
    tm_attraction_id = validate_tm_attraction_id(tm_attraction_id)
    artist = artist_shell_upsert(tm_attraction_id=tm_attraction_id)
    # The active run we collided with may finish before we read it: then try again.
    for _ in range(3):
        try:
            with transaction.atomic():
                run = ImportRun.objects.create(
                    artist=artist, trigger=trigger, full_catalog=full_catalog
                )
            created = True
            break
        except IntegrityError:
            run = ImportRun.objects.filter(artist=artist, status__in=ACTIVE_STATUSES).first()
            created = False
            if run is not None:
                break
    else:
        raise RuntimeError(f"could not start or find an import of {tm_attraction_id}")
    if not created and trigger == ImportTrigger.PERSON and run.trigger == ImportTrigger.RESYNC:
        _resync_taken_over(run.pk)
    return StartedImport(artist_id=artist.pk, slug=artist.slug, import_id=run.pk, created=created)


def _resync_taken_over(run_id: int) -> None:
    """A person asked for an artist whose re-sync is active: the run becomes theirs. It
    goes ahead of re-syncs from now on and may spend the reserve, so a phase parked
    (perhaps only on the reserve) is queued again at once: if the quota is really
    spent it parks again without sending anything."""
    with transaction.atomic():
        # Locked: a group task starting the run waits for this, or this for it.
        run = ImportRun.objects.select_for_update().filter(pk=run_id).first()
        if run is None or not ImportRun.objects.filter(
            pk=run_id, trigger=ImportTrigger.RESYNC
        ).update(trigger=ImportTrigger.PERSON):
            return  # taken over by another kickoff meanwhile
        if (
            run.status == ImportStatus.QUEUED
            and not ImportPhase.objects.filter(run_id=run_id).exists()
        ):
            # Not started by its re-sync group yet (which now leaves it): queued on its own.
            enqueue_phase(run_id, FIRST_PHASE.name)
            return
        unschedule_phases(run_id)
        for name in ImportPhase.objects.filter(
            run_id=run_id, status=ImportStatus.WAITING
        ).values_list("phase", flat=True):
            ImportPhase.objects.filter(run_id=run_id, phase=name).update(
                status=ImportStatus.QUEUED, waiting_until=None
            )
            enqueue_phase(run_id, PhaseName(name))


def start_import(
    tm_attraction_id: str,
    *,
    trigger: ImportTrigger = ImportTrigger.PERSON,
    full_catalog: bool = False,
) -> StartedImport:
    """The kickoff every interface uses: a run (new, or the artist's active one) and,
    for a new run, its first phase (identity) queued on the cluster. No upstream call.
    Interfaces people use start PERSON runs; the scheduled re-sync, RESYNC runs. A new
    run's catalog is incremental unless `full_catalog`."""
    with transaction.atomic():
        started = import_run_create(
            tm_attraction_id=tm_attraction_id, trigger=trigger, full_catalog=full_catalog
        )
        if started.created:
            enqueue_phase(started.import_id, FIRST_PHASE.name)
    return started


def import_run_cancel(*, run_id: int, by: str) -> bool:
    """Stop an active run (typically one waiting for an upstream): it fails, saying who
    cancelled it and while doing what, its pending resumptions are deleted, and a phase
    still running finishes its own writes but starts nothing after it. What it wrote
    stays. False if the run was not active."""
    with transaction.atomic():
        run = ImportRun.objects.select_for_update().filter(pk=run_id).first()
        if run is None or run.status not in ACTIVE_STATUSES:
            return False
        doing = (
            f" while {run.message}" if run.status == ImportStatus.WAITING and run.message else ""
        )
        error = f"cancelled by {by}{doing}"
        unfinished = ImportPhase.objects.filter(run=run, status__in=ACTIVE_STATUSES)
        names = list(unfinished.order_by("id").values_list("phase", flat=True))
        if names:
            phase = PhaseName(names[0])
        else:  # queued, no phase started yet
            phase = PhaseName(run.stage) if run.stage in PhaseName.values else FIRST_PHASE.name
        unfinished.exclude(status=ImportStatus.RUNNING).update(
            status=ImportStatus.FAILED, error=error, waiting_until=None, finished_at=timezone.now()
        )
        unschedule_phases(run.pk)
        fail_run(run.pk, phase, error)
    logger.warning("import run %s %s", run_id, error)
    return True


def import_run_warning_add(*, run_id: int, warning: str) -> None:
    """Add `warning` to what the run says about how it went (once: a repeat is kept out)."""
    with transaction.atomic():
        run = ImportRun.objects.select_for_update().get(pk=run_id)
        if warning not in run.warnings:
            run.warnings = [*run.warnings, warning]
            run.save(update_fields=["warnings", "updated_at"])


@dataclass(frozen=True, slots=True)
class SweptRun:
    run_id: int
    action: rules.SweepAction
    phases: tuple[str, ...]
    reason: str


def stale_runs_sweep(*, now: datetime | None = None) -> list[SweptRun]:
    """Runs idle for IMPORT_STALE_AFTER_SECONDS whose tasks are gone get the phases they
    still need re-queued, once; a run re-queued before and idle again fails, saying
    why. A run whose task the broker still holds is left to the broker."""
    now = now or timezone.now()
    idle_since = now - timedelta(seconds=settings.IMPORT_STALE_AFTER_SECONDS)
    queued = queued_import_tasks()
    swept = []
    for stale in stale_runs(idle_since=idle_since):
        with transaction.atomic():
            run = ImportRun.objects.select_for_update().get(pk=stale.pk)
            if (
                run.status not in ACTIVE_STATUSES
                or run.updated_at >= idle_since
                or run_progressed_since(run.pk, idle_since)
            ):
                continue  # it moved on while we looked
            succeeded = ImportPhase.objects.filter(
                run=run, status=ImportStatus.SUCCEEDED
            ).values_list("phase", flat=True)
            decision = rules.stale_run_decision(
                succeeded=succeeded,
                queued=queued.get(run.pk, ()),
                requeued_before=run.requeued_at is not None,
            )
            if decision.action == rules.SweepAction.REQUEUE:
                _requeue_phases(run, decision, now)
            elif decision.action == rules.SweepAction.FAIL:
                fail_run(run.pk, PhaseName(decision.phases[0]), decision.reason)
        if decision.action != rules.SweepAction.WAIT:
            logger.warning("import run %s: %s", run.pk, decision.reason)
        swept.append(SweptRun(run.pk, decision.action, decision.phases, decision.reason))
    return swept


def _requeue_phases(run: ImportRun, decision: rules.SweepDecision, now: datetime) -> None:
    ImportRun.objects.filter(pk=run.pk).update(requeued_at=now)
    import_run_warning_add(run_id=run.pk, warning=decision.reason)
    for name in decision.phases:
        phase = PhaseName(name)
        has_row = ImportPhase.objects.filter(run=run, phase=phase).update(
            status=ImportStatus.QUEUED
        )
        # The first phase's row is made when it starts; the others' rows are their claims.
        if has_row or phase == FIRST_PHASE.name:
            enqueue_phase(run.pk, phase)
        else:
            claim_and_enqueue(run.pk, phase)
        PhaseReporter(run_id=run.pk, phase=phase).report(0, decision.reason)


def resync_spendable() -> int | None:
    """Ticketmaster requests left above RESYNC_QUOTA_RESERVE, as the ledger knows."""
    ledger = quota_ledger()
    if ledger is None:
        return None
    return spendable(ledger.state(), now=ledger.now(), reserve_share=settings.RESYNC_QUOTA_RESERVE)


@dataclass(frozen=True, slots=True)
class Resync:
    artist_id: int
    tm_attraction_id: str
    name: str
    stale: tuple[str, ...]  # "shows", "catalog"
    import_id: int | None  # None in a dry run


def artists_resync(
    *,
    now: datetime | None = None,
    dry_run: bool = False,
    limit: int | None = None,
    requests_planned: int = 0,
) -> list[Resync]:
    """Re-import the artists whose catalog is older than RESYNC_CATALOG_AFTER or whose
    identity is older than RESYNC_IDENTITY_AFTER, the stalest first, at most
    RESYNC_BATCH_SIZE (or `limit`) of them less the runs already active, through
    `start_import` (so never twice at once), and no more than the Ticketmaster quota
    left above RESYNC_QUOTA_RESERVE pays for (at its reserve, a round queues nothing).
    Such a run fetches only what is stale: its shows are re-synced in batches of
    artists (`imports.resync.shows_resync_round`). Artists with a run started within the
    shorter period are left alone, so a failing re-sync is not retried every round.
    `requests_planned`: what this round's shows batches will spend of that quota, not
    yet spent (the ledger does not know it). A dry run only lists them."""
    now = now or timezone.now()
    catalog_before = now - settings.RESYNC_CATALOG_AFTER
    identity_before = now - settings.RESYNC_IDENTITY_AFTER
    shortest = min(settings.RESYNC_CATALOG_AFTER, settings.RESYNC_IDENTITY_AFTER)
    # Backpressure: runs still queued or running (earlier rounds', or anyone's) take
    # their share of the round, so a slow queue is not buried under re-syncs.
    # The quota: a round queues no more than what is left above the reserve pays for.
    batch = settings.RESYNC_BATCH_SIZE if limit is None else limit
    spendable = resync_spendable()
    size = rules.resync_round_size(
        batch=batch,
        active=0 if dry_run else active_runs_count(),
        spendable=None if spendable is None else max(0, spendable - requests_planned),
    )
    candidates = resync_candidates(
        catalog_before=catalog_before,
        identity_before=identity_before,
        last_run_before=now - shortest,
        limit=size,
    )
    planned = []
    created: list[int] = []
    for artist in candidates:
        stale = rules.stale_parts(
            catalog_synced_at=artist.catalog_synced_at,
            identity_synced_at=artist.identity_synced_at,
            catalog_before=catalog_before,
            identity_before=identity_before,
        )
        import_id = None
        if not dry_run:
            started = import_run_create(
                tm_attraction_id=artist.tm_attraction_id, trigger=ImportTrigger.RESYNC
            )
            import_id = started.import_id
            if started.created:
                created.append(import_id)
        planned.append(Resync(artist.pk, artist.tm_attraction_id, artist.name, stale, import_id))
    # Re-sync runs go in groups, one task each (the runs run one after another in it,
    # a few side by side): thousands of small runs do not cost four queued tasks each.
    size = settings.RESYNC_RUNS_PER_TASK
    for start in range(0, len(created), size):
        enqueue_resync_runs(created[start : start + size])
    return planned


def run_drops_carry_over(*, run_id: int) -> int:
    """A run that kept the artist's catalog as it was (unchanged, or fresh) reports the
    drops of the run that last decided it: its drop counts and one row per dropped
    track, copied from the artist's latest run before it that succeeded. How many."""
    run = ImportRun.objects.get(pk=run_id)
    previous = (
        ImportRun.objects.filter(
            artist_id=run.artist_id, status=ImportStatus.SUCCEEDED, pk__lt=run_id
        )
        .order_by("-pk")
        .first()
    )
    if previous is None:
        return 0
    fields = ["spotify_id", "name", "album_name", "isrc", "reason", "duplicate_of"]
    with transaction.atomic():
        ImportRun.objects.filter(pk=run_id).update(
            drop_counts=previous.drop_counts, spotify_app_mode=previous.spotify_app_mode
        )
        DroppedTrack.objects.filter(run_id=run_id).delete()
        copied = DroppedTrack.objects.bulk_create(
            [
                DroppedTrack(run_id=run_id, **row)
                for row in DroppedTrack.objects.filter(run_id=previous.pk).values(*fields)
            ],
            batch_size=500,
        )
    return len(copied)


def queued_run_claim(*, run_id: int) -> bool:
    """Take a queued run that no task cluster has picked up, to run it here: its first
    phase's task comes off the queue (so a cluster started later does not run it too)
    and the run is running from now on (so another `--inline` follows it). False when
    the broker no longer holds that task for the taking (a worker has it, or another
    `--inline` created or claimed the run), or the run has started."""
    with transaction.atomic():
        run = ImportRun.objects.select_for_update().filter(pk=run_id).first()
        if run is None or run.status != ImportStatus.QUEUED:
            return False
        if ImportPhase.objects.filter(run_id=run_id).exists():
            return False
        if not queued_task_take(phase_task_name(run_id, FIRST_PHASE.name)):
            return False
        now = timezone.now()
        ImportRun.objects.filter(pk=run_id).update(
            status=ImportStatus.RUNNING, started_at=now, updated_at=now
        )
    return True
