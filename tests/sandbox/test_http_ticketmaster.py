"""Ticketmaster Discovery v2 as the sandbox serves it, over HTTP and in-process."""

from __future__ import annotations

import asyncio
import math
import time

import pytest

from sandbox import gateway
from sandbox.config import SandboxConfig
from tests.sandbox.support import (
    BAND,
    BARE_VENUE,
    DATED_EVENTS,
    NAMESAKE,
    NO_TZ_EVENT,
    NO_VENUE_EVENT,
    TBA_EVENT,
    TIME_TBA_EVENT,
    TWICE_EVENT,
    VENUE,
    tm,
)

pytestmark = pytest.mark.anyio

EVENTS = "/discovery/v2/events.json"
DIS1035 = {
    "errors": [
        {
            "code": "DIS1035",
            "detail": "API Limits Exceeded: Max paging depth exceeded. (page * size) must be "
            "less than 1,000",
            "status": "400 BAD_REQUEST",
            "_links": {"about": {"href": "/discovery/v2/errors.html#DIS1035"}},
        }
    ]
}
INVALID_KEY = {
    "fault": {"faultstring": "Invalid ApiKey", "detail": {"errorcode": "oauth.v2.InvalidApiKey"}}
}
RATE_HEADERS = ("Rate-Limit", "Rate-Limit-Available", "Rate-Limit-Over", "Rate-Limit-Reset")
QUOTA_VIOLATION = {
    "fault": {
        "faultstring": "Rate limit quota violation. Quota limit exceeded. Identifier : sandbox-key",
        "detail": {"errorcode": "policies.ratelimit.QuotaViolation"},
    }
}


def event_ids(body: dict) -> list[str]:
    return [e["id"] for e in body.get("_embedded", {}).get("events", [])]


async def test_paging_to_the_last_page(open_sandbox, edge_world):
    """Every listed event once per listing (twice for the duplicate), links to the end."""
    async with open_sandbox(edge_world) as client:
        seen: list[str] = []
        page, total_pages = 0, None
        while total_pages is None or page < total_pages:
            response = await client.get(
                EVENTS, params=tm(attractionId=BAND, size=10, page=page, sort="date,asc")
            )
            assert response.status_code == 200
            body = response.json()
            total_pages = body["page"]["totalPages"]
            seen += event_ids(body)
            links = body["_links"]
            assert ("next" in links) == (page < total_pages - 1)
            page += 1
    # 24 dated + 1 TBA (no date bound: includeTBA defaults to yes) + the duplicate.
    expected_total = DATED_EVENTS + 1 + 1
    assert body["page"] == {
        "size": 10,
        "totalElements": expected_total,
        "totalPages": math.ceil(expected_total / 10),
        "number": total_pages - 1,
    }
    assert len(seen) == expected_total
    assert seen.count(TWICE_EVENT) == 2
    assert list(dict.fromkeys(seen))[-1] == TBA_EVENT  # TBA last in date order
    # The duplicate lands on another page, as live duplicates do.
    first, second = (i for i, e in enumerate(seen) if e == TWICE_EVENT)
    assert first // 10 != second // 10


async def test_links_are_relative_without_the_key(open_sandbox, edge_world):
    async with open_sandbox(edge_world) as client:
        body = (await client.get(EVENTS, params=tm(attractionId=BAND, size=5, page=1))).json()
    links = body["_links"]
    assert set(links) == {"self", "first", "prev", "next", "last"}
    for link in links.values():
        assert link["href"].startswith("/discovery/v2/events.json?")
        assert "apikey" not in link["href"]
    assert "page=2" in links["next"]["href"] and "size=5" in links["next"]["href"]
    assert f"attractionId={BAND}" in links["next"]["href"]


async def test_size_200_serves_page_5_and_refuses_page_6(open_sandbox, builtin_world):
    prolific = next(a for a in builtin_world.artists if a.profile == "prolific")
    async with open_sandbox(builtin_world) as client:
        page5 = await client.get(
            EVENTS, params=tm(attractionId=prolific.tm_attraction_id, size=200, page=5)
        )
        page6 = await client.get(
            EVENTS, params=tm(attractionId=prolific.tm_attraction_id, size=200, page=6)
        )
    assert page5.status_code == 200
    body = page5.json()
    assert len(event_ids(body)) == 200
    assert body["page"]["totalElements"] > 1200  # past the 1,000-result paging limit
    assert body["page"]["totalPages"] >= 7 and "next" in body["_links"]  # a trap: page 6
    assert page6.status_code == 400
    assert page6.json() == DIS1035
    assert not any(h in page6.headers for h in RATE_HEADERS)


