"""Events paging: malformed events are recorded and skipped, repeats are removed."""

import asyncio
from datetime import UTC, datetime

import httpx
import pytest
import respx

from integrations.http.client import UpstreamClient
from integrations.http.retry import RetryPolicy
from integrations.ticketmaster.client import TicketmasterClient
from integrations.ticketmaster.errors import describe_error

BASE = "https://tm.test"


async def upcoming_events_since_new_year():
    upstream = UpstreamClient(
        provider="Ticketmaster",
        base_url=BASE,
        params={"apikey": "key"},
        retry=RetryPolicy(retries=1, retry_after_cap_seconds=60),
        describe_error=describe_error,
    )
    async with TicketmasterClient(upstream) as tm:
        return await tm.upcoming_events("K8vZ9171ob7", since=datetime(2027, 1, 1, tzinfo=UTC))


def event(n: int, **fields) -> dict:
    return {
        "id": f"vvG1event{n:06d}",
        "name": f"Show {n}",
        "dates": {
            "start": {
                "localDate": "2027-05-01",
                "localTime": "20:00:00",
                "dateTime": "2027-05-02T01:00:00Z",
            },
            "status": {"code": "onsale"},
        },
    } | fields


@respx.mock
def test_malformed_events_are_recorded_and_skipped_and_repeats_removed():
    pages = {
        "0": [event(1), event(2), {"name": "no id"}],
        "1": [event(2), event(3, dates={"start": {"localDate": "May 1st"}})],
    }

    def answer(request):
        number = request.url.params["page"]
        assert request.url.params["apikey"] == "key"
        assert request.url.params["attractionId"] == "K8vZ9171ob7"
        return httpx.Response(
            200,
            json={
                "_embedded": {"events": pages[number]},
                "page": {"size": 200, "totalElements": 5, "totalPages": 2, "number": int(number)},
            },
        )

    route = respx.get(f"{BASE}/discovery/v2/events.json").mock(side_effect=answer)

    result = asyncio.run(upcoming_events_since_new_year())
    assert route.call_count == 2
    assert [e.tm_event_id for e in result.events] == ["vvG1event000001", "vvG1event000002"]
    assert [str(m) for m in result.malformed] == [
        "event ?: no event id",
        "event vvG1event000003: unreadable field "
        "(dates.start.localDate: expected a date YYYY-MM-DD, got the string 'May 1st')",
    ]
    assert result.duplicates == 1
    assert route.calls[0].request.url.params["startDateTime"] == "2027-01-01T00:00:00Z"


@respx.mock
def test_past_the_paging_limit_the_next_window_starts_at_the_last_start_seen():
    """Ticketmaster serves pages 0..5 of a query; the rest comes from a later window,
    and a malformed event on the way does not stop the paging."""

    def at(day: int) -> str:
        return f"2027-05-{day:02d}T01:00:00Z"

    first_window = {
        n: [event(10 * n + k, dates={"start": {"dateTime": at(n + 1)}}) for k in range(2)]
        for n in range(6)
    }
    first_window[3].append(event(99, dates={"start": {"dateTime": "not a date"}}))
    second_window = [
        event(50, dates={"start": {"dateTime": at(6)}}),
        event(60, dates={"start": {"dateTime": at(7)}}),
    ]

    def answer(request):
        params = request.url.params
        if params["startDateTime"] == "2027-01-01T00:00:00Z":
            number = int(params["page"])
            assert number <= 5, "page 6 would be refused (DIS1035)"
            events, total, pages = first_window[number], 1300, 7
        else:
            assert params["startDateTime"] == at(6)
            events, total, pages = second_window, 2, 1
        return httpx.Response(
            200,
            json={
                "_embedded": {"events": events},
                "page": {"size": 200, "totalElements": total, "totalPages": pages, "number": 0},
            },
        )

    route = respx.get(f"{BASE}/discovery/v2/events.json").mock(side_effect=answer)

    result = asyncio.run(upcoming_events_since_new_year())
    assert route.call_count == 7
    assert result.windows == 2
    assert len(result.events) == 13  # 12 + event 60; event 50 was already seen
    assert [m.tm_event_id for m in result.malformed] == ["vvG1event000099"]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            {"errors": [{"code": "DIS1004", "detail": "Resource not found"}]},
            "DIS1004 Resource not found",
        ),
        (
            {
                "fault": {
                    "faultstring": "Invalid ApiKey",
                    "detail": {"errorcode": "oauth.v2.InvalidApiKey"},
                }
            },
            "Invalid ApiKey (oauth.v2.InvalidApiKey)",
        ),
        ({"fault": {"faultstring": "Spike arrest violation"}}, "Spike arrest violation"),
        # Odd gateway bodies still give a reason rather than failing the error report.
        ({"fault": {"faultstring": "Quota", "detail": "none"}}, "Quota"),
        ({"fault": {"faultstring": 7, "detail": {"errorcode": "x.y"}}}, "Bad Request (x.y)"),
        ({"fault": {"detail": {"errorcode": ["x"]}}}, "Bad Request"),
    ],
    ids=[
        "ticketmaster",
        "ticketmaster-gateway",
        "gateway-without-code",
        "gateway-detail-not-an-object",
        "gateway-faultstring-not-text",
        "gateway-errorcode-not-text",
    ],
)
def test_error_bodies_become_readable_reasons(body, expected):
    assert describe_error(httpx.Response(400, json=body)) == expected
