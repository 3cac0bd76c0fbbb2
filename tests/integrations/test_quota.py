"""The quota ledger: its rules (table-driven), its two stores, and the client that asks
it before every request and feeds it every answer."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest
import respx

from integrations.http.client import UpstreamClient
from integrations.http.errors import UpstreamError, UpstreamMustWait
from integrations.http.quota import (
    Hold,
    HoldReason,
    QuotaLedger,
    QuotaObservation,
    QuotaState,
    hold_for,
    observed,
    quota_ledger_clear,
    quota_reports,
    refused,
    report,
    reserve_floor,
    returned,
    spendable,
)
from integrations.http.retry import RetryPolicy
from integrations.spotify import errors as spotify_errors
from integrations.ticketmaster import errors as ticketmaster_errors
from integrations.ticketmaster.client import read_quota_headers

NOW = 1_000_000.0
RESET = NOW + 3600
BASE = "https://upstream.test"

# A key that has answered: 120 of 5,000 left for the hour.
KNOWN = QuotaState(limit=5000, available=120, reset_at=RESET, observed_at=NOW)


@pytest.mark.parametrize(
    ("state", "limit", "available", "reset_at", "expected"),
    [
        (QuotaState(), 5000, 4999, RESET, (5000, 4999, RESET)),
        (KNOWN, 5000, 119, RESET, (5000, 119, RESET)),
        # Answers of one window arrive out of order: the lowest count wins.
        (KNOWN, 5000, 130, RESET, (5000, 120, RESET)),
        (KNOWN, 5000, 130, RESET + 0.5, (5000, 120, RESET)),
        # A new window replaces the count, even upwards.
        (KNOWN, 5000, 4999, RESET + 86400, (5000, 4999, RESET + 86400)),
        # A late answer of the window before changes nothing.
        (KNOWN, 5000, 3, RESET - 86400, (5000, 120, RESET)),
    ],
    ids=["first-answer", "lower", "higher-same-window", "same-window-jitter", "new-window", "late"],
)
def test_an_answer_updates_the_count_of_its_window(state, limit, available, reset_at, expected):
    after = observed(state, limit=limit, available=available, reset_at=reset_at, now=NOW)
    assert (after.limit, after.available, after.reset_at) == expected


def test_a_new_window_lifts_a_quota_block_that_ended_with_the_old_one():
    blocked = refused(KNOWN, reason=HoldReason.QUOTA, retry_after=None, now=NOW, default_wait=900)
    assert blocked.blocked_until == RESET
    later = RESET + 5
    fresh = observed(blocked, limit=5000, available=4999, reset_at=later + 86400, now=later)
    assert (fresh.blocked_until, fresh.blocked_by) == (None, "")
    assert hold_for(fresh, now=later) is None


@pytest.mark.parametrize(
    ("state", "reason", "retry_after", "until"),
    [
        # A spent quota lasts until the reset the answers announced...
        (KNOWN, HoldReason.QUOTA, None, RESET),
        (KNOWN, HoldReason.QUOTA, 60, RESET),
        # ...or, when none is known, what the refusal says, else the configured wait.
        (QuotaState(), HoldReason.QUOTA, 60, NOW + 60),
        (QuotaState(), HoldReason.QUOTA, None, NOW + 900),
        (QuotaState(reset_at=NOW - 1, available=0), HoldReason.QUOTA, None, NOW + 900),
        (QuotaState(), HoldReason.RETRY_AFTER, 120, NOW + 120),
        # A block is never shortened by a shorter one.
        (
            QuotaState(blocked_until=NOW + 500, blocked_by="retry_after"),
            HoldReason.RETRY_AFTER,
            5,
            NOW + 500,
        ),
    ],
    ids=[
        "quota-known-reset",
        "quota-ignores-retry-after",
        "quota-retry-after",
        "quota-default",
        "quota-stale-reset",
        "retry-after",
        "longer-kept",
    ],
)
def test_a_refusal_blocks_the_key_until(state, reason, retry_after, until):
    after = refused(state, reason=reason, retry_after=retry_after, now=NOW, default_wait=900)
    assert after.blocked_until == until
    assert after.refusals == state.refusals + 1
    if reason == HoldReason.QUOTA:
        assert after.available == 0


@pytest.mark.parametrize(
    ("state", "reserve_share", "expected"),
    [
        (QuotaState(), 0.2, None),
        (KNOWN, 0.0, None),
        (QuotaState(limit=5000, available=0, reset_at=RESET), 0.0, Hold(RESET, HoldReason.QUOTA)),
        # The answers said 0 left, but that window is over: a full budget is back.
        (QuotaState(limit=5000, available=0, reset_at=NOW - 1), 0.0, None),
        # A re-sync keeps the last 20 %: 1,000 of 5,000.
        (
            QuotaState(limit=5000, available=1000, reset_at=RESET),
            0.2,
            Hold(RESET, HoldReason.RESERVE),
        ),
        (QuotaState(limit=5000, available=1001, reset_at=RESET), 0.2, None),
        (QuotaState(limit=5000, available=1000, reset_at=RESET), 0.0, None),
        (
            QuotaState(blocked_until=NOW + 120, blocked_by="retry_after"),
            0.0,
            Hold(NOW + 120, HoldReason.RETRY_AFTER),
        ),
        (QuotaState(blocked_until=NOW - 1, blocked_by="retry_after"), 0.0, None),
        # Two reasons: the later end decides.
        (
            QuotaState(
                limit=5,
                available=0,
                reset_at=RESET,
                blocked_until=NOW + 5,
                blocked_by="retry_after",
            ),
            0.0,
            Hold(RESET, HoldReason.QUOTA),
        ),
    ],
    ids=[
        "unknown",
        "plenty",
        "spent",
        "spent-window-over",
        "at-reserve",
        "above-reserve",
        "person-spends-reserve",
        "retry-after",
        "retry-after-over",
        "later-wins",
    ],
)
def test_whether_a_request_may_go(state, reserve_share, expected):
    assert hold_for(state, now=NOW, reserve_share=reserve_share) == expected


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        (KNOWN, 121),
        (QuotaState(limit=10, available=10, reset_at=RESET), 10),  # never above the limit
        (QuotaState(limit=10, available=3, reset_at=NOW - 1), 3),  # a window over
        (QuotaState(), None),
    ],
    ids=["counted", "full", "window-over", "unknown"],
)
def test_a_request_refused_as_too_fast_is_given_back(state, expected):
    assert returned(state, now=NOW).available == expected


@pytest.mark.parametrize(
    ("limit", "share", "floor"),
    [(5000, 0.2, 1000), (10, 0.2, 2), (7, 0.2, 2), (5000, 0.0, 0), (None, 0.2, 0), (5, 1.5, 5)],
)
def test_reserve_floor(limit, share, floor):
    assert reserve_floor(limit, share) == floor


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        (QuotaState(), None),
        (KNOWN, 119),  # 120 left, 1 kept (ceil of 20 % of 5 000 is 1 000: none above it)
        (QuotaState(limit=5000, available=1500, reset_at=RESET), 500),
        (QuotaState(limit=5000, available=900, reset_at=RESET), 0),
        (QuotaState(limit=5000, available=900, reset_at=NOW - 1), None),
        (refused(KNOWN, reason=HoldReason.QUOTA, retry_after=None, now=NOW, default_wait=900), 0),
    ],
    ids=["unknown", "below-reserve-small-limit", "above", "below", "window-over", "refused"],
)
def test_what_a_resync_may_spend(state, expected):
    reserve = 0.2 if state.limit != 5000 or state.available != 120 else 0.0002
    assert spendable(state, now=NOW, reserve_share=reserve) == expected


def test_the_report_counts_a_window_that_is_over_as_a_full_budget():
    spent = QuotaState(limit=5000, available=0, reset_at=NOW - 10, refusals=3)
    assert report("ticketmaster:x", spent, now=NOW) == report(
        "ticketmaster:x", QuotaState(limit=5000, available=5000, refusals=3), now=NOW
    )
    current = report("ticketmaster:x", KNOWN, now=NOW)
    assert (current.used, current.available, current.reset_at) == (4880, 120, RESET)


def test_the_state_survives_its_storage_and_an_unreadable_one_starts_over():
    state = refused(KNOWN, reason=HoldReason.QUOTA, retry_after=None, now=NOW, default_wait=900)
    assert QuotaState.from_json(state.to_json()) == state
    assert QuotaState.from_json(b"not json") == QuotaState()
    assert QuotaState.from_json(None) == QuotaState()


@pytest.fixture(params=["file", "redis"])
def store(request, settings):
    """Each test below runs on the per-machine file and, in the Redis lane, on Redis."""
    if request.param == "redis":
        if not settings.REDIS_URL:
            pytest.skip("the Redis ledger runs in the PostgreSQL + Redis lane")
    else:
        settings.REDIS_URL = None
    quota_ledger_clear()  # the suite emptied the configured store, maybe not this one
    return request.param


def test_the_ledger_is_shared_through_its_store(store):
    writer, reader = QuotaLedger("ticketmaster:shared"), QuotaLedger("ticketmaster:shared")
    reset = time.time() + 60
    writer.observe(QuotaObservation(limit=10, available=3, reset_at=reset))
    writer.observe(QuotaObservation(limit=10, available=5, reset_at=reset))  # late, higher
    assert reader.state().available == 3
    assert reader.hold() is None
    writer.observe(QuotaObservation(limit=10, available=0, reset_at=reset))
    assert reader.hold() == Hold(reset, HoldReason.QUOTA)
    assert [r.name for r in quota_reports()] == ["ticketmaster:shared"]
    assert quota_reports()[0].used == 10


def test_concurrent_writers_lose_no_update(store):
    """Every refusal recorded and every request taken counts, whatever the interleaving:
    the store's transaction, not luck."""
    from concurrent.futures import ThreadPoolExecutor

    ledger = QuotaLedger("spotify:busy")
    with ThreadPoolExecutor(8) as pool:
        list(
            pool.map(
                lambda _: ledger.refuse(reason=HoldReason.RETRY_AFTER, retry_after=1), range(40)
            )
        )
    assert ledger.state().refusals == 40


