"""What every upstream answer goes through: statistics, latency, rate limits, faults.

The provider modules (`ticketmaster`, `spotify`) only know how to answer a
well-formed, admitted request. This module wraps each of their handlers into
an ASGI endpoint that, in order:

1. counts the request (per endpoint, in flight, `repeated`),
2. sleeps the configured latency (+/- jitter, seeded) without blocking the loop,
3. authenticates (provider-specific; 401 bodies are the provider's),
4. applies the provider's rate limit (429, counted in `rate_limited`), counting
   the request when its latency brought it in, however late this loop woke,
5. rolls for a fault (500/502/503 or a dropped connection),
6. runs the handler and lets the provider decorate successful answers.

Fault policy, decided here and nowhere else:
- Only Ticketmaster Discovery and Spotify Web API requests can fault. The
  accounts token endpoint and `/_sandbox/*` never do, so a run's fault count is
  a count of data requests and authentication stays deterministic.
- Requests refused before the roll (401, 429) neither fault nor consume a roll,
  because whether they happen depends on timing; everything after is not.
- The roll is `sha256(seed, method, path + sorted query minus credentials,
  occurrence)` where occurrence counts earlier rolls of that same request. So
  the n-th attempt of a given request gets the same outcome whatever the order
  of concurrent requests, and a retry gets a fresh roll. `/_sandbox/reset`
  restarts the occurrence counts (and so the sequence).
"""

from __future__ import annotations

import asyncio
import hashlib
import random
import time
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlencode

from pyrate_limiter import InMemoryBucket, Rate, RateItem
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from sandbox.config import SandboxConfig

# Scope extension the in-process transport sets: a dropped connection must then
# raise (httpx.ASGITransport cannot see a half-sent body), not just stop sending.
IN_PROCESS_EXTENSION = "sandbox.in_process"

FAULT_KINDS: tuple[int | str, ...] = (500, 502, 503, "drop")


class ConnectionDropped(Exception):
    """Raised in-process when the sandbox drops a connection mid-answer."""


Handler = Callable[[Request], Response | Awaitable[Response]]


class Provider(Protocol):
    """The provider-specific parts of the gateway's pipeline."""

    credential_params: frozenset[str]

    def authenticate(self, request: Request) -> str | Response:
        """The caller's identity (API key, app id), or the provider's refusal."""
        ...

    def throttle(self, identity: str, endpoint: str, at_ms: int) -> Response | None:
        """The provider's 429 when `identity` is over its limit, else None (and counted);
        `at_ms` is when the request reached the upstream."""
        ...

    def fault(self, status: int) -> Response:
        """A provider-style 5xx answer."""
        ...

    def decorate(self, response: Response, identity: str) -> None:
        """Add what the provider puts on successful answers (e.g. rate-limit headers)."""
        ...


def now_ms() -> int:
    """Wall-clock epoch milliseconds, the one clock of every limit and quota here.

    Epoch time because Ticketmaster reports its quota reset in epoch milliseconds;
    tests may replace this function to move time without sleeping.
    """
    return time.time_ns() // 1_000_000


async def latency(seconds: float) -> None:
    """The simulated network's wait (a test may replace it to wake late, as a busy
    loop does)."""
    await asyncio.sleep(seconds)


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a limiter refused a request, and for how long the identity must wait."""

    wait_ms: int  # until the identity may try again (at least 1)
    held: bool  # refused by an earlier `hold`, not by a full window


class WindowLimiter:
    """Rolling-window limits per identity; refused requests are not counted.

    `hold` refuses an identity outright until a moment, whatever its window, so
    an answer that told a client when to come back (Retry-After) stays true.
    """

    def __init__(self, rates: list[Rate]) -> None:
        self._rates = rates
        self._buckets: dict[str, InMemoryBucket] = {}
        self._held_until: dict[str, int] = {}
        self._last_ms: dict[str, int] = {}

    def admit(self, identity: str, at_ms: int | None = None) -> Refusal | None:
        """Record one request and return None if it is admitted, else why not.

        `at_ms`: when the request reached the upstream (default now). An identity's
        requests are recorded in the order they are admitted, never before the last."""
        now = now_ms() if at_ms is None else at_ms
        now = max(now, self._last_ms.get(identity, now))
        self._last_ms[identity] = now
        held_until = self._held_until.get(identity)
        if held_until is not None:
            if now < held_until:
                return Refusal(held_until - now, held=True)
            del self._held_until[identity]
        if not self._rates:
            return None
        bucket = self._buckets.get(identity)
        if bucket is None:
            bucket = self._buckets[identity] = InMemoryBucket(self._rates)
        bucket.leak(now)
        decision = bucket.put_decision(RateItem(identity, now))
        if decision.allowed:
            return None
        return Refusal(max(1, decision.retry_after_ms or 1), held=False)

    def hold(self, identity: str, wait_ms: int) -> None:
        """Refuse every request of `identity` for the next `wait_ms` milliseconds."""
        self._held_until[identity] = now_ms() + wait_ms

    def reset(self) -> None:
        """Forget every window and hold."""
        self._buckets.clear()
        self._held_until.clear()
        self._last_ms.clear()


@dataclass(slots=True)
class _QuotaWindow:
    start_ms: int
    used: int = 0


@dataclass(frozen=True, slots=True)
class QuotaStatus:
    """Where an identity stands in its current quota window."""

    limit: int
    available: int
    reset_ms: int  # epoch ms when the window closes and the full quota is back


class FixedWindowQuota:
    """`limit` requests per identity per fixed window of `window_ms`; refusals not counted.

    An identity's window opens at its first request and closes `window_ms` later,
    all at once: the next request after that opens a new window with the full
    quota. Unlike a rolling window, nothing is given back request by request
    before the close, so "available 0 until the reset, full quota after" holds.
    """

    def __init__(self, limit: int, window_ms: int) -> None:
        self.limit = limit
        self.window_ms = window_ms
        self._windows: dict[str, _QuotaWindow] = {}

    def admit(self, identity: str) -> bool:
        """Count one request in the identity's window; False when the window is used up."""
        now = now_ms()
        window = self._windows.get(identity)
        if window is None or now >= window.start_ms + self.window_ms:
            window = self._windows[identity] = _QuotaWindow(start_ms=now)
        if window.used >= self.limit:
            return False
        window.used += 1
        return True

    def status(self, identity: str) -> QuotaStatus:
        """The identity's window as the requests counted so far left it.

        Never opens a window: an answer describes the window its request was
        counted in, even if that window closed while the answer was being built.
        """
        window = self._windows.get(identity)
        if window is None:  # e.g. the windows were reset while the request was served
            return QuotaStatus(self.limit, self.limit, now_ms() + self.window_ms)
        return QuotaStatus(
            self.limit, max(0, self.limit - window.used), window.start_ms + self.window_ms
        )

    def reset(self) -> None:
        """Forget every window."""
        self._windows.clear()