async def test_default_size_and_paging_depth(open_sandbox, edge_world):
    async with open_sandbox(edge_world) as client:
        default = await client.get(EVENTS, params=tm(attractionId=BAND))
        deepest = await client.get(EVENTS, params=tm(attractionId=BAND, page=50))
        too_deep = await client.get(EVENTS, params=tm(attractionId=BAND, page=51))
    assert default.json()["page"]["size"] == 20
    assert len(event_ids(default.json())) == 20
    assert deepest.status_code == 200  # 50 * 20 = 1,000 is not above the limit
    assert "_embedded" not in deepest.json()
    assert too_deep.status_code == 400 and too_deep.json() == DIS1035


async def test_size_201_is_refused(open_sandbox, edge_world):
    async with open_sandbox(edge_world) as client:
        ok = await client.get(EVENTS, params=tm(attractionId=BAND, size=200))
        refused = await client.get(EVENTS, params=tm(attractionId=BAND, size=201))
    assert ok.status_code == 200
    assert refused.status_code == 400
    (error,) = refused.json()["errors"]
    assert error["code"] == "DIS1036" and "must be less than 200" in error["detail"]


async def test_date_range_is_inclusive_on_the_event_utc_start(open_sandbox, edge_world):
    # Night 2 is 2027-01-03 20:00 in Chicago = 2027-01-04T02:00:00Z; night 4 two days later.
    async with open_sandbox(edge_world) as client:
        inclusive = await client.get(
            EVENTS,
            params=tm(
                attractionId=BAND,
                startDateTime="2027-01-04T02:00:00Z",
                endDateTime="2027-01-06T02:00:00Z",
                sort="date,asc",
            ),
        )
        exclusive = await client.get(
            EVENTS,
            params=tm(
                attractionId=BAND,
                startDateTime="2027-01-04T02:00:01Z",
                endDateTime="2027-01-06T01:59:59Z",
            ),
        )
    ids = event_ids(inclusive.json())
    assert TBA_EVENT not in ids  # a date bound was sent: includeTBA defaults to no
    # Night 3 is listed twice; the copy goes a page later, here the end of the listing.
    assert ids == ["vvG1EdgeEvent0002", "vvG1EdgeEvent0003", "vvG1EdgeEvent0004", TWICE_EVENT]
    assert event_ids(exclusive.json()) == [TWICE_EVENT, TWICE_EVENT]


@pytest.mark.parametrize(
    "value",
    ["2027-01-04", "2027-01-04T02:00:00", "2027-01-04 02:00:00Z", "2027-1-4T02:00:00Z",
     "2027-01-04T02:00:00.000Z", "2027-02-30T00:00:00Z"],
)  # fmt: skip
async def test_bad_date_format_is_dis1015(open_sandbox, edge_world, value):
    async with open_sandbox(edge_world) as client:
        response = await client.get(EVENTS, params=tm(attractionId=BAND, startDateTime=value))
    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert error["code"] == "DIS1015" and "startDateTime" in error["detail"]


async def test_tba_events_and_include_tba(open_sandbox, edge_world):
    bound = "2026-01-01T00:00:00Z"
    async with open_sandbox(edge_world) as client:
        plain = await client.get(EVENTS, params=tm(attractionId=BAND, size=200))
        bounded = await client.get(
            EVENTS, params=tm(attractionId=BAND, size=200, startDateTime=bound)
        )
        bounded_yes = await client.get(
            EVENTS, params=tm(attractionId=BAND, size=200, startDateTime=bound, includeTBA="yes")
        )
        only = await client.get(EVENTS, params=tm(attractionId=BAND, includeTBA="only"))
        tbd_only = await client.get(EVENTS, params=tm(attractionId=BAND, includeTBD="only"))
        bad = await client.get(EVENTS, params=tm(attractionId=BAND, includeTBA="maybe"))
    assert TBA_EVENT in event_ids(plain.json())
    assert TBA_EVENT not in event_ids(bounded.json())
    assert TBA_EVENT in event_ids(bounded_yes.json())
    assert event_ids(only.json()) == [TBA_EVENT]
    assert event_ids(tbd_only.json()) == []
    assert bad.status_code == 400