def test_requests_let_go_at_once_never_outrun_the_quota(store):
    """30 requests of 8 threads (several workers) against 5 left: exactly 5 go."""
    from concurrent.futures import ThreadPoolExecutor

    ledger = QuotaLedger("ticketmaster:race")
    reset = time.time() + 60
    ledger.observe(QuotaObservation(limit=10, available=5, reset_at=reset))
    with ThreadPoolExecutor(8) as pool:
        holds = list(pool.map(lambda _: ledger.take(), range(30)))
    assert holds.count(None) == 5
    assert set(holds) - {None} == {Hold(reset, HoldReason.QUOTA)}
    assert ledger.state().available == 0


def test_a_request_is_let_go_without_a_write_when_nothing_is_counted(store):
    ledger = QuotaLedger("spotify:uncounted")
    assert ledger.take() is None
    assert quota_reports() == []  # nothing stored: no write per request where none counts


@pytest.mark.parametrize(
    ("retry_after", "reset_at", "expected_until"),
    [
        (float("inf"), None, NOW + 900),
        (1e12, None, NOW + 2 * 86400),
        (None, NOW + 1e12, NOW + 900),  # a reset decades away is not believed
    ],
    ids=["infinite-retry-after", "huge-retry-after", "far-reset"],
)
def test_a_garbled_wait_cannot_block_a_key_for_years(retry_after, reset_at, expected_until):
    state = QuotaState()
    if reset_at is not None:
        state = observed(state, limit=5000, available=0, reset_at=reset_at, now=NOW)
        assert state == QuotaState()
    reason = HoldReason.RETRY_AFTER if retry_after else HoldReason.QUOTA
    after = refused(state, reason=reason, retry_after=retry_after, now=NOW, default_wait=900)
    assert after.blocked_until == expected_until


