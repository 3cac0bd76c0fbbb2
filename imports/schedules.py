"""Functions django-q2 schedules call (the schedules themselves are data migrations)."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from imports.history import runs_history_prune, task_results_prune
from imports.resync import shows_batches_sweep, shows_resync_round
from imports.services import artists_resync, stale_runs_sweep
from imports.tasks import interleaved_resync_tasks


def sweep_stale_runs() -> str:
    """Every minute: re-queue or fail runs whose tasks were lost. Returns a summary,
    which django-q2 keeps as the task's result."""
    swept = stale_runs_sweep()
    counts = Counter(str(run.action) for run in swept)
    idle_since = timezone.now() - timedelta(seconds=settings.IMPORT_STALE_AFTER_SECONDS)
    if batches := shows_batches_sweep(idle_since=idle_since):
        counts["failed shows batch"] = batches
    return ", ".join(f"{action} {n}" for action, n in sorted(counts.items())) or "nothing stale"


def resync_stale_artists() -> str:
    """Every 10 minutes: queue the stale artists' shows in batches, and re-import those
    whose catalog or identity is stale."""
    with interleaved_resync_tasks():
        batches = shows_resync_round()
        queued = artists_resync(requests_planned=sum(batch.requests for batch in batches))
    parts = []
    if batches:
        artists = sum(len(batch.attraction_ids) for batch in batches)
        parts.append(f"{artists} artists' shows in {len(batches)} batches")
    if queued:
        parts.append(f"{len(queued)} artists re-queued")
    return ", ".join(parts) or "nothing stale"


def prune_run_history() -> str:
    """Every 5 minutes: runs older than each artist's last RUN_HISTORY_KEEP lose their
    progress events and dropped-track rows, within a row and time budget per round; the
    task queue keeps its newest Q_SUCCESS_KEEP successful results."""
    summary = runs_history_prune().summary()
    if results := task_results_prune():
        summary += f"; {results} task results pruned"
    return summary
