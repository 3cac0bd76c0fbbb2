"""Ticketmaster Discovery v2, served from a `World` (see shared/UPSTREAM.md).

Bodies, limits and error texts follow UPSTREAM.md; the texts it marks
*unconfirmed* are collected at the top of this module so they are easy to change.

Dates, decided here and nowhere else:
- An event's start instant is its local date and time in the event's
  timezone (else its venue's, else UTC), converted to UTC. Events with a date
  but no time (time TBA or no specific time) start at local midnight; only
  `localDate` is sent for them, as Ticketmaster does.
- `startDateTime`/`endDateTime` filter on that instant, both ends inclusive.
- TBA events (no date) have no instant. As Ticketmaster's `includeTBA`
  default says ("no if date parameter sent, yes otherwise"), they are listed
  when no date bound is given and left out when one is; `includeTBA=yes` lists
  them whatever the range (they cannot be outside it), `includeTBA=only` lists
  only them. The sandbox has no TBD events: `includeTBD=only` lists nothing.
- Sorting by date puts TBA events last in both directions.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from pyrate_limiter import Rate
from starlette.requests import Request
from starlette.responses import Response

from sandbox.common import TicketmasterJSON, digest, digest_int, fold, parse_int
from sandbox.config import SandboxConfig
from sandbox.gateway import FixedWindowQuota, WindowLimiter
from sandbox.world import Artist, Event, Venue, World

BASE_PATH = "/discovery/v2"
MAX_SIZE = 200
MAX_DEPTH = 1000  # page * size above this is refused (DIS1035)
MAX_TOTAL_ELEMENTS = 10_000
DEFAULT_SIZE = 20
LOCALE = "en-us"
DATETIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
_DATETIME_SHAPE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")
# The swagger file's pattern for `sort`.
_SORT_SHAPE = re.compile(
    r"((name|date|relevance|name,date|date,name),(asc|desc))|(distance,asc)"
    r"|(onSaleStartDate,asc)|(id,asc)"
)
_INCLUDE_VALUES = ("yes", "no", "only")
MUSIC_SEGMENT = {"id": "KZFzniwnSyZfZ7v7nJ", "name": "Music"}


# --- Error bodies -----------------------------------------------------------


def _errors(status: int, code: str, detail: str, status_text: str) -> Response:
    """Discovery's `{"errors": [...]}` envelope."""
    about = {"about": {"href": f"{BASE_PATH}/errors.html#{code}"}}
    body = {"errors": [{"code": code, "detail": detail, "status": status_text, "_links": about}]}
    return TicketmasterJSON(body, status_code=status)


def _fault(status: int, faultstring: str, errorcode: str) -> Response:
    """The API gateway's `{"fault": ...}` envelope (auth, quotas, gateway errors)."""
    body = {"fault": {"faultstring": faultstring, "detail": {"errorcode": errorcode}}}
    return TicketmasterJSON(body, status_code=status)


def not_found(resource_id: str) -> Response:
    """404 DIS1004, verbatim from UPSTREAM.md."""
    detail = f"Resource not found with provided criteria (locale={LOCALE}, id={resource_id})"
    return _errors(404, "DIS1004", detail, "404")


def paging_too_deep() -> Response:
    """400 DIS1035, verbatim from UPSTREAM.md."""
    detail = "API Limits Exceeded: Max paging depth exceeded. (page * size) must be less than 1,000"
    return _errors(400, "DIS1035", detail, "400 BAD_REQUEST")


def size_too_big() -> Response:
    """400 DIS1036 (text unconfirmed; live says "must be less than 200" though 200 works)."""
    detail = "API Limits Exceeded: Max page size exceeded. (size) must be less than 200"
    return _errors(400, "DIS1036", detail, "400 BAD_REQUEST")


def invalid_param(name: str, value: str) -> Response:
    """400 DIS1015 for a malformed query parameter (text unconfirmed)."""
    detail = f"Query param with name '{name}' has an invalid value: '{value}'"
    return _errors(400, "DIS1015", detail, "400 BAD_REQUEST")


def invalid_key() -> Response:
    """401 for a missing or unknown `apikey`, verbatim from UPSTREAM.md."""
    return _fault(401, "Invalid ApiKey", "oauth.v2.InvalidApiKey")


