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
        code = (fault.get("detail") or {}).get("errorcode", "")
        return f"{fault.get('faultstring', '')} ({code})" if code else fault.get("faultstring", "")
    return describe_reason(response)
