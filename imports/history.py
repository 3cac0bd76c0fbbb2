"""Bounded run history: each artist's last RUN_HISTORY_KEEP runs keep their progress
events and dropped-track rows; older runs keep their row (status, timings, counters,
drop counts, warnings, error) and phases, and are marked `history_pruned_at`.

The pruner deletes by primary key in short batches, each its own transaction, within a
row and time budget per call, so a backlog drains over several schedule rounds without
holding long locks. A run in progress is never touched.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db.models import Count, Model, Q, QuerySet
from django.utils import timezone
from django_q.models import Success

from imports.models import ACTIVE_STATUSES, DroppedTrack, ImportEvent, ImportRun

# Rows per DELETE statement: short enough that a worker writing progress never waits long.
PRUNE_BATCH_ROWS = 2_000
# A round stops starting batches after this long (a busy SQLite writer makes each wait).
PRUNE_BUDGET_SECONDS = 60.0
# Artists whose runs are read, and runs emptied, per step.
ARTISTS_PER_STEP = 100
RUNS_PER_STEP = 200

# --- The decision (plain data) ----------------------------------------------------------


@dataclass(frozen=True)
class RunHistoryRow:
    """One run of one artist, as the decision needs it."""

    run_id: int
    status: str
    created_at: datetime
    pruned: bool = False


def runs_to_prune(runs: Iterable[RunHistoryRow], *, keep: int) -> list[int]:
    """The ids of the runs of one artist whose history goes: those older than the `keep`
    newest (by creation, then id), not active and not pruned already, oldest first.

    An active run counts among the newest it is one of; one older than them (which the
    one-active-run constraint makes unlikely) is still never pruned."""
    if keep < 1:
        raise ValueError(f"keep must be at least 1, not {keep}")
    newest_first = sorted(runs, key=lambda run: (run.created_at, run.run_id), reverse=True)
    older = newest_first[keep:]
    return [
        run.run_id
        for run in reversed(older)
        if run.status not in ACTIVE_STATUSES and not run.pruned
    ]


# --- Reads --------------------------------------------------------------------------------


def artists_with_history_to_prune(*, keep: int) -> QuerySet:
    """Ids of the artists with more than `keep` runs not pruned yet (the only ones that
    can have a run to prune), lowest first."""
    return (
        ImportRun.objects.filter(history_pruned_at__isnull=True)
        .order_by()
        .values("artist_id")
        .annotate(unpruned=Count("id"))
        .filter(unpruned__gt=keep)
        .order_by("artist_id")
        .values_list("artist_id", flat=True)
    )


def run_history_rows(artist_ids: Sequence[int]) -> dict[int, list[RunHistoryRow]]:
    """Every run of these artists, as the decision reads them, by artist."""
    rows: dict[int, list[RunHistoryRow]] = defaultdict(list)
    runs = ImportRun.objects.filter(artist_id__in=artist_ids).values_list(
        "artist_id", "pk", "status", "created_at", "history_pruned_at"
    )
    for artist_id, run_id, status, created_at, pruned_at in runs.order_by():
        rows[artist_id].append(RunHistoryRow(run_id, status, created_at, pruned_at is not None))
    return rows


def runs_with_history_to_prune(*, keep: int) -> Iterator[int]:
    """Ids of every run whose history goes, artist by artist (lowest artist id first)."""
    artist_ids = list(artists_with_history_to_prune(keep=keep))
    for artists in _chunks(artist_ids, ARTISTS_PER_STEP):
        rows = run_history_rows(artists)
        for artist_id in artists:
            yield from runs_to_prune(rows[artist_id], keep=keep)


# --- Writes -------------------------------------------------------------------------------


@dataclass
class PruneResult:
    """What a round pruned (or, dry, would prune)."""

    runs: list[int] = field(default_factory=list)
    events: int = 0
    dropped_tracks: int = 0
    # The budget ran out with work left: the next round carries on.
    more: bool = False

    @property
    def rows(self) -> int:
        return self.events + self.dropped_tracks

    def summary(self, *, dry_run: bool = False) -> str:
        if not self.runs and not self.rows and not self.more:
            return "nothing to prune"
        verb = "would prune" if dry_run else "pruned"
        text = (
            f"{verb} {len(self.runs)} runs ({self.events} events, "
            f"{self.dropped_tracks} dropped tracks)"
        )
        return text + ("; more left" if self.more else "")


class _Budget:
    def __init__(self, *, rows: int, seconds: float) -> None:
        self.rows_left = rows
        self.deadline = time.monotonic() + seconds

    @property
    def spent(self) -> bool:
        return self.rows_left <= 0 or time.monotonic() >= self.deadline


def runs_history_prune(
    *,
    keep: int | None = None,
    budget_rows: int | None = None,
    budget_seconds: float = PRUNE_BUDGET_SECONDS,
    batch_rows: int = PRUNE_BATCH_ROWS,
    dry_run: bool = False,
) -> PruneResult:
    """Delete the progress events and dropped-track rows of every run older than its
    artist's `keep` (RUN_HISTORY_KEEP) newest, never of an active run, and mark each
    run emptied `history_pruned_at`.

    Deletes by primary key, at most `batch_rows` per statement (each its own short
    transaction), and stops once `budget_rows` (RUN_HISTORY_PRUNE_BUDGET_ROWS) rows are
    deleted or `budget_seconds` have passed: `more` then says the next call carries on
    where this one stopped. Runs twice, the second prunes nothing. A dry run counts what
    would go, without a budget, and writes nothing."""
    keep = settings.RUN_HISTORY_KEEP if keep is None else keep
    budget = _Budget(
        rows=settings.RUN_HISTORY_PRUNE_BUDGET_ROWS if budget_rows is None else budget_rows,
        seconds=budget_seconds,
    )
    result = PruneResult()
    steps = _chunks(runs_with_history_to_prune(keep=keep), RUNS_PER_STEP)
    for run_ids in steps:
        if dry_run:
            result.runs += run_ids
            result.events += ImportEvent.objects.filter(run_id__in=run_ids).count()
            result.dropped_tracks += DroppedTrack.objects.filter(run_id__in=run_ids).count()
            continue
        result.events += _delete_in_batches(
            ImportEvent, run_ids, budget=budget, batch_rows=batch_rows
        )
        result.dropped_tracks += _delete_in_batches(
            DroppedTrack, run_ids, budget=budget, batch_rows=batch_rows
        )
        if budget.spent and _has_history(run_ids):
            result.more = True  # these runs are finished (and marked) by the next call
            break
        ImportRun.objects.filter(pk__in=run_ids, history_pruned_at__isnull=True).exclude(
            status__in=ACTIVE_STATUSES
        ).update(history_pruned_at=timezone.now())
        result.runs += run_ids
        if budget.spent:
            result.more = next(steps, None) is not None
            break
    return result


def _delete_in_batches(
    model: type[Model], run_ids: list[int], *, budget: _Budget, batch_rows: int
) -> int:
    """Delete the rows of `model` (events or dropped tracks) of these runs, `batch_rows`
    primary keys per statement, while the budget lasts. Returns how many went."""
    deleted = 0
    while not budget.spent:
        # The run's status is read again with every batch: a run that is active is left be.
        pks = list(
            model._default_manager.filter(run_id__in=run_ids)
            .exclude(run__status__in=ACTIVE_STATUSES)
            .order_by("pk")
            .values_list("pk", flat=True)[: min(batch_rows, budget.rows_left)]
        )
        if not pks:
            break
        count, _ = model._default_manager.filter(pk__in=pks).delete()
        deleted += count
        budget.rows_left -= count
    return deleted


def _has_history(run_ids: list[int]) -> bool:
    return (
        ImportEvent.objects.filter(run_id__in=run_ids).exists()
        or DroppedTrack.objects.filter(run_id__in=run_ids).exists()
    )


def _chunks(items: Iterable[int], size: int) -> Iterator[list[int]]:
    chunk: list[int] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def task_results_prune(*, keep: int | None = None) -> int:
    """Delete the task queue's successful results (django-q2's Task rows) but the newest
    `keep` (Q_SUCCESS_KEEP); failures are kept. Returns how many were deleted."""
    keep = settings.Q_SUCCESS_KEEP if keep is None else keep
    newest = Success.objects.order_by("-stopped", "-pk").values_list("stopped", "pk")
    oldest_kept = newest[keep - 1 : keep].first()
    if oldest_kept is None:
        return 0
    stopped, pk = oldest_kept
    deleted, _ = Success.objects.filter(
        Q(stopped__lt=stopped) | Q(stopped=stopped, pk__lt=pk)
    ).delete()
    return deleted