async def test_empty_result_has_no_embedded_and_zero_pages(open_sandbox, edge_world):
    async with open_sandbox(edge_world) as client:
        response = await client.get(EVENTS, params=tm(attractionId="K8vZ917NoSuch"))
    body = response.json()
    assert response.status_code == 200
    assert "_embedded" not in body
    assert body["page"] == {"size": 20, "totalElements": 0, "totalPages": 0, "number": 0}
    assert set(body["_links"]) == {"self"}


async def test_event_shapes(open_sandbox, edge_world):
    async with open_sandbox(edge_world) as client:
        body = (await client.get(EVENTS, params=tm(attractionId=BAND, size=200))).json()
    events = {e["id"]: e for e in body["_embedded"]["events"]}
    night0 = events["vvG1EdgeEvent0000"]
    assert night0["type"] == "event" and night0["url"].startswith("https://")
    assert night0["dates"]["start"] == {
        "localDate": "2027-01-01",
        "localTime": "20:00:00",
        "dateTime": "2027-01-02T02:00:00Z",
        "dateTBD": False,
        "dateTBA": False,
        "timeTBA": False,
        "noSpecificTime": False,
    }
    assert night0["dates"]["timezone"] == "America/Chicago"
    assert night0["dates"]["status"] == {"code": "onsale"}
    assert {i["ratio"] for i in night0["images"]} == {"16_9", "3_2", "4_3"}
    (venue,) = night0["_embedded"]["venues"]
    assert venue["id"] == VENUE
    assert venue["location"] == {"longitude": "-97.74310000", "latitude": "30.26710000"}
    assert venue["city"] == {"name": " Austin "}
    assert venue["state"] == {"name": "Texas", "stateCode": "TX"}
    (attraction,) = night0["_embedded"]["attractions"]
    assert attraction["id"] == BAND
    assert events["vvG1EdgeEvent0001"]["dates"]["status"]["code"] == "cancelled"
    assert events["vvG1EdgeEvent0002"]["dates"]["status"]["code"] == "postponed"
    assert "venues" not in events[NO_VENUE_EVENT]["_embedded"]
    assert "timezone" not in events[NO_TZ_EVENT]["dates"]
    bare = events["vvG1EdgeEvent0006"]["_embedded"]["venues"][0]
    assert bare["id"] == BARE_VENUE and "location" not in bare and "timezone" not in bare
    time_tba = events[TIME_TBA_EVENT]["dates"]["start"]
    assert time_tba["localDate"] == "2027-01-10" and time_tba["timeTBA"] is True
    assert "localTime" not in time_tba and "dateTime" not in time_tba
    tba = events[TBA_EVENT]["dates"]["start"]
    assert tba["dateTBA"] is True and "localDate" not in tba


async def test_sorts(open_sandbox, edge_world):
    async with open_sandbox(edge_world) as client:
        by_name = await client.get(EVENTS, params=tm(attractionId=NAMESAKE, sort="name,asc"))
        by_date_desc = await client.get(
            EVENTS, params=tm(attractionId=BAND, sort="date,desc", size=200)
        )
        bad = await client.get(EVENTS, params=tm(attractionId=BAND, sort="when,asc"))
    assert event_ids(by_name.json()) == ["vvG1EdgeNamesake1", "vvG1EdgeNamesake2"]
    ids = event_ids(by_date_desc.json())
    unique = list(dict.fromkeys(ids))  # the duplicate's second copy comes a page later
    assert unique[0] == f"vvG1EdgeEvent{DATED_EVENTS - 1:04d}" and unique[-1] == TBA_EVENT
    assert bad.status_code == 400


async def test_attraction_details_and_spotify_link(open_sandbox, edge_world):
    async with open_sandbox(edge_world) as client:
        linked = await client.get(f"/discovery/v2/attractions/{BAND}.json", params=tm())
        unlinked = await client.get(f"/discovery/v2/attractions/{NAMESAKE}.json", params=tm())
    body = linked.json()
    (spotify,) = body["externalLinks"]["spotify"]
    assert spotify["url"].startswith("https://open.spotify.com/artist/0edgeBandSpotify000001?si=")
    assert body["upcomingEvents"]["_total"] == DATED_EVENTS + 1
    assert body["classifications"][0]["genre"]["name"] == "Rock"
    assert "externalLinks" not in unlinked.json()


