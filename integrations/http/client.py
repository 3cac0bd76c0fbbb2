"""`UpstreamClient`: an `httpx.AsyncClient` wrapped in the upstream policy."""

from __future__ import annotations

import asyncio
import functools
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import orjson
from django.conf import settings
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt

from integrations.http.errors import (
    ErrorDescriber,
    MalformedAnswer,
    RefusalClassifier,
    RefusalKind,
    UpstreamError,
    UpstreamMalformed,
    UpstreamMustWait,
    classify_as_spike,
    describe_reason,
)
from integrations.http.quota import (
    HoldReason,
    QuotaLedger,
    QuotaReader,
    wall_clock,
)
from integrations.http.ratelimit import RateLimiter
from integrations.http.retry import (
    RetryableAnswer,
    RetryPolicy,
    WaitRetryAfterOrBackoff,
    is_rate_limited,
    is_retryable,
)
from integrations.http.stats import UpstreamStats, new_stats


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """httpx's default TLS context (certifi, or SSL_CERT_FILE/SSL_CERT_DIR), built once
    per process: loading the CA bundle costs ~50 ms, and every phase opens clients."""
    return httpx.create_ssl_context()


# httpcore's trace events as a request's headers start going out, per protocol.
_SENDING = frozenset({"http11.send_request_headers.started", "http2.send_request_headers.started"})


class _Permit:
    """One request's rate-limit permit, taken once; a request that never got it was
    never sent, and gives its quota count back."""

    def __init__(
        self, limiter: RateLimiter, stats: UpstreamStats, quota: QuotaLedger | None
    ) -> None:
        self._limiter = limiter
        self._stats = stats
        self._quota = quota
        self.taken = False

    async def take(self) -> None:
        if not self.taken:
            self._stats.limiter_wait_seconds += await self._limiter.acquire()
            self.taken = True

    async def give_back_if_unsent(self) -> None:
        if not self.taken and self._quota is not None:  # not sent after all: not counted
            await asyncio.shield(asyncio.to_thread(self._quota.give_back))

    async def trace(self, event: str, info: dict[str, Any]) -> None:
        """httpx's `trace` extension: the permit as the request's headers go out."""
        if event in _SENDING:
            await self.take()


