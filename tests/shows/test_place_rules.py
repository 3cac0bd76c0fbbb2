"""How places and times read on the pages: pure rules, table-driven."""

from __future__ import annotations

import datetime as dt

import pytest

from shows.rules import country_name, month_bounds, place_line, zone_abbreviation


@pytest.mark.parametrize(
    ("code", "name", "shown"),
    [
        ("US", "United States Of America", "United States"),
        ("GB", "Great Britain", "United Kingdom"),
        ("gb", "", "United Kingdom"),
        ("NL", "Netherlands", "Netherlands"),
        ("", "Narnia", "Narnia"),
        ("QQ", " Somewhere ", "Somewhere"),
        ("", "", ""),
    ],
    ids=["US", "GB", "lower-case code", "same", "no code", "unknown code", "nothing"],
)
def test_country_name(code, name, shown):
    assert country_name(code=code, name=name) == shown


@pytest.mark.parametrize(
    ("parts", "line"),
    [
        (("Glasgow", "United Kingdom"), "Glasgow, United Kingdom"),
        (("Glasgow", " ", "United Kingdom"), "Glasgow, United Kingdom"),
        ((" Glasgow ", "", "United Kingdom "), "Glasgow, United Kingdom"),
        (("", "United Kingdom"), "United Kingdom"),
        (("", ""), ""),
    ],
    ids=["two", "blank state", "padded", "no city", "nothing"],
)
def test_place_line(parts, line):
    assert place_line(*parts) == line


@pytest.mark.parametrize(
    ("local_date", "local_time", "zone", "shown"),
    [
        (dt.date(2027, 1, 15), dt.time(20), "Europe/London", "GMT"),
        (dt.date(2027, 7, 15), dt.time(20), "Europe/London", "BST"),
        (dt.date(2027, 7, 15), None, "America/New_York", "EDT"),
        (dt.date(2027, 3, 28), dt.time(1, 30), "Europe/Berlin", "CET"),
        (dt.date(2027, 3, 28), dt.time(3, 30), "Europe/Berlin", "CEST"),
        (dt.date(2027, 7, 15), dt.time(20), "Europe/Istanbul", "+03"),
        (None, dt.time(20), "Europe/London", ""),
        (dt.date(2027, 7, 15), dt.time(20), "", ""),
        (dt.date(2027, 7, 15), dt.time(20), "Mars/Olympus", ""),
        (dt.date(2027, 7, 15), dt.time(20), "../etc/passwd", ""),
    ],
    ids=[
        "winter",
        "summer",
        "no time: noon",
        "before the change",
        "after the change",
        "no letters",
        "no date",
        "no zone",
        "unknown zone",
        "not a zone name",
    ],
)
def test_zone_abbreviation(local_date, local_time, zone, shown):
    assert zone_abbreviation(local_date=local_date, local_time=local_time, zone=zone) == shown


@pytest.mark.parametrize(
    ("value", "bounds"),
    [
        ("2027-02", (dt.date(2027, 2, 1), dt.date(2027, 2, 28))),
        ("2028-02", (dt.date(2028, 2, 1), dt.date(2028, 2, 29))),
        ("2027-12", (dt.date(2027, 12, 1), dt.date(2027, 12, 31))),
        ("2027-13", None),
        ("2027-00", None),
        ("0000-01", None),
        ("2027-1", None),
        ("march", None),
        ("", None),
    ],
    ids=[
        "february",
        "leap year",
        "december",
        "month 13",
        "month 0",
        "year 0",
        "short",
        "word",
        "empty",
    ],
)
def test_month_bounds(value, bounds):
    assert month_bounds(value) == bounds