async def test_attraction_search_and_venue(open_sandbox, edge_world):
    async with open_sandbox(edge_world) as client:
        search = await client.get("/discovery/v2/attractions.json", params=tm(keyword="example"))
        venue = await client.get(f"/discovery/v2/venues/{VENUE}.json", params=tm())
    (attraction,) = search.json()["_embedded"]["attractions"]
    assert attraction["id"] == BAND and search.json()["page"]["totalElements"] == 1
    assert venue.json()["city"]["name"] == " Austin "
    assert venue.json()["location"]["latitude"] == "30.26710000"


@pytest.mark.parametrize(
    "path", ["/discovery/v2/attractions/K8vZ917Nope.json", "/discovery/v2/venues/KovZNope.json"]
)
async def test_unknown_id_is_dis1004(open_sandbox, edge_world, path):
    async with open_sandbox(edge_world) as client:
        response = await client.get(path, params=tm())
    missing = path.rsplit("/", 1)[1].removesuffix(".json")
    assert response.status_code == 404
    assert response.json() == {
        "errors": [
            {
                "code": "DIS1004",
                "detail": f"Resource not found with provided criteria (locale=en-us, id={missing})",
                "status": "404",
                "_links": {"about": {"href": "/discovery/v2/errors.html#DIS1004"}},
            }
        ]
    }


async def test_apikey_is_required(open_sandbox, edge_world):
    config = SandboxConfig(tm_rps=0, tm_api_key="right-key")
    async with open_sandbox(edge_world, config) as client:
        missing = await client.get(EVENTS, params={"attractionId": BAND})
        wrong = await client.get(EVENTS, params={"attractionId": BAND, "apikey": "wrong"})
        right = await client.get(EVENTS, params={"attractionId": BAND, "apikey": "right-key"})
    for refused in (missing, wrong):
        assert refused.status_code == 401
        assert refused.json() == INVALID_KEY
        assert not any(h in refused.headers for h in RATE_HEADERS)
    assert right.status_code == 200


async def test_rate_limit_headers_and_spike_arrest(open_sandbox, edge_world):
    config = SandboxConfig(tm_rps=5, tm_daily_quota=100)
    async with open_sandbox(edge_world, config) as client:
        answers = [
            await client.get(f"/discovery/v2/attractions/{BAND}.json", params=tm())
            for _ in range(7)
        ]
        other_key = await client.get(
            f"/discovery/v2/attractions/{BAND}.json", params={"apikey": "another-key"}
        )
    statuses = [a.status_code for a in answers]
    assert statuses[:5] == [200] * 5 and statuses[5:] == [429, 429]
    assert other_key.status_code == 200  # limits are per key
    first = answers[0].headers
    assert first["Rate-Limit"] == "100" and first["Rate-Limit-Over"] == "0"
    assert [a.headers["Rate-Limit-Available"] for a in answers[:5]] == [
        "99",
        "98",
        "97",
        "96",
        "95",
    ]
    assert int(first["Rate-Limit-Reset"]) > 1_700_000_000_000  # epoch milliseconds
    refused = answers[5]
    assert refused.json() == {
        "fault": {
            "faultstring": "Spike arrest violation. Allowed rate : 5ps",
            "detail": {"errorcode": "policies.ratelimit.SpikeArrestViolation"},
        }
    }
    assert "Retry-After" not in refused.headers
    assert not any(h in refused.headers for h in RATE_HEADERS)


# Woken on time, or 400 ms late: either way the first request counts when it arrived,
# a second and 10 ms before the next.
@pytest.mark.parametrize("late_ms", [0, 400])
async def test_the_spike_window_counts_a_request_when_it_arrives_not_when_served(
    open_sandbox, edge_world, clock, monkeypatch, late_ms
):
    """The window counts each request at its arrival (sent + latency). A busy sandbox
    loop that wakes late from the simulated latency must not move a request closer to
    the next one: a client that spaced them a second apart is not refused."""
    wakes = iter([50 + late_ms, 50, 50])

    async def latency(seconds: float) -> None:
        assert seconds == 0.05
        clock.advance(next(wakes))

    monkeypatch.setattr(gateway, "latency", latency)
    config = SandboxConfig(tm_rps=1, latency_ms=50)
    attraction = f"/discovery/v2/attractions/{BAND}.json"
    async with open_sandbox(edge_world, config) as client:
        first_sent = clock.now_ms
        first = await client.get(attraction, params=tm())
        clock.now_ms = first_sent + 1_010
        again = await client.get(attraction, params=tm())
        clock.now_ms = first_sent + 1_020
        too_soon = await client.get(attraction, params=tm())  # 10 ms after `again`
    assert [first.status_code, again.status_code] == [200, 200]
    assert too_soon.status_code == 429


