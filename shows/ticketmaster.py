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

from theset.upstream import (
    MalformedAnswer,
    RateLimiter,
    UpstreamClient,
    UpstreamError,
    field_path,
    json_kind,
    key_fingerprint,
    read_bool,
    read_id,
    read_int,
    read_list,
    read_object,
    read_optional_object,
    read_text,
)

PROVIDER = "Ticketmaster"
PAGE_SIZE = 200  # the largest page Ticketmaster serves
# Ticketmaster refuses a request whose page * size is above this (DIS1035).
MAX_PAGING_DEPTH = 1000
MAX_PAGE_INDEX = MAX_PAGING_DEPTH // PAGE_SIZE  # page 5 at size 200 is the last one served
TM_DATETIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"  # the only format the date filters accept
SPOTIFY_ARTIST_URL = re.compile(r"open\.spotify\.com/(?:intl-[A-Za-z-]+/)?artist/([0-9A-Za-z]{22})")
STATUS_SPELLINGS = {"canceled": "cancelled"}
KNOWN_STATUSES = frozenset({"onsale", "offsale", "cancelled", "postponed", "rescheduled"})
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


# --- Parsing (pure) -----------------------------------------------------------
# Strict about what is stored (ids, dates, statuses, numbers: a wrong type is named),
# lenient about what is only shown (images); text is cleaned and cut to its column.

ID_MAX_LENGTH = 64
TEXT_MAX_LENGTH = {"name": 300, "address": 500, "city": 200, "state": 200, "country": 200}
EVENT_NAME_MAX_LENGTH = 500
URL_MAX_LENGTH = 1000


def _text(raw: dict[str, Any], name: str, where: str, max_length: int = 200) -> str:
    return read_text(raw, name, where, max_length=max_length)


def _url(raw: dict[str, Any], name: str, where: str) -> str:
    url = read_text(raw, name, where, max_length=URL_MAX_LENGTH + 1)
    return url if len(url) <= URL_MAX_LENGTH else ""  # a cut URL leads nowhere


def _best_image(images: Any) -> str:
    """The widest 16:9 image, else the widest of any ratio (images are only shown, so
    odd entries are passed over rather than refused)."""
    if not isinstance(images, list):
        return ""
    candidates = [
        i
        for i in images
        if isinstance(i, dict)
        and isinstance(i.get("url"), str)
        and 0 < len(i["url"]) <= URL_MAX_LENGTH
        and "\x00" not in i["url"]
    ]
    if not candidates:
        return ""

    def width(image: dict[str, Any]) -> float:
        value = image.get("width")
        return value if isinstance(value, int | float) and not isinstance(value, bool) else 0

    wide = [i for i in candidates if i.get("ratio") == "16_9"] or candidates
    return max(wide, key=width)["url"]


def _coordinate(location: dict[str, Any], name: str, limit: int) -> Decimal | None:
    """A latitude (|x| <= 90) or longitude (|x| <= 180), which Ticketmaster sends as a
    string; None when absent or unusable (a venue is still worth keeping without)."""
    value = location.get(name)
    if value in (None, "") or isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    if not number.is_finite() or abs(number) > limit:
        return None
    return number.quantize(Decimal("0.00000001"))


def parse_spotify_artist_id(url: str) -> str | None:
    """The artist id of an open.spotify.com artist URL (query strings allowed), else None."""
    match = SPOTIFY_ARTIST_URL.search(url or "")
    return match.group(1) if match else None


