"""Spotify's error bodies, read into a short reason for `UpstreamError`."""

from __future__ import annotations

import httpx

from integrations.http.errors import (
    Refusal,
    RefusalKind,
    describe_reason,
    error_object,
    retry_after_seconds,
)

QUOTA_EXCEEDED = "QUOTA_EXCEEDED"


def classify_refusal(response: httpx.Response) -> Refusal:
    """A Web API 429: `"reason": "QUOTA_EXCEEDED"` (a development-mode app's quota) is the
    budget spent; any other is the rolling 30-second window, with its `Retry-After`."""
    error = error_object(response).get("error")
    reason = error.get("reason") if isinstance(error, dict) else None
    kind = RefusalKind.QUOTA if reason == QUOTA_EXCEEDED else RefusalKind.SPIKE
    return Refusal(kind, retry_after_seconds(response))


class AudioFeaturesUnavailable(Exception):
    """Spotify refuses audio features to this app (403): fall back to the name rules."""


def describe_error(response: httpx.Response) -> str:
    """A short, readable reason from a Web API or accounts service error body."""
    body = error_object(response)
    error = body.get("error")
    if isinstance(error, dict):  # Web API
        message = error.get("message") or response.reason_phrase
        reason = error.get("reason")
        return f"{message} ({reason})" if reason else str(message)
    if isinstance(error, str):  # accounts service
        return f"{error}: {body.get('error_description', '')}".rstrip(": ")
    return describe_reason(response)