async def test_daily_quota(open_sandbox, edge_world):
    config = SandboxConfig(tm_rps=10, tm_daily_quota=3)  # a quota below the per-second rate
    async with open_sandbox(edge_world, config) as client:
        statuses = [
            (await client.get(f"/discovery/v2/venues/{VENUE}.json", params=tm())).status_code
            for _ in range(4)
        ]
        refused = await client.get(f"/discovery/v2/venues/{VENUE}.json", params=tm())
    assert statuses == [200, 200, 200, 429]
    assert refused.json()["fault"]["detail"]["errorcode"] == "policies.ratelimit.QuotaViolation"
    assert "Identifier : sandbox-key" in refused.json()["fault"]["faultstring"]


async def test_quota_headers_count_down_to_a_quota_violation(open_sandbox, edge_world, clock):
    config = SandboxConfig(tm_rps=0, tm_daily_quota=3, tm_quota_window_seconds=10)
    venue = f"/discovery/v2/venues/{VENUE}.json"
    async with open_sandbox(edge_world, config) as client:
        opened = clock.now_ms
        answers = []
        for _ in range(3):
            answers.append(await client.get(venue, params=tm()))
            clock.advance(1_000)
        clock.now_ms = opened + 9_999  # the last millisecond of the window
        refused = await client.get(venue, params=tm())
        other_key = await client.get(venue, params={"apikey": "another-key"})
        stats = (await client.get("/_sandbox/stats")).json()
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert [a.headers["Rate-Limit"] for a in answers] == ["3", "3", "3"]
    assert [a.headers["Rate-Limit-Available"] for a in answers] == ["2", "1", "0"]
    assert [a.headers["Rate-Limit-Over"] for a in answers] == ["0", "0", "0"]
    # One fixed window opened by the key's first request: every answer names its end.
    assert {a.headers["Rate-Limit-Reset"] for a in answers} == {str(opened + 10_000)}
    assert refused.status_code == 429 and refused.json() == QUOTA_VIOLATION
    assert not any(h in refused.headers for h in RATE_HEADERS)  # error answers carry none
    assert "Retry-After" not in refused.headers
    assert other_key.status_code == 200 and other_key.headers["Rate-Limit-Available"] == "2"
    assert stats["rate_limited_by_endpoint"] == {"tm.venue": 1}


async def test_quota_is_back_from_rate_limit_reset(open_sandbox, edge_world, clock):
    config = SandboxConfig(tm_rps=0, tm_daily_quota=2, tm_quota_window_seconds=10)
    venue = f"/discovery/v2/venues/{VENUE}.json"
    async with open_sandbox(edge_world, config) as client:
        used_up = [await client.get(venue, params=tm()) for _ in range(2)]
        reset = int(used_up[-1].headers["Rate-Limit-Reset"])
        clock.now_ms = reset - 1
        before = await client.get(venue, params=tm())
        clock.now_ms = reset
        after = await client.get(venue, params=tm())
    assert [a.headers["Rate-Limit-Available"] for a in used_up] == ["1", "0"]
    assert before.status_code == 429 and before.json() == QUOTA_VIOLATION
    assert after.status_code == 200
    assert after.headers["Rate-Limit-Available"] == "1"  # a fresh window, this request counted
    assert after.headers["Rate-Limit-Reset"] == str(reset + 10_000)


async def test_quota_window_resets_in_real_time(open_sandbox, edge_world):
    """The same reset on the wall clock, as a client sees it: wait past Rate-Limit-Reset."""
    config = SandboxConfig(tm_rps=0, tm_daily_quota=1, tm_quota_window_seconds=1)
    venue = f"/discovery/v2/venues/{VENUE}.json"
    async with open_sandbox(edge_world, config) as client:
        sent_ms = time.time_ns() // 1_000_000
        first = await client.get(venue, params=tm())
        received_ms = time.time_ns() // 1_000_000
        reset = int(first.headers["Rate-Limit-Reset"])
        await asyncio.sleep(max(0.0, reset / 1000 - time.time()) + 0.02)
        again = await client.get(venue, params=tm())
    assert first.headers["Rate-Limit-Available"] == "0"
    assert sent_ms + 1_000 <= reset <= received_ms + 1_000  # a window opened by that request
    assert again.status_code == 200 and again.headers["Rate-Limit-Available"] == "0"
    assert int(again.headers["Rate-Limit-Reset"]) >= reset + 1_000
