"""The one upstream HTTP policy every provider client goes through.

Connection pooling and timeouts (httpx), retries with exponential backoff and
jitter (tenacity) on connection errors, timeouts and 5xx, `Retry-After` on 429
(capped), never a retry on another 4xx, a rate limiter per upstream key
(pyrate-limiter; in-process, or shared through Redis when `REDIS_URL` is set)
and bounded concurrency. Provider clients describe endpoints and parse answers;
they never retry, sleep or count on their own.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import math
import random
import re
import ssl
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson
from django.conf import settings
from pyrate_limiter import Limiter, Rate, RedisBucket, SQLiteBucket
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError
from redis.exceptions import TimeoutError as RedisTimeoutError
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    wait_random_exponential,
)

# Ticketmaster sends no Retry-After on a per-second spike arrest: wait a second.
DEFAULT_429_WAIT_SECONDS = 1.0
# A rate limiter's Redis that stays away longer than this fails the phase.
REDIS_OUTAGE_SECONDS = 30.0
REDIS_OUTAGE_ERRORS = (RedisConnectionError, RedisTimeoutError, NoScriptError)


# An upstream's own words in an error (a message from its body) are cut to this length.
MAX_DETAIL_CHARS = 500


class UpstreamError(Exception):
    """An upstream call that failed for good, described without URLs or secrets."""

    def __init__(self, *, provider: str, endpoint: str, status: int | None, detail: str) -> None:
        self.provider = provider
        self.endpoint = endpoint
        self.status = status
        # The detail may quote the upstream: it is stored on the run (PostgreSQL refuses
        # NUL in text) and shown to staff, so it is kept printable and short.
        detail = detail.replace("\x00", "")
        if len(detail) > MAX_DETAIL_CHARS:
            detail = detail[: MAX_DETAIL_CHARS - 1] + "…"
        self.detail = detail
        super().__init__(str(self))

    def __str__(self) -> str:
        if self.status is None:
            return f"{self.provider} {self.endpoint}: {self.detail}"
        return f"{self.provider} {self.endpoint} answered HTTP {self.status}: {self.detail}"


class UpstreamRateLimited(UpstreamError):
    """429 with a `Retry-After` longer than we are willing to wait in this phase."""


class UpstreamMalformed(UpstreamError):
    """A successful answer that is not what the endpoint documents: not JSON, or JSON of
    another shape (a field missing or of the wrong type). Not transient, so never
    retried: the phase fails, naming the upstream, the endpoint and the field."""


# --- Reading answers -------------------------------------------------------------
# Clients read decoded JSON through these: a value of the documented type comes back
# (display text cleaned for storage), anything else raises `MalformedAnswer` naming
# the field by its path in the answer, e.g. `page.totalElements`.


class MalformedAnswer(ValueError):
    """A decoded answer, or a part of it, that is not shaped as documented."""

    def __init__(self, where: str, problem: str) -> None:
        self.where = where
        self.problem = problem
        super().__init__(f"{where}: {problem}" if where else problem)


def json_kind(value: Any) -> str:
    """What a decoded JSON value is, for messages: `the string 'abc'`, `an array`."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, int | float):
        return f"the number {value!r}"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:40] + "…"
        return f"the string {shown!r}"  # repr: control characters stay visible, NUL too
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def field_path(where: str, name: str | int) -> str:
    if isinstance(name, int):
        return f"{where}[{name}]"
    return f"{where}.{name}" if where else name


_ABSENT = object()


def read_object(value: Any, where: str) -> dict[str, Any]:
    """`value` itself, which must be a JSON object."""
    if not isinstance(value, dict):
        raise MalformedAnswer(where or "answer", f"expected an object, got {json_kind(value)}")
    return value


def read_optional_object(container: dict[str, Any], name: str, where: str) -> dict[str, Any]:
    """The object `container[name]`; `{}` when it is absent or null."""
    value = container.get(name)
    return {} if value is None else read_object(value, field_path(where, name))