def spike_arrest(rps: int) -> Response:
    """429 for the per-second limit (faultstring unconfirmed; no Retry-After)."""
    return _fault(
        429,
        f"Spike arrest violation. Allowed rate : {rps}ps",
        "policies.ratelimit.SpikeArrestViolation",
    )


def quota_violation(key: str) -> Response:
    """429 for the daily quota, verbatim from UPSTREAM.md."""
    return _fault(
        429,
        f"Rate limit quota violation. Quota limit exceeded. Identifier : {key}",
        "policies.ratelimit.QuotaViolation",
    )


# Gateway-style 5xx answers for injected faults (unconfirmed; the 502/503 texts are
# the API gateway's usual ones).
_FAULTS = {
    500: ("Internal Server Error", "messaging.adaptors.http.flow.InternalServerError"),
    502: ("Unexpected EOF at target", "messaging.adaptors.http.flow.UnexpectedEOFAtTarget"),
    503: (
        "The Service is temporarily unavailable",
        "messaging.adaptors.http.flow.ServiceUnavailable",
    ),
}


# --- Shapes -----------------------------------------------------------------


def _images(entity_id: str) -> list[dict[str, Any]]:
    """Three image sizes with the ratios Ticketmaster uses."""
    key = digest("tm-image", entity_id)[:24]
    sizes = (("16_9", 640, 360), ("3_2", 640, 427), ("4_3", 305, 225))
    return [
        {
            "ratio": ratio,
            "url": f"https://s1.ticketm.net/dam/a/{key[:3]}/{key}_{ratio}_{width}.jpg",
            "width": width,
            "height": height,
            "fallback": False,
        }
        for ratio, width, height in sizes
    ]


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", fold(name)).strip("-") or "artist"


def _classification(artist: Artist | None) -> dict[str, Any]:
    genre = artist.genres[0] if artist and artist.genres else "Undefined"
    return {
        "primary": True,
        "segment": MUSIC_SEGMENT,
        "genre": {"id": "KnvZfZ7v" + digest("genre", genre)[:3], "name": genre},
        "subGenre": {"id": "KZazBEonSMnZfZ7v" + digest("sub", genre)[:3], "name": genre},
        "type": {"id": "KZAyXgnZfZ7v7nI", "name": "Undefined"},
        "subType": {"id": "KZFzBErXgnZfZ7v7lJ", "name": "Undefined"},
        "family": False,
    }


def _start_instant(event: Event) -> datetime | None:
    """UTC start used for filtering and sorting; None for TBA events."""
    if _is_tba(event):
        return None
    tz_name = event.timezone or (event.venue.timezone if event.venue else None)
    local = datetime.fromisoformat(f"{event.local_date}T{event.local_time or '00:00:00'}")
    return local.replace(tzinfo=ZoneInfo(tz_name) if tz_name else UTC).astimezone(UTC)


def _is_tba(event: Event) -> bool:
    return event.date_tba or event.local_date is None


def _start(event: Event, instant: datetime | None) -> dict[str, Any]:
    """`dates.start`: only `localDate` when the time is unknown, nothing when the date is."""
    tba = _is_tba(event)
    time_known = not tba and event.local_time is not None and not event.time_tba
    start: dict[str, Any] = {}
    if not tba:
        start["localDate"] = event.local_date
    if time_known and instant is not None:
        start["localTime"] = event.local_time
        start["dateTime"] = instant.strftime(DATETIME_FORMAT)
    start["dateTBD"] = False
    start["dateTBA"] = tba
    start["timeTBA"] = tba or event.time_tba
    start["noSpecificTime"] = not tba and not time_known and not event.time_tba
    return start


@dataclass(slots=True)
class _Listed:
    """An event with what listing needs precomputed."""

    event: Event
    position: int  # world order: what "relevance" means here
    instant: datetime | None
    body: dict[str, Any]

    @property
    def tba(self) -> bool:
        return self.instant is None


@dataclass(frozen=True, slots=True)
class _Index:
    """What the handlers look up, built from one state of the world."""

    artists: dict[str, Artist]
    events_by_attraction: dict[str, list[str]]
    attraction_bodies: dict[str, dict[str, Any]]
    venue_bodies: dict[str, dict[str, Any]]
    events: dict[str, _Listed]  # in world order
    all_event_ids: list[str]


