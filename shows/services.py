"""Writes for venues and shows: bulk upserts on the natural keys, never a query per row."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from catalog.models import Artist
from catalog.services import artists_billed_upsert
from integrations.ticketmaster.records import BilledAct, TicketmasterEvent, TicketmasterVenue
from shows.models import Billing, Show, Venue
from shows.rules import EventBill, StoredShow, event_bill, show_changed
from theset.bulk import bulk_upsert, row_of
from theset.models import in_key_order

BATCH_SIZE = 500
VENUE_UPDATE_FIELDS = [
    "name",
    "address",
    "city",
    "state",
    "state_code",
    "country",
    "country_code",
    "postal_code",
    "timezone",
    "latitude",
    "longitude",
    "updated_at",
]
SHOW_UPDATE_FIELDS = [
    "venue",
    "name",
    "local_date",
    "local_time",
    "starts_at",
    "date_tba",
    "time_tba",
    "status",
    "url",
    "image_url",
    "removed_upstream_at",
    "updated_at",
]
# A listing that embeds the bill places every act on it.
BILL_UPDATE_FIELDS = ["position", "headliner"]
# The listing act's own row also says its own events search has the show.
LISTED_UPDATE_FIELDS = ["listed_at", "removed_upstream_at", "updated_at"]
PLACED_UPDATE_FIELDS = [*BILL_UPDATE_FIELDS, "updated_at"]
# A place as bulk_upsert writes it (updated_at: now).
PLACE_FIELDS = ["show_id", "artist_id", "position", "headliner"]


@dataclass(frozen=True, slots=True)
class ShowsRemoved:
    places: int  # the artist's places on bills it no longer lists
    shows: int  # shows no act lists any more, marked gone


@dataclass(frozen=True, slots=True)
class ShowsWritten:
    shows: int
    venues: int
    without_venue: int
    co_billed: int  # places of other acts on these shows' bills, written too
    added: int = 0  # shows the artist's search lists that it was not listed on before
    changed: int = 0  # shows whose name, date, time, status or venue changed


def _unique_by(items: Iterable, key) -> list:
    """One item per key, the last one winning (PostgreSQL refuses an upsert batch holding
    one key twice), in key order: imports writing the same rows (venues artists share)
    then lock them in the same order and cannot deadlock each other."""
    by_key = {key(item): item for item in items}
    return [by_key[k] for k in sorted(by_key)]


def venues_upsert(*, venues: Sequence[TicketmasterVenue]) -> dict[str, int]:
    """Insert or update venues; return {tm_venue_id: primary key} for all of them. Only
    venues new or different from the stored row are written (a re-sync lists mostly
    the same ones)."""
    fields = [name for name in VENUE_UPDATE_FIELDS if name != "updated_at"]
    rows = {
        venue.tm_venue_id: row_of(
            fields,
            name=venue.name,
            address=venue.address,
            city=venue.city,
            state=venue.state,
            state_code=venue.state_code,
            country=venue.country,
            country_code=venue.country_code[:2],
            postal_code=venue.postal_code,
            timezone=venue.timezone,
            latitude=venue.latitude,
            longitude=venue.longitude,
        )
        for venue in _unique_by(venues, lambda v: v.tm_venue_id)
    }
    stored = {
        values[0]: values[1:]
        for values in Venue.objects.filter(tm_venue_id__in=list(rows)).values_list(
            "tm_venue_id", *fields
        )
    }
    changed = [(key, *row) for key, row in rows.items() if _differs(row, stored.get(key))]
    bulk_upsert(
        Venue,
        changed,
        fields=["tm_venue_id", *fields],
        unique_fields=["tm_venue_id"],
        update_fields=VENUE_UPDATE_FIELDS,
    )
    found = dict(Venue.objects.filter(tm_venue_id__in=list(rows)).values_list("tm_venue_id", "pk"))
    return found


def _differs(row: tuple, stored: tuple | None) -> bool:
    """Whether `row` is new, or differs from the stored values of the same fields."""
    return stored is None or tuple(row) != tuple(stored)


def shows_upsert(*, artist_id: int, events: Sequence[TicketmasterEvent]) -> ShowsWritten:
    """Insert or update the events one artist's events search listed, with their venues
    and their whole bills, in one transaction.

    Rows are locked in one order by every import (venues, then shows by event id, then
    the acts' artist rows and bill rows by key): imports of acts sharing shows wait for
    each other instead of deadlocking. Every bill row is written under its show's lock.
    """
    events = _unique_by(events, lambda e: e.tm_event_id)
    if not events:
        return ShowsWritten(shows=0, venues=0, without_venue=0, co_billed=0)
    now = timezone.now()
    with transaction.atomic():
        listing = Artist.objects.values_list("tm_attraction_id", "name").get(pk=artist_id)
        listing_act = BilledAct(*listing)
        venue_ids = venues_upsert(venues=[e.venue for e in events if e.venue is not None])
        # The stored shows, locked in key order (the order upserts take): their bills are
        # written under these locks. Only shows new or different are written again.
        fields = [name for name in SHOW_UPDATE_FIELDS if name != "updated_at"]
        columns = ["venue_id" if name == "venue" else name for name in fields]
        stored = {
            values["tm_event_id"]: values
            for values in Show.objects.select_for_update()
            .filter(tm_event_id__in=[e.tm_event_id for e in events])
            .order_by(in_key_order("tm_event_id"))
            .values("pk", "tm_event_id", *columns)
        }
        added, changed = _changes(
            artist_id=artist_id, events=events, stored=stored, venue_ids=venue_ids
        )
        rows = {
            event.tm_event_id: row_of(
                columns,
                venue_id=venue_ids[event.venue.tm_venue_id] if event.venue else None,
                name=event.name,
                local_date=event.local_date,
                local_time=event.local_time,
                starts_at=event.starts_at,
                date_tba=event.date_tba,
                time_tba=event.time_tba,
                status=event.status,
                url=event.url,
                image_url=event.image_url,
                # Listed by an act on its bill: not gone, whatever an earlier sync found.
                removed_upstream_at=None,
            )
            for event in events
        }
        written = [
            (key, *row)
            for key, row in rows.items()
            if _differs(row, _stored_values(stored.get(key), columns))
        ]
        bulk_upsert(
            Show,
            written,
            fields=["tm_event_id", *columns],
            unique_fields=["tm_event_id"],
            update_fields=SHOW_UPDATE_FIELDS,
        )
        show_ids = {tm_event_id: values["pk"] for tm_event_id, values in stored.items()}
        if written:
            show_ids |= dict(
                Show.objects.filter(tm_event_id__in=[row[0] for row in written]).values_list(
                    "tm_event_id", "pk"
                )
            )
        bills = {
            event.tm_event_id: event_bill(
                event_name=event.name, acts=event.bill, listing=listing_act
            )
            for event in events
        }
        co_billed = bills_upsert(
            listing=Listing(artist_id, listing_act.tm_attraction_id),
            show_ids=show_ids,
            bills=bills,
            listed_at=now,
        )
    return ShowsWritten(
        shows=len(rows),
        venues=len(venue_ids),
        without_venue=sum(1 for e in events if e.venue is None),
        co_billed=co_billed,
        added=added,
        changed=changed,
    )


def _stored_values(stored: dict | None, columns: Sequence[str]) -> tuple | None:
    return None if stored is None else tuple(stored[name] for name in columns)


def _changes(
    *,
    artist_id: int,
    events: Sequence[TicketmasterEvent],
    stored: dict[str, dict],
    venue_ids: dict[str, int],
) -> tuple[int, int]:
    """How many of `events` are new to the artist (its search did not list them, or its
    place was marked removed), and how many `stored` shows (as read under their locks)
    they change."""
    ids = [event.tm_event_id for event in events]
    venues = {pk: tm_venue_id for tm_venue_id, pk in venue_ids.items()}

    def as_stored(values: dict) -> StoredShow:
        venue_id = values["venue_id"]
        return StoredShow(
            name=values["name"],
            local_date=values["local_date"],
            local_time=values["local_time"],
            status=values["status"],
            # A venue this listing does not name: certainly not the event's.
            tm_venue_id=None if venue_id is None else venues.get(venue_id, f"#{venue_id}"),
            date_tba=values["date_tba"],
            time_tba=values["time_tba"],
        )

    listed = set(
        Billing.objects.filter(
            artist_id=artist_id,
            show__tm_event_id__in=ids,
            listed_at__isnull=False,
            removed_upstream_at__isnull=True,
        ).values_list("show__tm_event_id", flat=True)
    )
    added = sum(1 for tm_event_id in ids if tm_event_id not in listed)
    changed = sum(
        1
        for event in events
        if event.tm_event_id in stored and show_changed(as_stored(stored[event.tm_event_id]), event)
    )
    return added, changed


@dataclass(frozen=True, slots=True)
class Listing:
    """The artist whose events search is being stored."""

    artist_id: int
    tm_attraction_id: str


def bills_upsert(
    *, listing: Listing, show_ids: dict[str, int], bills: dict[str, EventBill], listed_at: datetime
) -> int:
    """Write the bills one artist's listing saw; return how many places of other acts.

    Complete bills place every act on them (position, headliner); the listing artist's
    own place always says its search lists the show. Whether another act is still on a
    show is that act's own import's to say (`shows_mark_removed`): a bill only moves the
    places no act's own search has vouched for (acts never imported). Ticketmaster's
    `_embedded.attractions` can leave out an act whose search lists the event, so this is
    what keeps the rows the same whatever order the acts are imported in. Must run inside
    the transaction that upserted the shows: their locks guard their bills.
    """
    complete = {tm_event_id: bill for tm_event_id, bill in bills.items() if bill.complete}
    artist_ids = artists_billed_upsert(
        acts=[
            (slot.tm_attraction_id, slot.name) for bill in complete.values() for slot in bill.slots
        ]
    )
    # What the bills hold now: only places new or moved are written again.
    stored: dict[tuple[int, int], tuple[int, int, bool]] = {}
    shows = sorted(set(show_ids.values()))
    for start in range(0, len(shows), BATCH_SIZE):
        for pk, show_id, artist_id, position, headliner in Billing.objects.filter(
            show_id__in=shows[start : start + BATCH_SIZE]
        ).values_list("pk", "show_id", "artist_id", "position", "headliner"):
            stored[(show_id, artist_id)] = (pk, position, headliner)

    def moved(row: tuple) -> bool:
        """Whether a (show_id, artist_id, position, headliner) place is new or moved."""
        place = stored.get((row[0], row[1]))
        return place is None or place[1:] != (row[2], row[3])

    # Other acts' places: where they are on the bill.
    placed = _unique_by(
        (
            (
                show_ids[tm_event_id],
                artist_ids[slot.tm_attraction_id],
                slot.position,
                slot.headliner,
            )
            for tm_event_id, bill in complete.items()
            for slot in bill.slots
            if slot.tm_attraction_id != listing.tm_attraction_id
        ),
        lambda row: (row[0], row[1]),
    )
    bulk_upsert(
        Billing,
        [row for row in placed if moved(row)],
        fields=PLACE_FIELDS,
        unique_fields=["show", "artist"],
        update_fields=PLACED_UPDATE_FIELDS,
    )
    # The listing artist's own places: listed now; where it is on the bill when the bill
    # is known (an unknown bill keeps the place it had). A place already where the bill
    # says (or with an unknown bill) is only marked listed, in one statement.
    relisted: list[int] = []
    for known in (True, False):
        own = sorted(
            (show_ids[tm_event_id], listing.artist_id, slot.position, slot.headliner)
            for tm_event_id, bill in bills.items()
            if bill.complete is known
            for slot in bill.slots
            if slot.tm_attraction_id == listing.tm_attraction_id
        )
        written = []
        for row in own:
            place = stored.get((row[0], row[1]))
            if place is not None and (not known or not moved(row)):
                relisted.append(place[0])
            else:
                written.append((*row, listed_at, None))
        bulk_upsert(
            Billing,
            written,
            fields=[*PLACE_FIELDS, "listed_at", "removed_upstream_at"],
            unique_fields=["show", "artist"],
            update_fields=[*BILL_UPDATE_FIELDS, *LISTED_UPDATE_FIELDS]
            if known
            else LISTED_UPDATE_FIELDS,
        )
    relisted.sort()
    for start in range(0, len(relisted), BATCH_SIZE):
        Billing.objects.filter(pk__in=relisted[start : start + BATCH_SIZE]).update(
            listed_at=listed_at, removed_upstream_at=None, updated_at=listed_at
        )
    _bill_only_places_follow(
        {
            show_ids[tm_event_id]: {artist_ids[slot.tm_attraction_id] for slot in bill.slots}
            for tm_event_id, bill in complete.items()
        },
        at=listed_at,
    )
    return len(placed)


def _bill_only_places_follow(on_bill: dict[int, set[int]], *, at: datetime) -> None:
    """Places of acts never synced follow the bills just seen: an act off its show's bill
    has its place marked removed, an act back on it has it restored. (An act that syncs
    after a bill placed it, its search and the bill disagreeing, keeps what its sync
    said until its next one.) Read and
    written by primary key in chunks (a festival-sized batch stays a small statement)."""
    removed: list[int] = []
    restored: list[int] = []
    show_ids = sorted(on_bill)
    for start in range(0, len(show_ids), BATCH_SIZE):
        places = Billing.objects.filter(
            show_id__in=show_ids[start : start + BATCH_SIZE],
            listed_at__isnull=True,
            # An act whose shows were ever synced decides its places itself, also those
            # that first came from another act's bill (its own sync may have marked them).
            artist__shows_synced_at__isnull=True,
        ).values_list("pk", "show_id", "artist_id", "removed_upstream_at")
        for pk, show_id, artist_id, removed_upstream_at in places:
            on = artist_id in on_bill[show_id]
            if on and removed_upstream_at is not None:
                restored.append(pk)
            elif not on and removed_upstream_at is None:
                removed.append(pk)
    for pks, value in ((sorted(removed), at), (sorted(restored), None)):
        for start in range(0, len(pks), BATCH_SIZE):
            Billing.objects.filter(pk__in=pks[start : start + BATCH_SIZE]).update(
                removed_upstream_at=value, updated_at=at
            )


def shows_mark_removed(
    *, artist_id: int, not_seen_since: datetime, still_listed: Collection[str] = ()
) -> ShowsRemoved:
    """Mark the artist's places on upcoming shows its events search no longer lists, and
    the shows no act lists any more; return how many of each.

    Every show this sync stored had the artist's place written with `listed_at` after
    `not_seen_since`; the others are the ones Ticketmaster no longer lists for it, except
    `still_listed`: events listed but skipped as malformed this time. The shows are
    locked (by event id, as upserts lock them) before their bills are read, so an import
    listing one of them at the same time is seen, not overwritten.
    """
    today = timezone.localdate()
    now = timezone.now()
    with transaction.atomic():
        unlisted = (
            Billing.objects.filter(artist_id=artist_id, removed_upstream_at__isnull=True)
            .filter(Q(listed_at__lt=not_seen_since) | Q(listed_at__isnull=True))
            .exclude(show__tm_event_id__in=list(still_listed))
            .filter(Q(show__local_date__gte=today) | Q(show__local_date__isnull=True))
        )
        show_ids = list(
            Show.objects.select_for_update()
            .filter(pk__in=unlisted.values("show_id"))
            .order_by(in_key_order("tm_event_id"))
            .values_list("pk", flat=True)
        )
        places = unlisted.filter(show_id__in=show_ids).update(removed_upstream_at=now)
        still_listed_by_an_act = Billing.objects.filter(
            show_id=OuterRef("pk"), removed_upstream_at__isnull=True, listed_at__isnull=False
        )
        shows = (
            Show.objects.filter(pk__in=show_ids, removed_upstream_at__isnull=True)
            .exclude(Exists(still_listed_by_an_act))
            .update(removed_upstream_at=now)
        )
    return ShowsRemoved(places=places, shows=shows)


def artist_shows_synced(*, artist_id: int) -> None:
    Artist.objects.filter(pk=artist_id).update(shows_synced_at=timezone.now())
