"""Shared events over HTTP: one event, every act of its bill in `_embedded.attractions`."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import httpx
import pytest

from sandbox import truth
from sandbox.world import World, build_world
from tests.sandbox.support import ANCHOR, bearer, tm

pytestmark = pytest.mark.anyio

EVENTS = "/discovery/v2/events.json"
WINDOW_DAYS = 90  # short enough for any artist's events to page within 1,000
SHARED = "G5vXyz123abc"


@pytest.fixture(scope="module")
def generated() -> World:
    """What `--generate mid:40` serves: the three built-ins and 40 generated mid artists."""
    return build_world(seed=0, anchor=ANCHOR, generate=[("mid", 40)])


@pytest.fixture(scope="module")
def shared_scenario(tmp_path_factory: pytest.TempPathFactory) -> World:
    """Two artists of one scenario file listing one event; the guest also has its own."""
    event = {"tm_event_id": SHARED, "name": "Guest & Band", "local_date": "2027-05-01"}
    data = {
        "artists": [
            {
                "tm_attraction_id": "K8vZ9171gst",
                "name": "Guest",
                "events": [
                    event,
                    {"tm_event_id": "vvG1guest0001", "name": "Guest", "local_date": "2027-06-01"},
                ],
            },
            {
                "tm_attraction_id": "K8vZ9171bnd",
                "name": "Band",
                "events": [event | {"local_time": "20:00:00"}],
            },
        ]
    }
    path = tmp_path_factory.mktemp("shared") / "shared.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return build_world(scenario_sources=[str(path)], anchor=ANCHOR)


def attractions(event: dict) -> list[str]:
    return [a["id"] for a in event.get("_embedded", {}).get("attractions", [])]


async def listed_events(client: httpx.AsyncClient, attraction_id: str) -> dict[str, dict]:
    """Every event the events search lists for `attraction_id`, by id.

    Searched in date windows (and TBA alone) so that no listing passes the
    1,000 results an events search can page through.
    """
    found: dict[str, dict] = {}
    searches: list[dict[str, str]] = [{"includeTBA": "only"}]
    start = datetime.datetime.combine(ANCHOR - datetime.timedelta(days=1), datetime.time())
    for number in range(0, 720 // WINDOW_DAYS + 1):
        low = start + datetime.timedelta(days=number * WINDOW_DAYS)
        high = low + datetime.timedelta(days=WINDOW_DAYS)
        searches.append(
            {
                "startDateTime": low.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "endDateTime": high.strftime("%Y-%m-%dT%H:%M:%SZ"),
            }
        )
    for search in searches:
        page, pages = 0, 1
        while page < pages:
            response = await client.get(
                EVENTS, params=tm(attractionId=attraction_id, size=200, page=page, **search)
            )
            assert response.status_code == 200, response.text
            body = response.json()
            assert body["page"]["totalElements"] < 1_000
            pages = body["page"]["totalPages"]
            found.update((e["id"], e) for e in body.get("_embedded", {}).get("events", []))
            page += 1
    return found


async def test_a_scenario_event_shared_by_two_artists_is_served_once_with_both(
    open_sandbox, shared_scenario
):
    async with open_sandbox(shared_scenario) as client:
        detail = (await client.get(f"/discovery/v2/events/{SHARED}.json", params=tm())).json()
        everything = (await client.get(EVENTS, params=tm(size=50))).json()
        guest = await listed_events(client, "K8vZ9171gst")
        band = await listed_events(client, "K8vZ9171bnd")

    assert attractions(detail) == ["K8vZ9171gst", "K8vZ9171bnd"]  # file order
    assert detail["dates"]["start"]["localTime"] == "20:00:00"  # given by the band only
    listed = [e["id"] for e in everything["_embedded"]["events"]]
    assert listed.count(SHARED) == 1 and everything["page"]["totalElements"] == 2
    assert set(guest) == {SHARED, "vvG1guest0001"} and set(band) == {SHARED}
    assert attractions(band[SHARED]) == attractions(detail)


async def test_every_bill_served_is_the_truth_and_every_act_lists_its_events(
    open_sandbox, generated
):
    bills = truth.expected_bills(generated)
    served: dict[str, list[str]] = {}
    async with open_sandbox(generated) as client:
        for artist in generated.artists:
            listed = await listed_events(client, artist.tm_attraction_id)
            # Every act's search lists every event it is on the bill of (festivals too).
            assert set(listed) == {e.tm_event_id for e in artist.events}, artist.name
            for event_id, event in listed.items():
                served.setdefault(event_id, attractions(event))
                assert attractions(event) == served[event_id]
        festival = next(e for e, bill in bills.items() if len(bill) >= 20)
        detail = (await client.get(f"/discovery/v2/events/{festival}.json", params=tm())).json()

    assert served == bills
    assert attractions(detail) == bills[festival]
    assert sum(len(bill) for bill in served.values()) == truth.expected_artist_show_links(generated)


async def test_support_acts_are_attractions_with_a_spotify_artist(open_sandbox, builtin_world):
    acts = [a for a in builtin_world.artists if a.profile == "support"]
    async with open_sandbox(builtin_world) as client:
        for act in acts:
            body = (
                await client.get(
                    f"/discovery/v2/attractions/{act.tm_attraction_id}.json", params=tm()
                )
            ).json()
            assert body["name"] == act.name
            assert body["upcomingEvents"]["_total"] == len(act.events)
            [link] = body["externalLinks"]["spotify"]
            assert Path(link["url"].split("?")[0]).name == act.spotify_id
        headers = await bearer(client)
        for act in acts:
            artist = (await client.get(f"/v1/artists/{act.spotify_id}", headers=headers)).json()
            albums = await client.get(f"/v1/artists/{act.spotify_id}/albums", headers=headers)
            assert artist["name"] == act.name
            # Its album, and its regional releases (as artist albums lists them without market).
            assert {a["name"] for a in albums.json()["items"]} == {act.albums[0].name}
            assert act.albums[0].spotify_id in {a["id"] for a in albums.json()["items"]}
