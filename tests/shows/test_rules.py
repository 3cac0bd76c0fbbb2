"""The bill rules, table-driven: order, headliners, the listing act, festivals."""

from __future__ import annotations

import pytest

from integrations.ticketmaster.records import BilledAct
from shows.rules import (
    BillSlot,
    event_bill,
    headline_part,
    is_festival,
    named_headliners,
)

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
