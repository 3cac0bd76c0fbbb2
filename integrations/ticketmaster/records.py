"""Ticketmaster's answers as typed records: what the client returns and services store."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

# Ticketmaster's attraction, event and venue ids, as this service accepts and stores them.
TM_ID_MAX_LENGTH = 64


class MalformedEventError(ValueError):
    """An event we cannot store; recorded on the run and skipped."""

    def __init__(self, tm_event_id: str | None, reason: str) -> None:
        self.tm_event_id = tm_event_id
        self.reason = reason
        super().__init__(f"event {tm_event_id or '?'}: {reason}")


@dataclass(frozen=True, slots=True)
class TicketmasterVenue:
    tm_venue_id: str
    name: str
    address: str
    city: str
    state: str
    state_code: str
    country: str
    country_code: str
    postal_code: str
    timezone: str
    latitude: Decimal | None
    longitude: Decimal | None


@dataclass(frozen=True, slots=True)
class BilledAct:
    """An act on an event's bill, as the event embeds it (`_embedded.attractions[]`)."""

    tm_attraction_id: str
    name: str


@dataclass(frozen=True, slots=True)
class TicketmasterEvent:
    tm_event_id: str
    name: str
    local_date: date | None
    local_time: time | None
    starts_at: datetime | None
    date_tba: bool
    time_tba: bool
    status: str
    url: str
    image_url: str
    venue: TicketmasterVenue | None
    # Every act on the bill in Ticketmaster's order; None when the event does not embed
    # its attractions (then the bill is unknown, not empty).
    bill: tuple[BilledAct, ...] | None = None


@dataclass(frozen=True, slots=True)
class TicketmasterAttraction:
    tm_attraction_id: str
    name: str
    url: str
    image_url: str
    genres: tuple[str, ...]
    spotify_id: str | None


@dataclass(frozen=True, slots=True)
class EventsPage:
    """One page of an events search: its events as sent (each parsed on its own, so a
    malformed one is skipped) and the paging figures."""

    events: list[Any]
    total: int
    total_pages: int


@dataclass(slots=True)
class UpcomingEvents:
    """All upcoming events of an attraction, deduplicated by event id."""

    events: list[TicketmasterEvent] = field(default_factory=list)
    malformed: list[MalformedEventError] = field(default_factory=list)
    listed: int = 0  # events as listed, duplicates included
    pages: int = 0
    windows: int = 0

    @property
    def duplicates(self) -> int:
        return self.listed - len(self.events) - len(self.malformed)
