"""pytest-xdist workers: what each is given of the resources they share."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

import pytest


def redis_url_for_worker(url: str, index: int) -> str:
    """`url` with the database after its own, plus `index` (the URL's query is kept)."""
    parts = urlsplit(url)
    database = parts.path.strip("/") or "0"
    if parts.scheme not in ("redis", "rediss") or not database.isdigit():
        raise pytest.UsageError(
            f"parallel tests need REDIS_URL as redis://host:port/N, got {parts.scheme}://…"
        )
    worker_database = int(database) + 1 + index
    if worker_database > 15:  # Redis serves databases 0-15 by default
        raise pytest.UsageError("too many xdist workers for the Redis databases after REDIS_URL's")
    return urlunsplit(parts._replace(path=f"/{worker_database}"))
