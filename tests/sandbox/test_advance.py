"""`POST /_sandbox/advance`: the world changed as time changes it, served and told by the truth.

Every test builds its own world: an advance changes the world it is given, so
the session-scoped worlds of conftest.py must never be advanced.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from sandbox import truth
from sandbox.config import SandboxConfig
from sandbox.profiles import BUILTIN_ATTRACTION_IDS, REMASTER_FORMS
from sandbox.transport import sandbox_transport
from sandbox.world import Artist, Event, TrackTruth, World, build_world, check_ids_unique
from tests.sandbox.support import ANCHOR, bearer, tm

pytestmark = pytest.mark.anyio

EVENTS = "/discovery/v2/events.json"
SPARSE = BUILTIN_ATTRACTION_IDS["sparse"]
MID = BUILTIN_ATTRACTION_IDS["mid"]
MARKET = "US"  # the importer's


def small_world() -> World:
    """sparse and mid with mid's support acts: shared bills, a few hundred tracks."""
    return build_world(scenario_sources=["sparse", "mid"], seed=0, anchor=ANCHOR)


def artist_of(world: World, attraction_id: str) -> Artist:
    return next(a for a in world.artists if a.tm_attraction_id == attraction_id)


def shared_event(world: World) -> tuple[Event, list[str]]:
    """An on-sale event of mid with a support act on its bill, and that bill; dated two
    days or more after the anchor, so a day earlier it is still upcoming."""
    bills = truth.expected_bills(world)
    event = next(
        e
        for e in artist_of(world, MID).events
        if len(bills[e.tm_event_id]) == 2
        and e.local_date
        and datetime.date.fromisoformat(e.local_date) >= ANCHOR + datetime.timedelta(days=2)
        and e.status == "onsale"
        and e.venue is not None
    )
    return event, bills[event.tm_event_id]


async def advance(client: httpx.AsyncClient, body: object) -> dict[str, Any]:
    response = await client.post("/_sandbox/advance", json=body)
    assert response.status_code == 200, response.text
    return response.json()


async def listed(client: httpx.AsyncClient, *attraction_ids: str) -> set[str]:
    """Ids the events search lists for the attraction ids, asked for comma-separated."""
    found: set[str] = set()
    page, pages = 0, 1
    while page < pages:
        response = await client.get(
            EVENTS, params=tm(attractionId=",".join(attraction_ids), size=200, page=page)
        )
        assert response.status_code == 200, response.text
        body = response.json()
        pages = body["page"]["totalPages"]
        found |= {e["id"] for e in body.get("_embedded", {}).get("events", [])}
        page += 1
    return found


async def upcoming(client: httpx.AsyncClient, kind: str, entity_id: str) -> int:
    response = await client.get(f"/discovery/v2/{kind}/{entity_id}.json", params=tm())
    assert response.status_code == 200, response.text
    return response.json()["upcomingEvents"]["_total"]


async def album_listing(
    client: httpx.AsyncClient, headers: dict[str, str], spotify_id: str, **params: str
) -> list[str]:
    """Ids of every album artist albums lists (album and single groups)."""
    ids: list[str] = []
    url: str | None = f"/v1/artists/{spotify_id}/albums"
    query: dict[str, Any] | None = {"include_groups": "album,single", "limit": 50, **params}
    while url:
        page = (await client.get(url, headers=headers, params=query)).json()
        ids += [album["id"] for album in page["items"]]
        url, query = page["next"], None
    return ids


# --- events --------------------------------------------------------------------------


