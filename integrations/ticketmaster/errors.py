"""Ticketmaster's error bodies, read into a short reason for `UpstreamError`."""

from __future__ import annotations

import httpx

from integrations.http.errors import describe_reason, error_object


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
