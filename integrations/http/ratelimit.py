"""Requests per second per upstream key, shared by every process that uses the key."""

from __future__ import annotations

import asyncio
import hashlib
import inspect
import random
import re
import time
from contextlib import suppress
from pathlib import Path
from typing import Any

from django.conf import settings
from pyrate_limiter import Limiter, Rate, RedisBucket, SQLiteBucket
from pyrate_limiter.buckets.redis_bucket import LuaScript
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError
from redis.exceptions import TimeoutError as RedisTimeoutError

from integrations.http.errors import UpstreamError

# A rate limiter's Redis that stays away longer than this fails the phase.
REDIS_OUTAGE_SECONDS = 30.0
REDIS_OUTAGE_ERRORS = (RedisConnectionError, RedisTimeoutError, NoScriptError)

# A waiter that cannot learn when the window frees polls this often.
POLL_SECONDS = 0.02
# Waiters wake within this much after the window frees (see `RateLimiter.acquire`).
WAKE_SPREAD_SECONDS = 0.004

# One limiter per file, key and rate in each process: its bucket holds a connection.
_file_limiters: dict[tuple[str, str, float], Limiter] = {}


async def _resolved(value: Any) -> Any:
    """pyrate's bucket calls answer at once (file bucket) or with an awaitable (Redis)."""
    return await value if inspect.isawaitable(value) else value


def _rate(requests_per_second: float) -> Rate:
    """`limit` permits per window, the window widened by RATE_LIMIT_MARGIN_MS: requests
    permitted a window apart can reach the upstream closer together than that, by
    the difference of their network delays, and it counts them on arrival."""
    limit = max(1, round(requests_per_second))
    window_ms = 1000 * limit / requests_per_second + settings.RATE_LIMIT_MARGIN_MS
    return Rate(limit, round(window_ms))


# pyrate-limiter's Redis script counts a window's permits up to the new permit's own
# timestamp, which the client's clock gave before the script ran. A process whose clock
# read came first but whose script ran second (descheduled in between, as two busy cores
# do) did not count the permit filed meanwhile with a later timestamp, and took a sixth
# in the window: a 429 from the upstream. Counting every permit from the window's start
# closes that; the SQLite bucket already counts that way.
_COUNTED_TO_NOW = "redis.call('ZCOUNT', bucket, window_start, now)"
_PUT_ITEM_COUNTING_LATER = LuaScript.PUT_ITEM.replace(
    _COUNTED_TO_NOW, "redis.call('ZCOUNT', bucket, window_start, '+inf')"
)
if _PUT_ITEM_COUNTING_LATER == LuaScript.PUT_ITEM:
    raise ImportError("pyrate-limiter's Redis script changed: SharedRedisBucket must follow it")


class SharedRedisBucket(RedisBucket):
    """pyrate-limiter's Redis bucket, counting the permits other processes filed with
    timestamps later than a new permit's (see `_PUT_ITEM_COUNTING_LATER`)."""

    @classmethod
    async def create(cls, rates: list[Rate], redis: Any, bucket_key: str) -> SharedRedisBucket:
        script_hash = await redis.script_load(_PUT_ITEM_COUNTING_LATER)
        return cls(rates, redis, bucket_key, script_hash)


def key_fingerprint(secret: str) -> str:
    """A stable, non-reversible name for an API key (for limiter buckets, never logs)."""
    return hashlib.sha256(secret.encode()).hexdigest()[:16]


