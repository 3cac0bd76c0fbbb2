"""Functions django-q2 schedules call (the schedules themselves are data migrations)."""

from __future__ import annotations

from collections import Counter

from imports.history import runs_history_prune
from imports.services import artists_resync, stale_runs_sweep


def sweep_stale_runs() -> str:
    """Every minute: re-queue or fail runs whose tasks were lost. Returns a summary,
    which django-q2 keeps as the task's result."""
    swept = stale_runs_sweep()
    counts = Counter(str(run.action) for run in swept)
    return ", ".join(f"{action} {n}" for action, n in sorted(counts.items())) or "nothing stale"


def resync_stale_artists() -> str:
    """Every 10 minutes: re-import the artists whose shows or catalog are stale."""
    queued = artists_resync()
    return f"{len(queued)} artists re-queued" if queued else "nothing stale"


def prune_run_history() -> str:
    """Every 5 minutes: runs older than each artist's last RUN_HISTORY_KEEP lose their
    progress events and dropped-track rows, within a row and time budget per round."""
    return runs_history_prune().summary()
