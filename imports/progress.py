"""Progress of a run. A phase's transitions (start, finish, park, failure) update its
row and the run's and append an event; its reports in between append the event only,
one row each (`PhaseReporter.progress`), and the run's latest event is its live state.

Percent is monotone per phase and in total: a phase's percent only grows
(`Greatest` in SQL, safe when a retried phase reports again), and the run's
percent is the weighted sum of its phases, also only ever raised.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache, partial
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import (
    Case,
    DateTimeField,
    Exists,
    F,
    Q,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from imports import rules
from imports.models import (
    ACTIVE_STATUSES,
    ImportEvent,
    ImportPhase,
    ImportRun,
    ImportStatus,
)
from imports.phases import PhaseName, phase_get
from imports.stream import publish_import_event
from imports.tasks import schedule_phase, unschedule_phases

MESSAGE_LENGTH = 500  # ImportRun/ImportPhase/ImportEvent.message
# A run in one of these runs once one of its phases starts.
STARTING_STATUSES = (ImportStatus.QUEUED, ImportStatus.WAITING)


def shorten(text: str, limit: int = MESSAGE_LENGTH) -> str:
    """`text` cut to fit a message column (an upstream error can be long)."""
    return text if len(text) <= limit else f"{text[: limit - 1]}…"


def overall_percent(phase_percents: dict[str, int]) -> int:
    """The run's percent from its phases' percents, each weighted by its share of the
    run (`imports.phases`); missing phases count as 0."""
    total = sum(phase_get(phase).weight * pct for phase, pct in phase_percents.items())
    return min(100, total // 100)


class PhaseReporter:
    """Reports one phase of one run. All methods are synchronous ORM writes."""

    def __init__(self, *, run_id: int, phase: PhaseName) -> None:
        self.run_id = run_id
        self.phase = phase
        self._created_at: datetime | None = None

    def start(self, message: str = "") -> ImportEvent:
        now = timezone.now()
        with transaction.atomic():
            # The run's lock first, then the phase's row, as the other transitions of a
            # running phase take them (finish, park, failure).
            run = self._lock_run()
            phase, _ = ImportPhase.objects.get_or_create(run_id=self.run_id, phase=self.phase)
            ImportPhase.objects.filter(pk=phase.pk).update(
                status=ImportStatus.RUNNING,
                # A parked phase resuming is the same attempt, carried on.
                attempt=Case(
                    When(status=ImportStatus.WAITING, then=F("attempt")),
                    default=F("attempt") + 1,
                ),
                started_at=now,
                finished_at=None,
                error="",
                waiting_for="",
                waiting_until=None,
            )
            attempt = ImportPhase.objects.values_list("attempt", flat=True).get(pk=phase.pk)
            # One statement: the run's attempt is its most retried phase's (2 means a phase
            # ran twice); it started with its first phase; a queued or waiting run runs.
            starts = Q(status__in=STARTING_STATUSES)
            ImportRun.objects.filter(pk=self.run_id).update(
                attempt=Greatest(F("attempt"), attempt),
                started_at=Coalesce(F("started_at"), Value(now, output_field=DateTimeField())),
                status=Case(When(starts, then=Value(ImportStatus.RUNNING)), default=F("status")),
                waiting_until=Case(
                    When(starts, then=Value(None, output_field=DateTimeField())),
                    default=F("waiting_until"),
                ),
            )
            # The event tells the run's status as the start left it.
            status = ImportStatus.RUNNING if run[0] in STARTING_STATUSES else run[0]
            return self._report_locked(
                (status, *run[1:]), 0, message or f"{self.phase.label} started", None
            )

    def report(
        self, percent: int, message: str, counters: dict[str, Any] | None = None
    ) -> ImportEvent:
        """A report at a transition (start, finish, park, failure, re-queue): the phase
        and run rows take it, and an event tells the watchers."""
        with transaction.atomic():
            return self._report_locked(self._lock_run(), percent, message, counters)

    def _report_locked(
        self,
        run: tuple[str, datetime, int | None],
        percent: int,
        message: str,
        counters: dict[str, Any] | None,
        **phase_updates: Any,
    ) -> ImportEvent:
        """`report`, in a transaction holding the run's lock (`run`: what `_lock_run`
        gave); `phase_updates` are written to the phase's row with the report."""
        percent = max(0, min(100, int(percent)))
        message = shorten(message)
        phase_percents = self._phase_percents()
        if self.phase in phase_percents:
            percent = phase_percents[self.phase] = max(phase_percents[self.phase], percent)
        updates: dict[str, Any] = {
            "percent": Greatest(F("percent"), percent),
            "message": message,
            **phase_updates,
        }
        if counters is not None:
            updates["counters"] = counters
        ImportPhase.objects.filter(run_id=self.run_id, phase=self.phase).update(**updates)
        overall = overall_percent(phase_percents)
        # A finished run keeps its last word: a phase still running beside a failed
        # one must not overwrite the failure with news of its own progress.
        ImportRun.objects.filter(pk=self.run_id, status__in=ACTIVE_STATUSES).update(
            stage=self.phase,
            percent=Greatest(F("percent"), overall),
            message=message,
            updated_at=timezone.now(),
        )
        return self._append_event(run, percent, overall, message, counters)

    def progress(
        self, percent: int, message: str, counters: dict[str, Any] | None = None
    ) -> ImportEvent:
        """A report while the phase runs: one row written, its event. The phase and run
        rows are state, written at the transitions (`report`); between them the run's
        latest event is its live progress, as the stream, the pages, the API
        (`selectors.with_live_progress`) and the sweeper (`selectors.stale_runs`) read it."""
        percent = max(0, min(100, int(percent)))
        message = shorten(message)
        with transaction.atomic():
            run = self._lock_run()
            phase_percents = self._phase_percents()
            percent = phase_percents[self.phase] = max(phase_percents.get(self.phase, 0), percent)
            overall = overall_percent(phase_percents)
            return self._append_event(run, percent, overall, message, counters)

    def _lock_run(self) -> tuple[str, datetime | None, int | None]:
        """Lock the run and give its status, its creation time and its latest event's id
        (both None without Redis, which alone needs them to publish; the id also None
        when the run has no event yet). Parallel phases then compute and record the
        run's percent one after the other, so events never show it going down, and a
        run's events commit in id order (what the stream relies on)."""
        with connection.cursor() as cursor:
            cursor.execute(_sql().lock_run, [self.run_id])
            row = cursor.fetchone()
            if row is None:
                raise ImportRun.DoesNotExist(f"import run {self.run_id} does not exist")
            if not settings.REDIS_URL:
                return row[0], None, None
            # Read once the lock is held, in a statement of its own: a statement that
            # waited for the lock reads other tables as they were when it began
            # (PostgreSQL's read committed), without the event the lock's last holder
            # committed.
            cursor.execute(_sql().latest_event, [self.run_id])
            latest = cursor.fetchone()
        if self._created_at is None:  # the run's, for good: read once
            self._created_at = ImportRun.objects.values_list("created_at", flat=True).get(
                pk=self.run_id
            )
        return row[0], self._created_at, latest[0] if latest else None

    def _phase_percents(self) -> dict[str, int]:
        """Each of the run's phases' percent: the most its row or its events have said
        (a phase's reports between transitions are written as events only). One query."""
        with connection.cursor() as cursor:
            cursor.execute(_sql().phase_percents, [self.run_id])
            rows = cursor.fetchall()
        return {phase: max(percent, reported or 0) for phase, percent, reported in rows}

    def _append_event(
        self,
        run: tuple[str, datetime, int | None],
        percent: int,
        overall: int,
        message: str,
        counters: dict[str, Any] | None,
    ) -> ImportEvent:
        run_status, run_created_at, previous_id = run
        event = ImportEvent.objects.create(
            run_id=self.run_id,
            stage=self.phase,
            status=run_status,
            percent=percent,
            overall_percent=overall,
            message=message,
            counters=counters or {},
        )
        # Live listeners hear of the event only once it is committed and replayable.
        transaction.on_commit(
            partial(
                publish_import_event,
                event.pk,
                run=(self.run_id, run_created_at),
                event=event,
                previous_id=previous_id,
            )
        )
        return event

    def finish(self, message: str, counters: dict[str, Any] | None = None) -> ImportEvent:
        with transaction.atomic():
            event = self._report_locked(
                self._lock_run(),
                100,
                message,
                counters,
                status=ImportStatus.SUCCEEDED,
                finished_at=timezone.now(),
            )
            # A phase parked beside this one: the run now only waits, and says for what.
            if self._run_waits_if_nothing_runs():
                waiting = (
                    ImportPhase.objects.filter(run_id=self.run_id, status=ImportStatus.WAITING)
                    .order_by("waiting_until")
                    .first()
                )
                message = rules.waiting_message(
                    what=waiting.waiting_for, until=waiting.waiting_until, now=timezone.now()
                )
                event = PhaseReporter(run_id=self.run_id, phase=PhaseName(waiting.phase)).report(
                    waiting.percent, message
                )
        return event

    def wait(self, *, what: str, until: datetime) -> ImportEvent:
        """The phase is parked until `until`, waiting for `what` (an upstream's quota):
        the phase says so, and the run too unless another of its phases is running (the
        run's `waiting_until` is then its earliest waiting phase's)."""
        message = rules.waiting_message(what=what, until=until, now=timezone.now())
        with transaction.atomic():
            # Parallel phases parking or finishing at once decide the run one at a time.
            _lock_run_row(self.run_id)
            ImportPhase.objects.filter(run_id=self.run_id, phase=self.phase).update(
                status=ImportStatus.WAITING, waiting_for=what[:200], waiting_until=until
            )
            waits = self._run_waits_if_nothing_runs()
            event = self.report(0, message)  # the phase's percent so far (never lowered)
            if waits:  # the run says what it waits for first
                earliest = (
                    ImportPhase.objects.filter(run_id=self.run_id, status=ImportStatus.WAITING)
                    .order_by("waiting_until")
                    .first()
                )
                ImportRun.objects.filter(pk=self.run_id).update(
                    message=rules.waiting_message(
                        what=earliest.waiting_for,
                        until=earliest.waiting_until,
                        now=timezone.now(),
                    )
                )
            return event

    def _run_waits_if_nothing_runs(self) -> bool:
        """The run is waiting when none of its phases runs and one waits; whether it is."""
        phases = ImportPhase.objects.filter(run_id=self.run_id)
        earliest = (
            phases.filter(status=ImportStatus.WAITING)
            .order_by("waiting_until")
            .values_list("waiting_until", flat=True)
            .first()
        )
        if earliest is None:
            return False
        return bool(
            ImportRun.objects.filter(pk=self.run_id, status__in=ACTIVE_STATUSES)
            .exclude(Exists(phases.filter(status=ImportStatus.RUNNING)))
            .update(status=ImportStatus.WAITING, waiting_until=earliest)
        )

    def fail(self, error: str) -> None:
        ImportPhase.objects.filter(run_id=self.run_id, phase=self.phase).update(
            status=ImportStatus.FAILED,
            finished_at=timezone.now(),
            error=error,
            message=shorten(error),
        )


