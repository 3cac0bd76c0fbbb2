"""Ticketmaster Discovery API v2: the endpoints we use, parsed into typed records.

Every request goes through the shared upstream policy (`integrations.http`), with
the key as the `apikey` query parameter and the per-key rate limit.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import httpx
from django.conf import settings

from integrations.http.client import UpstreamClient
from integrations.http.errors import UpstreamError
from integrations.http.quota import QuotaLedger, QuotaObservation
from integrations.http.ratelimit import RateLimiter, key_fingerprint
from integrations.http.stats import UpstreamStats
from integrations.ticketmaster.errors import (
    AttractionNotFound,
    classify_refusal,
    describe_error,
)
from integrations.ticketmaster.parsing import (
    TM_DATETIME_FORMAT,
    parse_attraction,
    parse_event,
    parse_events_page,
)
from integrations.ticketmaster.records import (
    EventsPage,
    MalformedEventError,
    TicketmasterAttraction,
    UpcomingEvents,
)

PROVIDER = "Ticketmaster"
PAGE_SIZE = 200  # the largest page Ticketmaster serves
# Ticketmaster refuses a request whose page * size is above this (DIS1035).
MAX_PAGING_DEPTH = 1000
MAX_PAGE_INDEX = MAX_PAGING_DEPTH // PAGE_SIZE  # page 5 at size 200 is the last one served


def read_quota_headers(response: httpx.Response) -> QuotaObservation | None:
    """The key's daily quota as a successful answer states it (`Rate-Limit`,
    `Rate-Limit-Available`, `Rate-Limit-Reset` in epoch milliseconds); None when the
    answer has none or they are not numbers (error answers carry none)."""
    headers = response.headers
    try:
        return QuotaObservation(
            limit=int(headers["Rate-Limit"]),
            available=int(headers["Rate-Limit-Available"]),
            reset_at=int(headers["Rate-Limit-Reset"]) / 1000,
        )
    except (KeyError, ValueError):
        return None


def ledger_name(api_key: str) -> str:
    """The key's name in the rate limiter and the quota ledger (never the key itself)."""
    return f"ticketmaster:{key_fingerprint(api_key)}"


def quota_ledger() -> QuotaLedger | None:
    """The quota ledger entry of the configured key; None when no key is set."""
    api_key = settings.TICKETMASTER_API_KEY
    return QuotaLedger(ledger_name(api_key)) if api_key else None


class TicketmasterClient:
    """Discovery v2 calls. Use as `async with TicketmasterClient.from_settings() as tm:`."""

    def __init__(self, upstream: UpstreamClient) -> None:
        self._upstream = upstream

    @classmethod
    def from_settings(
        cls, *, transport: httpx.AsyncBaseTransport | None = None, reserve_share: float = 0.0
    ) -> TicketmasterClient:
        """A client on the configured key. With a `reserve_share` (a re-sync's), it sends
        nothing once the key's quota is down to that share of its daily budget."""
        api_key = settings.TICKETMASTER_API_KEY
        if not api_key:
            raise UpstreamError(
                provider=PROVIDER,
                endpoint="configuration",
                status=None,
                detail="TICKETMASTER_API_KEY is not set",
            )
        name = ledger_name(api_key)
        limiter = RateLimiter(
            name=name,
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
            describe_error=describe_error,
            classify_refusal=classify_refusal,
            quota=QuotaLedger(name),
            read_quota=read_quota_headers,
            reserve_share=reserve_share,
        )
        return cls(upstream)

    @property
    def stats(self) -> UpstreamStats:
        return self._upstream.stats

    async def __aenter__(self) -> TicketmasterClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self._upstream.aclose()

    async def attraction(self, tm_attraction_id: str) -> TicketmasterAttraction:
        endpoint = "attraction details"
        try:
            body = await self._upstream.get_json(
                endpoint, f"/discovery/v2/attractions/{tm_attraction_id}.json"
            )
        except UpstreamError as answer:
            if answer.status == 404:
                raise AttractionNotFound(tm_attraction_id, answer) from answer
            raise
        with self._upstream.reading(endpoint):
            return parse_attraction(body)

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

        fetches = [asyncio.ensure_future(fetch(n)) for n in range(1, last_page + 1)]
        try:
            pages += await asyncio.gather(*fetches)
        except BaseException:
            # One page failed or must wait: the others are not wanted any more, and must
            # not report or hand over events after the phase has given up or parked.
            for pending in fetches:
                pending.cancel()
            await asyncio.gather(*fetches, return_exceptions=True)
            raise
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
