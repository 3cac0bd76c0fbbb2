"""Ticketmaster answers become typed records; odd but real shapes are handled, bad ones named."""

from datetime import UTC, date, datetime, time
from decimal import Decimal

import pytest

from integrations.ticketmaster.parsing import parse_attraction, parse_event
from integrations.ticketmaster.records import BilledAct, MalformedEventError

VENUE = {
    "id": "KovZpZA7AAEA",
    "name": "Moody Center",
    "type": "venue",
    "postalCode": "78712",
    "timezone": "America/Chicago",
    "city": {"name": " Austin "},
    "state": {"name": "Texas", "stateCode": "TX"},
    "country": {"name": "United States Of America", "countryCode": "US"},
    "address": {"line1": "2001 Robert Dedman Dr."},
    "location": {"longitude": "-97.74310000", "latitude": "30.28110000"},
}


def event(**overrides):
    raw = {
        "id": "vvG1zZ9example01",
        "name": "Example Band \u2013 World Tour",
        "type": "event",
        "url": "https://www.ticketmaster.com/event/1",
        "images": [
            {"ratio": "3_2", "url": "https://img/3_2.jpg", "width": 1024, "height": 683},
            {"ratio": "16_9", "url": "https://img/small.jpg", "width": 640, "height": 360},
            {"ratio": "16_9", "url": "https://img/large.jpg", "width": 2048, "height": 1152},
        ],
        "dates": {
            "start": {
                "localDate": "2027-05-01",
                "localTime": "20:00:00",
                "dateTime": "2027-05-02T01:00:00Z",
                "dateTBD": False,
                "dateTBA": False,
                "timeTBA": False,
                "noSpecificTime": False,
            },
            "timezone": "America/Chicago",
            "status": {"code": "onsale"},
        },
        "_embedded": {"venues": [VENUE]},
    }
    return raw | overrides


def test_a_full_event_keeps_local_date_and_time_as_sent():
    parsed = parse_event(event())
    assert parsed.tm_event_id == "vvG1zZ9example01"
    assert parsed.local_date == date(2027, 5, 1)
    assert parsed.local_time == time(20, 0)
    assert parsed.starts_at == datetime(2027, 5, 2, 1, 0, tzinfo=UTC)
    assert parsed.image_url == "https://img/large.jpg"
    assert parsed.status == "onsale"


def test_venue_strings_are_cleaned_and_coordinates_are_decimals():
    venue = parse_event(event()).venue
    assert venue.city == "Austin"
    assert venue.latitude == Decimal("30.28110000")
    assert venue.longitude == Decimal("-97.74310000")
    assert venue.state_code == "TX"


@pytest.mark.parametrize(
    ("code", "stored"),
    [
        ("onsale", "onsale"),
        ("offsale", "offsale"),
        ("cancelled", "cancelled"),
        ("canceled", "cancelled"),
        ("postponed", "postponed"),
        ("rescheduled", "rescheduled"),
    ],
)
def test_status_is_kept_as_ticketmaster_says_it(code, stored):
    raw = event()
    raw["dates"]["status"] = {"code": code}
    assert parse_event(raw).status == stored


def test_an_event_without_venue_is_kept():
    assert parse_event(event(_embedded={})).venue is None
    assert parse_event(event(_embedded={"venues": []})).venue is None


def test_tba_event_has_no_date_or_time():
    raw = event()
    raw["dates"]["start"] = {"dateTBA": True, "dateTBD": False, "timeTBA": True}
    parsed = parse_event(raw)
    assert (parsed.local_date, parsed.local_time, parsed.starts_at) == (None, None, None)
    assert parsed.date_tba and parsed.time_tba


def test_no_specific_time_keeps_only_the_date():
    raw = event()
    raw["dates"]["start"] = {"localDate": "2027-06-01", "noSpecificTime": True}
    parsed = parse_event(raw)
    assert parsed.local_date == date(2027, 6, 1)
    assert parsed.local_time is None
    assert parsed.time_tba


def test_a_venue_without_location_has_no_coordinates():
    raw = event()
    raw["_embedded"]["venues"] = [{k: v for k, v in VENUE.items() if k != "location"}]
    venue = parse_event(raw).venue
    assert venue.latitude is None and venue.longitude is None


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"name": "no id"}, "event ?: no event id"),
        (
            event(dates={"start": {"localDate": "01/05/2027"}}),
            "event vvG1zZ9example01: unreadable field",
        ),
        (
            event(dates={"start": {"dateTime": "2027-05-02 01:00"}}),
            "event vvG1zZ9example01: unreadable field",
        ),
        (
            event(_embedded={"venues": [{"name": "no id"}]}),
            "event vvG1zZ9example01: unreadable field",
        ),
    ],
    ids=["no-id", "bad-local-date", "bad-datetime", "venue-without-id"],
)
def test_malformed_events_name_what_is_wrong(raw, message):
    with pytest.raises(MalformedEventError) as caught:
        parse_event(raw)
    assert str(caught.value).startswith(message)