async def test_added_events_are_listed_counted_and_expected(open_sandbox):
    world = small_world()
    mid = artist_of(world, MID)
    before = truth.expected_upcoming_event_ids(mid)
    async with open_sandbox(world) as client:
        total_before = await upcoming(client, "attractions", MID)
        changes = await advance(
            client, {"add_events": [{"tm_attraction_id": MID, "count": 3}], "seed": 1}
        )
        added = [e["tm_event_id"] for e in changes["events_added"]]
        by_one, by_two = await listed(client, MID), await listed(client, SPARSE, MID)
        total_after = await upcoming(client, "attractions", MID)
        details = [
            (await client.get(f"/discovery/v2/events/{e}.json", params=tm())).json() for e in added
        ]
        venue_totals = [
            await upcoming(client, "venues", d["_embedded"]["venues"][0]["id"]) for d in details
        ]
        sizes = (await client.get("/_sandbox/artists")).json()

    assert len(added) == len(set(added)) == 3
    assert changes["artists"][MID]["events_added"] == added
    assert set(added) <= by_one and set(added) <= by_two
    assert total_after == total_before + 3
    for detail in details:
        assert [a["id"] for a in detail["_embedded"]["attractions"]] == [MID]
        assert detail["dates"]["status"]["code"] == "onsale"
        assert datetime.date.fromisoformat(detail["dates"]["start"]["localDate"]) > ANCHOR
    assert all(total >= 1 for total in venue_totals)
    assert truth.expected_upcoming_event_ids(mid) == before | set(added)
    [entry] = [a for a in sizes["artists"] if a["tm_attraction_id"] == MID]
    assert entry["sizes"] == truth.artist_sizes(mid) and sizes["advances"] == 1
    check_ids_unique(world)


# (name, body for the event and the act to drop, status after (None: gone), acts listing it)
EVENT_CHANGES: list[tuple[str, Callable[[str, str], dict], str | None, Callable]] = [
    (
        "cancel",
        lambda event, act: {"cancel_events": [{"tm_event_id": event}]},
        "cancelled",
        lambda bill: bill,
    ),
    (
        "reschedule",
        lambda event, act: {"reschedule_events": [{"tm_event_id": event, "days": 21}]},
        "rescheduled",
        lambda bill: bill,
    ),
    (
        "drop_from_bill",
        lambda event, act: {"drop_from_bill": [{"tm_event_id": event, "tm_attraction_id": act}]},
        "onsale",
        lambda bill: bill[:1],
    ),
    (
        "remove",
        lambda event, act: {"remove_events": [{"tm_event_id": event}]},
        None,
        lambda bill: [],
    ),
]


@pytest.mark.parametrize(
    ("body", "status", "kept_by"),
    [case[1:] for case in EVENT_CHANGES],
    ids=[case[0] for case in EVENT_CHANGES],
)
async def test_a_changed_event_is_served_and_expected_as_changed(
    open_sandbox, body, status, kept_by
):
    world = small_world()
    event, bill = shared_event(world)
    headliner, support = bill
    date_before = event.local_date
    acts = {aid: artist_of(world, aid) for aid in bill}
    async with open_sandbox(world) as client:
        totals_before = {aid: await upcoming(client, "attractions", aid) for aid in bill}
        venue_before = await upcoming(client, "venues", event.venue.tm_venue_id)
        await advance(client, body(event.tm_event_id, support))
        detail = await client.get(f"/discovery/v2/events/{event.tm_event_id}.json", params=tm())
        listings = {aid: await listed(client, aid) for aid in bill}
        both = await listed(client, *bill)
        totals_after = {aid: await upcoming(client, "attractions", aid) for aid in bill}
        venue_after = await upcoming(client, "venues", event.venue.tm_venue_id)

    listing_acts = kept_by(bill)
    if status is None:
        assert detail.status_code == 404
        assert venue_after == venue_before - 1  # the venue stays, with one show less
    else:
        served = detail.json()
        assert served["dates"]["status"]["code"] == status
        assert [a["id"] for a in served["_embedded"]["attractions"]] == listing_acts
        moved = served["dates"]["start"]["localDate"] != date_before
        assert moved == (status == "rescheduled")
        assert venue_after == venue_before
    assert (event.tm_event_id in both) == bool(listing_acts)
    for aid in bill:
        kept = aid in listing_acts
        assert (event.tm_event_id in listings[aid]) == kept, aid
        assert totals_after[aid] == totals_before[aid] - (not kept)
        assert (event.tm_event_id in truth.expected_upcoming_event_ids(acts[aid])) == kept
    assert truth.expected_bills(world).get(event.tm_event_id, []) == listing_acts
    assert headliner in listing_acts or status is None


