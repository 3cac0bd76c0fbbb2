"""The shared upstream policy, against respx fakes: retries, Retry-After, no retry on 4xx, rate."""

import asyncio
import os
import time
from inspect import isawaitable

import httpx
import pytest
import respx
from pyrate_limiter import Limiter, Rate, RedisBucket, SQLiteBucket

from integrations.http.client import UpstreamClient
from integrations.http.errors import (
    Refusal,
    RefusalKind,
    UpstreamError,
    UpstreamMustWait,
    classify_as_spike,
)
from integrations.http.ratelimit import RateLimiter
from integrations.http.retry import RetryPolicy
from integrations.spotify import errors as spotify_errors
from integrations.ticketmaster import errors as ticketmaster_errors

BASE = "https://upstream.test"
# Requests are timed when sent, a little after their permit: an event loop busy
# elsewhere can delay one by tens of milliseconds. Five per second, give or take that,
# is still far from the ten at once that limiters not shared would let through.
WINDOW = 0.9


class RecordedSleep:
    """Stands in for asyncio.sleep: records what the policy waited."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def client(*, retries: int = 3, cap: float = 60.0, sleep=None, **kwargs) -> UpstreamClient:
    policy = RetryPolicy(
        retries=retries, retry_after_cap_seconds=cap, sleep=sleep or RecordedSleep()
    )
    return UpstreamClient(
        provider="Spotify",
        base_url=BASE,
        retry=policy,
        describe_error=spotify_errors.describe_error,
        **kwargs,
    )


def run(coroutine):
    return asyncio.run(coroutine)


@respx.mock
@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_5xx_is_retried_until_it_succeeds(status):
    route = respx.get(f"{BASE}/v1/thing").mock(
        side_effect=[
            httpx.Response(status),
            httpx.Response(status),
            httpx.Response(200, json={"ok": 1}),
        ]
    )

    async def go():
        async with client() as upstream:
            return await upstream.get_json("thing", "/v1/thing"), upstream.stats

    body, stats = run(go())
    assert body == {"ok": 1}
    assert route.call_count == 3
    assert stats.retries == 2


@respx.mock
@pytest.mark.parametrize(
    "error",
    [
        httpx.ConnectError("refused"),
        httpx.ReadTimeout("slow"),
        httpx.RemoteProtocolError("dropped"),
    ],
    ids=["connect", "timeout", "dropped"],
)
def test_transport_errors_are_retried(error):
    route = respx.get(f"{BASE}/v1/thing").mock(side_effect=[error, httpx.Response(200, json=[])])

    async def go():
        async with client() as upstream:
            return await upstream.get_json("thing", "/v1/thing")

    assert run(go()) == []
    assert route.call_count == 2


@respx.mock
def test_backoff_grows_with_jitter_and_gives_up_with_a_readable_error():
    sleep = RecordedSleep()
    route = respx.get(f"{BASE}/v1/thing").mock(
        return_value=httpx.Response(
            503, json={"error": {"status": 503, "message": "Service unavailable"}}
        )
    )

    async def go():
        async with client(retries=4, sleep=sleep) as upstream:
            await upstream.get_json("several tracks", "/v1/thing")

    with pytest.raises(UpstreamError) as caught:
        run(go())
    assert route.call_count == 5
    assert len(sleep.waits) == 4
    assert all(0 <= wait <= 8 for wait in sleep.waits)
    assert str(caught.value) == "Spotify several tracks answered HTTP 503: Service unavailable"
    assert caught.value.status == 503


@respx.mock
def test_connection_errors_exhausted_name_the_endpoint():
    respx.get(f"{BASE}/v1/thing").mock(side_effect=httpx.ConnectError("refused"))

    async def go():
        async with client(retries=2) as upstream:
            await upstream.get_json("artist albums", "/v1/thing")

    with pytest.raises(
        UpstreamError, match=r"^Spotify artist albums: ConnectError after 3 attempts"
    ):
        run(go())


@respx.mock
@pytest.mark.parametrize("status", [400, 401, 403, 404])
def test_other_4xx_are_never_retried(status):
    route = respx.get(f"{BASE}/v1/thing").mock(
        return_value=httpx.Response(status, json={"error": {"status": status, "message": "nope"}})
    )

    async def go():
        async with client() as upstream:
            await upstream.get_json("thing", "/v1/thing")

    with pytest.raises(UpstreamError) as caught:
        run(go())
    assert route.call_count == 1
    assert caught.value.status == status


@respx.mock
def test_429_waits_what_retry_after_says_and_counts_it():
    sleep = RecordedSleep()
    respx.get(f"{BASE}/v1/thing").mock(
        side_effect=[
            httpx.Response(429, headers={"Retry-After": "7"}, json={"error": {"status": 429}}),
            httpx.Response(429, headers={"Retry-After": "2"}, json={"error": {"status": 429}}),
            httpx.Response(200, json={"ok": True}),
        ]
    )

    async def go():
        async with client(sleep=sleep) as upstream:
            return await upstream.get_json("thing", "/v1/thing"), upstream.stats

    body, stats = run(go())
    assert body == {"ok": True}
    assert sleep.waits == [7.0, 2.0]
    assert stats.rate_limited == 2
    assert stats.retry_after_wait_seconds == 9.0


@respx.mock
def test_429_without_retry_after_waits_a_second():
    sleep = RecordedSleep()
    respx.get(f"{BASE}/discovery/v2/events.json").mock(
        side_effect=[
            httpx.Response(429, json={"fault": {"faultstring": "Spike arrest violation"}}),
            httpx.Response(200, json={}),
        ]
    )

    async def go():
        async with client(sleep=sleep) as upstream:
            return await upstream.get_json("events", "/discovery/v2/events.json")

    run(go())
    assert sleep.waits == [1.0]


@respx.mock
def test_429_asking_for_more_than_the_cap_is_a_wait_not_a_retry():
    route = respx.get(f"{BASE}/v1/thing").mock(
        return_value=httpx.Response(
            429, headers={"Retry-After": "3600"}, json={"error": {"status": 429}}
        )
    )

    async def go():
        async with client(cap=60) as upstream:
            await upstream.get_json("artist", "/v1/thing")

    before = time.time()
    with pytest.raises(UpstreamMustWait, match="asked to wait longer than a request may") as caught:
        run(go())
    assert route.call_count == 1
    assert caught.value.reason == "retry_after"
    assert before + 3600 <= caught.value.until <= time.time() + 3600


@respx.mock
def test_concurrency_is_bounded():
    in_flight = 0
    peak = 0

    async def slow(request):
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0.01)
        in_flight -= 1
        return httpx.Response(200, json={})

    respx.get(url__startswith=f"{BASE}/v1/").mock(side_effect=slow)

    async def go():
        async with client(concurrency=3) as upstream:
            await asyncio.gather(*(upstream.get_json("thing", f"/v1/{n}") for n in range(20)))

    run(go())
    assert peak == 3


def admitted_permits(monkeypatch, bucket_class) -> list[int]:
    """The timestamps (ms, the bucket's clock) of the permits `bucket_class` admits from
    now on: the limiter's own decisions, which load cannot bunch the way it bunches the
    moments requests reach a mock."""
    admitted: list[int] = []
    put = bucket_class.put

    def recording_put(bucket, item):
        decision = put(bucket, item)
        if not isawaitable(decision):
            if decision:
                admitted.append(item.timestamp)
            return decision

        async def recorded():
            if ok := await decision:
                admitted.append(item.timestamp)
            return ok

        return recorded()

    monkeypatch.setattr(bucket_class, "put", recording_put)
    return admitted


def assert_five_a_second(admitted: list[int], count: int) -> None:
    """No one-second window of the bucket holds more than five permits, and `count`
    permits at five a second span at least (count - 1) // 5 seconds."""
    assert len(admitted) == count
    admitted = sorted(admitted)
    for i, start in enumerate(admitted):
        assert sum(1 for t in admitted[i:] if t - start < 1000) <= 5
    assert admitted[-1] - admitted[0] >= 1000 * ((count - 1) // 5)


@respx.mock
def test_the_limiter_holds_five_requests_per_second(monkeypatch):
    sent: list[float] = []
    admitted = admitted_permits(monkeypatch, SQLiteBucket)

    def record(request):
        sent.append(time.monotonic())
        return httpx.Response(200, json={})

    respx.get(url__startswith=f"{BASE}/discovery/").mock(side_effect=record)
    limiter = RateLimiter(name="test-five-rps", requests_per_second=5, redis_url=None)

    async def go():
        async with client(rate_limiter=limiter, concurrency=10) as upstream:
            await asyncio.gather(*(upstream.get_json("e", f"/discovery/{n}") for n in range(12)))
            return upstream.stats

    stats = run(go())
    assert len(sent) == 12
    # No one-second window of the limiter holds more than five permits.
    assert_five_a_second(admitted, 12)
    assert stats.limiter_wait_seconds > 0


@pytest.mark.parametrize("backend", ["file", "redis"])
def test_a_waiting_request_asks_again_when_the_window_frees_not_in_a_poll(monkeypatch, backend):
    """The sixth request of a second waits for the moment the bucket says the first
    permit leaves the window, then takes it: two attempts, not one every few ms."""
    import uuid

    if backend == "redis" and not os.environ.get("REDIS_URL"):
        pytest.skip("needs REDIS_URL (the PostgreSQL + Redis lane)")
    attempts: list[int] = []
    try_acquire = Limiter.try_acquire_async

    async def counted(limiter, *args, **kwargs):
        attempts.append(1)
        return await try_acquire(limiter, *args, **kwargs)

    monkeypatch.setattr(Limiter, "try_acquire_async", counted)
    redis_url = "redis://127.0.0.1:6379/15" if backend == "redis" else None
    limiter = RateLimiter(
        name=f"test-wait-{uuid.uuid4().hex}", requests_per_second=5, redis_url=redis_url
    )

    async def go():
        for _ in range(5):
            await limiter.acquire()
        del attempts[:]
        waited = await limiter.acquire()
        await limiter.aclose()
        return waited

    waited = run(go())
    assert len(attempts) <= 3  # the refusal, the permit (and a millisecond's rounding)
    assert waited >= 0.9  # the window: a second (and the margin) after the first permit


@respx.mock
def test_the_redis_limiter_is_shared_between_clients(monkeypatch):
    """Two clients (as two workers would be) draw from one Redis bucket. What is checked
    is the bucket's own decisions (each admitted permit's timestamp), not when requests
    happened to reach the mock: under load those bunch, whatever the limiter decided."""
    import uuid

    sent: list[float] = []
    admitted = admitted_permits(monkeypatch, RedisBucket)

    def record(request):
        sent.append(time.monotonic())
        return httpx.Response(200, json={})

    respx.get(url__startswith=f"{BASE}/discovery/").mock(side_effect=record)
    name = f"test-shared-{uuid.uuid4().hex}"

    async def worker(count: int):
        limiter = RateLimiter(
            name=name, requests_per_second=5, redis_url="redis://127.0.0.1:6379/15"
        )
        async with client(rate_limiter=limiter) as upstream:
            await asyncio.gather(*(upstream.get_json("e", f"/discovery/{n}") for n in range(count)))

    async def go():
        await asyncio.gather(worker(6), worker(6))

    run(go())
    assert len(sent) == 12
    assert_five_a_second(admitted, 12)  # one permit per request, from the one shared bucket


async def _empty_json(scope, receive, send):
    """An ASGI app answering every request with `{}`."""
    if scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"{}"})