class Ticketmaster:
    """Discovery v2 handlers plus the gateway hooks (key check, limits, headers)."""

    credential_params = frozenset({"apikey"})

    def __init__(self, world: World, config: SandboxConfig) -> None:
        self.config = config
        # Two windows, not one bucket with two rates: the quota may be below the
        # per-second rate, which a single rate list cannot express.
        self.spike_limiter = WindowLimiter([Rate(config.tm_rps, 1000)] if config.tm_rps else [])
        # The quota is a fixed window per key opened by its first request, not a rolling
        # day: Ticketmaster announces one moment (`Rate-Limit-Reset`) when it resets.
        self.quota = FixedWindowQuota(config.tm_daily_quota, config.tm_quota_window_ms)
        # Venues stay once served: one whose last event went away has none upcoming.
        self._venues: dict[str, Venue] = {}
        self.reindex(world)

    # --- index --------------------------------------------------------------

    def reindex(self, world: World) -> None:
        """Build every lookup and every body that does not depend on the request.

        Called once at start and again after the world changed (`sandbox.advance`).
        Everything is built into new dicts first and then assigned, so a handler
        never sees a lookup half rebuilt or one built from another world.
        """
        artists: dict[str, Artist] = {}
        events: dict[str, tuple[Event, list[Artist]]] = {}
        venues = dict(self._venues)  # by id, the first description met
        events_by_attraction: dict[str, list[str]] = defaultdict(list)
        venue_events: dict[str, set[str]] = defaultdict(set)
        for artist in world.artists:
            artists.setdefault(artist.tm_attraction_id, artist)
            own = events_by_attraction[artist.tm_attraction_id]
            for event in artist.events:
                entry = events.setdefault(event.tm_event_id, (event, []))
                # Identity, not ==: dataclass equality would compare whole catalogs.
                if all(a is not artist for a in entry[1]):
                    entry[1].append(artist)
                    own.append(event.tm_event_id)
                if event.venue is not None:
                    venues.setdefault(event.venue.tm_venue_id, event.venue)
                    venue_events[event.venue.tm_venue_id].add(event.tm_event_id)
        attraction_bodies = {aid: self._attraction(a) for aid, a in artists.items()}
        venue_bodies = {vid: self._venue(v, len(venue_events[vid])) for vid, v in venues.items()}
        listed: dict[str, _Listed] = {}
        for position, (event_id, (event, bill)) in enumerate(events.items()):
            instant = _start_instant(event)
            body = self._event(event, bill, instant, venue_bodies, attraction_bodies)
            listed[event_id] = _Listed(event, position, instant, body)
        self._venues = venues
        # One assignment: a request is answered from all old or all new lookups.
        self.index = _Index(
            artists=artists,
            events_by_attraction=dict(events_by_attraction),
            attraction_bodies=attraction_bodies,
            venue_bodies=venue_bodies,
            events=listed,
            all_event_ids=list(listed),
        )

    def _attraction(self, artist: Artist) -> dict[str, Any]:
        aid = artist.tm_attraction_id
        body: dict[str, Any] = {
            "name": artist.name,
            "type": "attraction",
            "id": aid,
            "test": False,
            "url": f"https://www.ticketmaster.com/{_slug(artist.name)}-tickets/artist/{aid}",
            "locale": LOCALE,
        }
        if artist.spotify_linked and artist.spotify_id:
            # Real links carry a share query string; clients must parse defensively.
            si = digest("si", artist.spotify_id)[:16]
            url = f"https://open.spotify.com/artist/{artist.spotify_id}?si={si}"
            body["externalLinks"] = {"spotify": [{"url": url}]}
        total = len({e.tm_event_id for e in artist.events})
        body["images"] = _images(aid)
        body["classifications"] = [_classification(artist)]
        body["upcomingEvents"] = {"_total": total, "ticketmaster": total, "_filtered": 0}
        body["_links"] = {"self": {"href": f"{BASE_PATH}/attractions/{aid}?locale={LOCALE}"}}
        return body

    def _venue(self, venue: Venue, upcoming: int) -> dict[str, Any]:
        vid = venue.tm_venue_id
        body: dict[str, Any] = {
            "name": venue.name,
            "type": "venue",
            "id": vid,
            "test": False,
            "url": f"https://www.ticketmaster.com/{_slug(venue.name)}-tickets/venue/{vid}",
            "locale": LOCALE,
        }
        if venue.postal_code is not None:
            body["postalCode"] = venue.postal_code
        if venue.timezone is not None:
            body["timezone"] = venue.timezone
        if venue.city is not None:
            body["city"] = {"name": venue.city}  # as given: stray whitespace is real
        state = {"name": venue.state, "stateCode": venue.state_code}
        if any(state.values()):
            body["state"] = {k: v for k, v in state.items() if v is not None}
        country = {"name": venue.country, "countryCode": venue.country_code}
        if any(country.values()):
            body["country"] = {k: v for k, v in country.items() if v is not None}
        if venue.address_line1 is not None:
            body["address"] = {"line1": venue.address_line1}
        if venue.latitude is not None and venue.longitude is not None:
            body["location"] = {"longitude": venue.longitude, "latitude": venue.latitude}
        market = digest_int("market", venue.city or vid) % 120 + 1
        body["markets"] = [{"name": (venue.city or "Unknown").strip(), "id": str(market)}]
        body["dmas"] = [{"id": digest_int("dma", venue.city or vid) % 400 + 200}]
        body["upcomingEvents"] = {"_total": upcoming, "ticketmaster": upcoming, "_filtered": 0}
        body["_links"] = {"self": {"href": f"{BASE_PATH}/venues/{vid}?locale={LOCALE}"}}
        return body

    def _event(
        self,
        event: Event,
        artists: list[Artist],
        instant: datetime | None,
        venue_bodies: dict[str, dict[str, Any]],
        attraction_bodies: dict[str, dict[str, Any]],
    ) -> dict[str, Any]:
        eid = event.tm_event_id
        dates: dict[str, Any] = {"start": _start(event, instant)}
        if event.timezone is not None:  # absent on some events, as live
            dates["timezone"] = event.timezone
        dates["status"] = {"code": event.status}
        dates["spanMultipleDays"] = False
        links: dict[str, Any] = {"self": {"href": f"{BASE_PATH}/events/{eid}?locale={LOCALE}"}}
        embedded: dict[str, Any] = {}
        if event.venue is not None:
            vid = event.venue.tm_venue_id
            links["venues"] = [{"href": f"{BASE_PATH}/venues/{vid}?locale={LOCALE}"}]
            embedded["venues"] = [venue_bodies[vid]]
        if artists:
            links["attractions"] = [
                {"href": f"{BASE_PATH}/attractions/{a.tm_attraction_id}?locale={LOCALE}"}
                for a in artists
            ]
            embedded["attractions"] = [attraction_bodies[a.tm_attraction_id] for a in artists]
        body: dict[str, Any] = {
            "name": event.name,
            "type": "event",
            "id": eid,
            "test": False,
            "url": f"https://www.ticketmaster.com/event/{eid}",
            "locale": LOCALE,
            "images": _images(eid),
            "sales": {
                "public": {
                    "startDateTime": "2025-01-10T15:00:00Z",
                    "startTBD": False,
                    "startTBA": False,
                }
            },
            "dates": dates,
            "classifications": [_classification(artists[0] if artists else None)],
            "_links": links,
        }
        if embedded:
            body["_embedded"] = embedded
        return body

    # --- gateway hooks --------------------------------------------------------

    def authenticate(self, request: Request) -> str | Response:
        """The API key, or 401 when it is missing or not the configured one."""
        key = request.query_params.get("apikey", "")
        expected = self.config.tm_api_key
        if not key or (expected is not None and key != expected):
            return invalid_key()
        return key

    def throttle(self, identity: str, endpoint: str, at_ms: int) -> Response | None:
        """429 over the per-second spike limit or the daily quota.

        Neither carries `Rate-Limit*` headers: UPSTREAM.md says error answers have none.
        """
        if self.spike_limiter.admit(identity, at_ms) is not None:
            return spike_arrest(self.config.tm_rps)
        if not self.quota.admit(identity):
            return quota_violation(identity)
        return None

    def reset_limits(self) -> None:
        """Forget every key's windows."""
        self.spike_limiter.reset()
        self.quota.reset()

    def fault(self, status: int) -> Response:
        """A gateway-style 5xx."""
        return _fault(status, *_FAULTS[status])

    def decorate(self, response: Response, identity: str) -> None:
        """The quota headers successful answers carry: this key's current quota window.

        Available counts this request; at 0 the next request before `Rate-Limit-Reset`
        is a QuotaViolation, the first one from it on opens a full window.
        """
        status = self.quota.status(identity)
        response.headers["Rate-Limit"] = str(status.limit)
        response.headers["Rate-Limit-Available"] = str(status.available)
        response.headers["Rate-Limit-Over"] = "0"  # a success is never over the quota
        response.headers["Rate-Limit-Reset"] = str(status.reset_ms)

    # --- handlers -------------------------------------------------------------

    def event_detail(self, request: Request) -> Response:
        """`GET /events/{id}.json`."""
        event_id = request.path_params["id"]
        listed = self.index.events.get(event_id)
        return TicketmasterJSON(listed.body) if listed else not_found(event_id)

    def attraction_detail(self, request: Request) -> Response:
        """`GET /attractions/{id}.json`."""
        attraction_id = request.path_params["id"]
        body = self.index.attraction_bodies.get(attraction_id)
        return TicketmasterJSON(body) if body else not_found(attraction_id)

    def venue_detail(self, request: Request) -> Response:
        """`GET /venues/{id}.json`."""
        venue_id = request.path_params["id"]
        body = self.index.venue_bodies.get(venue_id)
        return TicketmasterJSON(body) if body else not_found(venue_id)

    def attraction_search(self, request: Request) -> Response:
        """`GET /attractions.json?keyword=`: names containing the keyword, exact ones first."""
        paging = _paging(request)
        if isinstance(paging, Response):
            return paging
        size, page = paging
        keyword = fold(request.query_params.get("keyword", "").strip())
        index = self.index
        matches = []
        for position, (aid, artist) in enumerate(index.artists.items()):
            name = fold(artist.name)
            if keyword in name:
                rank = 0 if name == keyword else 1 if name.startswith(keyword) else 2
                matches.append((rank, position, aid))
        matches.sort()
        bodies = [index.attraction_bodies[aid] for _, _, aid in matches]
        return _page(request, "attractions", bodies, size, page)

    def events_search(self, request: Request) -> Response:
        """`GET /events.json`: filter, sort, duplicate and page as Discovery does."""
        paging = _paging(request)
        if isinstance(paging, Response):
            return paging
        size, page = paging
        params = request.query_params
        bounds: list[datetime | None] = []
        for name in ("startDateTime", "endDateTime"):
            value = params.get(name)
            if value is None or value == "":
                bounds.append(None)
                continue
            parsed = _parse_datetime(value)
            if parsed is None:
                return invalid_param(name, value)
            bounds.append(parsed)
        start, end = bounds
        date_sent = start is not None or end is not None
        include: dict[str, str] = {}
        for name in ("includeTBA", "includeTBD"):
            value = params.get(name, "").strip().lower() or ("no" if date_sent else "yes")
            if value not in _INCLUDE_VALUES:
                return invalid_param(name, params[name])
            include[name] = value
        sort = params.get("sort", "relevance,desc")
        if not _SORT_SHAPE.fullmatch(sort):
            return invalid_param("sort", sort)

        index = self.index
        if "attractionId" in params:
            wanted = [a.strip() for a in params["attractionId"].split(",") if a.strip()]
            ids = list(
                dict.fromkeys(e for a in wanted for e in index.events_by_attraction.get(a, ()))
            )
        else:
            ids = index.all_event_ids
        candidates = [index.events[i] for i in ids]
        if venue_id := params.get("venueId"):
            candidates = [
                c for c in candidates if c.event.venue and c.event.venue.tm_venue_id == venue_id
            ]
        if "only" in (include["includeTBA"], include["includeTBD"]):
            # Only TBA events are asked for (or only TBD ones, which the sandbox has none of).
            selected = [c for c in candidates if c.tba] if include["includeTBA"] == "only" else []
        else:
            selected = [
                c
                for c in candidates
                if (c.tba and include["includeTBA"] == "yes")
                or (
                    c.instant is not None
                    and (start is None or c.instant >= start)
                    and (end is None or c.instant <= end)
                )
            ]
        listing = _with_duplicates(_sorted(selected, sort), size)
        return _page(request, "events", [c.body for c in listing], size, page)