async def test_reschedule_moves_the_date_by_days_and_says_so():
    world = small_world()
    event, bill = shared_event(world)
    async with client_for(world) as client:
        changes = await advance(
            client, {"reschedule_events": [{"tm_event_id": event.tm_event_id, "days": -1}]}
        )
    [moved] = changes["events_rescheduled"]
    expected = datetime.date.fromisoformat(moved["from"]) - datetime.timedelta(days=1)
    assert moved["to"] == expected.isoformat() == event.local_date
    assert moved["bill"] == bill
    for aid in bill:
        assert changes["artists"][aid]["events_rescheduled"] == [event.tm_event_id]


# --- releases --------------------------------------------------------------------


async def test_a_new_album_is_listed_served_and_expected(open_sandbox):
    world = small_world()
    sparse = artist_of(world, SPARSE)
    before = truth.expected_studio_isrcs(sparse, market=MARKET)
    async with open_sandbox(world) as client:
        changes = await advance(
            client, {"release": [{"tm_attraction_id": SPARSE, "kind": "album", "tracks": 12}]}
        )
        [released] = changes["albums_released"]
        headers = await bearer(client)
        listing = await album_listing(client, headers, sparse.spotify_id, market=MARKET)
        album = await client.get(f"/v1/albums/{released['spotify_album_id']}", headers=headers)
        track_ids = [t["id"] for t in album.json()["tracks"]["items"]]
        tracks = (
            await client.get("/v1/tracks", headers=headers, params={"ids": ",".join(track_ids)})
        ).json()["tracks"]
        features = (
            await client.get(
                "/v1/audio-features", headers=headers, params={"ids": ",".join(track_ids)}
            )
        ).json()["audio_features"]

    new_isrcs = {t["isrc"] for t in released["tracks"]}
    assert listing[0] == released["spotify_album_id"]  # the newest album first
    assert album.json()["release_date"] == ANCHOR.isoformat()
    assert album.json()["total_tracks"] == 12 and len(new_isrcs) == 12
    assert {t["external_ids"]["isrc"] for t in tracks} == new_isrcs
    assert all(f is not None and f["liveness"] < 0.8 for f in features)
    assert {t["truth"] for t in released["tracks"]} == {TrackTruth.STUDIO.value}
    assert all(t["song"] == t["name"] for t in released["tracks"])  # new songs, originals
    assert not new_isrcs & before and released["repeated_isrcs"] == []
    assert truth.expected_studio_isrcs(sparse, market=MARKET) == before | new_isrcs
    assert changes["artists"][SPARSE]["albums_released"] == [released["spotify_album_id"]]


@pytest.mark.parametrize("seed", range(6))
async def test_a_single_repeats_an_album_song_or_is_a_new_one_with_b_sides(seed):
    world = small_world()
    mid = artist_of(world, MID)
    album_isrcs = {t.isrc for a in mid.albums if a.group == "album" for t in a.tracks if t.isrc}
    before = truth.expected_studio_isrcs(mid, market=MARKET)
    async with client_for(world) as client:
        changes = await advance(
            client,
            {"seed": seed, "release": [{"tm_attraction_id": MID, "kind": "single", "tracks": 3}]},
        )
    [single] = changes["albums_released"]
    lead, *b_sides = single["tracks"]
    assert single["kind"] == "single" and len(b_sides) == 2
    assert lead["truth"] == "studio" and lead["name"] == single["name"]
    assert {t["song"] for t in single["tracks"]} == {single["name"]}  # one song's recordings
    repeated = lead["isrc"] in album_isrcs
    assert single["repeated_isrcs"] == ([lead["isrc"]] if repeated else [])
    # B-sides are remixes, studio variants or live versions: each its own recording.
    assert all(t["isrc"] not in album_isrcs | {lead["isrc"]} for t in b_sides)
    kept = {t["isrc"] for t in single["tracks"] if t["truth"] == "studio"}
    assert truth.expected_studio_isrcs(mid, market=MARKET) == before | kept
    check_ids_unique(world)


