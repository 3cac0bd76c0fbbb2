"""The retry policy: which failures are worth another try, and how long to wait."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeGuard

import httpx
from django.conf import settings
from tenacity import RetryCallState, wait_random_exponential

# Ticketmaster sends no Retry-After on a per-second spike arrest: wait a second.
DEFAULT_429_WAIT_SECONDS = 1.0


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


class RetryableAnswer(Exception):
    """A 5xx or 429 answer: worth another try (after `retry_after` for a 429)."""

    def __init__(self, response: httpx.Response, retry_after: float | None) -> None:
        self.response = response
        self.retry_after = retry_after
        super().__init__(f"HTTP {response.status_code}")


def is_retryable(exc: BaseException) -> bool:
    """tenacity retry predicate: a retryable answer, a timeout or a connection error."""
    # httpx.TimeoutException and connection errors are both TransportErrors.
    return isinstance(exc, RetryableAnswer | httpx.TransportError)


def is_rate_limited(exc: BaseException | None) -> TypeGuard[RetryableAnswer]:
    """A 429 answer, to be retried after what it asks for."""
    return isinstance(exc, RetryableAnswer) and exc.response.status_code == 429


class WaitRetryAfterOrBackoff:
    """tenacity wait: what a 429 asks for, else exponential backoff with full jitter."""

    def __init__(self, policy: RetryPolicy) -> None:
        self._backoff = wait_random_exponential(
            multiplier=policy.backoff_initial_seconds, max=policy.backoff_max_seconds
        )

    def __call__(self, retry_state: RetryCallState) -> float:
        exc = retry_state.outcome.exception() if retry_state.outcome else None
        if is_rate_limited(exc):
            return exc.retry_after if exc.retry_after is not None else DEFAULT_429_WAIT_SECONDS
        return self._backoff(retry_state)
