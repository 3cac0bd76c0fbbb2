"""Writes for venues and shows: bulk upserts on the natural keys, never a query per row."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from catalog.models import Artist
from integrations.ticketmaster.records import TicketmasterEvent, TicketmasterVenue
from shows.models import Show, Venue

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
# `artist` is left out on purpose: a co-headlined event stays with the artist that
# first imported it instead of flipping owner on every import of either artist.
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


@dataclass(frozen=True, slots=True)
class ShowsWritten:
    shows: int
    venues: int
    without_venue: int


def _unique_by(items: Iterable, key) -> list:
    """One item per key, the last one winning (PostgreSQL refuses an upsert batch holding
    one key twice), in key order: imports writing the same rows (venues artists share)
    then lock them in the same order and cannot deadlock each other."""
    by_key = {key(item): item for item in items}
    return [by_key[k] for k in sorted(by_key)]


def venues_upsert(*, venues: Sequence[TicketmasterVenue]) -> dict[str, int]:
    """Insert or update venues; return {tm_venue_id: primary key} for all of them."""
    rows = [
        Venue(
            tm_venue_id=venue.tm_venue_id,
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
    ]
    Venue.objects.bulk_create(
        rows,
        batch_size=BATCH_SIZE,
        update_conflicts=True,
        unique_fields=["tm_venue_id"],
        update_fields=VENUE_UPDATE_FIELDS,
    )
    ids = [row.tm_venue_id for row in rows]
    return dict(
        Venue.objects.filter(tm_venue_id__in=ids).values_list("tm_venue_id", "pk").iterator()
    )


def shows_upsert(*, artist_id: int, events: Sequence[TicketmasterEvent]) -> ShowsWritten:
    """Insert or update the events of one artist with their venues, in one transaction."""
    events = _unique_by(events, lambda e: e.tm_event_id)
    with transaction.atomic():
        venue_ids = venues_upsert(venues=[e.venue for e in events if e.venue is not None])
        rows = [
            Show(
                tm_event_id=event.tm_event_id,
                artist_id=artist_id,
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
                removed_upstream_at=None,
            )
            for event in events
        ]
        Show.objects.bulk_create(
            rows,
            batch_size=BATCH_SIZE,
            update_conflicts=True,
            unique_fields=["tm_event_id"],
            update_fields=SHOW_UPDATE_FIELDS,
        )
    return ShowsWritten(
        shows=len(rows),
        venues=len(venue_ids),
        without_venue=sum(1 for e in events if e.venue is None),
    )


def shows_mark_removed(
    *, artist_id: int, not_seen_since: datetime, still_listed: Collection[str] = ()
) -> int:
    """Mark the artist's upcoming shows that this sync did not see; return how many.

    Every show the sync stored was upserted after `not_seen_since` (an upsert always
    writes `updated_at`), so the others are the ones Ticketmaster no longer lists,
    except `still_listed`: events listed but skipped as malformed this time.
    """
    today = timezone.localdate()
    return (
        Show.objects.filter(
            artist_id=artist_id,
            removed_upstream_at__isnull=True,
            updated_at__lt=not_seen_since,
        )
        .exclude(tm_event_id__in=list(still_listed))
        .filter(Q(local_date__gte=today) | Q(local_date__isnull=True))
        .update(removed_upstream_at=timezone.now())
    )


def artist_shows_synced(*, artist_id: int) -> None:
    Artist.objects.filter(pk=artist_id).update(shows_synced_at=timezone.now())