@dataclass
class Stats:
    """Counters served by `GET /_sandbox/stats`; see `snapshot` for the shape."""

    requests: Counter[str] = field(default_factory=Counter)
    responses: Counter[str] = field(default_factory=Counter)
    endpoint_responses: defaultdict[str, Counter[str]] = field(
        default_factory=lambda: defaultdict(Counter)
    )
    rate_limited: Counter[str] = field(default_factory=Counter)
    faults: Counter[str] = field(default_factory=Counter)
    fault_kinds: Counter[str] = field(default_factory=Counter)
    repeated: Counter[str] = field(default_factory=Counter)
    batch_ids: defaultdict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    in_flight: int = 0
    peak_concurrency: int = 0
    # Canonical requests that got a 200 so far: a later identical request is "repeated".
    succeeded: set[str] = field(default_factory=set)

    def record_response(self, endpoint: str, status: int | str) -> None:
        """Count one answer (status code, or "dropped") for `endpoint`."""
        self.responses[str(status)] += 1
        self.endpoint_responses[endpoint][str(status)] += 1

    def snapshot(self) -> dict[str, Any]:
        """JSON-ready view; endpoint names are `tm.*`, `spotify.*`, `accounts.token`."""
        return {
            "requests_total": sum(self.requests.values()),
            "requests": dict(self.requests),
            "responses": dict(self.responses),
            "endpoints": {
                name: {"requests": self.requests[name], "responses": dict(counts)}
                for name, counts in self.endpoint_responses.items()
            },
            "rate_limited": sum(self.rate_limited.values()),
            "rate_limited_by_endpoint": dict(self.rate_limited),
            "faults": sum(self.faults.values()),
            "faults_by_endpoint": dict(self.faults),
            "faults_by_kind": dict(self.fault_kinds),
            "repeated": dict(self.repeated),
            "repeated_total": sum(self.repeated.values()),
            "batch_ids": dict(self.batch_ids),
            "in_flight": self.in_flight,
            "peak_concurrency": self.peak_concurrency,
        }


class FaultPlan:
    """Reproducible fault decisions (see the module docstring for the policy)."""

    def __init__(self, rate: float, seed: int) -> None:
        self.rate = rate
        self.seed = seed
        self._occurrences: Counter[str] = Counter()

    def roll(self, method: str, canonical: str) -> int | str | None:
        """The fault for this attempt of the request (500/502/503/"drop"), or None."""
        if self.rate <= 0:
            return None
        key = f"{method} {canonical}"
        occurrence = self._occurrences[key]
        self._occurrences[key] += 1
        digest = hashlib.sha256(f"{self.seed}\x1f{key}\x1f{occurrence}".encode()).digest()
        draw = int.from_bytes(digest[:8], "big") / 2**64
        if draw >= self.rate:
            return None
        return FAULT_KINDS[digest[8] % len(FAULT_KINDS)]

    def reset(self) -> None:
        """Restart every request's occurrence count."""
        self._occurrences.clear()