@pytest.mark.parametrize(
    ("sent", "starts_at"),
    [
        ("2027-05-02T01:00:00Z", datetime(2027, 5, 2, 1, 0, tzinfo=UTC)),
        ("2027-12-31T23:59:59Z", datetime(2027, 12, 31, 23, 59, 59, tzinfo=UTC)),
        # Anything but Ticketmaster's one UTC format is unreadable, even where Python's
        # ISO parser would read it.
        ("2027-05-02T01:00:00", None),
        ("2027-05-02T01:00:00+02:00", None),
        ("2027-05-02T01:00:00.000Z", None),
        ("2027-05-02", None),
        ("2027-5-2T1:00:00Z", None),
        ("20270502T010000Z", None),
        ("2027-02-30T01:00:00Z", None),
    ],
)
def test_an_events_utc_start_is_read_only_in_ticketmasters_format(sent, starts_at):
    raw = event(dates={"start": {"localDate": "2027-05-01", "dateTime": sent}})
    if starts_at is not None:
        assert parse_event(raw).starts_at == starts_at
        return
    with pytest.raises(MalformedEventError, match="unreadable field"):
        parse_event(raw)


def test_attraction_identity_comes_from_links_and_classifications():
    attraction = parse_attraction(
        {
            "id": "K8vZ9171ob7",
            "name": "Example Band",
            "url": "https://www.ticketmaster.com/example-band",
            "images": [{"ratio": "16_9", "url": "https://img/a.jpg", "width": 100}],
            "classifications": [
                {
                    "segment": {"name": "Music"},
                    "genre": {"name": "Rock"},
                    "subGenre": {"name": "Undefined"},
                }
            ],
            "externalLinks": {
                "spotify": [
                    {"url": "https://open.spotify.com/album/4aawyAB9vmqN3uQ7FjRGTy"},
                    {"url": "https://open.spotify.com/artist/0OdUWJ0sBjDrqHygGUXeCF?si=x"},
                ],
                "musicbrainz": [{"id": "abc"}],
            },
        }
    )
    assert attraction.spotify_id == "0OdUWJ0sBjDrqHygGUXeCF"
    assert attraction.genres == ("Rock",)
    assert attraction.image_url == "https://img/a.jpg"


def test_attraction_without_links_has_no_spotify_id():
    assert parse_attraction({"id": "K8vZ9171ob7", "name": "X"}).spotify_id is None


def attraction(tm_id: str, name: str) -> dict:
    return {"id": tm_id, "name": name, "type": "attraction", "url": "https://tm/a"}


@pytest.mark.parametrize(
    ("embedded", "bill"),
    [
        pytest.param({"venues": [VENUE]}, None, id="no attractions key: bill unknown"),
        pytest.param({"venues": [VENUE], "attractions": None}, None, id="null: bill unknown"),
        pytest.param({"attractions": []}, (), id="empty list: nobody named"),
        pytest.param(
            {"attractions": [attraction("K8vZ917Head", "Head"), attraction("K8vZ917Supp", "S")]},
            (BilledAct("K8vZ917Head", "Head"), BilledAct("K8vZ917Supp", "S")),
            id="in Ticketmaster's order",
        ),
        pytest.param(
            {
                "attractions": [
                    attraction("K8vZ917Head", "Head"),
                    attraction("K8vZ917Supp", " Support\x00 "),
                    attraction("K8vZ917Head", "Head again"),
                ]
            },
            (BilledAct("K8vZ917Head", "Head"), BilledAct("K8vZ917Supp", "Support")),
            id="an act listed twice keeps its first place; names cleaned",
        ),
        pytest.param(
            {"attractions": [{"id": "K8vZ917Anon"}]},
            (BilledAct("K8vZ917Anon", ""),),
            id="an act without a name is kept by its id",
        ),
    ],
)
def test_the_bill_comes_from_embedded_attractions(embedded, bill):
    assert parse_event(event(_embedded=embedded)).bill == bill


@pytest.mark.parametrize(
    ("attractions", "field"),
    [
        ([{"name": "no id"}], "_embedded.attractions[0].id"),
        ([attraction("K8vZ917Head", "Head"), "K8vZ917Supp"], "_embedded.attractions[1]"),
        ([attraction("K8vZ917 Head", "Head")], "_embedded.attractions[0].id"),
        ({"id": "K8vZ917Head"}, "_embedded.attractions"),
    ],
    ids=["act-without-id", "act-not-an-object", "id-with-a-space", "not-an-array"],
)
def test_an_unreadable_act_makes_the_event_malformed_naming_the_field(attractions, field):
    with pytest.raises(MalformedEventError) as caught:
        parse_event(event(_embedded={"venues": [VENUE], "attractions": attractions}))
    assert field in str(caught.value)
