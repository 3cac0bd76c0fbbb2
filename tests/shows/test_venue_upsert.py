"""Bulk upserts on the natural key: a re-run adds no rows and updates changed fields."""

from decimal import Decimal

import pytest

from shows.models import Venue

pytestmark = pytest.mark.django_db

UPDATE_FIELDS = ["name", "city", "latitude", "longitude", "updated_at"]


def venues(count: int, *, name_prefix: str) -> list[Venue]:
    return [
        Venue(
            tm_venue_id=f"KovZpZA{n:06d}",
            name=f"{name_prefix} {n}",
            city="Austin",
            latitude=Decimal("30.26715000"),
            longitude=Decimal("-97.74306000"),
        )
        for n in range(count)
    ]


def upsert(rows: list[Venue]) -> None:
    Venue.objects.bulk_create(
        rows,
        batch_size=500,
        update_conflicts=True,
        unique_fields=["tm_venue_id"],
        update_fields=UPDATE_FIELDS,
    )


def test_same_thousand_venues_upserted_twice_leave_a_thousand_rows_with_new_values():
    upsert(venues(1000, name_prefix="Hall"))
    first_ids = dict(Venue.objects.values_list("tm_venue_id", "pk"))
    first_updated = Venue.objects.get(tm_venue_id="KovZpZA000007").updated_at

    upsert(venues(1000, name_prefix="Arena"))

    assert Venue.objects.count() == 1000
    assert dict(Venue.objects.values_list("tm_venue_id", "pk")) == first_ids
    assert not Venue.objects.filter(name__startswith="Hall").exists()
    venue = Venue.objects.get(tm_venue_id="KovZpZA000007")
    assert venue.name == "Arena 7"
    assert venue.latitude == Decimal("30.26715000")
    assert venue.updated_at > first_updated


def test_each_row_keeps_its_own_values_on_conflict():
    upsert(venues(3, name_prefix="Hall"))
    rows = venues(3, name_prefix="Club")
    rows[1].city = "Dallas"
    upsert(rows)
    assert list(Venue.objects.order_by("tm_venue_id").values_list("name", "city")) == [
        ("Club 0", "Austin"),
        ("Club 1", "Dallas"),
        ("Club 2", "Austin"),
    ]


@pytest.mark.parametrize(
    ("still_listed", "marked"),
    [((), {"vvG1gone00000001", "vvG1skip00000001"}), ({"vvG1skip00000001"}, {"vvG1gone00000001"})],
)
def test_shows_listed_but_skipped_as_malformed_are_not_marked_gone(still_listed, marked):
    import datetime as dt

    from django.utils import timezone

    from shows.models import Show
    from shows.services import shows_mark_removed
    from tests.factories import make_artist, make_show

    artist = make_artist()
    later = timezone.localdate() + dt.timedelta(days=30)
    for tm_event_id in ("vvG1gone00000001", "vvG1skip00000001"):
        make_show(artist=artist, tm_event_id=tm_event_id, local_date=later)
    seen_since = timezone.now() + dt.timedelta(seconds=1)

    count = shows_mark_removed(
        artist_id=artist.pk, not_seen_since=seen_since, still_listed=still_listed
    ).shows

    gone = set(Show.objects.exclude(removed_upstream_at=None).values_list("tm_event_id", flat=True))
    assert (count, gone) == (len(marked), marked)
