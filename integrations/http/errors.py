"""What a failed upstream call raises, and how an error answer is put in words."""

from __future__ import annotations

import enum
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

# An upstream's own words in an error (a message from its body) are cut to this length.
MAX_DETAIL_CHARS = 500

# Reads a provider's error body into a short reason; each provider brings its own.
ErrorDescriber = Callable[[httpx.Response], str]


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


class UpstreamMustWait(UpstreamError):
    """The upstream will not answer this key before `until` (epoch seconds): its quota is
    spent, or it asked for a wait longer than a request may sleep. Not a failure: the
    phase parks and resumes then. `reason` is a `quota.HoldReason` value."""

    def __init__(
        self,
        *,
        provider: str,
        endpoint: str,
        status: int | None,
        detail: str,
        until: float,
        reason: str,
    ) -> None:
        self.until = until
        self.reason = reason
        super().__init__(provider=provider, endpoint=endpoint, status=status, detail=detail)


class RefusalKind(enum.StrEnum):
    SPIKE = "spike"  # too fast: back off briefly and try again
    QUOTA = "quota"  # the budget is spent: nothing helps before it resets


@dataclass(frozen=True, slots=True)
class Refusal:
    """What a 429 means: its kind, and the wait it asks for (seconds), if it says."""

    kind: RefusalKind
    retry_after: float | None


# Reads a provider's 429 into a `Refusal`; each provider brings its own.
RefusalClassifier = Callable[[httpx.Response], Refusal]


def retry_after_seconds(response: httpx.Response) -> float | None:
    """The answer's `Retry-After` in seconds (never negative); None when absent or not a number."""
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None
    return max(0.0, seconds) if math.isfinite(seconds) else None


def classify_as_spike(response: httpx.Response) -> Refusal:
    """A 429 read by its `Retry-After` alone (a provider without quota refusals)."""
    return Refusal(RefusalKind.SPIKE, retry_after_seconds(response))


class UpstreamMalformed(UpstreamError):
    """A successful answer that is not what the endpoint documents: not JSON, or JSON of
    another shape (a field missing or of the wrong type). Not transient, so never
    retried: the phase fails, naming the upstream, the endpoint and the field."""


class MalformedAnswer(ValueError):
    """A decoded answer, or a part of it, that is not shaped as documented."""

    def __init__(self, where: str, problem: str) -> None:
        self.where = where
        self.problem = problem
        super().__init__(f"{where}: {problem}" if where else problem)


def describe_reason(response: httpx.Response) -> str:
    """The HTTP reason phrase: the reason given when the body says nothing we can read."""
    return response.reason_phrase or "no reason given"


def error_object(response: httpx.Response) -> dict[str, Any]:
    """The error answer's body when it is a JSON object, else `{}`."""
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
