"""Bills as the shows services write them: every act's place, whoever lists the event."""

from __future__ import annotations

import itertools

import pytest
from django.utils import timezone

from catalog.models import Artist
from imports.models import ImportRun
from integrations.ticketmaster.records import BilledAct
from shows.models import Billing, Show
from shows.services import ShowsRemoved, shows_mark_removed, shows_upsert
from tests.factories import make_artist, tm_event

pytestmark = pytest.mark.django_db

HEAD = BilledAct("K8vZ917Head", "Head Band")
SUPPORT = BilledAct("K8vZ917Supp", "Support Band")
CO = BilledAct("K8vZ917CoHd", "Co Band")
NEVER = BilledAct("K8vZ917Nevr", "Never Imported")


def event(tm_event_id: str, name: str, bill: tuple[BilledAct, ...] | None, days: int = 30):
    return tm_event(tm_event_id, name=name, bill=bill, days=days)


TOUR = event("vvG1tour0000001", "Head Band with Support Band", (HEAD, SUPPORT))
DOUBLE = event("vvG1tour0000002", "Head Band & Co Band", (HEAD, CO, NEVER))
FEST = event("vvG1fest0000001", "Sandbox Fest", (CO, NEVER, SUPPORT, HEAD))
# What each act's events search lists (an event under every act on its bill).
LISTINGS = {
    HEAD: [TOUR, DOUBLE, FEST],
    SUPPORT: [TOUR, FEST],
    CO: [DOUBLE, FEST],
}


def artist_for(act: BilledAct) -> Artist:
    artist = Artist.objects.filter(tm_attraction_id=act.tm_attraction_id).first()
    return artist or make_artist(tm_attraction_id=act.tm_attraction_id, name=act.name)


def sync(act: BilledAct, events) -> ShowsRemoved:
    """One shows phase of `act`: upsert what it lists, then mark what it no longer does."""
    artist = artist_for(act)
    started = timezone.now()
    shows_upsert(artist_id=artist.pk, events=events)
    Artist.objects.filter(pk=artist.pk).update(shows_synced_at=timezone.now())
    return shows_mark_removed(artist_id=artist.pk, not_seen_since=started)


def bill_rows() -> set[tuple]:
    return set(
        Billing.objects.values_list(
            "show__tm_event_id", "artist__tm_attraction_id", "position", "headliner"
        )
    )


def listed_rows() -> set[tuple]:
    return set(
        Billing.objects.filter(listed_at__isnull=False).values_list(
            "show__tm_event_id", "artist__tm_attraction_id"
        )
    )


EXPECTED_BILLS = {
    ("vvG1tour0000001", "K8vZ917Head", 0, True),
    ("vvG1tour0000001", "K8vZ917Supp", 1, False),
    ("vvG1tour0000002", "K8vZ917Head", 0, True),
    ("vvG1tour0000002", "K8vZ917CoHd", 1, True),
    ("vvG1tour0000002", "K8vZ917Nevr", 2, False),
    ("vvG1fest0000001", "K8vZ917CoHd", 0, True),
    ("vvG1fest0000001", "K8vZ917Nevr", 1, False),
    ("vvG1fest0000001", "K8vZ917Supp", 2, False),
    ("vvG1fest0000001", "K8vZ917Head", 3, False),
}


@pytest.mark.parametrize("order", list(itertools.permutations(LISTINGS)), ids=str)
def test_every_order_of_importing_the_acts_gives_the_same_bills(order):
    for act in order:
        sync(act, LISTINGS[act])

    assert Show.objects.count() == 3
    assert bill_rows() == EXPECTED_BILLS
    assert listed_rows() == {
        (e.tm_event_id, act.tm_attraction_id) for act, events in LISTINGS.items() for e in events
    }
    assert not Billing.objects.exclude(removed_upstream_at=None).exists()
    assert not Show.objects.exclude(removed_upstream_at=None).exists()


def test_an_act_never_imported_gets_a_named_row_and_is_not_queued():
    sync(HEAD, LISTINGS[HEAD])

    never = Artist.objects.get(tm_attraction_id=NEVER.tm_attraction_id)
    assert never.name == "Never Imported"
    assert never.slug.startswith("tm-")
    assert not never.is_imported
    assert not ImportRun.objects.exists()
    # Its place is written, but only its own import would say it lists the show.
    assert set(never.billings.values_list("listed_at", flat=True)) == {None}


