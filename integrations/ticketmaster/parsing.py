"""Ticketmaster answers into typed records (pure functions).

Strict about what is stored (ids, dates, statuses, numbers: a wrong type is named),
lenient about what is only shown (images); text is cleaned and cut to its column.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any

from integrations.http.errors import MalformedAnswer
from integrations.http.images import best_image_url
from integrations.http.readers import (
    URL_MAX_LENGTH,
    field_path,
    json_kind,
    read_bool,
    read_id,
    read_int,
    read_list,
    read_object,
    read_optional_object,
    read_text,
    read_url,
)
from integrations.spotify.parsing import parse_spotify_artist_id
from integrations.ticketmaster.records import (
    TM_ID_MAX_LENGTH,
    BilledAct,
    EventsPage,
    MalformedEventError,
    TicketmasterAttraction,
    TicketmasterEvent,
    TicketmasterVenue,
)

TM_DATETIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"  # the only format the date filters accept
# The same, read: checked by a pattern, then parsed by `fromisoformat` (strptime costs
# twice as much, for each of the 1,350 events of a prolific artist).
_TM_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")
STATUS_SPELLINGS = {"canceled": "cancelled"}
KNOWN_STATUSES = frozenset({"onsale", "offsale", "cancelled", "postponed", "rescheduled"})
IGNORED_GENRES = {"", "undefined", "other"}
TEXT_MAX_LENGTH = {"name": 300, "address": 500, "city": 200, "state": 200, "country": 200}
EVENT_NAME_MAX_LENGTH = 500


def _text(raw: dict[str, Any], name: str, where: str, max_length: int = 200) -> str:
    return read_text(raw, name, where, max_length=max_length)


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


def parse_venue(raw: Any, where: str = "venue") -> TicketmasterVenue:
    """A typed venue; raises `MalformedAnswer` naming the field that is wrong."""
    raw = read_object(raw, where)
    tm_venue_id = read_id(raw.get("id"), field_path(where, "id"), max_length=TM_ID_MAX_LENGTH)
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
    if not _TM_DATETIME.fullmatch(value):
        raise ValueError(value)
    return datetime.fromisoformat(value[:-1]).replace(tzinfo=UTC)


def parse_bill(embedded: dict[str, Any]) -> tuple[BilledAct, ...] | None:
    """The acts of `_embedded.attractions` in Ticketmaster's order, each once (an act
    listed twice keeps its first place); None when the event embeds no attractions key,
    which leaves its bill unknown. An act without a readable id makes the event malformed:
    a bill is stored data."""
    if embedded.get("attractions") is None:
        return None
    acts: dict[str, BilledAct] = {}
    for index, raw in enumerate(read_list(embedded, "attractions", "_embedded")):
        where = f"_embedded.attractions[{index}]"
        act = read_object(raw, where)
        tm_attraction_id = read_id(
            act.get("id"), field_path(where, "id"), max_length=TM_ID_MAX_LENGTH
        )
        name = _text(act, "name", where, TEXT_MAX_LENGTH["name"])
        acts.setdefault(tm_attraction_id, BilledAct(tm_attraction_id, name))
    return tuple(acts.values())


def parse_event(raw: Any) -> TicketmasterEvent:
    """A typed event; raises `MalformedEventError` naming what is wrong."""
    tm_event_id = raw.get("id") if isinstance(raw, dict) else None
    if not isinstance(tm_event_id, str) or not tm_event_id:
        raise MalformedEventError(None, "no event id")
    try:
        read_id(tm_event_id, "id", max_length=TM_ID_MAX_LENGTH)
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
            url=read_url(raw, "url", ""),
            image_url=best_image_url(raw.get("images"), preferred_ratio="16_9"),
            venue=venue,
            bill=parse_bill(embedded),
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
    tm_attraction_id = read_id(raw.get("id"), field_path(where, "id"), max_length=TM_ID_MAX_LENGTH)
    name = _text(raw, "name", where, TEXT_MAX_LENGTH["name"])
    if not name:
        raise MalformedAnswer(field_path(where, "name"), "missing: an attraction has a name")
    links = read_optional_object(raw, "externalLinks", where)
    spotify_id = None
    links_where = field_path(where, "externalLinks")
    for n, link in enumerate(read_list(links, "spotify", links_where)):
        link_where = field_path(field_path(links_where, "spotify"), n)
        url = read_text(read_object(link, link_where), "url", link_where, max_length=URL_MAX_LENGTH)
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
        url=read_url(raw, "url", where),
        image_url=best_image_url(raw.get("images"), preferred_ratio="16_9"),
        genres=tuple(genres),
        spotify_id=spotify_id,
    )
