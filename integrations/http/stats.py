"""What upstream clients did, counted per client and collected per phase."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any


@dataclass
class UpstreamStats:
    """What one client did: requests per endpoint, retries, 429s and time spent waiting."""

    requests: Counter[str] = field(default_factory=Counter)
    retries: int = 0
    rate_limited: int = 0
    # Requests not sent, or refusals not retried, because the key must wait (the phase parks).
    parked: int = 0
    retry_after_wait_seconds: float = 0.0
    limiter_wait_seconds: float = 0.0
    # Answers per (endpoint, status): "200", "429", ..., or "timeout"/"error"/"cancelled"
    # when no answer came; they add up to `requests` per endpoint.
    responses: Counter[tuple[str, str]] = field(default_factory=Counter)

    def as_dict(self) -> dict[str, Any]:
        responses: dict[str, dict[str, int]] = {}
        for (endpoint, status), count in sorted(self.responses.items()):
            responses.setdefault(endpoint, {})[status] = count
        return {
            "requests": dict(self.requests),
            "requests_total": sum(self.requests.values()),
            "retries": self.retries,
            "rate_limited": self.rate_limited,
            "parked": self.parked,
            "retry_after_wait_seconds": round(self.retry_after_wait_seconds, 3),
            "limiter_wait_seconds": round(self.limiter_wait_seconds, 3),
            "responses": responses,
        }


# The clients opened inside `collect_stats()`: a phase records what all of them did.
_collected_stats: ContextVar[list[tuple[str, UpstreamStats]] | None] = ContextVar(
    "collected_upstream_stats", default=None
)


@contextmanager
def collect_stats() -> Iterator[list[tuple[str, UpstreamStats]]]:
    """Yield a list that receives (provider, stats) of every `UpstreamClient` created in
    this context (this task and the tasks it starts), so the caller can count them."""
    collected: list[tuple[str, UpstreamStats]] = []
    token = _collected_stats.set(collected)
    try:
        yield collected
    finally:
        _collected_stats.reset(token)


def new_stats(provider: str) -> UpstreamStats:
    """Fresh stats for a client of `provider`, handed to the `collect_stats()` around it."""
    stats = UpstreamStats()
    if (collected := _collected_stats.get()) is not None:
        collected.append((provider, stats))
    return stats