# --- The client ----------------------------------------------------------------------


class RecordedSleep:
    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def tm_client(ledger: QuotaLedger, *, reserve_share: float = 0.0, sleep=None) -> UpstreamClient:
    return UpstreamClient(
        provider="Ticketmaster",
        base_url=BASE,
        retry=RetryPolicy(retries=3, retry_after_cap_seconds=60, sleep=sleep or RecordedSleep()),
        describe_error=ticketmaster_errors.describe_error,
        classify_refusal=ticketmaster_errors.classify_refusal,
        quota=ledger,
        read_quota=read_quota_headers,
        reserve_share=reserve_share,
    )


def quota_headers(available: int, reset_at: float, limit: int = 5) -> dict[str, str]:
    return {
        "Rate-Limit": str(limit),
        "Rate-Limit-Available": str(available),
        "Rate-Limit-Over": "0",
        "Rate-Limit-Reset": str(int(reset_at * 1000)),
    }


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (quota_headers(3, 1_700_000_000.5), QuotaObservation(5, 3, 1_700_000_000.5)),
        ({}, None),
        ({"Rate-Limit": "5000", "Rate-Limit-Available": "x", "Rate-Limit-Reset": "1"}, None),
        ({"Rate-Limit": "5000", "Rate-Limit-Available": "1"}, None),
    ],
    ids=["all", "none", "not-a-number", "no-reset"],
)
def test_ticketmaster_quota_headers(headers, expected):
    assert read_quota_headers(httpx.Response(200, headers=headers)) == expected


