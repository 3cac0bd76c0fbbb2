"""Reads about imports."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import (
    DateTimeField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce, Least
from django.utils import timezone

from catalog.models import Artist
from imports import rules
from imports.models import ACTIVE_STATUSES, ImportEvent, ImportPhase, ImportRun, ImportStatus
from imports.phases import PhaseName, parse_phase_task_name
from theset.text import count_noun


def import_run_get(run_id: int) -> ImportRun:
    return ImportRun.objects.select_related("artist").get(pk=run_id)


def runs_with_events_after(
    run_ids: list[int], after_event_id: int
) -> tuple[list[ImportRun], list[ImportEvent]]:
    """The runs, then their progress events newer than `after_event_id` (oldest first).

    Runs are read first: a run seen finished has all its events committed, so
    none is missed by the events query that follows.
    """
    runs = list(ImportRun.objects.filter(pk__in=run_ids))
    return runs, list(run_events_after(run_ids, after_event_id, None))


def runs_status(run_ids: list[int]) -> dict[int, str]:
    """The status of each run that exists, by id."""
    return dict(ImportRun.objects.filter(pk__in=run_ids).values_list("pk", "status"))


def run_events_after(
    run_ids: int | list[int], after_event_id: int, limit: int | None
) -> QuerySet[ImportEvent]:
    """The progress events of one run (or several) newer than `after_event_id`, oldest
    first; at most `limit` of them when given."""
    ids = [run_ids] if isinstance(run_ids, int) else run_ids
    events = ImportEvent.objects.filter(run_id__in=ids, pk__gt=after_event_id).order_by("pk")
    return events[:limit] if limit is not None else events


def import_run_summary(run: ImportRun) -> str:
    """One line: outcome, figures, drops by reason, seconds per phase."""
    phases = ImportPhase.objects.filter(run=run).order_by("id")
    timings = " ".join(
        f"{phase.phase}={phase.seconds:.1f}s" for phase in phases if phase.seconds is not None
    )
    if run.status != ImportStatus.SUCCEEDED:
        return f"{run.status}: {run.error or run.message} [{timings}]"
    counters = run.counters
    drops = ", ".join(f"{reason} {count}" for reason, count in sorted(run.drop_counts.items()))
    parts = [
        f"{run.artist.name}",
        count_noun(counters.get("shows", 0), "show"),
        count_noun(counters.get("venues", 0), "venue"),
        count_noun(counters.get("songs", 0), "song"),
        count_noun(counters.get("tracks_kept", 0), "studio recording"),
        f"dropped: {drops or 'none'}",
        timings,
    ]
    if run.warnings:
        parts.append("warnings: " + "; ".join(run.warnings))
    return " | ".join(parts)


def import_run_report(run: ImportRun) -> dict:
    """A run's outcome as plain data (for `--json` and the like)."""
    phases = ImportPhase.objects.filter(run=run).order_by("id")
    return {
        "import_id": run.pk,
        "artist_id": run.artist_id,
        "slug": run.artist.slug,
        "name": run.artist.name,
        "status": run.status,
        "message": run.message,
        # While waiting for an upstream: when it resumes (ISO 8601), else null.
        "waiting_until": _waiting_until(run),
        "error": run.error,
        "spotify_app_mode": run.spotify_app_mode,
        "counters": run.counters,
        "drop_counts": run.drop_counts,
        "warnings": run.warnings,
        "phases": {
            phase.phase: {
                "status": phase.status,
                "attempt": phase.attempt,
                "seconds": phase.seconds,
                "waiting_for": phase.waiting_for if phase.status == ImportStatus.WAITING else "",
                "waiting_until": _waiting_until(phase),
            }
            for phase in phases
        },
    }


def _waiting_until(row: ImportRun | ImportPhase) -> str | None:
    """When a waiting run or phase resumes, ISO 8601; None unless it waits now (a run
    cancelled while waiting keeps the time it would have resumed at)."""
    if row.status != ImportStatus.WAITING or row.waiting_until is None:
        return None
    return row.waiting_until.isoformat()


def artist_latest_run(*, artist_id: int) -> ImportRun | None:
    """The artist's most recent import run (active or finished), or None if never imported."""
    return ImportRun.objects.filter(artist_id=artist_id).order_by("-pk").first()


LATEST_EVENT_FIELDS = ("stage", "overall_percent", "message", "at")


def _latest_event(events: QuerySet[ImportEvent], names: tuple[str, ...]) -> dict[str, Subquery]:
    """Annotations `latest_<name>`: each field of the latest of `events` (None if none)."""
    latest = events.order_by("-pk")
    return {f"latest_{name}": Subquery(latest.values(name)[:1]) for name in names}


def with_latest_event(runs: QuerySet[ImportRun]) -> QuerySet[ImportRun]:
    """`runs`, each with its latest event's stage, percent, message and time
    (`latest_stage`, ...; None without events), for `live_progress_of`."""
    return runs.annotate(
        **_latest_event(ImportEvent.objects.filter(run_id=OuterRef("pk")), LATEST_EVENT_FIELDS)
    )


def live_progress_of(run: ImportRun) -> rules.LiveProgress:
    """Where `run` stands (`rules.live_progress`), from its row and its latest event (the
    `with_latest_event` annotations, or read now)."""
    if hasattr(run, "latest_at"):
        latest = tuple(getattr(run, f"latest_{name}") for name in LATEST_EVENT_FIELDS)
    else:
        latest = (
            ImportEvent.objects.filter(run_id=run.pk)
            .order_by("-pk")
            .values_list(*LATEST_EVENT_FIELDS)
            .first()
        )
    return rules.live_progress(
        status=run.status,
        row=rules.LiveProgress(run.stage, run.percent, run.message, run.updated_at),
        latest_event=rules.LiveProgress(*latest) if latest and latest[-1] else None,
    )