def test_a_known_artist_keeps_its_name_and_slug_when_seen_on_a_bill():
    head = make_artist(tm_attraction_id=HEAD.tm_attraction_id, name="Head Band", slug="head-band")
    support = make_artist(tm_attraction_id=SUPPORT.tm_attraction_id, name="Renamed", slug="s")
    sync(HEAD, [TOUR])
    support.refresh_from_db()
    assert (support.name, support.slug) == ("Renamed", "s")
    assert Billing.objects.filter(artist=support).count() == 1
    assert Billing.objects.get(artist=head).listed_at is not None


def test_running_a_sync_twice_adds_no_rows():
    sync(HEAD, LISTINGS[HEAD])
    before = (Show.objects.count(), Billing.objects.count(), Artist.objects.count())
    sync(HEAD, LISTINGS[HEAD])
    assert (Show.objects.count(), Billing.objects.count(), Artist.objects.count()) == before


def test_an_act_dropped_from_a_bill_loses_its_place_and_the_show_stays():
    sync(HEAD, [TOUR])
    sync(SUPPORT, [TOUR])
    head_place = Billing.objects.get(artist__tm_attraction_id=HEAD.tm_attraction_id)

    removed = sync(SUPPORT, [])  # Support's events search no longer lists the tour date

    assert (removed.places, removed.shows) == (1, 0)
    support_place = Billing.objects.get(artist__tm_attraction_id=SUPPORT.tm_attraction_id)
    assert support_place.removed_upstream_at is not None
    after = Billing.objects.get(pk=head_place.pk)
    assert (after.removed_upstream_at, after.listed_at, after.updated_at) == (
        None,
        head_place.listed_at,
        head_place.updated_at,
    )
    assert Show.objects.get().removed_upstream_at is None


def test_a_bill_no_longer_naming_an_act_never_imported_marks_its_place():
    sync(HEAD, [DOUBLE])
    without_never = event(DOUBLE.tm_event_id, DOUBLE.name, (HEAD, CO))

    sync(HEAD, [without_never])

    places = dict(Billing.objects.values_list("artist__tm_attraction_id", "removed_upstream_at"))
    assert places[NEVER.tm_attraction_id] is not None
    assert places[HEAD.tm_attraction_id] is None and places[CO.tm_attraction_id] is None
    # Back on the bill, its place comes back.
    sync(HEAD, [DOUBLE])
    assert not Billing.objects.exclude(removed_upstream_at=None).exists()


def test_whether_an_imported_act_still_plays_is_its_own_search_to_say():
    """Ticketmaster's embedded attractions can leave out an act whose own search lists
    the event: another act's listing does not take the show from it."""
    sync(HEAD, [TOUR])
    sync(SUPPORT, [TOUR])
    without_support = event(TOUR.tm_event_id, "Head Band", (HEAD,))

    sync(HEAD, [without_support])

    assert not Billing.objects.exclude(removed_upstream_at=None).exists()
    assert sync(SUPPORT, []).places == 1  # its own search no longer lists it


@pytest.mark.parametrize("order", [(HEAD, SUPPORT), (SUPPORT, HEAD)], ids=str)
def test_an_act_left_out_of_the_attractions_gets_the_same_rows_in_either_order(order):
    left_out = event("vvG1left000001", "Head Band", (HEAD,))
    for act in order:
        sync(act, [left_out])
    assert bill_rows() == {
        ("vvG1left000001", "K8vZ917Head", 0, True),
        ("vvG1left000001", "K8vZ917Supp", 1, False),
    }
    assert listed_rows() == {("vvG1left000001", "K8vZ917Head"), ("vvG1left000001", "K8vZ917Supp")}
    assert not Billing.objects.exclude(removed_upstream_at=None).exists()


def test_a_listing_back_on_the_bill_restores_the_place():
    sync(HEAD, [TOUR])
    sync(SUPPORT, [TOUR])
    sync(SUPPORT, [])
    sync(SUPPORT, [TOUR])
    assert not Billing.objects.exclude(removed_upstream_at=None).exists()


def test_a_show_is_gone_only_when_no_act_lists_it_and_comes_back_when_one_does():
    sync(HEAD, [TOUR])
    sync(SUPPORT, [TOUR])

    assert sync(HEAD, []).shows == 0  # Support still lists it
    assert Show.objects.get().removed_upstream_at is None
    assert sync(SUPPORT, []).shows == 1
    show = Show.objects.get()  # marked, never deleted
    assert show.removed_upstream_at is not None

    sync(HEAD, [TOUR])
    show.refresh_from_db()
    assert show.removed_upstream_at is None


