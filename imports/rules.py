"""Pure decisions about import runs: plain data in, plain data out (no ORM, no queue)."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from imports.phases import LAST_PHASE, PHASES, PhaseName, phases_still_needed


class SweepAction(enum.StrEnum):
    WAIT = "wait"  # the broker still holds a task of the run: it will be handed out
    REQUEUE = "requeue"  # its tasks are gone: queue the phases it still needs, once
    FAIL = "fail"  # re-queued once already and still stuck: give up, say why


@dataclass(frozen=True, slots=True)
class SweepDecision:
    action: SweepAction
    phases: tuple[str, ...] = ()
    reason: str = ""


def stale_run_decision(
    *, succeeded: Iterable[str], queued: Iterable[str], requeued_before: bool
) -> SweepDecision:
    """What the sweeper does with an active run that made no progress for too long.

    `succeeded`: its phases that succeeded; `queued`: phases whose task the broker
    still holds (waiting, or taken by a worker and not yet acknowledged);
    `requeued_before`: whether the sweeper already re-queued this run.
    """
    # Every phase succeeded yet the run is still active: its last phase runs again.
    needed = phases_still_needed(succeeded) or (LAST_PHASE.name,)
    waiting = sorted(set(queued) & set(needed))
    if waiting:
        return SweepDecision(SweepAction.WAIT, tuple(waiting))
    names = " and ".join(needed)
    if requeued_before:
        return SweepDecision(
            SweepAction.FAIL,
            needed,
            f"stalled in {names}: its task was lost, and re-queuing it did not finish the run",
        )
    return SweepDecision(
        SweepAction.REQUEUE, needed, f"{names} re-queued: the task was lost (its worker died?)"
    )


def stale_parts(
    *,
    shows_synced_at: datetime | None,
    catalog_synced_at: datetime | None,
    shows_before: datetime,
    catalog_before: datetime,
) -> tuple[str, ...]:
    """Which parts of an imported artist are due for a re-sync. A part never synced
    is not "stale" (its import failed or found nothing: a re-sync would not help)."""
    due = []
    if shows_synced_at is not None and shows_synced_at < shows_before:
        due.append(PhaseName.SHOWS)
    if catalog_synced_at is not None and catalog_synced_at < catalog_before:
        due.append(PhaseName.CATALOG)
    return tuple(due)


def merged_phase_counters(
    phase_counters: Iterable[tuple[str, Mapping[str, Any]]],
) -> dict[str, Any]:
    """A run's figures: the counters of its phases, merged in flow order. Finalize's
    own counters are this merge, so they are left out."""
    by_phase = dict(phase_counters)
    merged: dict[str, Any] = {}
    for phase in PHASES:
        if phase.name != PhaseName.FINALIZE and phase.name in by_phase:
            merged |= by_phase[phase.name]
    return merged
