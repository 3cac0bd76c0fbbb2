"""Events shared between artists: support acts, co-headlined runs, festivals (profiles.lineups)."""

from __future__ import annotations

import datetime
import json
import math
import random
import re
import time
from collections import Counter

import pytest

from sandbox import truth
from sandbox.profiles import (
    BUILTIN_ATTRACTION_IDS,
    BUILTIN_NAMES,
    SUPPORT_ATTRACTION_IDS,
    SUPPORT_SPOTIFY_IDS,
    build_profile,
)
from sandbox.profiles.words import SUPPORT_ACTS
from sandbox.world import Artist, ScenarioError, World, build_world
from tests.sandbox.support import ANCHOR

ATTRACTION_ID = re.compile(r"K8v[0-9A-Za-z]{8}")
GENERATED_ATTRACTION_ID = re.compile(r"K8vZ91[SMP][0-9A-Za-z]{4}")
SPOTIFY_ID = re.compile(r"[0-9A-Za-z]{22}")
EVENT_ID = re.compile(r"[0-9A-Za-z_-]{13,21}")
FESTIVAL_NAME = re.compile(r"\w+ Fest( \d+)? \d{4}( - Day [123])?")
MID, PROLIFIC = BUILTIN_ATTRACTION_IDS["mid"], BUILTIN_ATTRACTION_IDS["prolific"]


@pytest.fixture(scope="module")
def builtin() -> World:
    return build_world(seed=0, anchor=ANCHOR)


@pytest.fixture(scope="module")
def generated() -> World:
    """What `--generate mid:40` serves: the three built-ins and 40 generated mid artists."""
    return build_world(seed=0, anchor=ANCHOR, generate=[("mid", 40)])


@pytest.fixture(scope="module")
def generated_prolific() -> World:
    return build_world(
        scenario_sources=["sparse"], seed=3, anchor=ANCHOR, generate=[("prolific", 3)]
    )


def by_id(world: World) -> dict[str, Artist]:
    return {artist.tm_attraction_id: artist for artist in world.artists}


def support_acts(world: World) -> list[Artist]:
    return [artist for artist in world.artists if artist.profile == "support"]


def headliner_share(world: World, headliner: Artist) -> tuple[float, float]:
    """(share of `headliner`'s own dates with support, share with two acts)."""
    bills = truth.expected_bills(world)
    artists = by_id(world)
    # Its own dates: it comes first and every other act supports (no co-headliner, no festival).
    own = [
        e
        for e in headliner.events
        if bills[e.tm_event_id][0] == headliner.tm_attraction_id
        and all(artists[a].profile == "support" for a in bills[e.tm_event_id][1:])
    ]
    supports = [len(bills[e.tm_event_id]) - 1 for e in own]
    return sum(n > 0 for n in supports) / len(own), sum(n == 2 for n in supports) / len(own)


# --- the built-in world -----------------------------------------------------------


def test_builtin_support_acts_have_fixed_ids_and_names(builtin: World) -> None:
    acts = support_acts(builtin)

    assert [a.tm_attraction_id for a in acts] == list(SUPPORT_ATTRACTION_IDS)
    assert [a.spotify_id for a in acts] == list(SUPPORT_SPOTIFY_IDS)
    assert [a.name for a in acts] == list(SUPPORT_ACTS)
    assert builtin.artists[-5:] == acts  # after every headliner: last on every bill
    for act in acts:
        assert ATTRACTION_ID.fullmatch(act.tm_attraction_id)
        assert not GENERATED_ATTRACTION_ID.fullmatch(act.tm_attraction_id)
        assert SPOTIFY_ID.fullmatch(act.spotify_id or "")
        assert act.spotify_linked


@pytest.mark.parametrize("seed", [0, 7])
def test_support_acts_have_a_small_labelled_catalog(seed: int) -> None:
    world = build_world(seed=seed, anchor=ANCHOR, generate=[("mid", 8)])
    acts = support_acts(world)
    assert len(acts) == 5 + 2  # the built-ins' five, one per four generated headliners
    spotify_ids = [t.spotify_id for a in world.artists for al in a.albums for t in al.tracks]
    assert len(set(spotify_ids)) == len(spotify_ids)
    # Copies of a recording share its ISRC; two artists never do.
    owners: dict[str, set[str]] = {}
    for artist in world.artists:
        for album in artist.albums:
            for track in album.tracks:
                owners.setdefault(track.isrc or "", set()).add(artist.tm_attraction_id)
    owners.pop("", None)
    assert all(len(artists) == 1 for artists in owners.values())
    for act in acts:
        [album] = act.albums
        assert album.album_type == "album" and 9 <= len(album.tracks) <= 11
        assert truth.expected_studio_track_count(act) == len(album.tracks)
        assert act.events and len(act.events) < 1_000