@pytest.mark.parametrize("seed", range(3))
async def test_a_remaster_adds_one_recording_to_one_song(seed):
    world = small_world()
    mid = artist_of(world, MID)
    album_songs = {t.song for a in mid.albums if a.group == "album" for t in a.tracks if t.isrc}
    isrcs_before = {t.isrc for a in mid.albums for t in a.tracks if t.isrc}
    prefix = next(iter(isrcs_before))[:5]
    songs_before = truth.expected_songs(mid, market=MARKET)
    body = {"seed": seed, "release": [{"tm_attraction_id": MID, "kind": "remaster"}]}
    async with client_for(world) as client:
        changes = await advance(client, body)
        [released] = changes["albums_released"]
        headers = await bearer(client)
        listing = await album_listing(client, headers, mid.spotify_id, market=MARKET)
        album = (
            await client.get(f"/v1/albums/{released['spotify_album_id']}", headers=headers)
        ).json()
        [served_id] = [t["id"] for t in album["tracks"]["items"]]
        served = (await client.get(f"/v1/tracks/{served_id}", headers=headers)).json()

    [track] = released["tracks"]
    song = track["song"]
    assert released["kind"] == "remaster" and released["name"] == track["name"]
    assert released["release_date"] == ANCHOR.isoformat() and released["repeated_isrcs"] == []
    assert MARKET in released["available_markets"] and released["spotify_album_id"] in listing
    assert album["album_type"] == "single"
    assert (served["name"], served["external_ids"]["isrc"]) == (track["name"], track["isrc"])
    assert song in album_songs
    assert track["name"] in {form.format(t=song, year=ANCHOR.year) for form in REMASTER_FORMS}
    assert track["truth"] == "studio" and track["isrc"] not in isrcs_before
    assert track["isrc"].startswith(prefix)  # the artist's registrant
    # The same songs; one of them has one recording more: the remaster.
    songs_after = truth.expected_songs(mid, market=MARKET)
    assert songs_after.keys() == songs_before.keys()
    grown = {
        s: songs_after[s] - songs_before[s]
        for s in songs_after
        if songs_after[s] != songs_before[s]
    }
    assert grown == {song: {track["isrc"]}}
    assert songs_before[song] < songs_after[song]
    check_ids_unique(world)


async def test_a_remaster_needs_a_song_on_an_album():
    world = small_world()
    sparse = artist_of(world, SPARSE)
    sparse.albums = [a for a in sparse.albums if a.group != "album"]
    body = {"release": [{"tm_attraction_id": SPARSE, "kind": "remaster"}]}
    async with client_for(world) as client:
        response = await client.post("/_sandbox/advance", json=body)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["field"] == "release[0].tm_attraction_id"
    assert "no song on an album to remaster" in error["message"]
    assert sparse.albums == []