class UpstreamClient:
    """An `httpx.AsyncClient` wrapped in the policy. Use as `async with`.

    `describe_error` reads the provider's error bodies into the reason an
    `UpstreamError` gives; without one, the HTTP reason phrase is given.
    `classify_refusal` reads its 429s: one asking for a wait within the cap is retried
    after it; a spent quota, or a wait over the cap, raises `UpstreamMustWait` at once
    (the phase parks). With a `quota` ledger, every answer's quota headers
    (`read_quota`) and every refusal are recorded in it, and no request is sent while it
    says the key is spent (or, with `reserve_share`, down to its reserve): each request
    takes one from the window's known count as it goes, so requests in flight at once,
    here or in other processes, never outrun the quota."""

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
        describe_error: ErrorDescriber = describe_reason,
        classify_refusal: RefusalClassifier = classify_as_spike,
        quota: QuotaLedger | None = None,
        read_quota: QuotaReader | None = None,
        reserve_share: float = 0.0,
    ) -> None:
        self.provider = provider
        # Upstream answers may quote a key back (Ticketmaster's quota error names it).
        self._secrets = tuple(secret for secret in secrets if secret)
        self.stats = new_stats(provider)
        self._describe_error = describe_error
        self._classify_refusal = classify_refusal
        self._quota = quota
        self._read_quota = read_quota
        self._reserve_share = reserve_share
        concurrency = concurrency or settings.DEFAULT_CONCURRENCY
        self._retry = retry or RetryPolicy.from_settings()
        self._rate_limiter = rate_limiter
        # Through httpx's own network transport the permit is taken as the request is
        # written (httpcore's `trace` extension); a transport given (an in-process ASGI
        # app) writes to no connection: the permit is taken before the request.
        self._permit_on_the_wire = transport is None
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
        fails for good; `UpstreamMustWait` when the key may not be used for a while.
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
            retry=retry_if_exception(is_retryable),
            stop=stop_after_attempt(self._retry.retries + 1),
            wait=WaitRetryAfterOrBackoff(self._retry),
            sleep=self._retry.sleep,
            before_sleep=self._count_retry,
            reraise=True,
        )
        try:
            return await retrying(self._attempt, endpoint, method, url, **kwargs)
        except RetryableAnswer as exc:
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
            if self._quota is not None:
                await self._wait_for_quota(endpoint)
            permit = (
                _Permit(self._rate_limiter, self.stats, self._quota) if self._rate_limiter else None
            )
            if permit is not None and not self._permit_on_the_wire:
                try:
                    await permit.take()
                except BaseException:
                    await permit.give_back_if_unsent()
                    raise
            self.stats.requests[endpoint] += 1
            try:
                response = await self._http.request(
                    method,
                    url,
                    # The permit as late as can be: once the connection is open (a new
                    # one costs a handshake, and DNS and TLS upstream), as the request's
                    # first bytes go. The upstream counts requests as they arrive; a
                    # permit taken before connecting could bring this request closer
                    # to the one five permits later than its window allows.
                    extensions={"trace": permit.trace}
                    if permit is not None and self._permit_on_the_wire
                    else None,
                    **kwargs,
                )
                if permit is not None and not permit.taken:
                    # A transport that never wrote to a connection (a test's mock): the
                    # permit is still taken, so that the window counts the request.
                    await permit.take()
            except BaseException as exc:
                if permit is not None:
                    await permit.give_back_if_unsent()
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
            # Recorded before this request's slot is free: what the answer says of the
            # quota is in the ledger before the client's next request asks it.
            observation = self._read_quota(response) if self._read_quota else None
            if self._quota is not None and observation is not None:
                await asyncio.to_thread(self._quota.observe, observation)
            if response.status_code == 429:
                # Recorded before the slot is free too: no request of this client goes
                # out between a refusal and the ledger knowing of it.
                await self._refused(endpoint, response)
        if response.status_code >= 500:
            raise RetryableAnswer(response, None)
        if response.status_code >= 400:
            raise self._error(endpoint, response)
        return response

    async def _refused(self, endpoint: str, response: httpx.Response) -> None:
        """Raise what a 429 means: `UpstreamMustWait` for a spent quota or a wait over
        the cap (recorded in the ledger), else a retryable answer (a `Retry-After`
        within the cap recorded too: every process using the key holds off as long)."""
        self.stats.rate_limited += 1
        refusal = self._classify_refusal(response)
        retry_after = refusal.retry_after
        too_long = retry_after is not None and retry_after > self._retry.retry_after_cap_seconds
        if refusal.kind is RefusalKind.QUOTA or too_long:
            # Spent, or not soon: no retry can succeed in time. The phase parks.
            reason = (
                HoldReason.QUOTA if refusal.kind is RefusalKind.QUOTA else HoldReason.RETRY_AFTER
            )
            raise await self._must_wait(endpoint, response, reason, retry_after)
        if self._quota is not None:
            # Too fast is not served: the request taken from the count is given back.
            await asyncio.to_thread(self._quota.give_back)
            if retry_after is not None:
                await asyncio.to_thread(
                    self._quota.refuse, reason=HoldReason.RETRY_AFTER, retry_after=retry_after
                )
        raise RetryableAnswer(response, retry_after)

    async def _wait_for_quota(self, endpoint: str) -> None:
        """Return when the ledger lets this key send; raise `UpstreamMustWait` if that is
        not within the cap (or the quota is spent, which no short wait mends)."""
        assert self._quota is not None
        while hold := await asyncio.to_thread(self._quota.take, reserve_share=self._reserve_share):
            wait = hold.until - self._quota.now()
            if (
                hold.reason is not HoldReason.RETRY_AFTER
                or wait > self._retry.retry_after_cap_seconds
            ):
                self.stats.parked += 1
                raise UpstreamMustWait(
                    provider=self.provider,
                    endpoint=endpoint,
                    status=None,
                    detail=f"not sent: {_HOLD_WORDS[hold.reason]}",
                    until=hold.until,
                    reason=hold.reason,
                )
            self.stats.retry_after_wait_seconds += wait
            await self._retry.sleep(wait)

    def _count_retry(self, retry_state: RetryCallState) -> None:
        self.stats.retries += 1
        exc = retry_state.outcome.exception() if retry_state.outcome else None
        if is_rate_limited(exc):
            wait = retry_state.upcoming_sleep
            self.stats.retry_after_wait_seconds += wait

    async def _must_wait(
        self, endpoint: str, response: httpx.Response, reason: HoldReason, retry_after: float | None
    ) -> UpstreamMustWait:
        """The refusal recorded in the ledger (so no process sends again before it ends),
        as the wait that parks the phase."""
        if self._quota is not None:
            state = await asyncio.to_thread(
                self._quota.refuse, reason=reason, retry_after=retry_after
            )
            until = state.blocked_until
        else:
            wait = (
                retry_after
                if retry_after is not None
                else settings.QUOTA_UNKNOWN_RESET_WAIT_SECONDS
            )
            until = wall_clock() + wait
        self.stats.parked += 1
        detail = self.redact(self._describe_error(response))
        return UpstreamMustWait(
            provider=self.provider,
            endpoint=endpoint,
            status=response.status_code,
            detail=f"{_HOLD_WORDS[reason]} ({detail})",
            until=until,
            reason=reason,
        )

    def _error(self, endpoint: str, response: httpx.Response) -> UpstreamError:
        detail = self.redact(self._describe_error(response))
        return UpstreamError(
            provider=self.provider, endpoint=endpoint, status=response.status_code, detail=detail
        )


_HOLD_WORDS = {
    HoldReason.QUOTA: "the key's quota is spent until it resets",
    HoldReason.RESERVE: "what is left of the key's quota is kept for imports people start",
    HoldReason.RETRY_AFTER: "asked to wait longer than a request may",
}