@dataclass(frozen=True, slots=True)
class _ReportSql:
    """The fixed statements every report runs, as SQL written once per process: built
    by the ORM they cost more to compile than to run (a third of a busy cluster's
    progress CPU)."""

    lock_run: str
    latest_event: str
    phase_percents: str


@cache
def _sql() -> _ReportSql:
    q = connection.ops.quote_name
    run, phase, event = ImportRun._meta, ImportPhase._meta, ImportEvent._meta

    def column(meta, name: str) -> str:
        return f"{q(meta.db_table)}.{q(meta.get_field(name).column)}"

    for_update = " FOR UPDATE" if connection.features.has_select_for_update else ""
    return _ReportSql(
        lock_run=f"SELECT {column(run, 'status')} FROM {q(run.db_table)}"
        f" WHERE {column(run, 'id')} = %s{for_update}",
        latest_event=f"SELECT {column(event, 'id')} FROM {q(event.db_table)}"
        f" WHERE {column(event, 'run')} = %s ORDER BY {column(event, 'id')} DESC LIMIT 1",
        phase_percents=f"SELECT {column(phase, 'phase')}, {column(phase, 'percent')},"
        f" (SELECT MAX({column(event, 'percent')}) FROM {q(event.db_table)}"
        f" WHERE {column(event, 'run')} = {column(phase, 'run')}"
        f" AND {column(event, 'stage')} = {column(phase, 'phase')})"
        f" FROM {q(phase.db_table)} WHERE {column(phase, 'run')} = %s",
    )


