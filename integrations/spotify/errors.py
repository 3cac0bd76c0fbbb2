"""Spotify's error bodies, read into a short reason for `UpstreamError`."""

from __future__ import annotations

import httpx

from integrations.http.errors import describe_reason, error_object


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