def _parse_datetime(value: str) -> datetime | None:
    """`YYYY-MM-DDTHH:mm:ssZ` as an aware UTC datetime; None for any other form."""
    if not _DATETIME_SHAPE.fullmatch(value):
        return None
    try:
        return datetime.strptime(value, DATETIME_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        return None


def _paging(request: Request) -> tuple[int, int] | Response:
    """(size, page) after Discovery's checks: size 1..200, page >= 0, page*size <= 1000."""
    params = request.query_params
    size = parse_int(params.get("size"), DEFAULT_SIZE)
    if size is None or size < 1:
        return invalid_param("size", params["size"])
    if size > MAX_SIZE:
        return size_too_big()
    page = parse_int(params.get("page"), 0)
    if page is None or page < 0:
        return invalid_param("page", params["page"])
    if page * size > MAX_DEPTH:
        return paging_too_deep()
    return size, page


def _sorted(events: list[_Listed], sort: str) -> list[_Listed]:
    """Events in `sort` order; ties keep world order; TBA events last when sorting by date."""
    *fields, direction = sort.split(",")
    reverse = direction == "desc"

    def key(listed: _Listed) -> tuple[Any, ...]:
        parts: list[Any] = []
        for name in fields:
            if name == "date" and listed.instant is not None:
                parts.append(listed.instant)
            elif name == "name":
                parts.append(fold(listed.event.name))
            elif name == "id":
                parts.append(listed.event.tm_event_id)
            elif name != "date":  # relevance and the location/onsale sorts: world order
                parts.append(-listed.position if name == "relevance" else listed.position)
        return (*parts, listed.position)

    if "date" not in fields:
        return sorted(events, key=key, reverse=reverse)
    dated = sorted((e for e in events if not e.tba), key=key, reverse=reverse)
    return dated + sorted((e for e in events if e.tba), key=key, reverse=reverse)


def _with_duplicates(events: list[_Listed], size: int) -> list[_Listed]:
    """The listing with `listed_twice` events repeated about one page later.

    Ticketmaster's duplicates show up across pages, so the second copy is put
    `size` places after the first (or last, near the end).
    """
    listing: list[_Listed] = []
    pending: dict[int, list[_Listed]] = defaultdict(list)
    for index, listed in enumerate(events):
        listing.append(listed)
        if listed.event.listed_twice:
            pending[index + size].append(listed)
        listing.extend(pending.pop(index, ()))
    for index in sorted(pending):
        listing.extend(pending[index])
    return listing


def _page(
    request: Request, kind: str, bodies: list[dict[str, Any]], size: int, page: int
) -> Response:
    """A Discovery search answer: `_embedded` (absent when empty), `_links`, `page`."""
    total = min(len(bodies), MAX_TOTAL_ELEMENTS)
    total_pages = math.ceil(total / size)
    items = bodies[page * size : (page + 1) * size]
    body: dict[str, Any] = {}
    if items:
        body["_embedded"] = {kind: items}
    body["_links"] = _links(request, page, total_pages, size)
    body["page"] = {
        "size": size,
        "totalElements": total,
        "totalPages": total_pages,
        "number": page,
    }
    return TicketmasterJSON(body)


def _links(request: Request, page: int, total_pages: int, size: int) -> dict[str, Any]:
    """Relative hrefs without the key; first/last when there are several pages."""
    kept = [
        (k, v) for k, v in request.query_params.multi_items() if k not in ("apikey", "page", "size")
    ]

    def href(number: int) -> dict[str, str]:
        query = urlencode([*kept, ("page", number), ("size", size)], safe=",:")
        return {"href": f"{request.url.path}?{query}"}

    links = {"self": href(page)}
    if total_pages > 1:
        links["first"] = href(0)
        if page > 0:
            links["prev"] = href(min(page, total_pages) - 1)
        if page < total_pages - 1:
            links["next"] = href(page + 1)
        links["last"] = href(total_pages - 1)
    return links