def canonical_request(request: Request, drop: frozenset[str]) -> str:
    """Path + sorted query without credential params: identical requests compare equal."""
    items = sorted((k, v) for k, v in request.query_params.multi_items() if k not in drop)
    path = request.scope["path"]  # not request.url: building a URL object costs more
    return f"{path}?{urlencode(items)}" if items else path


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One upstream operation: its stats name, provider and handler."""

    name: str
    provider: Provider | None  # None: no auth / limits (the accounts token endpoint)
    handler: Handler
    can_fault: bool = True


class Gateway:
    """Runs every upstream request through the shared pipeline and keeps the stats."""

    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self.stats = Stats()
        self.faults = FaultPlan(config.fault_rate, config.seed)
        self._latency_rng = random.Random(config.seed)
        self._resettables: list[Callable[[], None]] = [self.faults.reset]

    def on_reset(self, callback: Callable[[], None]) -> None:
        """Register state (e.g. rate-limit windows) that `/_sandbox/reset` must clear."""
        self._resettables.append(callback)

    def reset(self) -> None:
        """Clear stats, rate-limit windows and fault occurrence counts."""
        self.stats = Stats()
        for callback in self._resettables:
            callback()

    def _delay(self) -> float:
        """Seconds to wait before answering: latency +/- uniform jitter."""
        config = self.config
        if not config.latency_ms and not config.jitter_ms:
            return 0.0
        jitter = self._latency_rng.uniform(-config.jitter_ms, config.jitter_ms)
        return max(0.0, config.latency_ms + jitter) / 1000

    def asgi(self, endpoint: Endpoint) -> _EndpointApp:
        """An ASGI app serving `endpoint` through the pipeline."""
        return _EndpointApp(self, endpoint)

    async def serve(self, endpoint: Endpoint, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer one request for `endpoint`, counting it while it is in flight."""
        request = Request(scope, receive)
        stats = self.stats  # a reset mid-request must not skew the new counters
        stats.requests[endpoint.name] += 1
        stats.in_flight += 1
        stats.peak_concurrency = max(stats.peak_concurrency, stats.in_flight)
        try:
            response, dropped = await self._answer(endpoint, request, stats)
        finally:
            stats.in_flight -= 1
        if dropped:
            await _drop(scope, send, response)
        else:
            await response(scope, receive, send)

    async def _answer(
        self, endpoint: Endpoint, request: Request, stats: Stats
    ) -> tuple[Response, bool]:
        """The response to send, and whether to drop the connection half-way through it."""
        provider = endpoint.provider
        credentials = provider.credential_params if provider else frozenset()
        canonical = canonical_request(request, credentials)
        identity_key = f"{request.method} {canonical}"
        if identity_key in stats.succeeded:
            stats.repeated[endpoint.name] += 1

        # The request reaches the upstream after the latency: its rate-limit windows count
        # it then, by that moment, not by when this loop (busy with other requests)
        # wakes from the sleep; a real upstream's clock does not wait for ours.
        delay = self._delay()
        reached_ms = now_ms() + round(delay * 1000)
        if delay:
            await latency(delay)

        identity = ""
        if provider is not None:
            authenticated = provider.authenticate(request)
            if isinstance(authenticated, Response):
                stats.record_response(endpoint.name, authenticated.status_code)
                return authenticated, False
            identity = authenticated
            refusal = provider.throttle(identity, endpoint.name, reached_ms)
            if refusal is not None:
                stats.rate_limited[endpoint.name] += 1
                stats.record_response(endpoint.name, refusal.status_code)
                return refusal, False

        fault = self.faults.roll(request.method, canonical) if endpoint.can_fault else None
        if fault is not None and fault != "drop":
            assert provider is not None and isinstance(fault, int)
            stats.faults[endpoint.name] += 1
            stats.fault_kinds[str(fault)] += 1
            stats.record_response(endpoint.name, fault)
            return provider.fault(fault), False

        response = endpoint.handler(request)
        if not isinstance(response, Response):
            response = await response
        if fault == "drop":
            stats.faults[endpoint.name] += 1
            stats.fault_kinds["drop"] += 1
            stats.record_response(endpoint.name, "dropped")
            return response, True
        if response.status_code == 200:
            if provider is not None:
                provider.decorate(response, identity)
            stats.succeeded.add(identity_key)
        stats.record_response(endpoint.name, response.status_code)
        return response, False


@dataclass(frozen=True, slots=True)
class _EndpointApp:
    """ASGI app for one endpoint (an object, so Starlette routes to it as raw ASGI)."""

    gateway: Gateway
    endpoint: Endpoint

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.gateway.serve(self.endpoint, scope, receive, send)


async def _drop(scope: Scope, send: Send, response: Response) -> None:
    """Announce the full answer, send half of it, then stop as a broken connection does.

    Over a socket, returning with the response incomplete makes uvicorn close
    the connection, so the client sees a truncated body (httpx.RemoteProtocolError).
    In-process there is no socket to close, so the transport is told by raising.
    """
    body = bytes(response.body)
    headers = [(k, v) for k, v in response.raw_headers if k.lower() != b"content-length"]
    headers.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": response.status_code, "headers": headers})
    await send({"type": "http.response.body", "body": body[: len(body) // 2], "more_body": True})
    if IN_PROCESS_EXTENSION in scope.get("extensions", {}):
        raise ConnectionDropped(f"sandbox dropped the connection answering {scope['path']}")