def test_builtin_support_rosters_and_shares(builtin: World) -> None:
    artists = by_id(builtin)
    bills = truth.expected_bills(builtin)
    rosters = {
        headliner: {a for e in artists[headliner].events for a in bills[e.tm_event_id]}
        for headliner in (MID, PROLIFIC)
    }
    # Its own roster, and the other headliner of the co-headlined run.
    assert rosters[MID] == {MID, PROLIFIC, *SUPPORT_ATTRACTION_IDS[:2]}
    assert rosters[PROLIFIC] == {MID, PROLIFIC, *SUPPORT_ATTRACTION_IDS[2:]}
    for headliner in (MID, PROLIFIC):
        supported, two_acts = headliner_share(builtin, artists[headliner])
        assert 0.7 <= supported <= 0.8
        assert 0.15 <= two_acts <= 0.25
    for act in support_acts(builtin):
        # No show of its own: always after a headliner, never first.
        assert all(bills[e.tm_event_id][0] in (MID, PROLIFIC) for e in act.events)
        assert 50 <= len(act.events) < 1_000


def test_builtin_co_headlined_run(builtin: World) -> None:
    artists = by_id(builtin)
    bills = truth.expected_bills(builtin)
    shared = [e for e in artists[PROLIFIC].events if MID in bills[e.tm_event_id]]

    assert len(shared) == 10
    title = f"{BUILTIN_NAMES['mid']} & {BUILTIN_NAMES['prolific']}"
    for event in shared:
        assert bills[event.tm_event_id] == [MID, PROLIFIC]  # world order, no support
        assert event.name == title or event.name.startswith(f"{title}: ")
        assert any(e is event for e in artists[MID].events)


def test_builtin_sizes_still_hold(builtin: World) -> None:
    sizes = {a.profile: truth.artist_sizes(a) for a in builtin.artists[:3]}
    assert sizes["sparse"]["events"] == 0
    assert sizes["mid"]["events"] == 150 + 10  # its own, and the co-headlined run
    assert sizes["prolific"]["events"] >= 1_200
    assert len(truth.expected_bills(builtin)) == 150 + 1_350


@pytest.mark.parametrize("only", ["mid", "prolific"])
def test_a_builtin_alone_brings_only_its_roster(only: str) -> None:
    world = build_world(scenario_sources=[only], seed=0, anchor=ANCHOR)
    roster = SUPPORT_ATTRACTION_IDS[:2] if only == "mid" else SUPPORT_ATTRACTION_IDS[2:]
    assert [a.tm_attraction_id for a in support_acts(world)] == list(roster)
    headliner = world.artists[0]
    assert len(headliner.events) == len(build_profile(only, seed=0, anchor=ANCHOR).events)


def test_builtin_artists_keep_their_traps(builtin: World) -> None:
    """Sharing only adds events: every trap of the profile alone is still there."""
    for artist in builtin.artists[1:3]:
        alone = truth.trap_counts(build_profile(artist.profile or "", seed=0, anchor=ANCHOR))
        shared = truth.trap_counts(artist)
        assert all(shared[trap] >= count for trap, count in alone.items()), artist.profile


# --- titles follow the bill -----------------------------------------------------------


@pytest.mark.parametrize("world_name", ["builtin", "generated", "generated_prolific"])
def test_titles_name_co_headliners_before_with_and_support_only_after(
    world_name: str, request: pytest.FixtureRequest
) -> None:
    world: World = request.getfixturevalue(world_name)
    artists = by_id(world)
    names = {artist.name for artist in world.artists}
    for event_id, bill in truth.expected_bills(world).items():
        event = next(e for e in artists[bill[0]].events if e.tm_event_id == event_id)
        headline, _, after = event.name.partition(" with ")
        acts = [artists[a] for a in bill]
        if len(bill) >= 8:
            assert FESTIVAL_NAME.fullmatch(event.name), event.name
            continue
        for position, act in enumerate(acts):
            if act.profile == "support":
                assert act.name not in headline, event.name
            elif position > 0:
                assert act.name in headline, event.name  # a co-headliner
        # Every act a title names is on the bill ("X with Y": Y plays).
        named = {n for n in names if n in after.split(" & ")}
        assert named <= {act.name for act in acts}, event.name


# --- generated worlds -----------------------------------------------------------------


def festivals(world: World) -> dict[str, list[str]]:
    return {e: bill for e, bill in truth.expected_bills(world).items() if len(bill) >= 8}