class RateLimiter:
    """Requests per second for one upstream key, shared by every process that uses it:
    through Redis when `REDIS_URL` is set, otherwise through a SQLite file guarded by a
    file lock (`RATE_LIMIT_FILE`), which covers the processes of one machine."""

    def __init__(self, *, name: str, requests_per_second: float, redis_url: str | None) -> None:
        self.name = name
        self._rps = requests_per_second
        self._redis_url = redis_url
        self._limiter: Limiter | None = None
        self._redis: Any = None

    async def _get(self) -> Limiter:
        if self._limiter is None:
            if self._redis_url:
                from redis.asyncio import Redis

                # Redis clients belong to one event loop: one per client session.
                self._redis = Redis.from_url(self._redis_url)
                bucket = await SharedRedisBucket.create(
                    [_rate(self._rps)], self._redis, f"theset:ratelimit:{self.name}"
                )
                self._limiter = Limiter(bucket)
            else:
                path = Path(settings.RATE_LIMIT_FILE)
                key = (str(path), self.name, self._rps)
                if key not in _file_limiters:
                    _file_limiters[key] = Limiter(self._file_bucket(path))
                self._limiter = _file_limiters[key]
        return self._limiter

    def _file_bucket(self, path: Path) -> SQLiteBucket:
        path.parent.mkdir(parents=True, exist_ok=True)
        table = re.sub(r"\W", "_", f"rate_{self.name}_{self._rps:g}")
        return SQLiteBucket.init_from_file(
            [_rate(self._rps)], table=table, db_path=str(path), use_file_lock=True
        )

    async def acquire(self) -> float:
        """Wait for a permit; return the seconds waited.

        Not pyrate-limiter's blocking wait: it keeps retrying with the first
        attempt's timestamp, so a permit that waited is filed as if taken back
        then, and a bucket shared with other clients lets a sixth request into a
        second. A fresh attempt is made when the bucket says its oldest permit
        leaves the window (`_until_free`), and filed when it is taken.

        A Redis restart costs a wait, not the phase (up to REDIS_OUTAGE_SECONDS).
        """
        started = time.monotonic()
        # One attempt, no waiting. The file bucket's lock is a filelock, which reads
        # pyrate's positional `acquire(False)` as a timeout: it takes timeout=0 instead
        # (with the Redis bucket, timeout=0 would give up before asking Redis).
        attempt = {"blocking": False} if self._redis_url else {"blocking": True, "timeout": 0}
        outage_since: float | None = None
        while True:
            try:
                limiter = await self._get()
                if await limiter.try_acquire_async(self.name, **attempt):
                    return time.monotonic() - started
                wait = await self._until_free(limiter)
                outage_since = None
            except REDIS_OUTAGE_ERRORS as exc:
                # Redis restarted or failed over: the dropped connection fails once, then
                # every call fails with NOSCRIPT (the new server has no Lua script). A
                # new client and bucket (which loads the script) until it answers again.
                if not self._redis_url:
                    raise
                with suppress(Exception):
                    await self.aclose()
                self._redis = self._limiter = None
                outage_since = outage_since or time.monotonic()
                if time.monotonic() - outage_since > REDIS_OUTAGE_SECONDS:
                    raise UpstreamError(
                        provider=self.name,
                        endpoint="rate limiter",
                        status=None,
                        detail=f"Redis unavailable for {REDIS_OUTAGE_SECONDS:g} s "
                        f"({type(exc).__name__})",
                    ) from None
                await asyncio.sleep(0.2)
                continue
            # Waiters of every process wake at once: a few milliseconds' spread lets one
            # take the permit and the others see the next one's time.
            await asyncio.sleep(wait + random.uniform(0, WAKE_SPREAD_SECONDS))

    async def _until_free(self, limiter: Limiter) -> float:
        """Seconds until the bucket's window has room again, as the bucket computes it
        from the permits it holds (those of every process sharing it); a short poll
        when it cannot say (another permit was taken meanwhile)."""
        factory = limiter.bucket_factory
        item = await _resolved(factory.wrap_item(self.name))
        bucket = await _resolved(factory.get(item))
        waiting_ms = await _resolved(bucket.waiting(item))
        if waiting_ms <= 0:
            return min(POLL_SECONDS, 0.1 / self._rps)
        return waiting_ms / 1000

    async def aclose(self) -> None:
        if self._redis is not None:
            if self._limiter is not None:
                # The bucket's leak task uses this Redis client: stop it before the client
                # closes, or it fails on the closed connection and its "exception never
                # retrieved" is logged from a finalizer at some later, arbitrary moment.
                leaker = self._limiter.bucket_factory._leaker
                leak_task = leaker.aio_leak_task if leaker is not None else None
                self._limiter.close()
                # redis-py may absorb one cancellation (to clean up its connection) and
                # the task would then sleep out its leak interval: cancel until it ends.
                for _ in range(20):
                    if leak_task is None or leak_task.done():
                        break
                    leak_task.cancel()
                    await asyncio.wait([leak_task], timeout=0.05)
                if leak_task is not None and leak_task.done() and not leak_task.cancelled():
                    leak_task.exception()  # retrieved: nothing is logged for it later
            await self._redis.aclose()
            self._redis = None
            self._limiter = None