class ConnectionsAtPermit:
    """A limiter that grants every permit at once and notes how many connections the
    client's pool held open as each was asked for."""

    def __init__(self) -> None:
        self.upstream: UpstreamClient | None = None
        self.open_connections: list[int] = []

    async def acquire(self) -> float:
        pool = self.upstream._http._transport._pool
        self.open_connections.append(len(pool.connections))
        return 0.0

    async def aclose(self) -> None:
        pass


def test_a_permit_is_taken_once_the_connection_is_open_as_the_request_goes():
    """The upstream counts a request when it arrives: a permit taken before a new
    connection's handshake would be older than its request by that handshake."""
    from sandbox.server import serve_in_thread

    limiter = ConnectionsAtPermit()

    async def go(base_url: str):
        upstream = UpstreamClient(provider="Ticketmaster", base_url=base_url, rate_limiter=limiter)
        limiter.upstream = upstream
        async with upstream:
            await upstream.get_json("e", "/first")  # opens the connection
            await upstream.get_json("e", "/second")  # reuses it
            return upstream.stats

    with serve_in_thread(_empty_json) as base_url:
        stats = run(go(base_url))
    assert limiter.open_connections == [1, 1]
    assert stats.requests["e"] == 2


LIMITED_PROCESS = """
import asyncio, json, sys, time
import django
django.setup()
from integrations.http.ratelimit import RateLimiter

async def main():
    limiter = RateLimiter(name=sys.argv[1], requests_per_second=5, redis_url=None)
    stamps = []
    for _ in range(6):
        await limiter.acquire()
        stamps.append(time.time())
    print(json.dumps(stamps))

asyncio.run(main())
"""