def read_list(
    container: dict[str, Any], name: str, where: str, *, required: bool = False
) -> list[Any]:
    """The array `container[name]`; `[]` when absent or null, unless `required`."""
    value = container.get(name)
    if value is None and not required:
        return []
    if not isinstance(value, list):
        raise MalformedAnswer(field_path(where, name), f"expected an array, got {json_kind(value)}")
    return value


def read_int(
    container: dict[str, Any],
    name: str,
    where: str,
    *,
    default: Any = _ABSENT,
    minimum: int | None = None,
    maximum: int | None = None,
) -> Any:
    """The integer `container[name]` (`2.0` counts, `true` does not), within the bounds;
    `default` when absent or null, if one is given."""
    value = container.get(name)
    path = field_path(where, name)
    if value is None:
        if default is _ABSENT:
            raise MalformedAnswer(path, "missing (expected an integer)")
        return default
    if isinstance(value, float) and value.is_integer() and math.isfinite(value):
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise MalformedAnswer(path, f"expected an integer, got {json_kind(value)}")
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        bounds = f"from {minimum}" if maximum is None else f"from {minimum} to {maximum}"
        raise MalformedAnswer(path, f"expected an integer {bounds}, got {value}")
    return value


def read_number(
    container: dict[str, Any], name: str, where: str, *, minimum: float, maximum: float
) -> float | None:
    """The finite number `container[name]` within the bounds; None when absent or null."""
    value = container.get(name)
    if value is None:
        return None
    path = field_path(where, name)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise MalformedAnswer(path, f"expected a number, got {json_kind(value)}")
    if not minimum <= value <= maximum:
        raise MalformedAnswer(path, f"expected a number from {minimum} to {maximum}, got {value}")
    return float(value)


def read_bool(container: dict[str, Any], name: str, where: str) -> bool:
    """The boolean `container[name]`; False when absent or null."""
    value = container.get(name)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise MalformedAnswer(
            field_path(where, name), f"expected a boolean, got {json_kind(value)}"
        )
    return value


def read_id(value: Any, where: str, *, max_length: int) -> str:
    """An upstream id: a non-empty string of printable characters without spaces, at
    most `max_length` long (it becomes a natural key and a URL segment)."""
    if not isinstance(value, str) or not value:
        raise MalformedAnswer(where, f"expected an id, got {json_kind(value)}")
    if len(value) > max_length or not value.isprintable() or any(c.isspace() for c in value):
        raise MalformedAnswer(
            where,
            f"expected an id of at most {max_length} printable characters without spaces, "
            f"got {json_kind(value)}",
        )
    return value


def read_text(container: dict[str, Any], name: str, where: str, *, max_length: int) -> str:
    """Display text `container[name]`: "" when absent or null; surrounding spaces and
    NUL characters (which PostgreSQL cannot store) removed; cut to `max_length`."""
    value = container.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise MalformedAnswer(field_path(where, name), f"expected a string, got {json_kind(value)}")
    return value.replace("\x00", "").strip()[:max_length].strip()


@dataclass
class UpstreamStats:
    """What one client did: requests per endpoint, retries, 429s and time spent waiting."""

    requests: Counter[str] = field(default_factory=Counter)
    retries: int = 0
    rate_limited: int = 0
    retry_after_wait_seconds: float = 0.0
    limiter_wait_seconds: float = 0.0
    # Answers per (endpoint, status): "200", "429", ..., or "timeout"/"error"/"cancelled"
    # when no answer came; they add up to `requests` per endpoint.
    responses: Counter[tuple[str, str]] = field(default_factory=Counter)

    def as_dict(self) -> dict[str, Any]:
        responses: dict[str, dict[str, int]] = {}
        for (endpoint, status), count in sorted(self.responses.items()):
            responses.setdefault(endpoint, {})[status] = count
        return {
            "requests": dict(self.requests),
            "requests_total": sum(self.requests.values()),
            "retries": self.retries,
            "rate_limited": self.rate_limited,
            "retry_after_wait_seconds": round(self.retry_after_wait_seconds, 3),
            "limiter_wait_seconds": round(self.limiter_wait_seconds, 3),
            "responses": responses,
        }


