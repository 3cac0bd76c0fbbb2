"""The bill rules, table-driven: order, headliners, the listing act, festivals; and a
shows batch's events handed to its artists, and what counts as a changed show."""

from __future__ import annotations

from dataclasses import replace
from datetime import time, timedelta

import pytest

from integrations.ticketmaster.records import BilledAct, TicketmasterEvent, TicketmasterVenue
from shows.rules import (
    BillSlot,
    StoredShow,
    event_bill,
    events_by_listing,
    headline_part,
    is_festival,
    named_headliners,
    show_changed,
)
from tests.factories import tm_event

HEAD = BilledAct("K8vZ917Head", "The Velvet Rövers")
CO = BilledAct("K8vZ917CoHd", "Café Lumière")
SUP = BilledAct("K8vZ917Supp", "Paper Comets")
SUP2 = BilledAct("K8vZ917Sup2", "Noémie")


def slots(*rows: tuple[BilledAct, int, bool]) -> tuple[BillSlot, ...]:
    return tuple(BillSlot(act.tm_attraction_id, act.name, pos, head) for act, pos, head in rows)


@pytest.mark.parametrize(
    ("event_name", "acts", "listing", "expected"),
    [
        pytest.param(
            "The Velvet Rövers",
            [HEAD, SUP],
            SUP,
            slots((HEAD, 0, True), (SUP, 1, False)),
            id="support act listed: headliner first",
        ),
        pytest.param(
            "The Velvet Rövers with Paper Comets & Noémie",
            [HEAD, SUP, SUP2],
            HEAD,
            slots((HEAD, 0, True), (SUP, 1, False), (SUP2, 2, False)),
            id="named after 'with': support",
        ),
        pytest.param(
            "Café Lumière & The Velvet Rövers: Double Bill Tour",
            [CO, HEAD],
            HEAD,
            slots((CO, 0, True), (HEAD, 1, True)),
            id="co-headliners named before any marker",
        ),
        pytest.param(
            "CAFÉ  LUMIÈRE + The Velvet Rövers",
            [CO, HEAD],
            HEAD,
            slots((CO, 0, True), (HEAD, 1, False)),
            id="'+' marks support; case and spaces folded",
        ),
        pytest.param(
            "Sandbox Fest 2027",
            [SUP, HEAD, CO],
            CO,
            slots((SUP, 0, True), (HEAD, 1, False), (CO, 2, False)),
            id="festival: the first act tops the bill",
        ),
        pytest.param(
            "An Evening with The Velvet Rövers",
            [HEAD],
            HEAD,
            slots((HEAD, 0, True)),
            id="the only act headlines",
        ),
        pytest.param(
            "The Velvet Rövers",
            [HEAD],
            SUP,
            slots((HEAD, 0, True), (SUP, 1, False)),
            id="listing act missing from the attractions: added last",
        ),
        pytest.param(
            "Paper Comets",
            [],
            SUP,
            slots((SUP, 0, True)),
            id="empty attractions: the listing act alone",
        ),
        pytest.param(
            "Rövers Revival",
            [HEAD, SUP],
            SUP,
            slots((HEAD, 0, True), (SUP, 1, False)),
            id="part of a name is not the name",
        ),
    ],
)
def test_event_bill(event_name, acts, listing, expected):
    bill = event_bill(event_name=event_name, acts=acts, listing=listing)
    assert bill.complete
    assert bill.slots == expected


def test_an_event_without_attractions_has_an_unknown_bill_of_the_listing_act():
    bill = event_bill(event_name="Paper Comets with Noémie", acts=None, listing=SUP)
    assert not bill.complete
    assert bill.slots == slots((SUP, 0, True))


@pytest.mark.parametrize(
    ("event_name", "expected"),
    [
        ("A & B", "a & b"),
        ("A with B", "a"),
        ("A w/ B", "a"),
        ("A feat. B", "a"),
        ("A featuring B", "a"),
        ("A + special guests B", "a"),
        ("A, supported by B", "a,"),
        ("Withered Hands", "withered hands"),
        ("  Ünïcode   Band  ", "ünïcode band"),
    ],
)
def test_headline_part(event_name, expected):
    assert headline_part(event_name) == expected


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("Noémie", "noémie & x", True),
        ("NOÉMIE", "noémie & x", True),
        ("Noémie", "noémies", False),
        ("", "anything", False),
        ("AC/DC", "ac/dc & friends", True),
    ],
)
def test_an_act_is_named_by_its_whole_words(name, text, expected):
    assert named_headliners([name], text) == ({name} if expected else set())