def parse_venue(raw: Any, where: str = "venue") -> TicketmasterVenue:
    """A typed venue; raises `MalformedAnswer` naming the field that is wrong."""
    raw = read_object(raw, where)
    tm_venue_id = read_id(raw.get("id"), field_path(where, "id"), max_length=ID_MAX_LENGTH)
    address = read_optional_object(raw, "address", where)
    location = read_optional_object(raw, "location", where)
    state = read_optional_object(raw, "state", where)
    country = read_optional_object(raw, "country", where)
    city = read_optional_object(raw, "city", where)
    address_where = field_path(where, "address")
    return TicketmasterVenue(
        tm_venue_id=tm_venue_id,
        name=_text(raw, "name", where, TEXT_MAX_LENGTH["name"]),
        address=", ".join(
            part
            for part in (
                _text(address, "line1", address_where, TEXT_MAX_LENGTH["address"]),
                _text(address, "line2", address_where, TEXT_MAX_LENGTH["address"]),
            )
            if part
        )[: TEXT_MAX_LENGTH["address"]],
        city=_text(city, "name", field_path(where, "city"), TEXT_MAX_LENGTH["city"]),
        state=_text(state, "name", field_path(where, "state"), TEXT_MAX_LENGTH["state"]),
        state_code=_text(state, "stateCode", field_path(where, "state"), 16),
        country=_text(country, "name", field_path(where, "country"), TEXT_MAX_LENGTH["country"]),
        country_code=_text(country, "countryCode", field_path(where, "country"), 2),
        postal_code=_text(raw, "postalCode", where, 32),
        timezone=_text(raw, "timezone", where, 64),
        latitude=_coordinate(location, "latitude", 90),
        longitude=_coordinate(location, "longitude", 180),
    )


def _iso(value: Any, where: str, parse: Callable[[str], Any], expected: str) -> Any:
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise MalformedAnswer(where, f"expected {expected}, got {json_kind(value)}")
    try:
        return parse(value)
    except ValueError:
        raise MalformedAnswer(where, f"expected {expected}, got {json_kind(value)}") from None


def _utc(value: str) -> datetime:
    return datetime.strptime(value, TM_DATETIME_FORMAT).replace(tzinfo=UTC)


def parse_event(raw: Any) -> TicketmasterEvent:
    """A typed event; raises `MalformedEventError` naming what is wrong."""
    tm_event_id = raw.get("id") if isinstance(raw, dict) else None
    if not isinstance(tm_event_id, str) or not tm_event_id:
        raise MalformedEventError(None, "no event id")
    try:
        read_id(tm_event_id, "id", max_length=ID_MAX_LENGTH)
    except MalformedAnswer as exc:
        raise MalformedEventError(None, f"unreadable field ({exc})") from None
    try:
        dates = read_optional_object(raw, "dates", "")
        start = read_optional_object(dates, "start", "dates")
        local_date = _iso(
            start.get("localDate"),
            "dates.start.localDate",
            date.fromisoformat,
            "a date YYYY-MM-DD",
        )
        if start.get("localTime") in (None, ""):
            local_time = None
        else:
            local_time = _iso(
                start.get("localTime"), "dates.start.localTime", time.fromisoformat, "a time"
            )
        starts_at = _iso(
            start.get("dateTime"), "dates.start.dateTime", _utc, "a UTC time YYYY-MM-DDTHH:MM:SSZ"
        )
        status_where = "dates.status"
        code = _text(read_optional_object(dates, "status", "dates"), "code", status_where, 32)
        status = STATUS_SPELLINGS.get(code.lower(), code.lower()) or "onsale"
        if status not in KNOWN_STATUSES:
            raise MalformedAnswer(
                "dates.status.code", f"{code!r} is not a Ticketmaster event status"
            )
        embedded = read_optional_object(raw, "_embedded", "")
        venues = read_list(embedded, "venues", "_embedded")
        venue = parse_venue(venues[0], "_embedded.venues[0]") if venues else None
        event = TicketmasterEvent(
            tm_event_id=tm_event_id,
            name=_text(raw, "name", "", EVENT_NAME_MAX_LENGTH),
            local_date=local_date,
            local_time=local_time,
            starts_at=starts_at,
            date_tba=read_bool(start, "dateTBA", "dates.start")
            or read_bool(start, "dateTBD", "dates.start"),
            time_tba=read_bool(start, "timeTBA", "dates.start")
            or read_bool(start, "noSpecificTime", "dates.start"),
            status=status,
            url=_url(raw, "url", ""),
            image_url=_best_image(raw.get("images")),
            venue=venue,
        )
    except MalformedAnswer as exc:
        raise MalformedEventError(tm_event_id, f"unreadable field ({exc})") from None
    return event