@pytest.mark.parametrize("given", ["album", "chosen"])
async def test_a_regional_rerelease_changes_no_expected_song_in_the_importers_market(
    open_sandbox, given
):
    world = small_world()
    mid = artist_of(world, MID)
    original = next(a for a in mid.albums if a.group == "album" and "JP" in a.available_markets)
    item: dict[str, Any] = {"tm_attraction_id": MID, "markets": ["JP"]}
    if given == "album":
        item["spotify_album_id"] = original.spotify_id
    isrcs_before = truth.expected_studio_isrcs(mid, market=MARKET)
    count_before = truth.expected_studio_track_count(mid, market=MARKET)
    async with open_sandbox(world) as client:
        changes = await advance(client, {"regional_rerelease": [item]})
        [rerelease] = changes["albums_rereleased"]
        headers = await bearer(client)
        in_us = await album_listing(client, headers, mid.spotify_id, market=MARKET)
        in_jp = await album_listing(client, headers, mid.spotify_id, market="JP")
        everywhere = await album_listing(client, headers, mid.spotify_id)
        served = await client.get(
            f"/v1/albums/{rerelease['spotify_album_id']}", headers=headers, params={"market": "JP"}
        )
        source = (
            await client.get(
                f"/v1/albums/{rerelease['original_spotify_album_id']}", headers=headers
            )
        ).json()

    new_id, old_id = rerelease["spotify_album_id"], rerelease["original_spotify_album_id"]
    if given == "album":
        assert old_id == original.spotify_id
    assert served.status_code == 200 and served.json()["available_markets"] == ["JP"]
    assert "JP" not in source["available_markets"] and MARKET in source["available_markets"]
    assert new_id not in in_us and old_id in in_us
    assert new_id in in_jp and old_id not in in_jp
    assert new_id in everywhere and old_id in everywhere
    assert len(everywhere) == len(set(everywhere))
    source_isrcs = [t.isrc for a in mid.albums if a.spotify_id == old_id for t in a.tracks]
    assert rerelease["isrcs"] == source_isrcs and rerelease["markets"] == ["JP"]
    assert not set(rerelease["track_ids"]) & {
        t.spotify_id for a in mid.albums if a.spotify_id == old_id for t in a.tracks
    }
    assert truth.expected_studio_isrcs(mid, market=MARKET) == isrcs_before
    assert truth.expected_studio_track_count(mid, market=MARKET) == count_before
    assert truth.expected_studio_isrcs(mid) == isrcs_before
    check_ids_unique(world)


# --- the body and the world it changes -----------------------------------------------


def client_for(world: World) -> httpx.AsyncClient:
    """A client on a fresh in-process sandbox for `world`."""
    transport = sandbox_transport(world, SandboxConfig(tm_rps=0))
    return httpx.AsyncClient(transport=transport, base_url="http://sandbox.test")


def mixed_body(world: World) -> dict[str, Any]:
    """Every kind of change at once, random ones included."""
    event, bill = shared_event(world)
    others = [
        e for e in artist_of(world, MID).events if e is not event and e.local_date is not None
    ]
    return {
        "seed": 11,
        "add_events": [{"tm_attraction_id": SPARSE, "count": 2}],
        "cancel_events": [{"tm_event_id": others[0].tm_event_id}],
        "reschedule_events": [{"tm_event_id": others[1].tm_event_id, "days": 30}],
        "drop_from_bill": [{"tm_event_id": event.tm_event_id, "tm_attraction_id": bill[1]}],
        "remove_events": [{"tm_event_id": others[2].tm_event_id}],
        "release": [{"tm_attraction_id": MID, "kind": "single"}, {"tm_attraction_id": SPARSE}],
        "regional_rerelease": [{"tm_attraction_id": MID}],
        "random": {"share": 0.5},
    }


async def test_the_same_world_and_body_give_the_same_changes():
    answers, listings = [], []
    for _ in range(2):
        world = small_world()
        async with client_for(world) as client:
            answers.append(await advance(client, mixed_body(world)))
            listings.append((await client.get("/_sandbox/artists")).json())
    assert answers[0] == answers[1] and listings[0] == listings[1]
    world = small_world()
    async with client_for(world) as client:
        other = await advance(client, {**mixed_body(world), "seed": 12})
    assert other["events_added"] != answers[0]["events_added"]


async def test_advancing_twice_with_one_body_adds_new_ids_again():
    world = small_world()
    item = {"tm_attraction_id": SPARSE}
    body = {"seed": 3, "add_events": [item], "release": [item]}
    async with client_for(world) as client:
        first, second = await advance(client, body), await advance(client, body)
        sizes = (await client.get("/_sandbox/artists")).json()
    for kind, key in (("events_added", "tm_event_id"), ("albums_released", "spotify_album_id")):
        assert first[kind][0][key] != second[kind][0][key]
    assert sizes["advances"] == 2
    check_ids_unique(world)