def _lock_run_row(run_id: int) -> None:
    """Lock the run's row until the transaction ends (the order: before its phases')."""
    list(ImportRun.objects.select_for_update().filter(pk=run_id).values("pk"))


def fail_run(run_id: int, phase: PhaseName, error: str) -> None:
    """The run failed in `phase`: the phase, the run and a last event say why. A run
    that already failed keeps its first error: the phase still running beside the one
    that failed only marks itself (its failure is often a consequence of the first)."""
    PhaseReporter(run_id=run_id, phase=phase).fail(error)
    with transaction.atomic():
        # The run's lock before its phases' rows, as a phase's start takes them (a
        # parked phase resuming locks the run, then its row).
        _lock_run_row(run_id)
        # A phase parked beside it will not resume: it ends with the run.
        ImportPhase.objects.filter(run_id=run_id, status=ImportStatus.WAITING).update(
            status=ImportStatus.FAILED,
            finished_at=timezone.now(),
            error=f"not resumed: {phase.label} failed",
        )
        unschedule_phases(run_id)
        ImportRun.objects.filter(pk=run_id, status__in=ACTIVE_STATUSES).update(
            status=ImportStatus.FAILED,
            waiting_until=None,
            stage=phase,
            error=error,
            message=shorten(f"{phase.label} failed: {error}"),
            finished_at=timezone.now(),
        )
        PhaseReporter(run_id=run_id, phase=phase).report(0, f"{phase.label} failed: {error}")


