"""Pure decisions about import runs: plain data in, plain data out (no ORM, no queue)."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

# The flow: identity, then shows and catalog side by side, then finalize.
IDENTITY, SHOWS, CATALOG, FINALIZE = "identity", "shows", "catalog", "finalize"
PARALLEL = (SHOWS, CATALOG)
SUCCEEDED = "succeeded"


class SweepAction(enum.StrEnum):
    WAIT = "wait"  # the broker still holds a task of the run: it will be handed out
    REQUEUE = "requeue"  # its tasks are gone: queue the phases it still needs, once
    FAIL = "fail"  # re-queued once already and still stuck: give up, say why


@dataclass(frozen=True, slots=True)
class SweepDecision:
    action: SweepAction
    phases: tuple[str, ...] = ()
    reason: str = ""


def phases_still_needed(succeeded: Iterable[str]) -> tuple[str, ...]:
    """The phases a run must still run, given those that succeeded, in flow order."""
    done = set(succeeded)
    if IDENTITY not in done:
        return (IDENTITY,)
    parallel = tuple(phase for phase in PARALLEL if phase not in done)
    if parallel:
        return parallel
    return () if FINALIZE in done else (FINALIZE,)


def stale_run_decision(
    *, succeeded: Iterable[str], queued: Iterable[str], requeued_before: bool
) -> SweepDecision:
    """What the sweeper does with an active run that made no progress for too long.

    `succeeded`: its phases that succeeded; `queued`: phases whose task the broker
    still holds (waiting, or taken by a worker and not yet acknowledged);
    `requeued_before`: whether the sweeper already re-queued this run.
    """
    needed = phases_still_needed(succeeded) or (FINALIZE,)
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
        due.append(SHOWS)
    if catalog_synced_at is not None and catalog_synced_at < catalog_before:
        due.append(CATALOG)
    return tuple(due)