def test_without_redis_the_limiter_is_shared_between_processes(tmp_path):
    """Two processes (as two workers would be) draw from one bucket in a file."""
    import json
    import os
    import subprocess
    import sys
    import uuid

    env = {**os.environ, "RATE_LIMIT_FILE": str(tmp_path / "limits.sqlite3"), "REDIS_URL": ""}
    name = f"test-file-{uuid.uuid4().hex}"
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", LIMITED_PROCESS, name],
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    sent = sorted(t for p in processes for t in json.loads(p.communicate(timeout=60)[0]))
    assert len(sent) == 12
    for i, start in enumerate(sent):
        assert sum(1 for t in sent[i:] if t - start < WINDOW) <= 5
    # Twelve permits at five per second take at least two seconds in all.
    assert sent[-1] - sent[0] >= 1.9


@respx.mock
def test_secrets_quoted_back_by_the_upstream_never_reach_the_error():
    respx.get(f"{BASE}/discovery/v2/events.json").mock(
        return_value=httpx.Response(
            429,
            headers={"Retry-After": "86400"},
            json={
                "fault": {
                    "faultstring": "Rate limit quota violation. Quota limit exceeded. "
                    "Identifier : s3cr3t-key",
                    "detail": {"errorcode": "policies.ratelimit.QuotaViolation"},
                }
            },
        )
    )

    async def go():
        async with UpstreamClient(
            provider="Ticketmaster",
            base_url=BASE,
            params={"apikey": "s3cr3t-key"},
            retry=RetryPolicy(retries=0, retry_after_cap_seconds=60),
            secrets=("s3cr3t-key",),
            describe_error=ticketmaster_errors.describe_error,
        ) as upstream:
            await upstream.get_json("events search", "/discovery/v2/events.json")

    with pytest.raises(UpstreamError) as caught:
        run(go())
    assert "s3cr3t-key" not in str(caught.value)
    assert "Identifier : [redacted]" in str(caught.value)