@respx.mock
def test_no_request_is_sent_once_an_answer_said_the_quota_is_spent(store):
    reset = int(time.time()) + 3600.0
    route = respx.get(f"{BASE}/events").mock(
        side_effect=[
            httpx.Response(200, json={}, headers=quota_headers(1, reset)),
            httpx.Response(200, json={}, headers=quota_headers(0, reset)),
            httpx.Response(200, json={}),  # never asked for
        ]
    )
    ledger = QuotaLedger("ticketmaster:spent")

    async def go():
        async with tm_client(ledger) as upstream:
            await upstream.get_json("events", "/events")
            await upstream.get_json("events", "/events")
            with pytest.raises(UpstreamMustWait) as caught:
                await upstream.get_json("events", "/events")
            return caught.value, upstream.stats

    wait, stats = asyncio.run(go())
    assert route.call_count == 2
    assert (wait.reason, wait.until, wait.status) == ("quota", reset, None)
    assert "not sent: the key's quota is spent" in str(wait)
    assert stats.parked == 1 and stats.rate_limited == 0
    # Another process with the same key knows it too, before sending anything.
    other = QuotaLedger("ticketmaster:spent")

    async def another():
        async with tm_client(other) as upstream:
            await upstream.get_json("events", "/events")

    with pytest.raises(UpstreamMustWait):
        asyncio.run(another())
    assert route.call_count == 2


@respx.mock
def test_a_quota_refusal_blocks_the_key_until_the_reset_the_answers_gave(store):
    reset = int(time.time()) + 3600.0
    route = respx.get(f"{BASE}/events").mock(
        side_effect=[
            httpx.Response(200, json={}, headers=quota_headers(4, reset)),
            httpx.Response(
                429,
                json={
                    "fault": {
                        "faultstring": "Rate limit quota violation.",
                        "detail": {"errorcode": "policies.ratelimit.QuotaViolation"},
                    }
                },
            ),
        ]
    )
    ledger = QuotaLedger("ticketmaster:refused")

    async def go():
        async with tm_client(ledger) as upstream:
            await upstream.get_json("events", "/events")
            await upstream.get_json("events", "/events")

    with pytest.raises(UpstreamMustWait) as caught:
        asyncio.run(go())
    assert caught.value.until == reset and caught.value.status == 429
    assert ledger.state().available == 0
    assert ledger.hold() == Hold(reset, HoldReason.QUOTA)
    assert route.call_count == 2


@respx.mock
def test_a_resync_leaves_the_reserve_and_a_person_may_spend_it(store):
    reset = int(time.time()) + 3600.0
    route = respx.get(f"{BASE}/events").mock(
        return_value=httpx.Response(200, json={}, headers=quota_headers(2, reset, limit=10))
    )
    ledger = QuotaLedger("ticketmaster:reserve")

    async def fetch(reserve_share: float):
        async with tm_client(ledger, reserve_share=reserve_share) as upstream:
            await upstream.get_json("events", "/events")

    asyncio.run(fetch(0.2))  # nothing known yet: it goes, and learns 2 of 10 are left
    with pytest.raises(UpstreamMustWait) as caught:
        asyncio.run(fetch(0.2))  # 2 is the reserve of 10 at 20 %
    assert caught.value.reason == "reserve"
    asyncio.run(fetch(0.0))  # a person's import spends it
    assert route.call_count == 2