# The clients opened inside `collect_stats()`: a phase records what all of them did.
_collected_stats: ContextVar[list[tuple[str, UpstreamStats]] | None] = ContextVar(
    "collected_upstream_stats", default=None
)


@contextmanager
def collect_stats() -> Iterator[list[tuple[str, UpstreamStats]]]:
    """Yield a list that receives (provider, stats) of every `UpstreamClient` created in
    this context (this task and the tasks it starts), so the caller can count them."""
    collected: list[tuple[str, UpstreamStats]] = []
    token = _collected_stats.set(collected)
    try:
        yield collected
    finally:
        _collected_stats.reset(token)


@dataclass(frozen=True)
class RetryPolicy:
    retries: int
    retry_after_cap_seconds: float
    backoff_initial_seconds: float = 0.25
    backoff_max_seconds: float = 8.0
    # Injectable so tests can observe waits without sleeping.
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep

    @classmethod
    def from_settings(cls) -> RetryPolicy:
        return cls(
            retries=settings.DEFAULT_RETRIES,
            retry_after_cap_seconds=settings.RETRY_AFTER_CAP_SECONDS,
        )


class _RetryableAnswer(Exception):
    """A 5xx or 429 answer: worth another try (after `retry_after` for a 429)."""

    def __init__(self, response: httpx.Response, retry_after: float | None) -> None:
        self.response = response
        self.retry_after = retry_after
        super().__init__(f"HTTP {response.status_code}")


def _is_retryable(exc: BaseException) -> bool:
    # httpx.TimeoutException and connection errors are both TransportErrors.
    return isinstance(exc, _RetryableAnswer | httpx.TransportError)


class _WaitRetryAfterOrBackoff:
    """tenacity wait: what a 429 asks for, else exponential backoff with full jitter."""

    def __init__(self, policy: RetryPolicy) -> None:
        self._backoff = wait_random_exponential(
            multiplier=policy.backoff_initial_seconds, max=policy.backoff_max_seconds
        )

    def __call__(self, retry_state: RetryCallState) -> float:
        exc = retry_state.outcome.exception() if retry_state.outcome else None
        if isinstance(exc, _RetryableAnswer) and exc.response.status_code == 429:
            return exc.retry_after if exc.retry_after is not None else DEFAULT_429_WAIT_SECONDS
        return self._backoff(retry_state)


def describe_error_body(response: httpx.Response) -> str:
    """A short, readable reason from any of the providers' error bodies."""
    try:
        body = response.json()
    except ValueError:
        return response.reason_phrase or "no reason given"
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict):  # Spotify Web API
            message = error.get("message") or response.reason_phrase
            reason = error.get("reason")
            return f"{message} ({reason})" if reason else str(message)
        if isinstance(error, str):  # Spotify accounts
            return f"{error}: {body.get('error_description', '')}".rstrip(": ")
        errors = body.get("errors")
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):  # Ticketmaster
            return f"{errors[0].get('code', '')} {errors[0].get('detail', '')}".strip()
        fault = body.get("fault")
        if isinstance(fault, dict):  # Ticketmaster gateway (key, quota, spike arrest)
            code = (fault.get("detail") or {}).get("errorcode", "")
            return (
                f"{fault.get('faultstring', '')} ({code})" if code else fault.get("faultstring", "")
            )
    return response.reason_phrase or "no reason given"