# --- What a 429 means: a spike to back off from, or a spent quota no retry can help ----

TM_QUOTA = {
    "fault": {
        "faultstring": "Rate limit quota violation. Quota limit exceeded. Identifier : k",
        "detail": {"errorcode": "policies.ratelimit.QuotaViolation"},
    }
}
TM_SPIKE = {
    "fault": {
        "faultstring": "Spike arrest violation. Allowed rate : 5ps",
        "detail": {"errorcode": "policies.ratelimit.SpikeArrestViolation"},
    }
}
SPOTIFY_QUOTA = {
    "error": {"status": 429, "message": "Too many requests", "reason": "QUOTA_EXCEEDED"}
}
SPOTIFY_WINDOW = {"error": {"status": 429, "message": "API rate limit exceeded"}}


@pytest.mark.parametrize(
    ("classify", "body", "headers", "expected"),
    [
        (ticketmaster_errors.classify_refusal, TM_QUOTA, {}, Refusal(RefusalKind.QUOTA, None)),
        (ticketmaster_errors.classify_refusal, TM_SPIKE, {}, Refusal(RefusalKind.SPIKE, None)),
        (ticketmaster_errors.classify_refusal, {}, {}, Refusal(RefusalKind.SPIKE, None)),
        (
            ticketmaster_errors.classify_refusal,
            {"fault": "odd"},
            {},
            Refusal(RefusalKind.SPIKE, None),
        ),
        (
            spotify_errors.classify_refusal,
            SPOTIFY_QUOTA,
            {"Retry-After": "7293"},
            Refusal(RefusalKind.QUOTA, 7293.0),
        ),
        (
            spotify_errors.classify_refusal,
            SPOTIFY_WINDOW,
            {"Retry-After": "3"},
            Refusal(RefusalKind.SPIKE, 3.0),
        ),
        (spotify_errors.classify_refusal, {"error": "x"}, {}, Refusal(RefusalKind.SPIKE, None)),
        (classify_as_spike, TM_QUOTA, {"Retry-After": "soon"}, Refusal(RefusalKind.SPIKE, None)),
    ],
    ids=[
        "tm-quota",
        "tm-spike",
        "tm-no-body",
        "tm-odd-fault",
        "spotify-quota",
        "spotify-window",
        "spotify-odd",
        "default",
    ],
)
def test_a_429_is_read_as_a_spike_or_a_spent_quota(classify, body, headers, expected):
    assert classify(httpx.Response(429, json=body, headers=headers)) == expected


