"""The shows & venues phase: every upcoming event of an artist, stored once."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from asgiref.sync import sync_to_async
from django.utils import timezone

from catalog.sync import Report
from integrations.ticketmaster.client import TicketmasterClient
from integrations.ticketmaster.records import UpcomingEvents
from shows import services
from theset.text import count_noun


@dataclass(frozen=True, slots=True)
class ShowsSyncResult:
    shows: int
    venues: int
    without_venue: int
    co_billed: int
    removed_upstream: int
    gone_upstream: int
    malformed: int
    duplicates_listed: int
    pages: int
    windows: int
    added: int = 0
    changed: int = 0
    malformed_events: list[str] = field(default_factory=list)

    def counters(self) -> dict[str, Any]:
        return {
            "shows": self.shows,
            "venues": self.venues,
            "shows_without_venue": self.without_venue,
            "co_billed_places": self.co_billed,
            "shows_removed_upstream": self.removed_upstream,
            "shows_gone_upstream": self.gone_upstream,
            "shows_added": self.added,
            "shows_changed": self.changed,
            "events_malformed": self.malformed,
            "events_listed_twice": self.duplicates_listed,
            "events_pages": self.pages,
            "events_windows": self.windows,
        }


async def sync_shows(
    *, artist_id: int, tm_attraction_id: str, client: TicketmasterClient, report: Report
) -> ShowsSyncResult:
    """Fetch every upcoming event, upsert venues, shows and their bills, then mark the
    artist's places on shows it no longer lists (and shows no act lists any more).

    Each page's events are stored while the next pages are fetched: the writes (one
    database thread, in order) overlap the wait for Ticketmaster's rate limit.
    """
    started = timezone.now()
    expected_total = 0
    handed_over = 0  # events of the listing so far already queued for storing
    writes: list[asyncio.Future] = []  # reports and upserts, run one after another

    def store_new_events(so_far: UpcomingEvents) -> None:
        nonlocal handed_over
        batch = so_far.events[handed_over:]
        handed_over = len(so_far.events)
        if batch:
            upsert = sync_to_async(services.shows_upsert)(artist_id=artist_id, events=batch)
            writes.append(asyncio.ensure_future(upsert))

    async def on_page(so_far: UpcomingEvents, window_total: int) -> None:
        # A later window counts from its own start: the first one's total is the estimate.
        nonlocal expected_total
        expected = expected_total = max(expected_total, window_total, len(so_far.events))
        percent = 90 * len(so_far.events) // expected if expected else 90
        message = (
            f"{len(so_far.events)} of ~{count_noun(expected, 'event')} fetched"
            if expected
            else "no upcoming events listed"
        )
        writes.append(asyncio.ensure_future(report(percent, message, None)))
        store_new_events(so_far)

    # From the start of the day: a show that began an hour ago is still today's show
    # and must not be taken for one Ticketmaster stopped listing.
    since = started.replace(hour=0, minute=0, second=0, microsecond=0)
    try:
        upcoming = await client.upcoming_events(tm_attraction_id, since=since, on_page=on_page)
        store_new_events(upcoming)
    finally:
        # Let every queued write finish (or fail) before going on or giving up.
        outcomes = await asyncio.gather(*writes, return_exceptions=True)
    for outcome in outcomes:
        if isinstance(outcome, BaseException):
            raise outcome
    written = [outcome for outcome in outcomes if isinstance(outcome, services.ShowsWritten)]
    await report(92, f"{count_noun(len(upcoming.events), 'show')} stored", None)
    removed = await sync_to_async(services.shows_mark_removed)(
        artist_id=artist_id,
        not_seen_since=started,
        # Listed, but not stored this time: still upstream, so not marked gone.
        still_listed={e.tm_event_id for e in upcoming.malformed if e.tm_event_id},
    )
    await sync_to_async(services.artist_shows_synced)(artist_id=artist_id)
    return ShowsSyncResult(
        shows=sum(w.shows for w in written),
        venues=len({e.venue.tm_venue_id for e in upcoming.events if e.venue is not None}),
        without_venue=sum(w.without_venue for w in written),
        co_billed=sum(w.co_billed for w in written),
        removed_upstream=removed.places,
        gone_upstream=removed.shows,
        malformed=len(upcoming.malformed),
        duplicates_listed=upcoming.duplicates,
        pages=upcoming.pages,
        windows=upcoming.windows,
        added=sum(w.added for w in written),
        changed=sum(w.changed for w in written),
        malformed_events=[str(error) for error in upcoming.malformed],
    )
