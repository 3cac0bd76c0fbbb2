"""The migration to bills, on a database holding shows imported the old way (one artist
per show, a co-headlined event stored under whichever act imported it first)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from integrations.ticketmaster.records import BilledAct
from shows.models import Billing, Show
from shows.services import shows_upsert
from tests.factories import tm_event
from tests.support.migrations import latest, migrate

BEFORE = [("shows", "0001_initial")]
AFTER = [("shows", "0002_show_bill")]


@pytest.fixture
def old_database():
    """The schema before bills, with rows written the old way; the latest schema after."""
    apps = migrate(BEFORE)
    yield apps
    migrate(latest())


@pytest.mark.django_db(transaction=True)
def test_every_show_keeps_its_artist_as_the_first_act_of_its_bill(old_database):
    Artist = old_database.get_model("catalog", "Artist")
    Show0 = old_database.get_model("shows", "Show")
    head = Artist.objects.create(tm_attraction_id="K8vZ917Head", name="Head Band", slug="head")
    co = Artist.objects.create(tm_attraction_id="K8vZ917CoHd", name="Co Band", slug="co")
    soon = timezone.localdate() + timedelta(days=20)
    gone_at = timezone.now() - timedelta(days=1)
    # "Head Band & Co Band" reached Head's import first and stayed Head's alone.
    Show0.objects.create(tm_event_id="vvG1double00001", artist=head, name="Head Band & Co Band")
    Show0.objects.create(tm_event_id="vvG1cosolo00001", artist=co, name="Co Band", local_date=soon)
    Show0.objects.create(
        tm_event_id="vvG1gone0000001", artist=head, name="Head Band", removed_upstream_at=gone_at
    )

    migrate(AFTER)
    migrate(latest())

    assert Show.objects.count() == 3  # no show lost
    rows = {
        (place.show.tm_event_id, place.artist.tm_attraction_id): (
            place.position,
            place.headliner,
            place.listed_at is not None,
            place.removed_upstream_at,
        )
        for place in Billing.objects.select_related("show", "artist")
    }
    assert rows == {
        ("vvG1double00001", "K8vZ917Head"): (0, True, True, None),
        ("vvG1cosolo00001", "K8vZ917CoHd"): (0, True, True, None),
        ("vvG1gone0000001", "K8vZ917Head"): (0, True, True, gone_at),
    }

    # Co's next import lists the co-headlined date: Co joins its bill, no second show.
    double = tm_event(
        "vvG1double00001",
        name="Head Band & Co Band",
        days=20,
        bill=(BilledAct("K8vZ917Head", "Head Band"), BilledAct("K8vZ917CoHd", "Co Band")),
    )
    shows_upsert(artist_id=co.pk, events=[double])
    assert Show.objects.count() == 3
    assert list(
        Billing.objects.filter(show__tm_event_id="vvG1double00001")
        .order_by("position")
        .values_list("artist__tm_attraction_id", "position", "headliner")
    ) == [("K8vZ917Head", 0, True), ("K8vZ917CoHd", 1, True)]


@pytest.mark.django_db(transaction=True)
def test_going_back_gives_each_show_the_first_act_of_its_bill(old_database):
    Artist = old_database.get_model("catalog", "Artist")
    head = Artist.objects.create(tm_attraction_id="K8vZ917Head", name="Head Band", slug="head")
    co = Artist.objects.create(tm_attraction_id="K8vZ917CoHd", name="Co Band", slug="co")
    apps = migrate(AFTER)
    Show2 = apps.get_model("shows", "Show")
    Billing2 = apps.get_model("shows", "Billing")
    never = Artist.objects.create(tm_attraction_id="K8vZ917Nevr", name="Never", slug="never")
    listed = timezone.now()
    double = Show2.objects.create(tm_event_id="vvG1double00001", name="Co Band & Head Band")
    Billing2.objects.create(show=double, artist_id=head.pk, position=1, headliner=True)
    Billing2.objects.create(show=double, artist_id=co.pk, position=0, headliner=True)
    # Imported by Head alone: the act first on the bill was never imported.
    support = Show2.objects.create(tm_event_id="vvG1support0001", name="Never with Head")
    Billing2.objects.create(show=support, artist_id=never.pk, position=0, headliner=True)
    Billing2.objects.create(show=support, artist_id=head.pk, position=1, listed_at=listed)
    Show2.objects.create(tm_event_id="vvG1orphan00001", name="Its only act was deleted")

    apps = migrate(BEFORE)

    artists = dict(apps.get_model("shows", "Show").objects.values_list("tm_event_id", "artist_id"))
    assert artists == {"vvG1double00001": co.pk, "vvG1support0001": head.pk}