def with_live_progress(run: ImportRun) -> ImportRun:
    """`run` with the stage, percent, message and time of its latest progress, for a
    view that shows the row: a running phase's reports are written as events only."""
    live = live_progress_of(run)
    run.stage, run.percent, run.message, run.updated_at = (
        live.stage,
        live.percent,
        live.message,
        live.updated_at,
    )
    return run


def phases_with_live_progress(run: ImportRun) -> list[ImportPhase]:
    """The run's phases in order, each with the percent and message of its latest
    progress (`rules.live_phase_progress`): a running phase's reports are events only."""
    own_events = ImportEvent.objects.filter(run_id=OuterRef("run_id"), stage=OuterRef("phase"))
    phases = list(
        ImportPhase.objects.filter(run=run)
        .annotate(**_latest_event(own_events, ("percent", "message", "at")))
        .order_by("id")
    )
    for phase in phases:
        live = rules.live_phase_progress(
            status=phase.status,
            row=rules.LiveProgress(phase.phase, phase.percent, phase.message, phase.started_at),
            started_at=phase.started_at,
            latest_event=(
                rules.LiveProgress(
                    phase.phase, phase.latest_percent, phase.latest_message, phase.latest_at
                )
                if phase.latest_at is not None
                else None
            ),
        )
        phase.percent, phase.message = live.percent, live.message
    return phases


def _events_since(run_id: int | OuterRef, since) -> QuerySet[ImportEvent]:
    """The run's events since `since`: its running phases' reports write no run row."""
    return ImportEvent.objects.filter(run_id=run_id, at__gte=since)


def stale_runs(*, idle_since) -> list[ImportRun]:
    """Active runs with no progress since `idle_since` (their row and their events); a
    waiting run only once the time it waits for is as far behind (until then it is
    parked, not stale)."""
    return list(
        ImportRun.objects.filter(status__in=ACTIVE_STATUSES, updated_at__lt=idle_since)
        .exclude(status=ImportStatus.WAITING, waiting_until__gte=idle_since)
        .exclude(Exists(_events_since(OuterRef("pk"), idle_since)))
        .order_by("pk")
    )


def run_progressed_since(run_id: int, since) -> bool:
    """The run has reported progress (an event) since `since`."""
    return _events_since(run_id, since).exists()


def queued_tasks() -> list[tuple[str, tuple]]:
    """(name, args) of the tasks the broker holds: waiting in the queue, or taken by a
    worker and not yet acknowledged (the ORM broker keeps those rows until then), or
    scheduled to be queued (a parked phase's or batch's resumption)."""
    from django_q.brokers import get_broker
    from django_q.conf import Conf
    from django_q.models import OrmQ, Schedule
    from django_q.signing import SignedPackage

    if Conf.ORM:
        packages = [row.task for row in OrmQ.objects.filter(key=Conf.CLUSTER_NAME)]
    else:
        packages = []
        for payload in get_broker().queued_payloads():
            try:
                packages.append(SignedPackage.loads(payload))
            except Exception:
                continue
    found = [(str(p.get("name") or ""), tuple(p.get("args") or ())) for p in packages]
    found += [
        (name, ())
        for name in Schedule.objects.filter(
            Q(name__startswith="import-") | Q(name__startswith="shows-batch-")
        ).values_list("name", flat=True)
    ]
    return found


def queued_task_names() -> list[str]:
    return [name for name, _ in queued_tasks()]


def queued_import_tasks() -> dict[int, set[PhaseName]]:
    """Phases whose task the broker holds, by run id (see `queued_tasks`). A group task
    of re-sync runs (`imports.tasks.resync_runs_task`) holds every phase of its runs."""
    found: dict[int, set[PhaseName]] = {}
    for name, args in queued_tasks():
        parsed = parse_phase_task_name(name)
        if parsed:
            run_id, phase = parsed
            found.setdefault(run_id, set()).add(phase)
        elif name.startswith("resync-runs-") and args and isinstance(args[0], list | tuple):
            for run_id in args[0]:
                found.setdefault(int(run_id), set()).update(PhaseName)
    return found


def active_runs_count() -> int:
    return ImportRun.objects.filter(status__in=ACTIVE_STATUSES).count()


def resync_candidates(
    *, catalog_before, identity_before, last_run_before, limit: int
) -> list[Artist]:
    """Imported artists whose catalog or identity is older than the cut-offs (their
    shows are re-synced in batches, `imports.resync`), with no active run and no run
    started since `last_run_before`, the most overdue first (the part that fell due
    earliest decides)."""
    if limit <= 0:
        return []
    now = timezone.now()
    never = Value(now + timedelta(days=36500))
    catalog_due = ExpressionWrapper(
        F("catalog_synced_at") + Value(now - catalog_before), output_field=DateTimeField()
    )
    identity_due = ExpressionWrapper(
        F("identity_synced_at") + Value(now - identity_before), output_field=DateTimeField()
    )
    imported = Q(shows_synced_at__isnull=False) | Q(catalog_synced_at__isnull=False)
    return list(
        Artist.objects.filter(
            Q(catalog_synced_at__lt=catalog_before)
            | (imported & (Q(identity_synced_at__lt=identity_before)))
        )
        .exclude(import_runs__status__in=ACTIVE_STATUSES)
        .exclude(import_runs__created_at__gte=last_run_before)
        .annotate(due=Least(Coalesce(catalog_due, never), Coalesce(identity_due, never)))
        .order_by("due", "pk")[:limit]
    )
