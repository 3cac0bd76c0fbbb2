"""The security edges of the web process: the client's address behind trusted proxies,
the guard on /metrics, and the limit on anonymous reads (the rules: theset.rules).

Anonymous reads of the API and the public pages are counted per client address in
fixed windows by django-ratelimit (an atomic add-and-increment), in the `api_throttle`
cache: Redis when `REDIS_URL` is set, so every web process shares the counts; the
process's memory otherwise (the embedded deployment runs one web process). Past a rate
the answer is 429 with Retry-After (JSON on the API). API keys, staff, operators'
endpoints and the progress streams are not counted. When the cache does not answer,
reads are allowed (the public site stays up), logged once a minute.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from asgiref.sync import iscoroutinefunction, sync_to_async
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connections
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden, JsonResponse
from django.template.loader import render_to_string
from django.utils.decorators import sync_and_async_middleware
from django_ratelimit.core import get_usage
from redis.exceptions import RedisError

from theset.auth import API_KEY_HEADER
from theset.models import ApiKey
from theset.rules import (
    Network,
    Rate,
    client_address_of,
    counted_read,
    metrics_access,
    networks_of,
    parse_rate,
    proxied_past_trust,
    retry_after_seconds,
    throttle_ident,
)
from theset.services import api_key_valid

logger = logging.getLogger(__name__)

API_PREFIX = "/api/"


# What a cache that does not answer raises (Django's Redis cache: redis-py's errors).
CACHE_ERRORS = (RedisError, OSError)


class StoreOutage:
    """A shared store (the throttles' Redis) that stopped answering, per process: after a
    failure it is not asked again for `retry_seconds` (each request would otherwise
    wait for its connect timeout), and the outage is logged at most once per
    `log_seconds`, not once per request."""

    def __init__(
        self,
        *,
        retry_seconds: float = 10.0,
        log_seconds: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.retry_seconds = retry_seconds
        self.log_seconds = log_seconds
        self.clock = clock
        self._retry_at = 0.0
        self._log_at = 0.0
        self._lock = threading.Lock()

    def ongoing(self) -> bool:
        """True while the store is not to be asked."""
        return self.clock() < self._retry_at

    def failed(self) -> bool:
        """Record a failure; True when it is time to log the outage."""
        with self._lock:
            now = self.clock()
            self._retry_at = now + self.retry_seconds
            if now < self._log_at:
                return False
            self._log_at = now + self.log_seconds
            return True


@functools.lru_cache(maxsize=16)
def _networks(items: tuple[str, ...], setting: str) -> tuple[Network, ...]:
    try:
        return networks_of(items, setting=setting)
    except ValueError as exc:
        raise ImproperlyConfigured(str(exc)) from None


@functools.lru_cache(maxsize=16)
def _rates(items: tuple[str, ...]) -> tuple[Rate, ...]:
    try:
        return tuple(parse_rate(item, setting="ANON_READ_RATES") for item in items)
    except ValueError as exc:
        raise ImproperlyConfigured(str(exc)) from None


def _trusted_proxies() -> tuple[Network, ...]:
    return _networks(tuple(settings.TRUSTED_PROXIES), "TRUSTED_PROXIES")


def client_address(request: HttpRequest) -> str:
    """The client's address: the connection's, or X-Forwarded-For's past the proxies in
    TRUSTED_PROXIES."""
    return client_address_of(
        request.META.get("REMOTE_ADDR") or "",
        request.META.get("HTTP_X_FORWARDED_FOR") or "",
        _trusted_proxies(),
    )


def client_ident(request: HttpRequest) -> str:
    """What limits count a client by (django-axes' AXES_CLIENT_IP_CALLABLE too): its
    address, or its IPv6 address's /64, where one machine has a whole /64 to rotate in."""
    return throttle_ident(client_address(request))


def cache_scope() -> str:
    """A name for this deployment's counts in a cache several may share (one Redis for
    several sites or test databases): a digest of the database's name."""
    database = str(connections[ApiKey.objects.db].settings_dict["NAME"])
    return hashlib.sha256(database.encode()).hexdigest()[:12]


# --- /metrics -----------------------------------------------------------------------


def metrics_guard(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Only METRICS_ALLOWED_ADDRESSES (loopback by default) or a request carrying
    `Authorization: Bearer <METRICS_BEARER_TOKEN>` reach the view; anyone else: 403."""

    @functools.wraps(view)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        allowed = metrics_access(
            address=client_address(request),
            authorization=request.META.get("HTTP_AUTHORIZATION") or "",
            allowed=_networks(
                tuple(settings.METRICS_ALLOWED_ADDRESSES), "METRICS_ALLOWED_ADDRESSES"
            ),
            token=settings.METRICS_BEARER_TOKEN,
            proxied=proxied_past_trust(
                request.META.get("REMOTE_ADDR") or "",
                request.META.get("HTTP_X_FORWARDED_FOR") or "",
                _trusted_proxies(),
            ),
        )
        if not allowed:
            return HttpResponseForbidden(
                "Forbidden: /metrics answers only the addresses in METRICS_ALLOWED_ADDRESSES "
                "(directly or through a proxy in TRUSTED_PROXIES) or a request with the "
                "bearer token METRICS_BEARER_TOKEN.\n",
                content_type="text/plain; charset=utf-8",
            )
        return view(request, *args, **kwargs)

    return guarded


# --- Anonymous reads ------------------------------------------------------------------

_throttle_outage = StoreOutage()


def _exempt_prefixes() -> tuple[str, ...]:
    static = "/" + settings.STATIC_URL.lstrip("/")
    return ("/health/", "/metrics", "/admin/", static, "/favicon.ico")


def _caller_is_exempt(request: HttpRequest) -> bool:
    """A request with a valid API key, or from a logged-in staff user."""
    key = request.headers.get(API_KEY_HEADER)
    if key and api_key_valid(plaintext=key):
        return True
    # Only a request with a session cookie can be staff: nobody else costs a session read.
    if settings.SESSION_COOKIE_NAME in request.COOKIES:
        user = getattr(request, "user", None)
        return bool(user is not None and user.is_active and user.is_staff)
    return False


def _counted(request: HttpRequest) -> bool:
    """Whether the limit is on and counts this kind of request (no I/O)."""
    return bool(settings.ANON_READ_RATES) and counted_read(
        request.method or "", request.path_info, exempt_prefixes=_exempt_prefixes()
    )


def _over_rate(request: HttpRequest) -> tuple[Rate, int] | None:
    """For a counted request (`_counted`): the rate it is over and the seconds until it
    may read again, or None when it may read (or the counts cannot be read)."""
    rates = _rates(tuple(settings.ANON_READ_RATES))
    if _caller_is_exempt(request):
        return None
    if _throttle_outage.ongoing():
        return None
    ident = client_ident(request)
    group = f"anon-read:{cache_scope()}"
    over: list[tuple[Rate, int]] = []
    for rate in rates:
        try:
            usage = get_usage(
                request,
                group=group,
                key=lambda _group, _request: ident,
                rate=f"{rate.count}/{rate.seconds}s",
                increment=True,
            )
        except CACHE_ERRORS:
            usage = None
        if usage is None:  # the cache did not answer (RATELIMIT_FAIL_OPEN)
            if _throttle_outage.failed():
                logger.warning(
                    "anonymous read throttle unavailable (its cache does not answer); "
                    "reads allowed",
                    exc_info=True,
                )
            return None
        if usage["should_limit"]:
            over.append((rate, retry_after_seconds(usage["time_left"])))
    if not over:
        return None
    return max(over, key=lambda item: item[1])


def _too_many(request: HttpRequest, rate: Rate, wait: int) -> HttpResponse:
    message = (
        f"Too many requests from your address: anonymous reads are limited to "
        f"{rate.describe()}. Try again in {wait} s, or use an API key (X-API-Key)."
    )
    response: HttpResponse
    if request.path_info.startswith(API_PREFIX):
        response = JsonResponse({"detail": message}, status=429)
    else:
        body = render_to_string("429.html", {"message": message, "wait": wait}, request)
        response = HttpResponse(body, status=429)
    response["Retry-After"] = str(wait)
    return response


@sync_and_async_middleware
def anonymous_read_throttle(get_response):
    """429 with Retry-After for an anonymous client past ANON_READ_RATES. Async-capable:
    the progress streams (not counted) are never pushed onto a thread by it."""
    if iscoroutinefunction(get_response):
        check = sync_to_async(_over_rate)

        async def middleware(request: HttpRequest) -> HttpResponse:
            if _counted(request):
                over = await check(request)
                if over is not None:
                    return _too_many(request, *over)
            return await get_response(request)

    else:

        def middleware(request: HttpRequest) -> HttpResponse:
            if _counted(request):
                over = _over_rate(request)
                if over is not None:
                    return _too_many(request, *over)
            return get_response(request)

    return middleware