def _retry_after_seconds(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


# --- Rate limiting ------------------------------------------------------------

# One limiter per file, key and rate in each process: its bucket holds a connection.
_file_limiters: dict[tuple[str, str, float], Limiter] = {}


def _rate(requests_per_second: float) -> Rate:
    """`limit` permits per window, the window widened by RATE_LIMIT_MARGIN_MS: requests
    permitted a window apart can reach the upstream closer together than that, by
    the difference of their network delays, and it counts them on arrival."""
    limit = max(1, round(requests_per_second))
    window_ms = 1000 * limit / requests_per_second + settings.RATE_LIMIT_MARGIN_MS
    return Rate(limit, round(window_ms))


def key_fingerprint(secret: str) -> str:
    """A stable, non-reversible name for an API key (for limiter buckets, never logs)."""
    return hashlib.sha256(secret.encode()).hexdigest()[:16]


class RateLimiter:
    """Requests per second for one upstream key, shared by every process that uses it:
    through Redis when `REDIS_URL` is set, otherwise through a SQLite file guarded by a
    file lock (`RATE_LIMIT_FILE`), which covers the processes of one machine."""

    def __init__(self, *, name: str, requests_per_second: float, redis_url: str | None) -> None:
        self.name = name
        self._rps = requests_per_second
        self._redis_url = redis_url
        self._limiter: Limiter | None = None
        self._redis: Any = None

    async def _get(self) -> Limiter:
        if self._limiter is None:
            if self._redis_url:
                from redis.asyncio import Redis

                # Redis clients belong to one event loop: one per client session.
                self._redis = Redis.from_url(self._redis_url)
                bucket = await RedisBucket.init(
                    [_rate(self._rps)], self._redis, f"theset:ratelimit:{self.name}"
                )
                self._limiter = Limiter(bucket)
            else:
                path = Path(settings.RATE_LIMIT_FILE)
                key = (str(path), self.name, self._rps)
                if key not in _file_limiters:
                    _file_limiters[key] = Limiter(self._file_bucket(path))
                self._limiter = _file_limiters[key]
        return self._limiter

    def _file_bucket(self, path: Path) -> SQLiteBucket:
        path.parent.mkdir(parents=True, exist_ok=True)
        table = re.sub(r"\W", "_", f"rate_{self.name}_{self._rps:g}")
        return SQLiteBucket.init_from_file(
            [_rate(self._rps)], table=table, db_path=str(path), use_file_lock=True
        )

    async def acquire(self) -> float:
        """Wait for a permit; return the seconds waited.

        Not pyrate-limiter's blocking wait: it keeps retrying with the first
        attempt's timestamp, so a permit that waited is filed as if taken back
        then, and a bucket shared with other clients lets a sixth request into a
        second. A fresh attempt after each short sleep is filed when it is taken.

        A Redis restart costs a wait, not the phase (up to REDIS_OUTAGE_SECONDS).
        """
        started = time.monotonic()
        poll = min(0.02, 0.1 / self._rps)
        # One attempt, no waiting. The file bucket's lock is a filelock, which reads
        # pyrate's positional `acquire(False)` as a timeout: it takes timeout=0 instead
        # (with the Redis bucket, timeout=0 would give up before asking Redis).
        attempt = {"blocking": False} if self._redis_url else {"blocking": True, "timeout": 0}
        outage_since: float | None = None
        while True:
            try:
                limiter = await self._get()
                if await limiter.try_acquire_async(self.name, **attempt):
                    return time.monotonic() - started
                outage_since = None
            except REDIS_OUTAGE_ERRORS as exc:
                # Redis restarted or failed over: the dropped connection fails once, then
                # every call fails with NOSCRIPT (the new server has no Lua script). A
                # new client and bucket (which loads the script) until it answers again.
                if not self._redis_url:
                    raise
                with suppress(Exception):
                    await self.aclose()
                self._redis = self._limiter = None
                outage_since = outage_since or time.monotonic()
                if time.monotonic() - outage_since > REDIS_OUTAGE_SECONDS:
                    raise UpstreamError(
                        provider=self.name,
                        endpoint="rate limiter",
                        status=None,
                        detail=f"Redis unavailable for {REDIS_OUTAGE_SECONDS:g} s "
                        f"({type(exc).__name__})",
                    ) from None
                await asyncio.sleep(0.2)
                continue
            await asyncio.sleep(poll * (0.5 + random.random()))  # spread the waiters

    async def aclose(self) -> None:
        if self._redis is not None:
            if self._limiter is not None:
                # The bucket's leak task uses this Redis client: stop it before the client
                # closes, or it fails on the closed connection and its "exception never
                # retrieved" is logged from a finalizer at some later, arbitrary moment.
                leaker = self._limiter.bucket_factory._leaker
                leak_task = leaker.aio_leak_task if leaker is not None else None
                self._limiter.close()
                # redis-py may absorb one cancellation (to clean up its connection) and
                # the task would then sleep out its leak interval: cancel until it ends.
                for _ in range(20):
                    if leak_task is None or leak_task.done():
                        break
                    leak_task.cancel()
                    await asyncio.wait([leak_task], timeout=0.05)
                if leak_task is not None and leak_task.done() and not leak_task.cancelled():
                    leak_task.exception()  # retrieved: nothing is logged for it later
            await self._redis.aclose()
            self._redis = None
            self._limiter = None


# --- The client -----------------------------------------------------------------


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """httpx's default TLS context (certifi, or SSL_CERT_FILE/SSL_CERT_DIR), built once
    per process: loading the CA bundle costs ~50 ms, and every phase opens clients."""
    return httpx.create_ssl_context()


class UpstreamClient:
    """An `httpx.AsyncClient` wrapped in the policy. Use as `async with`."""

    def __init__(
        self,
        *,
        provider: str,
        base_url: str,
        concurrency: int | None = None,
        timeout: float | None = None,
        retry: RetryPolicy | None = None,
        rate_limiter: RateLimiter | None = None,
        params: dict[str, str] | None = None,
        auth: httpx.Auth | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        secrets: tuple[str, ...] = (),
    ) -> None:
        self.provider = provider
        # Upstream answers may quote a key back (Ticketmaster's quota error names it).
        self._secrets = tuple(secret for secret in secrets if secret)
        self.stats = UpstreamStats()
        if (collected := _collected_stats.get()) is not None:
            collected.append((provider, self.stats))
        concurrency = concurrency or settings.DEFAULT_CONCURRENCY
        self._retry = retry or RetryPolicy.from_settings()
        self._rate_limiter = rate_limiter
        self._semaphore = asyncio.Semaphore(concurrency)
        self._http = httpx.AsyncClient(
            base_url=base_url,
            timeout=timeout or settings.DEFAULT_TIMEOUT,
            params=params,
            auth=auth,
            transport=transport,
            verify=_tls_context(),
            limits=httpx.Limits(
                max_connections=concurrency * 2, max_keepalive_connections=concurrency
            ),
            headers={"Accept": "application/json", "User-Agent": "TheSet-importer/1.0"},
        )

    async def __aenter__(self) -> UpstreamClient:
        return self

    @property
    def base_url(self) -> str:
        return str(self._http.base_url)

    def redact(self, text: str) -> str:
        """`text` with every secret this client knows replaced."""
        for secret in self._secrets:
            text = text.replace(secret, "[redacted]")
        return text

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()
        if self._rate_limiter is not None:
            await self._rate_limiter.aclose()

    async def get_json(
        self,
        endpoint: str,
        url: str,
        *,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Any:
        """GET `url` (relative to the base URL, or absolute) and return its JSON body.

        Raises `UpstreamError` naming `endpoint` and the status when the call
        fails for good; `UpstreamRateLimited` when a 429 asks for too long a wait.
        """
        response = await self._send(endpoint, "GET", url, params=params, headers=headers)
        return self._json(endpoint, response)

    async def post_form_json(
        self, endpoint: str, url: str, *, data: dict[str, str], auth: Any
    ) -> Any:
        response = await self._send(endpoint, "POST", url, data=data, auth=auth)
        return self._json(endpoint, response)

    def _json(self, endpoint: str, response: httpx.Response) -> Any:
        # orjson: a few times faster than json on the large pages and batches we parse.
        try:
            return orjson.loads(response.content)
        except orjson.JSONDecodeError as exc:
            where = "empty body" if not response.content else f"{exc.msg} at byte {exc.pos}"
            raise UpstreamMalformed(
                provider=self.provider,
                endpoint=endpoint,
                status=response.status_code,
                detail=f"answer is not valid JSON ({where})",
            ) from None

    @contextmanager
    def reading(self, endpoint: str) -> Iterator[None]:
        """Parse an answer of `endpoint` inside: a `MalformedAnswer` becomes an
        `UpstreamMalformed` naming this upstream and the endpoint."""
        try:
            yield
        except MalformedAnswer as exc:
            raise UpstreamMalformed(
                provider=self.provider,
                endpoint=endpoint,
                status=None,
                detail=f"malformed answer: {exc}",
            ) from None

    async def _send(self, endpoint: str, method: str, url: str, **kwargs: Any) -> httpx.Response:
        retrying = AsyncRetrying(
            retry=retry_if_exception(_is_retryable),
            stop=stop_after_attempt(self._retry.retries + 1),
            wait=_WaitRetryAfterOrBackoff(self._retry),
            sleep=self._retry.sleep,
            before_sleep=self._count_retry,
            reraise=True,
        )
        try:
            return await retrying(self._attempt, endpoint, method, url, **kwargs)
        except _RetryableAnswer as exc:
            raise self._error(endpoint, exc.response) from None
        except httpx.TransportError as exc:
            detail = f"{type(exc).__name__} after {self._retry.retries + 1} attempts"
            if str(exc):
                detail = self.redact(f"{detail}: {exc}")
            raise UpstreamError(
                provider=self.provider, endpoint=endpoint, status=None, detail=detail
            ) from None

    async def _attempt(self, endpoint: str, method: str, url: str, **kwargs: Any) -> httpx.Response:
        async with self._semaphore:
            if self._rate_limiter is not None:
                self.stats.limiter_wait_seconds += await self._rate_limiter.acquire()
            self.stats.requests[endpoint] += 1
            try:
                response = await self._http.request(method, url, **kwargs)
            except BaseException as exc:
                # Cancelled by us (a page no longer needed) is not an upstream error.
                no_answer = (
                    "timeout"
                    if isinstance(exc, httpx.TimeoutException)
                    else "cancelled"
                    if isinstance(exc, asyncio.CancelledError)
                    else "error"
                )
                self.stats.responses[endpoint, no_answer] += 1
                raise
            self.stats.responses[endpoint, str(response.status_code)] += 1
        if response.status_code == 429:
            self.stats.rate_limited += 1
            retry_after = _retry_after_seconds(response)
            if retry_after is not None and retry_after > self._retry.retry_after_cap_seconds:
                raise self._error(endpoint, response, rate_limited=True)
            raise _RetryableAnswer(response, retry_after)
        if response.status_code >= 500:
            raise _RetryableAnswer(response, None)
        if response.status_code >= 400:
            raise self._error(endpoint, response)
        return response

    def _count_retry(self, retry_state: RetryCallState) -> None:
        self.stats.retries += 1
        exc = retry_state.outcome.exception() if retry_state.outcome else None
        if isinstance(exc, _RetryableAnswer) and exc.response.status_code == 429:
            wait = retry_state.upcoming_sleep
            self.stats.retry_after_wait_seconds += wait

    def _error(
        self, endpoint: str, response: httpx.Response, *, rate_limited: bool = False
    ) -> UpstreamError:
        detail = self.redact(describe_error_body(response))
        if rate_limited:
            detail = (
                f"rate limited: Retry-After {response.headers.get('Retry-After')} s is over "
                f"the {self._retry.retry_after_cap_seconds:g} s cap ({detail})"
            )
            return UpstreamRateLimited(
                provider=self.provider,
                endpoint=endpoint,
                status=response.status_code,
                detail=detail,
            )
        return UpstreamError(
            provider=self.provider, endpoint=endpoint, status=response.status_code, detail=detail
        )