def tm_client(**kwargs) -> UpstreamClient:
    return UpstreamClient(
        provider="Ticketmaster",
        base_url=BASE,
        retry=RetryPolicy(retries=3, retry_after_cap_seconds=60, sleep=kwargs.pop("sleep")),
        describe_error=ticketmaster_errors.describe_error,
        classify_refusal=ticketmaster_errors.classify_refusal,
    )


@respx.mock
def test_a_spent_ticketmaster_quota_is_a_wait_and_is_not_retried(settings):
    settings.QUOTA_UNKNOWN_RESET_WAIT_SECONDS = 900
    route = respx.get(f"{BASE}/discovery/v2/events.json").mock(
        return_value=httpx.Response(429, json=TM_QUOTA)
    )
    sleep = RecordedSleep()

    async def go():
        async with tm_client(sleep=sleep) as upstream:
            await upstream.get_json("events search", "/discovery/v2/events.json")

    before = time.time()
    with pytest.raises(UpstreamMustWait) as caught:
        run(go())
    assert route.call_count == 1 and sleep.waits == []
    assert str(caught.value) == (
        "Ticketmaster events search answered HTTP 429: the key's quota is spent until it "
        "resets (Rate limit quota violation. Quota limit exceeded. Identifier : k "
        "(policies.ratelimit.QuotaViolation))"
    )
    # No ledger and no word of the reset: the configured wait.
    assert caught.value.reason == "quota"
    assert before + 900 <= caught.value.until <= time.time() + 900


@respx.mock
def test_a_ticketmaster_spike_arrest_is_retried_after_a_second():
    route = respx.get(f"{BASE}/discovery/v2/events.json").mock(
        side_effect=[httpx.Response(429, json=TM_SPIKE), httpx.Response(200, json={"ok": 1})]
    )
    sleep = RecordedSleep()

    async def go():
        async with tm_client(sleep=sleep) as upstream:
            return await upstream.get_json("events search", "/discovery/v2/events.json")

    assert run(go()) == {"ok": 1}
    assert route.call_count == 2 and sleep.waits == [1.0]


@respx.mock
@pytest.mark.parametrize("retry_after", ["30", "3600"])
def test_a_spent_spotify_quota_is_a_wait_however_short_its_retry_after(retry_after):
    route = respx.get(f"{BASE}/v1/thing").mock(
        return_value=httpx.Response(429, headers={"Retry-After": retry_after}, json=SPOTIFY_QUOTA)
    )
    sleep = RecordedSleep()

    async def go():
        async with client(
            cap=60, sleep=sleep, classify_refusal=spotify_errors.classify_refusal
        ) as upstream:
            await upstream.get_json("artist", "/v1/thing")

    before = time.time()
    with pytest.raises(UpstreamMustWait, match="quota is spent") as caught:
        run(go())
    assert route.call_count == 1 and sleep.waits == []
    assert caught.value.until >= before + float(retry_after)


@pytest.mark.parametrize("bucket_class", ["RedisBucket", "SharedRedisBucket"])
def test_the_redis_bucket_counts_permits_filed_with_later_timestamps(bucket_class):
    """Two processes: one reads its clock, the other reads a later time and files its
    permit first (the first was descheduled before its script ran). The first's permit
    must count the second's, though it is stamped later, or the window takes six."""
    import uuid

    from pyrate_limiter import RateItem
    from redis.asyncio import Redis

    from integrations.http.ratelimit import SharedRedisBucket

    if not os.environ.get("REDIS_URL"):
        pytest.skip("needs REDIS_URL (the PostgreSQL + Redis lane)")
    name = f"test-order-{uuid.uuid4().hex}"

    async def go() -> list[bool]:
        redis = Redis.from_url("redis://127.0.0.1:6379/15")
        rates = [Rate(5, 1050)]
        if bucket_class == "SharedRedisBucket":
            bucket = await SharedRedisBucket.create(rates, redis, name)
        else:
            bucket = await RedisBucket.init(rates, redis, name)
        try:
            filed = [await bucket.put(RateItem(name, 1_000_000 + n)) for n in range(4)]
            filed.append(await bucket.put(RateItem(name, 1_000_500)))  # the later clock
            filed.append(await bucket.put(RateItem(name, 1_000_400)))  # the earlier one
            return filed
        finally:
            await redis.delete(name)
            await redis.aclose()

    filed = run(go())
    assert filed[:5] == [True] * 5
    # pyrate's own script counts only up to the new permit's timestamp: a sixth.
    assert filed[5] is (bucket_class == "RedisBucket")
