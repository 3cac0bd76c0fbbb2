"""Ticketmaster's error bodies, read into a short reason for `UpstreamError`."""

from __future__ import annotations

import httpx

from integrations.http.errors import (
    Refusal,
    RefusalKind,
    UpstreamError,
    describe_reason,
    error_object,
    retry_after_seconds,
)

QUOTA_VIOLATION = "policies.ratelimit.QuotaViolation"


class AttractionNotFound(UpstreamError):
    """Ticketmaster knows no attraction with this id: its attraction details said 404."""

    def __init__(self, tm_attraction_id: str, answer: UpstreamError) -> None:
        self.tm_attraction_id = tm_attraction_id
        super().__init__(
            provider=answer.provider,
            endpoint=answer.endpoint,
            status=answer.status,
            detail=answer.detail,
        )

    def __str__(self) -> str:
        return (
            f"Ticketmaster has no attraction with id {self.tm_attraction_id} "
            f"(its {self.endpoint} answered HTTP {self.status}: {self.detail})"
        )


def classify_refusal(response: httpx.Response) -> Refusal:
    """A 429 of the API gateway: `QuotaViolation` is the day's quota spent (no retry helps
    before its reset); anything else (`SpikeArrestViolation`) is too fast for a second."""
    fault = error_object(response).get("fault")
    detail = fault.get("detail") if isinstance(fault, dict) else None
    code = detail.get("errorcode") if isinstance(detail, dict) else None
    kind = RefusalKind.QUOTA if code == QUOTA_VIOLATION else RefusalKind.SPIKE
    return Refusal(kind, retry_after_seconds(response))


def describe_error(response: httpx.Response) -> str:
    """A short, readable reason from a Discovery API or API gateway error body."""
    body = error_object(response)
    errors = body.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):  # Discovery API
        return f"{errors[0].get('code', '')} {errors[0].get('detail', '')}".strip()
    fault = body.get("fault")
    if isinstance(fault, dict):  # the API gateway (key, quota, spike arrest)
        # Read leniently: this runs while reporting another failure, and must not fail.
        detail = fault.get("detail")
        code = detail.get("errorcode") if isinstance(detail, dict) else None
        message = fault.get("faultstring")
        message = message if isinstance(message, str) and message else describe_reason(response)
        return f"{message} ({code})" if isinstance(code, str) and code else message
    return describe_reason(response)