def test_generated_world_has_festivals_of_20_to_80_acts(generated: World) -> None:
    artists = by_id(generated)
    found = festivals(generated)
    by_bill = Counter(tuple(bill) for bill in found.values())

    assert 1 <= len(by_bill) <= 2  # one per 30 generated artists with shows
    assert all(1 <= days <= 3 for days in by_bill.values())
    for bill in by_bill:
        assert 20 <= len(bill) <= 40
        assert all(GENERATED_ATTRACTION_ID.fullmatch(a) for a in bill)
        assert list(bill) == sorted(bill, key=list(artists).index)  # world order
    for event_id, bill in found.items():
        assert EVENT_ID.fullmatch(event_id)
        for attraction_id in bill:
            assert any(e.tm_event_id == event_id for e in artists[attraction_id].events)


def test_no_festival_below_20_generated_artists_with_shows() -> None:
    world = build_world(seed=0, anchor=ANCHOR, generate=[("mid", 19), ("sparse", 5)])
    assert not festivals(world)


def test_generated_support_acts_and_co_headliners(generated: World) -> None:
    acts = support_acts(generated)[5:]
    headliners = [a for a in generated.artists if a.profile == "mid" and a.name != "Café Lumière"]

    assert len(acts) >= math.ceil(len(headliners) / 4)
    names = [a.name.casefold() for a in generated.artists]
    assert len(set(names)) == len(names)
    assert all(re.fullmatch(r"K8vZ91O[0-9A-Za-z]{4}", a.tm_attraction_id) for a in acts)
    assert all(len(a.events) < 1_000 for a in acts)
    bills = truth.expected_bills(generated)
    for headliner in headliners:
        supported, _ = headliner_share(generated, headliner)
        assert 0.6 <= supported <= 0.85, headliner.name
    pairs = {
        tuple(bill)
        for bill in bills.values()
        if len(bill) == 2 and all(by_id(generated)[a].profile == "mid" for a in bill)
    }
    assert len(pairs) == len(headliners) // 2


def test_generated_prolific_support_acts_stay_under_the_paging_limit(
    generated_prolific: World,
) -> None:
    acts = support_acts(generated_prolific)
    assert acts
    assert all(len(act.events) < 1_000 for act in acts)
    for headliner in generated_prolific.artists[1:4]:
        supported, two_acts = headliner_share(generated_prolific, headliner)
        assert 0.7 <= supported <= 0.8 and 0.15 <= two_acts <= 0.25


# --- truth, determinism, speed ----------------------------------------------------------


def test_artist_show_links_count_every_act_of_every_bill(generated: World) -> None:
    bills = truth.expected_bills(generated)
    assert truth.expected_artist_show_links(generated) == sum(len(b) for b in bills.values())
    assert sum(len(b) for b in bills.values()) == sum(
        len({e.tm_event_id for e in a.events}) for a in generated.artists
    )


def test_same_seed_and_anchor_give_equal_worlds() -> None:
    random.seed(1)
    first = build_world(seed=4, anchor=ANCHOR, generate=[("mid", 25)])
    random.seed(2)
    second = build_world(seed=4, anchor=ANCHOR, generate=[("mid", 25)])
    assert first == second
    assert truth.expected_bills(first) == truth.expected_bills(second)
    other = build_world(seed=5, anchor=ANCHOR, generate=[("mid", 25)])
    assert truth.expected_bills(other) != truth.expected_bills(first)


def test_festival_dates_follow_the_anchor() -> None:
    later = ANCHOR + datetime.timedelta(days=30)
    first = festivals_by_date(build_world(seed=1, anchor=ANCHOR, generate=[("mid", 20)]))
    second = festivals_by_date(build_world(seed=1, anchor=later, generate=[("mid", 20)]))
    assert [d + datetime.timedelta(days=30) for d in first] == second


def festivals_by_date(world: World) -> list[datetime.date]:
    found = festivals(world)
    artists = by_id(world)
    dates = set()
    for event_id, bill in found.items():
        event = next(e for e in artists[bill[0]].events if e.tm_event_id == event_id)
        dates.add(datetime.date.fromisoformat(event.local_date or ""))
    return sorted(dates)


def test_a_scenario_using_a_support_act_id_is_refused_naming_it(tmp_path) -> None:
    path = tmp_path / "clash.json"
    path.write_text(
        json.dumps({"artists": [{"tm_attraction_id": SUPPORT_ATTRACTION_IDS[0], "name": "X"}]}),
        encoding="utf-8",
    )
    with pytest.raises(ScenarioError) as raised:
        build_world(scenario_sources=[str(path), "mid"], anchor=ANCHOR)
    assert str(raised.value) == (
        f"duplicate tm_attraction_id {SUPPORT_ATTRACTION_IDS[0]!r} "
        f"in {path} and in the support acts"
    )


def test_the_builtin_world_builds_quickly() -> None:
    started = time.perf_counter()
    build_world(seed=11, anchor=ANCHOR)
    assert time.perf_counter() - started < 1.5
