"""The shows admin: venues and shows read only, places and countries as people write them,
a show's date and time on the venue's clock naming its zone, "View on site" for venues."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from shows.admin import show_local_time
from shows.models import Show, Venue
from tests.factories import make_artist, make_show, make_venue
from theset.admin import admin_time

pytestmark = pytest.mark.django_db


def glasgow() -> Venue:
    # As Ticketmaster sends it: no state, its own country name.
    return make_venue(
        name="Barrowland",
        city="Glasgow",
        state="",
        country="Great Britain",
        country_code="GB",
        timezone="Europe/London",
    )


def test_venue_list_and_page_write_places_and_countries_as_people_do(admin_client):
    venue = glasgow()
    texas = make_venue(
        city="Austin", state="Texas", country="United States Of America", country_code="US"
    )
    listing = admin_client.get(reverse("admin:shows_venue_changelist")).content.decode()
    assert '<td class="field-country_column">United Kingdom</td>' in listing
    assert '<td class="field-country_column">United States</td>' in listing
    assert "Great Britain" not in listing and "United States Of America" not in listing
    page = admin_client.get(reverse("admin:shows_venue_change", args=[venue.pk]))
    assert '<div class="readonly">Glasgow, United Kingdom</div>' in page.content.decode()
    page = admin_client.get(reverse("admin:shows_venue_change", args=[texas.pk]))
    assert '<div class="readonly">Austin, Texas, United States</div>' in page.content.decode()


def test_show_list_names_the_venue_with_its_place_and_the_venues_local_time(admin_client):
    show = make_show(
        artist=make_artist(),
        venue=glasgow(),
        local_date=dt.date(2026, 12, 6),
        local_time=dt.time(20, 0),
    )
    listing = admin_client.get(reverse("admin:shows_show_changelist")).content.decode()
    venue_url = reverse("admin:shows_venue_change", args=[show.venue_id])
    assert (
        f'<a href="{venue_url}">Barrowland</a><br><span class="quiet">Glasgow, United Kingdom'
        "</span>" in listing
    )
    assert "Date and time (venue&#x27;s local time)" in listing
    assert "6 Dec 2026, 20:00 GMT (Europe/London)" in listing
    assert ",  " not in listing.replace("\n", " ").split('id="result_list"')[1]


@pytest.mark.parametrize(
    ("fields", "zone", "expected"),
    [
        pytest.param(
            {"local_date": dt.date(2026, 7, 4), "local_time": dt.time(19, 30)},
            "Europe/London",
            "4 Jul 2026, 19:30 BST (Europe/London)",
            id="summer-time",
        ),
        pytest.param(
            {"local_date": dt.date(2026, 12, 6), "local_time": dt.time(20, 0)},
            "America/Chicago",
            "6 Dec 2026, 20:00 CST (America/Chicago)",
            id="another-zone",
        ),
        pytest.param(
            {"local_date": dt.date(2026, 12, 6), "time_tba": True},
            "Europe/London",
            "6 Dec 2026, time TBA (Europe/London)",
            id="time-tba",
        ),
        pytest.param(
            {"local_date": dt.date(2026, 12, 6)},
            "Europe/London",
            "6 Dec 2026 (Europe/London)",
            id="no-time",
        ),
        pytest.param({"date_tba": True}, "Europe/London", "date TBA", id="date-tba"),
        pytest.param(
            {"local_date": dt.date(2026, 12, 6), "local_time": dt.time(20, 0)},
            "",
            "6 Dec 2026, 20:00 (venue's local time; its zone is unknown)",
            id="zone-unknown",
        ),
    ],
)
def test_a_shows_local_time_names_the_venues_zone(fields, zone, expected):
    show = Show(venue=Venue(timezone=zone), **fields)
    assert show_local_time(show) == expected


def test_shows_and_venues_are_read_only_and_times_name_their_zone(admin_client):
    show = make_show(
        artist=make_artist(),
        venue=glasgow(),
        local_date=dt.date(2026, 12, 6),
        local_time=dt.time(20, 0),
        starts_at=dt.datetime(2026, 12, 6, 20, 0, tzinfo=dt.UTC),
    )
    for model, obj in [("show", show), ("venue", show.venue)]:
        changelist = reverse(f"admin:shows_{model}_changelist")
        listing = admin_client.get(changelist).content.decode()
        assert reverse(f"admin:shows_{model}_add") not in listing
        assert admin_client.get(reverse(f"admin:shows_{model}_add")).status_code == 403
        change = reverse(f"admin:shows_{model}_change", args=[obj.pk])
        assert admin_client.post(change, {"name": "Renamed"}).status_code == 403
        delete = reverse(f"admin:shows_{model}_delete", args=[obj.pk])
        assert admin_client.post(delete, {"post": "yes"}).status_code == 403
        assert type(obj).objects.get(pk=obj.pk).name != "Renamed"

    page = admin_client.get(reverse("admin:shows_show_change", args=[show.pk])).content.decode()
    assert '<div class="readonly">6 Dec 2026, 20:00 UTC</div>' in page  # starts_at
    assert f'<div class="readonly">{admin_time(show.created_at)}</div>' in page
    # The bill's "listed" time too.
    listed = show.bill.get().listed_at
    assert f"<p>{admin_time(listed)}</p>" in page


def test_a_venue_page_links_to_the_venue_on_the_site(admin_client):
    venue = glasgow()
    page = admin_client.get(reverse("admin:shows_venue_change", args=[venue.pk])).content
    assert f'href="{venue.get_absolute_url()}" class="viewsitelink"' in page.decode()
    assert admin_client.get(venue.get_absolute_url()).status_code == 200
