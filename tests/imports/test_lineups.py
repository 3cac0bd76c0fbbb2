"""Shared events, imported for real against the sandbox over HTTP: a tour with support
acts, a co-headlined date and a festival of 20 acts. Whatever order the acts are imported
in, inline or all at once through the cluster, the rows are the same, every act on an
event lists it, and each bill keeps Ticketmaster's order."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

import pytest

from catalog.models import Artist
from imports.models import ImportRun, ImportStatus
from imports.pipeline import run_import
from imports.services import import_run_create
from sandbox import profiles, truth
from sandbox.world import Artist as WorldArtist
from sandbox.world import Event, Venue, World
from shows.models import Billing, Show
from tests.support.cluster import finished_run, start_imports_at_once

pytestmark = pytest.mark.django_db

PROLIFIC = profiles.BUILTIN_ATTRACTION_IDS["prolific"]
HEAD = "K8vZ917LnHd"
CO = "K8vZ917LnCo"
OPENER = "K8vZ917LnS1"
SECOND_OPENER = "K8vZ917LnS2"
FESTIVAL_ACTS = [f"K8vZ917LnF{n:02d}" for n in range(16)]
NAMES = {
    HEAD: "Velvet Head",
    CO: "Co Head",
    OPENER: "Opener One",
    SECOND_OPENER: "Opener Two",
    **{tm_id: f"Fest Act {n:02d}" for n, tm_id in enumerate(FESTIVAL_ACTS)},
}


def lineup_world(*, opener_on_first_date: bool = True, festival: bool = True) -> World:
    """The acts in bill order (the sandbox bills an event's acts in world order) and the
    events each one's search lists. `opener_on_first_date=False` is the world after the
    opener dropped off the tour's first date; `festival=False`, after the festival went."""
    day = date.today()
    venue = Venue(tm_venue_id="KovZlineup01", name="Lineup Hall", city="Austin")

    def show(tm_event_id: str, name: str, days: int) -> Event:
        when = (day + timedelta(days=days)).isoformat()
        return Event(tm_event_id, name, when, "20:00:00", venue=venue, timezone="America/Chicago")

    first = show("vvG1lineupT1", "Velvet Head with Opener One", 10)
    both = show("vvG1lineupT2", "Velvet Head with Opener One & Opener Two", 11)
    alone = show("vvG1lineupT3", "Velvet Head", 12)
    double = show("vvG1lineupK1", "Velvet Head & Co Head", 13)
    fest = show("vvG1lineupF1", "Lineup Fest", 20)
    own = show("vvG1lineupO1", "Opener One", 14)
    listings = {
        HEAD: [first, both, alone, double] + ([fest] if festival else []),
        CO: [double] + ([fest] if festival else []),
        OPENER: ([first] if opener_on_first_date else []) + [both, own],
        SECOND_OPENER: [both],
        **{tm_id: [fest] if festival else [] for tm_id in FESTIVAL_ACTS},
    }
    if festival:
        listings[OPENER].append(fest)
        listings[SECOND_OPENER].append(fest)
    return World(
        artists=[
            WorldArtist(
                tm_attraction_id=tm_id,
                name=NAMES[tm_id],
                spotify_id=None,
                spotify_linked=False,
                events=events,
            )
            for tm_id, events in listings.items()
        ]
    )


def expected_bills(world: World) -> dict[str, list[str]]:
    bills: dict[str, list[str]] = {}
    for artist in world.artists:
        for event in artist.events:
            bills.setdefault(event.tm_event_id, []).append(artist.tm_attraction_id)
    return bills


HEADLINERS = {
    ("vvG1lineupT1", HEAD),
    ("vvG1lineupT2", HEAD),
    ("vvG1lineupT3", HEAD),
    ("vvG1lineupK1", HEAD),
    ("vvG1lineupK1", CO),  # "Velvet Head & Co Head"
    ("vvG1lineupF1", HEAD),
    ("vvG1lineupO1", OPENER),
}


def expected_rows(world: World, imported: set[str]) -> set[tuple]:
    """(event, act, position, headliner, listed by the act's own import) of every event
    an imported act lists."""
    bills = expected_bills(world)
    listed_by_imported = {e for e, acts in bills.items() if imported & set(acts)}
    return {
        (event, act, position, (event, act) in HEADLINERS, act in imported)
        for event in listed_by_imported
        for position, act in enumerate(bills[event])
    }


def stored_rows() -> set[tuple]:
    return {
        (event, act, position, headliner, listed_at is not None)
        for event, act, position, headliner, listed_at in Billing.objects.filter(
            removed_upstream_at=None
        ).values_list(
            "show__tm_event_id", "artist__tm_attraction_id", "position", "headliner", "listed_at"
        )
    }


def import_inline(tm_attraction_id: str) -> ImportRun:
    run = run_import(import_run_create(tm_attraction_id=tm_attraction_id).import_id)
    assert run.status == ImportStatus.SUCCEEDED, run.error
    return run


def assert_every_act_lists_its_shows(client, world: World, imported: set[str]) -> None:
    """Each imported act's API answer lists every event it is billed on, with the bill."""
    bills = expected_bills(world)
    for tm_id in sorted(imported):
        artist = Artist.objects.get(tm_attraction_id=tm_id)
        body = client.get(f"/api/artists/{artist.slug}/shows?limit=100").json()
        listed = {item["tm_event_id"]: item["lineup"] for item in body["items"]}
        assert set(listed) == {e for e, acts in bills.items() if tm_id in acts}, tm_id
        for event, lineup in listed.items():
            assert [act["tm_attraction_id"] for act in lineup] == bills[event]
            assert [act["position"] for act in lineup] == list(range(len(bills[event])))
            for act in lineup:
                assert act["name"] == NAMES[act["tm_attraction_id"]]
                # Only imported acts have a page to link to.
                assert (act["slug"] is not None) == (act["tm_attraction_id"] in imported)
                assert act["headliner"] == ((event, act["tm_attraction_id"]) in HEADLINERS)


IMPORTED = (HEAD, CO, OPENER)


@pytest.mark.parametrize("order", list(itertools.permutations(IMPORTED)), ids="-".join)
def test_every_order_of_importing_the_acts_stores_the_same_bills(order, sandbox, client):
    world = lineup_world()
    with sandbox(serve=world):
        for tm_id in order:
            import_inline(tm_id)

    assert stored_rows() == expected_rows(world, set(IMPORTED))
    assert Show.objects.count() == len(expected_bills(world))
    assert not Billing.objects.exclude(removed_upstream_at=None).exists()
    assert_every_act_lists_its_shows(client, world, set(IMPORTED))
    # Acts never imported have a row each, named, and no run.
    never = Artist.objects.exclude(tm_attraction_id__in=IMPORTED)
    assert {a.tm_attraction_id: a.name for a in never} == {
        tm_id: NAMES[tm_id] for tm_id in [SECOND_OPENER, *FESTIVAL_ACTS]
    }
    assert not ImportRun.objects.filter(artist__in=never).exists()


@pytest.mark.django_db(transaction=True)
def test_all_acts_at_once_through_the_cluster_store_the_same_bills(cluster, client):
    world = lineup_world()
    acts = [HEAD, CO, OPENER, SECOND_OPENER, *FESTIVAL_ACTS[:4]]
    with cluster(serve=world) as (qcluster, _):
        run_ids = start_imports_at_once(acts)
        runs = [finished_run(run_id, qcluster, timeout=180) for run_id in run_ids]

    assert [run.error for run in runs if run.status != ImportStatus.SUCCEEDED] == []
    assert stored_rows() == expected_rows(world, set(acts))
    assert Show.objects.count() == len(expected_bills(world))
    assert_every_act_lists_its_shows(client, world, set(acts))


def test_an_act_dropping_off_a_date_loses_that_date_only(sandbox, client):
    with sandbox(serve=lineup_world()):
        import_inline(HEAD)
        import_inline(OPENER)
    head_place = Billing.objects.get(
        show__tm_event_id="vvG1lineupT1", artist__tm_attraction_id=HEAD
    )

    later = lineup_world(opener_on_first_date=False)
    with sandbox(serve=later):
        run = import_inline(OPENER)

    assert run.counters["shows_removed_upstream"] == 1
    assert run.counters["shows_gone_upstream"] == 0
    opener_place = Billing.objects.get(
        show__tm_event_id="vvG1lineupT1", artist__tm_attraction_id=OPENER
    )
    assert opener_place.removed_upstream_at is not None
    unchanged = Billing.objects.get(pk=head_place.pk)
    assert (unchanged.removed_upstream_at, unchanged.listed_at) == (None, head_place.listed_at)
    assert Show.objects.get(tm_event_id="vvG1lineupT1").removed_upstream_at is None
    assert stored_rows() == expected_rows(later, {HEAD, OPENER})
    assert_every_act_lists_its_shows(client, later, {HEAD, OPENER})


def test_a_show_no_act_lists_any_more_is_marked_gone_not_deleted(sandbox, client):
    with sandbox(serve=lineup_world()):
        import_inline(HEAD)
        import_inline(CO)
    without_festival = lineup_world(festival=False)
    with sandbox(serve=without_festival):
        head_run = import_inline(HEAD)
        fest = Show.objects.get(tm_event_id="vvG1lineupF1")
        assert fest.removed_upstream_at is None  # Co still lists it, as far as we know
        co_run = import_inline(CO)

    assert (head_run.counters["shows_gone_upstream"], co_run.counters["shows_gone_upstream"]) == (
        0,
        1,
    )
    fest.refresh_from_db()
    assert fest.removed_upstream_at is not None
    assert fest.bill.count() == 20  # every place kept, marked for the two acts that listed it
    assert_every_act_lists_its_shows(client, without_festival, {HEAD, CO})


def test_on_the_built_in_world_every_act_lists_every_show_it_is_billed_on(world, sandbox, client):
    """Café Lumière (mid) and its two support acts: each page lists every event on whose
    bill the sandbox puts it, co-headlined dates with The Velvet Rövers included."""
    mid = profiles.BUILTIN_ATTRACTION_IDS["mid"]
    bills = truth.expected_bills(world)
    openers = sorted(
        {act for e, acts in bills.items() if mid in acts for act in acts[1:]}
        - {profiles.BUILTIN_ATTRACTION_IDS["prolific"]}
    )
    assert len(openers) == 2
    with sandbox():
        for tm_id in [*openers, mid]:
            import_inline(tm_id)

    for tm_id in [mid, *openers]:
        artist = Artist.objects.get(tm_attraction_id=tm_id)
        body = client.get(f"/api/artists/{artist.slug}/shows?limit=500").json()
        expected = {e for e, acts in bills.items() if tm_id in acts}
        assert {item["tm_event_id"] for item in body["items"]} == expected, artist.name
        for item in body["items"]:
            lineup = [act["tm_attraction_id"] for act in item["lineup"]]
            assert lineup == bills[item["tm_event_id"]]
    co_headlined = [e for e, acts in bills.items() if acts[:2] == [mid, PROLIFIC]]
    assert len(co_headlined) == 10
    assert set(
        Billing.objects.filter(
            show__tm_event_id__in=co_headlined, artist__tm_attraction_id__in=[mid, PROLIFIC]
        ).values_list("headliner", flat=True)
    ) == {True}
