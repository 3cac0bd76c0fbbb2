"""Ticketmaster Discovery API v2: the endpoints we use, parsed into typed records.

Every request goes through the shared upstream policy (`theset.upstream`), with
the key as the `apikey` query parameter and the per-key rate limit.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any

import httpx
from django.conf import settings

from theset.upstream import RateLimiter, UpstreamClient, UpstreamError, key_fingerprint

PROVIDER = "Ticketmaster"
PAGE_SIZE = 200  # the largest page Ticketmaster serves
# Ticketmaster refuses a request whose page * size is above this (DIS1035).
MAX_PAGING_DEPTH = 1000
MAX_PAGE_INDEX = MAX_PAGING_DEPTH // PAGE_SIZE  # page 5 at size 200 is the last one served
TM_DATETIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"  # the only format the date filters accept
SPOTIFY_ARTIST_URL = re.compile(r"open\.spotify\.com/(?:intl-[A-Za-z-]+/)?artist/([0-9A-Za-z]{22})")
STATUS_SPELLINGS = {"canceled": "cancelled"}
IGNORED_GENRES = {"", "undefined", "other"}


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


@dataclass(frozen=True, slots=True)
class TicketmasterAttraction:
    tm_attraction_id: str
    name: str
    url: str
    image_url: str
    genres: tuple[str, ...]
    spotify_id: str | None


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


# --- Parsing (pure) -----------------------------------------------------------


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _best_image(images: Any) -> str:
    """The widest 16:9 image, else the widest of any ratio."""
    if not isinstance(images, list):
        return ""
    candidates = [i for i in images if isinstance(i, dict) and i.get("url")]
    if not candidates:
        return ""
    wide = [i for i in candidates if i.get("ratio") == "16_9"] or candidates
    return max(wide, key=lambda i: i.get("width") or 0)["url"]


def _decimal(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value).strip()) if value not in (None, "") else None
    except InvalidOperation:
        return None


def parse_spotify_artist_id(url: str) -> str | None:
    """The artist id of an open.spotify.com artist URL (query strings allowed), else None."""
    match = SPOTIFY_ARTIST_URL.search(url or "")
    return match.group(1) if match else None


def parse_venue(raw: dict[str, Any]) -> TicketmasterVenue:
    if not isinstance(raw, dict) or not raw.get("id"):
        raise ValueError("venue without an id")
    address = raw.get("address") or {}
    location = raw.get("location") or {}
    state = raw.get("state") or {}
    country = raw.get("country") or {}
    return TicketmasterVenue(
        tm_venue_id=raw["id"],
        name=_text(raw.get("name")),
        address=", ".join(
            part for part in (_text(address.get("line1")), _text(address.get("line2"))) if part
        ),
        city=_text((raw.get("city") or {}).get("name")),
        state=_text(state.get("name")),
        state_code=_text(state.get("stateCode")),
        country=_text(country.get("name")),
        country_code=_text(country.get("countryCode")),
        postal_code=_text(raw.get("postalCode")),
        timezone=_text(raw.get("timezone")),
        latitude=_decimal(location.get("latitude")),
        longitude=_decimal(location.get("longitude")),
    )


def parse_event(raw: dict[str, Any]) -> TicketmasterEvent:
    """A typed event; raises `MalformedEventError` naming what is wrong."""
    tm_event_id = raw.get("id") if isinstance(raw, dict) else None
    if not isinstance(tm_event_id, str) or not tm_event_id:
        raise MalformedEventError(None, "no event id")
    try:
        dates = raw.get("dates") or {}
        start = dates.get("start") or {}
        local_date = date.fromisoformat(start["localDate"]) if start.get("localDate") else None
        local_time = time.fromisoformat(start["localTime"]) if start.get("localTime") else None
        starts_at = (
            datetime.strptime(start["dateTime"], TM_DATETIME_FORMAT).replace(tzinfo=UTC)
            if start.get("dateTime")
            else None
        )
        status = _text((dates.get("status") or {}).get("code")).lower() or "onsale"
        venues = (raw.get("_embedded") or {}).get("venues") or []
        venue = parse_venue(venues[0]) if venues else None
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise MalformedEventError(tm_event_id, f"unreadable field ({exc})") from None
    return TicketmasterEvent(
        tm_event_id=tm_event_id,
        name=_text(raw.get("name")),
        local_date=local_date,
        local_time=local_time,
        starts_at=starts_at,
        date_tba=bool(start.get("dateTBA") or start.get("dateTBD")),
        time_tba=bool(start.get("timeTBA") or start.get("noSpecificTime")),
        status=STATUS_SPELLINGS.get(status, status),
        url=_text(raw.get("url")),
        image_url=_best_image(raw.get("images")),
        venue=venue,
    )


def parse_attraction(raw: dict[str, Any]) -> TicketmasterAttraction:
    links = raw.get("externalLinks") or {}
    spotify_id = None
    for link in links.get("spotify") or []:
        spotify_id = parse_spotify_artist_id(_text((link or {}).get("url")))
        if spotify_id:
            break
    genres: list[str] = []
    for classification in raw.get("classifications") or []:
        for level in ("genre", "subGenre"):
            name = _text((classification.get(level) or {}).get("name"))
            if name.lower() not in IGNORED_GENRES and name not in genres:
                genres.append(name)
    return TicketmasterAttraction(
        tm_attraction_id=raw["id"],
        name=_text(raw.get("name")),
        url=_text(raw.get("url")),
        image_url=_best_image(raw.get("images")),
        genres=tuple(genres),
        spotify_id=spotify_id,
    )


# --- The client ---------------------------------------------------------------


class TicketmasterClient:
    """Discovery v2 calls. Use as `async with TicketmasterClient.from_settings() as tm:`."""

    def __init__(self, upstream: UpstreamClient) -> None:
        self._upstream = upstream

    @classmethod
    def from_settings(
        cls, *, transport: httpx.AsyncBaseTransport | None = None
    ) -> TicketmasterClient:
        api_key = settings.TICKETMASTER_API_KEY
        if not api_key:
            raise UpstreamError(
                provider=PROVIDER,
                endpoint="configuration",
                status=None,
                detail="TICKETMASTER_API_KEY is not set",
            )
        limiter = RateLimiter(
            name=f"ticketmaster:{key_fingerprint(api_key)}",
            requests_per_second=settings.TICKETMASTER_RPS,
            redis_url=settings.REDIS_URL,
        )
        upstream = UpstreamClient(
            provider=PROVIDER,
            base_url=settings.TICKETMASTER_BASE_URL,
            params={"apikey": api_key},
            rate_limiter=limiter,
            transport=transport,
            secrets=(api_key,),
        )
        return cls(upstream)

    @property
    def stats(self):
        return self._upstream.stats

    async def __aenter__(self) -> TicketmasterClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self._upstream.aclose()

    async def attraction(self, tm_attraction_id: str) -> TicketmasterAttraction:
        body = await self._upstream.get_json(
            "attraction details", f"/discovery/v2/attractions/{tm_attraction_id}.json"
        )
        return parse_attraction(body)

    async def search_attractions(
        self, keyword: str, *, size: int = 20
    ) -> list[TicketmasterAttraction]:
        body = await self._upstream.get_json(
            "attraction search",
            "/discovery/v2/attractions.json",
            params={"keyword": keyword, "size": size},
        )
        raws = (body.get("_embedded") or {}).get("attractions") or []
        return [parse_attraction(raw) for raw in raws]

    async def venue(self, tm_venue_id: str) -> TicketmasterVenue:
        body = await self._upstream.get_json(
            "venue details", f"/discovery/v2/venues/{tm_venue_id}.json"
        )
        return parse_venue(body)

    async def upcoming_events(
        self,
        tm_attraction_id: str,
        *,
        since: datetime,
        on_page: Callable[[UpcomingEvents, int], Awaitable[None]] | None = None,
    ) -> UpcomingEvents:
        """Every event of the attraction starting at or after `since`, each once.

        Ticketmaster serves at most pages 0..5 at size 200 of one query. When a
        query holds more, the next window starts at the start time of the last
        event seen (inclusive, so nothing at that instant is lost; the overlap
        is removed by event id). That costs one request per 200 events plus at
        most one per window, fewer than bisecting the date range.
        `on_page(result, expected_total)` is awaited after every page.
        """
        result = UpcomingEvents()
        seen: set[str] = set()
        window_start = since
        while True:
            result.windows += 1
            last_start = await self._events_window(
                tm_attraction_id, window_start, result, seen, on_page
            )
            if last_start is None:
                return result
            if last_start <= window_start:
                raise UpstreamError(
                    provider=PROVIDER,
                    endpoint="events search",
                    status=None,
                    detail=f"more than {MAX_PAGING_DEPTH + PAGE_SIZE} events start at "
                    f"{window_start:%Y-%m-%dT%H:%M:%SZ}; cannot page past them",
                )
            window_start = last_start

    async def _events_window(
        self,
        tm_attraction_id: str,
        window_start: datetime,
        result: UpcomingEvents,
        seen: set[str],
        on_page: Callable[[UpcomingEvents, int], Awaitable[None]] | None,
    ) -> datetime | None:
        """Fetch one window's pages; return where the next window starts, or None when done."""
        params = {
            "attractionId": tm_attraction_id,
            "size": PAGE_SIZE,
            "sort": "date,asc",
            "startDateTime": window_start.astimezone(UTC).strftime(TM_DATETIME_FORMAT),
            "includeTBA": "yes",
            "includeTBD": "yes",
        }
        first = await self._events_page(params, 0)
        total = int((first.get("page") or {}).get("totalElements") or 0)
        total_pages = int((first.get("page") or {}).get("totalPages") or 0)
        pages = [first]
        self._collect(first, result, seen)
        if on_page:
            await on_page(result, total)
        last_page = min(total_pages - 1, MAX_PAGE_INDEX)

        async def fetch(number: int) -> dict[str, Any]:
            page = await self._events_page(params, number)
            self._collect(page, result, seen)
            if on_page:
                await on_page(result, total)
            return page

        pages += await asyncio.gather(*(fetch(n) for n in range(1, last_page + 1)))
        if total_pages - 1 <= MAX_PAGE_INDEX:
            return None
        # Parsed starts only: a malformed event was recorded and must not stop the paging.
        window_ids = {
            raw.get("id")
            for page in pages
            for raw in (page.get("_embedded") or {}).get("events") or []
        }
        starts = [
            event.starts_at
            for event in result.events
            if event.tm_event_id in window_ids and event.starts_at is not None
        ]
        return max(starts) if starts else None

    async def _events_page(self, params: dict[str, Any], number: int) -> dict[str, Any]:
        self_params = params | {"page": number}
        return await self._upstream.get_json(
            "events search", "/discovery/v2/events.json", params=self_params
        )

    @staticmethod
    def _collect(page: dict[str, Any], result: UpcomingEvents, seen: set[str]) -> None:
        result.pages += 1
        for raw in (page.get("_embedded") or {}).get("events") or []:
            result.listed += 1
            try:
                event = parse_event(raw)
            except MalformedEventError as exc:
                if exc.tm_event_id not in seen:
                    result.malformed.append(exc)
                    if exc.tm_event_id:
                        seen.add(exc.tm_event_id)
                continue
            if event.tm_event_id in seen:
                continue
            seen.add(event.tm_event_id)
            result.events.append(event)