@pytest.mark.parametrize(("acts", "festival"), [(1, False), (7, False), (8, True), (80, True)])
def test_is_festival(acts, festival):
    assert is_festival(acts) is festival


@pytest.mark.parametrize(
    ("names", "headline", "expected"),
    [
        (["Head Band", "Band"], "head band", {"Head Band"}),
        (["Band", "Head Band"], "head band & band", {"Head Band", "Band"}),
        (["A", "B"], "a & b", {"A", "B"}),
        (["Noémie", "Sjöberg"], "noémie", {"Noémie"}),
        (["", "X"], "x", {"X"}),
    ],
)
def test_named_headliners_take_the_longest_name_first(names, headline, expected):
    assert named_headliners(names, headline) == expected


# --- Handing a batch's events to its artists -----------------------------------------

A, B, C = "K8vZ917BtcA", "K8vZ917BtcB", "K8vZ917BtcC"
OUTSIDER = BilledAct("K8vZ917Outs", "Not In The Batch")


def billed(tm_event_id: str, *acts: str | BilledAct | None) -> TicketmasterEvent:
    """An event billing these acts (ids of the batch, or acts); `None` alone: its bill is
    unknown (Ticketmaster did not embed its attractions)."""
    if acts == (None,):
        return tm_event(tm_event_id, bill=None)
    bill = tuple(act if isinstance(act, BilledAct) else BilledAct(act, act) for act in acts)
    return tm_event(tm_event_id, bill=bill)


@pytest.mark.parametrize(
    ("events", "ids", "listings", "unplaced"),
    [
        pytest.param(
            [billed("e1", A), billed("e2", OUTSIDER), billed("e3", None)],
            [A],
            {A: ["e1", "e2", "e3"]},
            [],
            id="a single id gets everything, whatever the bill",
        ),
        pytest.param(
            [billed("e1", A), billed("e2", B, A), billed("e3", C)],
            [A, B, C],
            {A: ["e1", "e2"], B: ["e2"], C: ["e3"]},
            [],
            id="several ids: by bill, shared events to each",
        ),
        pytest.param(
            [billed("e1", A, OUTSIDER), billed("e2", OUTSIDER)],
            [A, B],
            {A: ["e1"], B: []},
            ["e2"],
            id="nobody of the batch on the bill: unplaced",
        ),
        pytest.param(
            [billed("e1", A), billed("e2", None), billed("e3")],
            [A, B],
            {A: ["e1"], B: []},
            ["e2", "e3"],
            id="unknown or empty bill: unplaced",
        ),
        pytest.param([], [A, B], {A: [], B: []}, [], id="no events"),
    ],
)
def test_events_by_listing(events, ids, listings, unplaced):
    by_id, left = events_by_listing(events, ids)
    assert {tm_id: [e.tm_event_id for e in listed] for tm_id, listed in by_id.items()} == (listings)
    assert [e.tm_event_id for e in left] == unplaced


VENUE = TicketmasterVenue("KovZbatch01", "Hall", "", "Austin", "", "", "", "", "", "", None, None)
STORED_EVENT = tm_event("e1", name="Tour", local_time=time(20), venue=VENUE)


def stored_as(event: TicketmasterEvent) -> StoredShow:
    return StoredShow(
        name=event.name,
        local_date=event.local_date,
        local_time=event.local_time,
        status=event.status,
        tm_venue_id=event.venue.tm_venue_id if event.venue else None,
        date_tba=event.date_tba,
        time_tba=event.time_tba,
    )


@pytest.mark.parametrize(
    ("listed", "changed"),
    [
        pytest.param({}, False, id="the same"),
        pytest.param({"url": "https://x.example/e1", "image_url": "i"}, False, id="links only"),
        pytest.param({"name": "Tour (new date)"}, True, id="name"),
        pytest.param({"local_date": STORED_EVENT.local_date + timedelta(days=1)}, True, id="date"),
        pytest.param({"local_time": time(21)}, True, id="time"),
        pytest.param({"status": "cancelled"}, True, id="status"),
        pytest.param({"venue": None}, True, id="venue dropped"),
        pytest.param(
            {"venue": replace(VENUE, tm_venue_id="KovZbatch02")}, True, id="another venue"
        ),
        pytest.param({"venue": replace(VENUE, name="Hall B")}, False, id="venue renamed"),
        pytest.param({"date_tba": True}, True, id="date to be announced"),
        pytest.param({"time_tba": True}, True, id="time to be announced"),
    ],
)
def test_show_changed(listed, changed):
    assert show_changed(stored_as(STORED_EVENT), replace(STORED_EVENT, **listed)) is changed