def _error_cases(world: World) -> list[tuple[str, object, str, str | None]]:
    """(case, body, field named, id named)."""
    event, bill = shared_event(world)
    bills = truth.expected_bills(world)
    solo = next(e for e in artist_of(world, MID).events if bills[e.tm_event_id] == [MID])

    def drop(event_id: str, *acts: str) -> dict:
        return {"drop_from_bill": [{"tm_event_id": event_id, "tm_attraction_id": a} for a in acts]}

    def release(**item: Any) -> dict:
        return {"release": [{"tm_attraction_id": MID, **item}]}

    def reschedule(**item: Any) -> dict:
        return {"reschedule_events": [{"tm_event_id": event.tm_event_id, **item}]}

    def rerelease(**item: Any) -> dict:
        return {"regional_rerelease": [{"tm_attraction_id": MID, **item}]}

    eid = event.tm_event_id
    gone = {"remove_events": [{"tm_event_id": eid}, {"tm_event_id": "gone"}]}
    return [
        (
            "unknown event",
            {"cancel_events": [{"tm_event_id": "nope"}]},
            "cancel_events[0].tm_event_id",
            "nope",
        ),
        (
            "unknown attraction",
            {"add_events": [{"tm_attraction_id": "K8vZ9no"}]},
            "add_events[0].tm_attraction_id",
            "K8vZ9no",
        ),
        ("unknown act of a bill", drop(eid, "x"), "drop_from_bill[0].tm_attraction_id", "x"),
        (
            "unknown album",
            rerelease(spotify_album_id="0nope"),
            "regional_rerelease[0].spotify_album_id",
            "0nope",
        ),
        (
            "unknown after valid items",
            {"add_events": [{"tm_attraction_id": MID}], **gone},
            "remove_events[1].tm_event_id",
            "gone",
        ),
        ("act not on the bill", drop(eid, SPARSE), "drop_from_bill[0].tm_attraction_id", None),
        (
            "last act of a bill",
            drop(solo.tm_event_id, MID),
            "drop_from_bill[0].tm_attraction_id",
            None,
        ),
        ("both acts of a bill", drop(eid, *bill), "drop_from_bill[1].tm_attraction_id", None),
        ("zero days", reschedule(days=0), "reschedule_events[0].days", None),
        ("moved before the anchor", reschedule(days=-3000), "reschedule_events[0].days", None),
        ("missing days", reschedule(), "reschedule_events[0].days", None),
        ("unknown field", {"cancel_event": []}, "cancel_event", None),
        (
            "count as text",
            {"add_events": [{"tm_attraction_id": MID, "count": "3"}]},
            "add_events[0].count",
            None,
        ),
        ("too many single tracks", release(kind="single", tracks=9), "release[0].tracks", None),
        ("a remaster of two tracks", release(kind="remaster", tracks=2), "release[0].tracks", None),
        ("unknown kind", release(kind="ep"), "release[0].kind", None),
        ("share above 1", {"random": {"share": 1.5}}, "random.share", None),
        ("bad market", rerelease(markets=["jp"]), "regional_rerelease[0].markets[0]", None),
        ("not an object", [1], "(top level)", None),
    ]


@pytest.mark.parametrize("case", [case[0] for case in _error_cases(small_world())])
async def test_a_bad_body_is_refused_naming_the_field_and_changes_nothing(case):
    world = small_world()
    [(name, body, field, unknown_id)] = [c for c in _error_cases(world) if c[0] == case]
    async with client_for(world) as client:
        before = (await client.get("/_sandbox/artists")).json()
        events_before = await listed(client, SPARSE, MID)
        response = await client.post("/_sandbox/advance", json=body)
        after = (await client.get("/_sandbox/artists")).json()
        events_after = await listed(client, SPARSE, MID)
    assert response.status_code == 400, name
    error = response.json()["error"]
    assert error["field"] == field and error["message"].startswith(f"{field}: "), error
    assert error.get("id") == unknown_id
    assert after == before and events_after == events_before


