"""`theset.bulk.bulk_upsert`: the rows `bulk_create(update_conflicts=True)` would write,
from value tuples, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import DataError, connection
from django.test.utils import CaptureQueriesContext

from catalog.models import SpotifyRelease
from shows.models import Show, Venue
from theset.bulk import bulk_upsert
from theset.models import MetricCounter

pytestmark = pytest.mark.django_db

VENUE_FIELDS = ["tm_venue_id", "name", "city", "latitude", "longitude"]


def venue(tm_id: str, name: str, latitude: str | None = "30.26715000") -> tuple:
    return (tm_id, name, "Austin", None if latitude is None else Decimal(latitude), None)


@pytest.mark.parametrize(
    ("first", "second", "update_fields", "expected"),
    [
        # A new key is inserted; a stored key updates only update_fields.
        (
            [venue("KovZ1", "Hall")],
            [venue("KovZ1", "Renamed", "1.5"), venue("KovZ2", "Club")],
            ["name", "updated_at"],
            {"KovZ1": ("Renamed", Decimal("30.26715000")), "KovZ2": ("Club", Decimal("30.26715"))},
        ),
        # No update fields: a stored row is kept as it is.
        (
            [venue("KovZ1", "Hall")],
            [venue("KovZ1", "Renamed")],
            [],
            {"KovZ1": ("Hall", Decimal("30.26715"))},
        ),
        # A None goes in as NULL, a decimal through the field's conversion.
        (
            [venue("KovZ1", "Hall", None)],
            [venue("KovZ1", "Hall", "-12.5")],
            ["latitude", "updated_at"],
            {"KovZ1": ("Hall", Decimal("-12.5"))},
        ),
    ],
    ids=["insert-and-update", "do-nothing", "null-and-decimal"],
)
def test_rows_are_inserted_or_update_the_stored_ones(first, second, update_fields, expected):
    for rows in (first, second):
        bulk_upsert(
            Venue,
            rows,
            fields=VENUE_FIELDS,
            unique_fields=["tm_venue_id"],
            update_fields=update_fields,
        )
    stored = {
        tm_id: (name, latitude)
        for tm_id, name, latitude in Venue.objects.values_list("tm_venue_id", "name", "latitude")
    }
    assert stored == expected


def test_left_out_fields_get_their_defaults_and_timestamps():
    before = datetime.datetime.now(datetime.UTC)
    bulk_upsert(Show, [("vvG1A", "Show")], fields=["tm_event_id", "name"])
    show = Show.objects.get()
    assert (show.status, show.date_tba, show.url, show.venue_id) == ("onsale", False, "", None)
    assert show.created_at >= before and show.updated_at == show.created_at


def test_dates_times_and_json_round_trip():
    starts = datetime.datetime(2027, 3, 1, 19, 30, tzinfo=datetime.UTC)
    bulk_upsert(
        Show,
        [("vvG1A", datetime.date(2027, 3, 1), datetime.time(20, 30), starts)],
        fields=["tm_event_id", "local_date", "local_time", "starts_at"],
    )
    tracks = [{"spotify_id": "t1", "name": "Song", "liveness": 0.25}]
    bulk_upsert(
        SpotifyRelease,
        [("a1", "Album", tracks, starts)],
        fields=["spotify_id", "name", "tracks", "fetched_at"],
    )
    assert Show.objects.values_list("local_date", "local_time", "starts_at").get() == (
        datetime.date(2027, 3, 1),
        datetime.time(20, 30),
        starts,
    )
    assert SpotifyRelease.objects.get().tracks == tracks


def test_rows_go_in_few_statements():
    rows = [venue(f"KovZ{n:05d}", f"Hall {n}") for n in range(1_200)]
    with CaptureQueriesContext(connection) as queries:
        assert bulk_upsert(Venue, rows, fields=VENUE_FIELDS, unique_fields=["tm_venue_id"]) == 1_200
    # (Django logs a statement run for many rows as "N times: INSERT ...".)
    inserts = [q for q in queries.captured_queries if "INSERT INTO" in q["sql"]]
    # SQLite: one statement run for every row; PostgreSQL: one statement of an array per
    # column, in the order given.
    assert len(inserts) == 1
    if connection.vendor == "postgresql":
        assert "unnest(" in inserts[0]["sql"] and "ORDER BY" in inserts[0]["sql"]
    assert Venue.objects.count() == 1_200
    assert bulk_upsert(Venue, [], fields=VENUE_FIELDS) == 0


def test_rows_are_written_in_the_order_given():
    # The deadlock rule: callers give rows in key order, and the database must take
    # them (and their locks) in that order; the ids it hands out show the order.
    given = ["KovZ3", "KovZ1", "KovZ4", "KovZ2"]
    bulk_upsert(Venue, [venue(tm_id, "Hall") for tm_id in given], fields=VENUE_FIELDS)
    assert list(Venue.objects.order_by("pk").values_list("tm_venue_id", flat=True)) == given


def test_a_float_column_takes_ints_and_floats_alike():
    # JSON's 1 for 1.0 (PostgreSQL's arrays hold values of one type: the column's).
    bulk_upsert(MetricCounter, [("a", "", 1), ("b", "", 2.5)], fields=["name", "labels", "value"])
    assert dict(MetricCounter.objects.values_list("name", "value")) == {"a": 1.0, "b": 2.5}


@pytest.mark.skipif(connection.vendor == "sqlite", reason="SQLite keeps text of any length")
def test_a_value_too_long_for_its_column_is_refused_not_cut():
    with pytest.raises(DataError, match="too long"):
        bulk_upsert(Venue, [("KovZ1", "USA")], fields=["tm_venue_id", "country_code"])