def parse_events_page(raw: Any) -> EventsPage:
    """An events search answer; raises `MalformedAnswer` if the page itself is unusable
    (its events are checked one by one later)."""
    body = read_object(raw, "")
    page = read_object(body.get("page"), "page")
    embedded = read_optional_object(body, "_embedded", "")
    return EventsPage(
        events=read_list(embedded, "events", "_embedded"),
        total=read_int(page, "totalElements", "page", minimum=0),
        total_pages=read_int(page, "totalPages", "page", minimum=0),
    )


def parse_attraction(raw: Any, where: str = "attraction") -> TicketmasterAttraction:
    """A typed attraction; raises `MalformedAnswer` naming the field that is wrong."""
    raw = read_object(raw, where)
    tm_attraction_id = read_id(raw.get("id"), field_path(where, "id"), max_length=ID_MAX_LENGTH)
    name = _text(raw, "name", where, TEXT_MAX_LENGTH["name"])
    if not name:
        raise MalformedAnswer(field_path(where, "name"), "missing: an attraction has a name")
    links = read_optional_object(raw, "externalLinks", where)
    spotify_id = None
    links_where = field_path(where, "externalLinks")
    for n, link in enumerate(read_list(links, "spotify", links_where)):
        link_where = field_path(field_path(links_where, "spotify"), n)
        url = _text(read_object(link, link_where), "url", link_where, URL_MAX_LENGTH)
        spotify_id = parse_spotify_artist_id(url)
        if spotify_id:
            break
    genres: list[str] = []
    for n, classification in enumerate(read_list(raw, "classifications", where)):
        classification_where = field_path(field_path(where, "classifications"), n)
        classification = read_object(classification, classification_where)
        for level in ("genre", "subGenre"):
            level_where = field_path(classification_where, level)
            genre = read_optional_object(classification, level, classification_where)
            name_of_genre = _text(genre, "name", level_where, 100)
            if name_of_genre.lower() not in IGNORED_GENRES and name_of_genre not in genres:
                genres.append(name_of_genre)
    return TicketmasterAttraction(
        tm_attraction_id=tm_attraction_id,
        name=name,
        url=_url(raw, "url", where),
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
        endpoint = "attraction details"
        body = await self._upstream.get_json(
            endpoint, f"/discovery/v2/attractions/{tm_attraction_id}.json"
        )
        with self._upstream.reading(endpoint):
            return parse_attraction(body)

    async def search_attractions(
        self, keyword: str, *, size: int = 20
    ) -> list[TicketmasterAttraction]:
        endpoint = "attraction search"
        body = await self._upstream.get_json(
            endpoint, "/discovery/v2/attractions.json", params={"keyword": keyword, "size": size}
        )
        with self._upstream.reading(endpoint):
            embedded = read_optional_object(read_object(body, ""), "_embedded", "")
            raws = read_list(embedded, "attractions", "_embedded")
            return [
                parse_attraction(raw, f"_embedded.attractions[{n}]") for n, raw in enumerate(raws)
            ]

    async def venue(self, tm_venue_id: str) -> TicketmasterVenue:
        endpoint = "venue details"
        body = await self._upstream.get_json(endpoint, f"/discovery/v2/venues/{tm_venue_id}.json")
        with self._upstream.reading(endpoint):
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
        total, total_pages = first.total, first.total_pages
        pages = [first]
        self._collect(first, result, seen)
        if on_page:
            await on_page(result, total)
        last_page = min(total_pages - 1, MAX_PAGE_INDEX)

        async def fetch(number: int) -> EventsPage:
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
            raw.get("id") for page in pages for raw in page.events if isinstance(raw, dict)
        }
        starts = [
            event.starts_at
            for event in result.events
            if event.tm_event_id in window_ids and event.starts_at is not None
        ]
        return max(starts) if starts else None

    async def _events_page(self, params: dict[str, Any], number: int) -> EventsPage:
        endpoint = "events search"
        body = await self._upstream.get_json(
            endpoint, "/discovery/v2/events.json", params=params | {"page": number}
        )
        with self._upstream.reading(endpoint):
            return parse_events_page(body)

    @staticmethod
    def _collect(page: EventsPage, result: UpcomingEvents, seen: set[str]) -> None:
        result.pages += 1
        for raw in page.events:
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