def test_acts_never_imported_do_not_keep_a_show_listed():
    """Only an act's own events search says it lists a show: the places of acts seen on
    the bill alone are not evidence the event is still on sale."""
    sync(HEAD, [DOUBLE])
    removed = sync(HEAD, [])
    assert (removed.places, removed.shows) == (1, 1)
    assert Billing.objects.filter(removed_upstream_at=None).count() == 2  # Co and Never


def test_a_listing_without_attractions_leaves_the_other_places_alone():
    sync(HEAD, [TOUR])
    unknown_bill = event(TOUR.tm_event_id, "Head Band", None)

    sync(HEAD, [unknown_bill])

    assert bill_rows() == {
        ("vvG1tour0000001", "K8vZ917Head", 0, True),
        ("vvG1tour0000001", "K8vZ917Supp", 1, False),
    }
    assert not Billing.objects.exclude(removed_upstream_at=None).exists()


def test_the_listing_act_missing_from_the_attractions_is_billed_last():
    odd = event("vvG1odd0000001", "Head Band", (HEAD,))
    sync(SUPPORT, [odd])
    assert bill_rows() == {
        ("vvG1odd0000001", "K8vZ917Head", 0, True),
        ("vvG1odd0000001", "K8vZ917Supp", 1, False),
    }


def test_past_shows_keep_their_places():
    past = event("vvG1past000001", "Head Band", (HEAD,), days=-3)
    sync(HEAD, [past])
    assert sync(HEAD, []).places == 0


def test_an_act_first_seen_without_a_name_takes_one_from_a_later_bill():
    nameless = BilledAct(NEVER.tm_attraction_id, "")
    sync(HEAD, [event(DOUBLE.tm_event_id, DOUBLE.name, (HEAD, CO, nameless))])
    assert Artist.objects.get(tm_attraction_id=NEVER.tm_attraction_id).name == ""

    sync(CO, [DOUBLE])

    assert Artist.objects.get(tm_attraction_id=NEVER.tm_attraction_id).name == NEVER.name
    # A named artist keeps its name whatever a bill calls it.
    renamed = BilledAct(CO.tm_attraction_id, "Co Band (Renamed)")
    sync(HEAD, [event(DOUBLE.tm_event_id, DOUBLE.name, (HEAD, renamed, NEVER))])
    assert Artist.objects.get(tm_attraction_id=CO.tm_attraction_id).name == CO.name


def test_rows_are_locked_in_the_order_python_sorts_their_keys():
    """Upserts lock rows in Python's order (code points); `in_key_order` makes a query's
    ORDER BY agree on every database, whatever its collation (en_US would put "vvG"
    before "Z7r")."""
    from django.db import connection

    from theset.models import in_key_order

    ids = ["vvG1case001", "Z7r9jcase01", "G5vcase0001", "1Acase00001", "k7case00001", "_x", "-y"]
    for tm_event_id in ids:
        Show.objects.create(tm_event_id=tm_event_id)
    ordered = Show.objects.order_by(in_key_order("tm_event_id"))
    assert list(ordered.values_list("tm_event_id", flat=True)) == sorted(ids)
    if connection.vendor == "postgresql":
        assert 'COLLATE "C"' in str(ordered.query)


def test_another_acts_bill_does_not_undo_an_acts_own_removal():
    """Support's place came from Head's bill; Support's own sync, which no longer lists
    the date, marks it; Head's next sync with the same bill must not bring it back."""
    sync(HEAD, [TOUR])
    assert sync(SUPPORT, []).places == 1
    sync(HEAD, [TOUR])
    place = Billing.objects.get(artist__tm_attraction_id=SUPPORT.tm_attraction_id)
    assert place.removed_upstream_at is not None


def test_two_acts_both_missing_from_the_attractions_are_ordered_by_id():
    from shows.selectors import current_bill

    odd = event("vvG1odd0000002", "Head Band", (HEAD,))
    sync(CO, [odd])
    sync(SUPPORT, [odd])
    sync(CO, [odd])
    lineup = current_bill().filter(show__tm_event_id=odd.tm_event_id)
    assert [(p.artist.tm_attraction_id, p.position) for p in lineup] == [
        ("K8vZ917Head", 0),
        ("K8vZ917CoHd", 1),
        ("K8vZ917Supp", 1),
    ]