class FakeTime:
    """A clock that sleeping advances: waits are recorded, never slept."""

    def __init__(self) -> None:
        self.now = time.time()
        self.waits: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds


@respx.mock
def test_a_short_retry_after_is_waited_by_every_client_of_the_key(store):
    """Spotify's rolling window: a Retry-After within the cap is recorded, so another
    client of the key (another worker) waits it out before sending, instead of being
    refused too."""
    route = respx.get(f"{BASE}/v1/thing").mock(
        side_effect=[
            httpx.Response(429, headers={"Retry-After": "20"}, json={"error": {"status": 429}}),
            httpx.Response(200, json={"ok": 2}),
        ]
    )
    fake = FakeTime()
    ledger = QuotaLedger("spotify:window", clock=fake)

    def spotify(retries: int):
        return UpstreamClient(
            provider="Spotify",
            base_url=BASE,
            retry=RetryPolicy(retries=retries, retry_after_cap_seconds=60, sleep=fake.sleep),
            classify_refusal=spotify_errors.classify_refusal,
            quota=ledger,
        )

    async def go():
        async with spotify(retries=0) as first:
            with pytest.raises(UpstreamError, match="HTTP 429"):
                await first.get_json("thing", "/v1/thing")
        async with spotify(retries=0) as second:
            return await second.get_json("thing", "/v1/thing")

    assert asyncio.run(go()) == {"ok": 2}
    assert route.call_count == 2
    assert [round(w) for w in fake.waits] == [20]
    assert ledger.state().blocked_by == "retry_after"


@respx.mock
def test_a_long_retry_after_recorded_by_one_client_parks_the_next(store):
    route = respx.get(f"{BASE}/v1/thing").mock(
        return_value=httpx.Response(
            429, headers={"Retry-After": "120"}, json={"error": {"status": 429}}
        )
    )
    fake = FakeTime()
    ledger = QuotaLedger("spotify:long", clock=fake)

    async def go():
        async with UpstreamClient(
            provider="Spotify",
            base_url=BASE,
            retry=RetryPolicy(retries=3, retry_after_cap_seconds=60, sleep=fake.sleep),
            classify_refusal=spotify_errors.classify_refusal,
            quota=ledger,
        ) as upstream:
            with pytest.raises(UpstreamMustWait) as refused_now:
                await upstream.get_json("thing", "/v1/thing")
            with pytest.raises(UpstreamMustWait) as not_sent:
                await upstream.get_json("thing", "/v1/thing")
            return refused_now.value, not_sent.value

    refused_now, not_sent = asyncio.run(go())
    assert route.call_count == 1 and fake.waits == []
    assert refused_now.until == not_sent.until == pytest.approx(fake.now + 120)
    assert (refused_now.status, not_sent.status) == (429, None)


@respx.mock
def test_a_spike_arrest_costs_the_count_nothing(store):
    """A request refused as too fast was not served: the ledger counts only what was."""
    reset = int(time.time()) + 3600.0
    spike = {
        "fault": {
            "faultstring": "Spike arrest violation. Allowed rate : 5ps",
            "detail": {"errorcode": "policies.ratelimit.SpikeArrestViolation"},
        }
    }
    respx.get(f"{BASE}/events").mock(
        side_effect=[
            httpx.Response(429, json=spike),
            httpx.Response(200, json={}, headers=quota_headers(2, reset, limit=10)),
        ]
    )
    ledger = QuotaLedger("ticketmaster:spike")
    ledger.observe(QuotaObservation(limit=10, available=3, reset_at=reset))

    async def go():
        async with tm_client(ledger) as upstream:
            await upstream.get_json("events", "/events")

    asyncio.run(go())
    assert ledger.state().available == 2  # 3, less the one request served