@pytest.mark.parametrize("raw", [b"{not json", b'{"seed": NaN}'], ids=["invalid", "nan"])
async def test_a_body_that_is_no_json_object_is_refused(raw):
    async with client_for(small_world()) as client:
        response = await client.post("/_sandbox/advance", content=raw)
    assert response.status_code == 400
    assert response.json()["error"]["field"] in {"(body)", "seed"}


async def test_an_empty_body_changes_nothing():
    world = small_world()
    async with client_for(world) as client:
        changes = await advance(client, {})
    assert changes["artists"] == {} and changes["events_added"] == []


async def test_reset_does_not_undo_an_advance(open_sandbox):
    world = small_world()
    async with open_sandbox(world) as client:
        changes = await advance(client, {"add_events": [{"tm_attraction_id": SPARSE}]})
        [added] = changes["events_added"]
        reset = await client.post("/_sandbox/reset")
        detail = await client.get(f"/discovery/v2/events/{added['tm_event_id']}.json", params=tm())
        sparse_events = await listed(client, SPARSE)
        stats = (await client.get("/_sandbox/stats")).json()
    assert reset.status_code == 200 and detail.status_code == 200
    assert sparse_events == {added["tm_event_id"]}
    assert stats["requests"] == {"tm.event": 1, "tm.events": 1}


# --- random changes on a generated world ------------------------------------------------


async def test_random_changes_on_a_generated_world_are_served_and_expected():
    world = build_world(seed=0, anchor=ANCHOR, generate=[("mid", 20)])
    events_before = {
        a.tm_attraction_id: truth.expected_upcoming_event_ids(a) for a in world.artists
    }
    songs_before = {
        a.tm_attraction_id: truth.expected_studio_isrcs(a, market=MARKET) for a in world.artists
    }
    async with client_for(world) as client:
        changes = await advance(client, {"seed": 5, "random": {"share": 1.0}})
        sizes = (await client.get("/_sandbox/artists")).json()["artists"]
        added = changes["events_added"][0]
        by_adder = await listed(client, added["tm_attraction_id"])
        removed = changes["events_removed"][0]["tm_event_id"]
        gone = await client.get(f"/discovery/v2/events/{removed}.json", params=tm())
        drop = changes["bill_drops"][0]
        dropped = (
            await client.get(f"/discovery/v2/events/{drop['tm_event_id']}.json", params=tm())
        ).json()
        release = changes["albums_released"][0]
        headers = await bearer(client)
        albums = await album_listing(client, headers, release["spotify_artist_id"], market=MARKET)

    assert len(changes["random_artists"]) == len(world.artists)
    for kind in (
        "events_added", "events_cancelled", "events_rescheduled", "events_removed",
        "bill_drops", "albums_released", "albums_rereleased",
    ):  # fmt: skip
        assert changes[kind], kind
    assert added["tm_event_id"] in by_adder
    assert gone.status_code == 404
    assert [a["id"] for a in dropped["_embedded"]["attractions"]] == drop["bill"]
    assert release["spotify_album_id"] in albums
    assert {a["tm_attraction_id"]: a["sizes"] for a in sizes} == {
        a.tm_attraction_id: truth.artist_sizes(a) for a in world.artists
    }
    # The truth of the changed world: each artist's events and songs changed as told.
    for artist in world.artists:
        aid = artist.tm_attraction_id
        told = changes["artists"].get(aid, {})
        expected_events = (events_before[aid] | set(told.get("events_added", []))) - set(
            told.get("events_removed", []) + told.get("dropped_from", [])
        )
        assert truth.expected_upcoming_event_ids(artist) == expected_events, artist.name
        new_songs = {
            t["isrc"]
            for r in changes["albums_released"]
            if r["tm_attraction_id"] == aid
            for t in r["tracks"]
            if t["truth"] == "studio"
        }
        assert truth.expected_studio_isrcs(artist, market=MARKET) == songs_before[aid] | new_songs