def skip_phase(run_id: int, phase: PhaseName, *, message: str, counters: dict[str, Any]) -> None:
    """Record a phase a re-sync did not need (what it would fetch is fresh) as succeeded,
    quietly: its row says why, and no progress event is written (thousands of re-syncs
    a day would fill the log with "skipped")."""
    now = timezone.now()
    with transaction.atomic():
        ImportPhase.objects.update_or_create(
            run_id=run_id,
            phase=phase,
            defaults={
                "status": ImportStatus.SUCCEEDED,
                "percent": 100,
                "message": shorten(message),
                "counters": counters,
                "started_at": now,
                "finished_at": now,
                "attempt": 1,
            },
        )
        ImportRun.objects.filter(pk=run_id, started_at__isnull=True).update(started_at=now)
        ImportRun.objects.filter(pk=run_id, status=ImportStatus.QUEUED).update(
            status=ImportStatus.RUNNING, updated_at=now
        )


def park_phase(run_id: int, phase: PhaseName, *, what: str, until: datetime) -> None:
    """The phase waits for `what` until `until`: recorded as waiting, and its task queued
    again for then (a schedule, committed with the record). A run no longer active
    (cancelled meanwhile) is left as it is."""
    with transaction.atomic():
        if not ImportRun.objects.filter(pk=run_id, status__in=ACTIVE_STATUSES).exists():
            return
        PhaseReporter(run_id=run_id, phase=phase).wait(what=what, until=until)
        schedule_phase(run_id, phase, at=until)
