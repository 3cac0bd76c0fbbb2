"""Pure decisions about import runs: plain data in, plain data out (no ORM, no queue)."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
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
    catalog_synced_at: datetime | None,
    identity_synced_at: datetime | None,
    catalog_before: datetime,
    identity_before: datetime,
) -> tuple[str, ...]:
    """Which parts of an imported artist a re-sync run is due for (its shows are
    re-synced in batches). A catalog never synced is not "stale" (its import failed or
    found nothing: a re-sync would not help)."""
    due = []
    if identity_synced_at is not None and identity_synced_at < identity_before:
        due.append(PhaseName.IDENTITY)
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


# What a parked phase waits for, by the hold's reason (`integrations.http.quota`).
_WAITING_FOR = {
    "quota": "{provider}'s {quota}",
    "reserve": "{provider}'s {quota} (what is left is kept for imports people start)",
    "retry_after": "{provider}, which asked us to pause",
}


def waiting_for(*, provider: str, reason: str) -> str:
    """What a parked phase waits for, in words: "Ticketmaster's daily quota"."""
    quota = "daily quota" if provider == "Ticketmaster" else "quota"
    words = _WAITING_FOR.get(reason, "{provider}")
    return words.format(provider=provider, quota=quota)


def waiting_message(*, what: str, until: datetime, now: datetime) -> str:
    """ "waiting for Ticketmaster's daily quota until 14:05 UTC"; the date is added when
    `until` is not today (UTC), and the time is rounded up to the minute."""
    until = until.astimezone(UTC)
    if until.second or until.microsecond:
        until = until.replace(second=0, microsecond=0) + timedelta(minutes=1)
    when = f"{until:%H:%M} UTC"
    if until.date() != now.astimezone(UTC).date():
        when = f"{until.day} {until:%b} {when}"
    return f"waiting for {what} until {when}"


# Ticketmaster requests a re-sync run spends at the most: identity, when it is stale
# (its shows are fetched in batches of artists, `imports.resync`).
RESYNC_MIN_REQUESTS = 1


def resync_round_size(*, batch: int, active: int, spendable: int | None) -> int:
    """How many artists a re-sync round queues: its batch less the runs still active
    (backpressure), and no more than the quota the ledger says is left above the reserve
    can pay for (`spendable`: None when it does not know, as after a reset)."""
    room = max(0, batch - active)
    if spendable is None:
        return room
    return min(room, spendable // RESYNC_MIN_REQUESTS)


def stale_identity(*, identity_synced_at: datetime | None, identity_before: datetime) -> bool:
    """Whether a re-sync fetches the artist's identity again (never fetched, or older
    than the cut-off). An import a person starts always fetches it."""
    return identity_synced_at is None or identity_synced_at < identity_before


# --- Shows re-sync batches ------------------------------------------------------------

# Ticketmaster's events page size, and the paging depth a query may reach (DIS1035).
EVENTS_PAGE_SIZE = 200
EVENTS_PAGING_DEPTH = 1000


@dataclass(frozen=True, slots=True)
class BatchMember:
    """An artist due for a shows re-sync, with its last known upcoming events: how
    many, and which (their ids, when known: bill-mates share them)."""

    tm_attraction_id: str
    expected_events: int
    events: frozenset = frozenset()

    def known_events(self) -> frozenset:
        """Its events as a set: the ids when given, else as many placeholders."""
        if self.events or not self.expected_events:
            return self.events
        return frozenset((self.tm_attraction_id, n) for n in range(self.expected_events))


def pack_shows_batches(
    members: Iterable[BatchMember], *, max_events: int, max_artists: int
) -> list[tuple[BatchMember, ...]]:
    """Group artists into events queries over several attraction ids at once.

    Largest first, each artist joins the batch it shares the most events with (its
    bill-mates': a show several of them play is listed once) among those where the
    batch's distinct expected events stay within `max_events` (kept below
    Ticketmaster's 1,000-result paging depth, so a batch is paged in one window) and
    that hold fewer than `max_artists` ids; sharing none, the first such batch. An
    artist expecting more than `max_events` gets a batch of its own (paged through date
    windows). Deterministic: ties go by attraction id and to the earlier batch; each
    batch lists its members in key order, batches in the order they were opened.
    """
    ordered = sorted(members, key=lambda m: (-m.expected_events, m.tm_attraction_id))
    batches: list[list[BatchMember]] = []
    unions: list[set] = []
    for member in ordered:
        events = member.known_events()
        best, best_shared = None, -1
        for index, batch in enumerate(batches):
            if len(batch) >= max_artists:
                continue
            shared = len(events & unions[index])
            if len(unions[index]) + len(events) - shared > max_events:
                continue
            if shared > best_shared:
                best, best_shared = index, shared
        if best is None:
            batches.append([member])
            unions.append(set(events))
        else:
            batches[best].append(member)
            unions[best] |= events
    return [tuple(sorted(batch, key=lambda m: m.tm_attraction_id)) for batch in batches]


def batch_expected_events(batch: Iterable[BatchMember]) -> int:
    """The distinct events a batch expects (a show its artists share counts once)."""
    union: set = set()
    for member in batch:
        union |= member.known_events()
    return len(union)


def shows_batch_requests(expected_events: int) -> int:
    """The Ticketmaster requests a batch expecting this many events should cost: one per
    page of 200, and one more per further date window past the paging depth."""
    pages = max(1, -(-expected_events // EVENTS_PAGE_SIZE))
    windows = max(1, -(-expected_events // EVENTS_PAGING_DEPTH))
    return pages + windows - 1


def batches_within(
    batches: Iterable[tuple[BatchMember, ...]], *, spendable: int | None, artists: int
) -> list[tuple[BatchMember, ...]]:
    """The batches a round queues, in order: no more than `artists` artists, and no more
    requests than `spendable` (the quota left above the reserve; None: not known)."""
    chosen = []
    requests = members = 0
    for batch in batches:
        cost = shows_batch_requests(batch_expected_events(batch))
        if members + len(batch) > artists:
            continue
        if spendable is not None and requests + cost > spendable:
            continue
        chosen.append(batch)
        requests += cost
        members += len(batch)
    return chosen


# --- What the public page says of a failed import ------------------------------------


class MissingPart(enum.StrEnum):
    SHOWS = "shows"
    SONGS = "songs"


def parts_missing_after_failure(
    *, latest_run_failed: bool, shows_synced: bool, catalog_synced: bool
) -> tuple[MissingPart, ...]:
    """The lists a fan would find incomplete because the artist's latest import failed:
    those no import has ever completed. A failed run that left earlier complete lists
    in place (a missing key, a re-sync that broke off) costs fans nothing: no notice."""
    if not latest_run_failed:
        return ()
    missing = ((MissingPart.SHOWS, shows_synced), (MissingPart.SONGS, catalog_synced))
    return tuple(part for part, synced in missing if not synced)


@dataclass(frozen=True)
class LiveProgress:
    """Where a run stands as its watchers see it."""

    stage: str
    percent: int
    message: str
    updated_at: datetime


def live_progress(
    *, status: str, row: LiveProgress, latest_event: LiveProgress | None
) -> LiveProgress:
    """Where a run stands. Its row is written at its phases' transitions, its progress in
    between as events only (each transition's event written after its row): while the
    run is queued or running its latest event says where it stands; a waiting or
    finished run's row has the last word (what it waits for, why it failed). Either way
    the percent is the most either says: it never goes back."""
    return _latest_word(row, latest_event, event_speaks=status in ("queued", "running"))


def live_phase_progress(
    *,
    status: str,
    row: LiveProgress,
    started_at: datetime | None,
    latest_event: LiveProgress | None,
) -> LiveProgress:
    """Where one phase stands, as `live_progress` for a run: a running phase's latest
    event of this attempt (written at or after its start) gives its message; its
    percent is the most its row or its events have said."""
    this_attempt = (
        latest_event is not None
        and started_at is not None
        and latest_event.updated_at >= started_at
    )
    return _latest_word(row, latest_event, event_speaks=status == "running" and this_attempt)


def _latest_word(
    row: LiveProgress, latest_event: LiveProgress | None, *, event_speaks: bool
) -> LiveProgress:
    """The event's word when it speaks, else the row's; the most percent of either."""
    if latest_event is None:
        return row
    percent = max(row.percent, latest_event.percent)
    if not event_speaks:
        return replace(row, percent=percent)
    return replace(
        latest_event, percent=percent, updated_at=max(row.updated_at, latest_event.updated_at)
    )
