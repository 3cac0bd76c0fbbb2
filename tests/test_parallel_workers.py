"""Each xdist worker's Redis database (tests/support/workers.py), a pure function of the URL."""

from __future__ import annotations

import pytest

from tests.support.workers import redis_url_for_worker


@pytest.mark.parametrize(
    ("url", "index", "expected"),
    [
        ("redis://127.0.0.1:6379/0", 0, "redis://127.0.0.1:6379/1"),
        ("redis://127.0.0.1:6379/0", 3, "redis://127.0.0.1:6379/4"),
        ("redis://127.0.0.1:6379", 1, "redis://127.0.0.1:6379/2"),
        ("redis://127.0.0.1:6379/", 0, "redis://127.0.0.1:6379/1"),
        ("redis://:pw@host:1/3?socket_timeout=5", 2, "redis://:pw@host:1/6?socket_timeout=5"),
        ("rediss://host:6380/10", 4, "rediss://host:6380/15"),
    ],
    ids=["db-0", "fourth-worker", "no-db", "trailing-slash", "query-kept", "tls-last-db"],
)
def test_each_worker_gets_the_databases_after_the_url_s(url, index, expected):
    assert redis_url_for_worker(url, index) == expected


@pytest.mark.parametrize(
    ("url", "index", "message"),
    [
        ("unix:///tmp/redis.sock", 0, "need REDIS_URL as redis://host:port/N, got unix://"),
        ("redis://host:6379/x", 0, "need REDIS_URL as redis://host:port/N"),
        ("redis://host:6379/14", 1, "too many xdist workers"),
    ],
    ids=["unix-socket", "named-db", "past-database-15"],
)
def test_a_url_the_workers_cannot_share_out_is_refused_readably(url, index, message):
    with pytest.raises(pytest.UsageError, match=message):
        redis_url_for_worker(url, index)
