"""A show's bill where fans and staff see it: the artist page's "with X, Y" and
"Festival · N acts", and the admin's bill of a show and shows of an artist."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django_q.models import OrmQ

from catalog.models import Artist
from imports.models import ImportRun, ImportStatus
from imports.pages import BilledAct as PageAct
from imports.pages import BillLine, bill_line
from integrations.ticketmaster.records import BilledAct, TicketmasterEvent
from shows.models import Billing, Show
from shows.selectors import upcoming_shows
from shows.services import shows_upsert
from tests.factories import tm_event

pytestmark = pytest.mark.django_db

HEAD = BilledAct("K8vZ917PgHd", "Head & <Band>")
CO = BilledAct("K8vZ917PgCo", "Co Band")
NEVER = BilledAct("K8vZ917PgNv", "Never Imported")
FEST_ACTS = [BilledAct(f"K8vZ917PgF{n}", f"Fest Act {n}") for n in range(10)]


def event(tm_event_id: str, name: str, bill, days: int) -> TicketmasterEvent:
    return tm_event(tm_event_id, name=name, bill=bill, days=days)


@pytest.fixture
def head() -> Artist:
    """Head, imported, billed with Co (imported) and an act never imported, alone on one
    date, and at a festival of 12 acts."""
    synced = timezone.now()
    head = Artist.objects.create(
        tm_attraction_id=HEAD.tm_attraction_id,
        name=HEAD.name,
        slug="head",
        shows_synced_at=synced,
        identity_synced_at=synced,
    )
    Artist.objects.create(
        tm_attraction_id=CO.tm_attraction_id,
        name=CO.name,
        slug="co-band",
        shows_synced_at=synced,
        identity_synced_at=synced,
    )
    shows_upsert(
        artist_id=head.pk,
        events=[
            event("vvG1page000001", "Head & <Band> with Co Band", (HEAD, CO, NEVER), 5),
            event("vvG1page000002", "Head & <Band>", (HEAD,), 6),
            event("vvG1page000003", "Page Fest", (*FEST_ACTS[:5], HEAD, *FEST_ACTS[5:], CO), 7),
        ],
    )
    return head


def test_the_page_names_the_rest_of_the_bill_and_links_imported_acts(client, head):
    content = client.get(f"/artists/{head.slug}/").content.decode()

    bills = re.findall(r'<span class="bill">(.*?)</span>', content)
    assert bills == [
        'with <a href="/artists/co-band/">Co Band</a>, Never Imported',
        "Festival · 12 acts",
    ]
    assert "Head &amp; &lt;Band&gt;" in content and "<Band>" not in content


def test_the_api_lineup_is_the_bill_in_order(client, head):
    items = client.get(f"/api/artists/{head.slug}/shows").json()["items"]
    first = items[0]["lineup"]
    assert first == [
        {
            "tm_attraction_id": HEAD.tm_attraction_id,
            "name": HEAD.name,
            "slug": "head",
            "position": 0,
            "headliner": True,
        },
        {
            "tm_attraction_id": CO.tm_attraction_id,
            "name": CO.name,
            "slug": "co-band",
            "position": 1,
            "headliner": False,
        },
        {
            "tm_attraction_id": NEVER.tm_attraction_id,
            "name": NEVER.name,
            "slug": None,
            "position": 2,
            "headliner": False,
        },
    ]
    assert [act["name"] for act in items[2]["lineup"]][5] == HEAD.name


def test_a_removed_place_leaves_the_lineup(client, head):
    Billing.objects.filter(artist__tm_attraction_id=NEVER.tm_attraction_id).update(
        removed_upstream_at=timezone.now()
    )
    items = client.get(f"/api/artists/{head.slug}/shows").json()["items"]
    assert [act["name"] for act in items[0]["lineup"]] == [HEAD.name, CO.name]


def test_an_act_never_imported_lists_the_shows_it_is_billed_on(client, head):
    never = Artist.objects.get(tm_attraction_id=NEVER.tm_attraction_id)
    assert [show.tm_event_id for show in upcoming_shows(artist_id=never.pk)] == ["vvG1page000001"]


@pytest.mark.parametrize(
    ("acts", "expected"),
    [
        ([HEAD], BillLine()),
        (
            [HEAD, CO, NEVER],
            BillLine(
                others=(PageAct("Co Band", "/artists/co-band/"), PageAct("Never Imported", ""))
            ),
        ),
        ([CO, HEAD], BillLine(others=(PageAct("Co Band", "/artists/co-band/"),))),
        ([*FEST_ACTS[:7], HEAD], BillLine(festival_acts=8)),
    ],
    ids=["alone", "with two", "second on the bill", "festival"],
)
def test_bill_line(head, acts, expected):
    show = Show.objects.create(tm_event_id="vvG1line000001")
    for position, act in enumerate(acts):
        artist = Artist.objects.get(tm_attraction_id=act.tm_attraction_id)
        Billing.objects.create(show=show, artist=artist, position=position)
    lineup = list(show.bill.select_related("artist").order_by("position"))
    assert bill_line(lineup, head.pk) == expected


# --- Admin ------------------------------------------------------------------------------


def test_the_show_page_shows_its_bill_in_order(admin_client, head):
    show = Show.objects.get(tm_event_id="vvG1page000001")
    content = admin_client.get(reverse("admin:shows_show_change", args=[show.pk])).content
    content = content.decode()
    positions = [content.index(name) for name in ("Head &amp; &lt;Band&gt;", "Co Band", "Never")]
    assert positions == sorted(positions)


def test_the_show_list_names_the_bill_and_finds_shows_by_act(admin_client, head):
    url = reverse("admin:shows_show_changelist")
    content = admin_client.get(url, {"q": "Never Imported"}).content.decode()
    assert "1 show" in content
    assert "Head &amp; &lt;Band&gt;, Co Band, Never Imported" in content
    shared = admin_client.get(url, {"bill": "shared"}).content.decode()
    assert "2 shows" in shared
    # A search through the acts' names joins the bill: the counts must not multiply.
    festival = admin_client.get(url, {"q": "Fest Act", "bill": "shared"}).content.decode()
    assert "Fest Act 0, Fest Act 1, Fest Act 2 + 9 more" in festival
    assert "1 show" in festival


def test_the_artist_page_links_to_the_shows_it_is_billed_on(admin_client, head):
    content = admin_client.get(reverse("admin:catalog_artist_change", args=[head.pk])).content
    link = f"{reverse('admin:shows_show_changelist')}?bill__artist__id__exact={head.pk}"
    assert f'<a href="{link}">3 shows</a>' in content.decode()
    listed = admin_client.get(link).content.decode()
    assert "3 shows" in listed


def test_acts_never_imported_are_found_and_imported_with_one_action(
    admin_client, head, django_capture_on_commit_callbacks
):
    url = reverse("admin:catalog_artist_changelist")
    never_imported = admin_client.get(url, {"imported": "no"}).content.decode()
    assert "Never Imported" in never_imported and "Co Band" not in never_imported
    never = Artist.objects.get(tm_attraction_id=NEVER.tm_attraction_id)

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            url, {"action": "reimport_selected", "_selected_action": [never.pk]}
        )

    assert response.status_code == 302
    assert ImportRun.objects.get(artist=never).status == ImportStatus.QUEUED
    assert OrmQ.objects.count() == 1


def test_the_scheduled_resync_leaves_acts_never_imported_alone(head):
    from imports.resync import shows_resync_round
    from imports.services import artists_resync

    long_ago = timezone.now() - timedelta(days=30)
    Artist.objects.exclude(shows_synced_at=None).update(
        shows_synced_at=long_ago, identity_synced_at=long_ago
    )
    batched = {tm_id for batch in shows_resync_round() for tm_id in batch.attraction_ids}
    queued = {q.tm_attraction_id for q in artists_resync()}
    never = Artist.objects.filter(shows_synced_at=None, catalog_synced_at=None)
    assert never.count() == 1 + len(FEST_ACTS)
    assert batched == queued == {head.tm_attraction_id, CO.tm_attraction_id}
