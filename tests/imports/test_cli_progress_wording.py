"""The progress messages an import writes (seen on the command line, in the admin and on
the pages) are English: every count agrees with its noun, and an artist with no show
listed does not read "0 of ~0 events fetched"."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from django.core.management import call_command

from imports import pipeline
from imports.models import ImportEvent, ImportRun, ImportStatus
from sandbox.scenario import parse_scenario
from sandbox.world import World

pytestmark = pytest.mark.django_db

ONE_OF_EACH = "K8vZ917One1"
NO_SHOWS = "K8vZ917None1"


def album(prefix: str) -> dict:
    return {
        "spotify_id": f"0{prefix}Album0000000001"[:22],
        "name": "Only Record",
        "album_type": "album",
        "release_date": "2019-05-17",
        "tracks": [
            {
                "spotify_id": f"0{prefix}Track0000000001"[:22],
                "name": "Only Song",
                "isrc": f"US{prefix[:3].upper()}1900001",
                "duration_ms": 201000,
                "popularity": 61,
                "liveness": 0.11,
            }
        ],
    }


def one_of_each_world() -> World:
    """An artist with one show at one venue and one album of one studio song, and one
    with that album too but no show at all."""
    show = {
        "tm_event_id": "vvG1onlyshow0001",
        "name": "Only Show",
        "local_date": (date.today() + timedelta(days=30)).isoformat(),
        "local_time": "20:00:00",
        "venue": {"tm_venue_id": "KovZonly0001", "name": "Only Hall", "city": "Austin"},
    }
    artists = [
        {
            "tm_attraction_id": ONE_OF_EACH,
            "name": "One Of Each",
            "spotify_id": "0oneOfEachArtist000001",
            "spotify_linked": True,
            "albums": [album("one")],
            "events": [show],
        },
        {
            "tm_attraction_id": NO_SHOWS,
            "name": "No Shows",
            "spotify_id": "0noShowsArtist00000001",
            "spotify_linked": True,
            "albums": [album("non")],
            "events": [],
        },
    ]
    return World(artists=parse_scenario({"artists": artists}, source="test"))


def messages(tm_attraction_id: str) -> list[str]:
    run = ImportRun.objects.get(artist__tm_attraction_id=tm_attraction_id)
    assert run.status == ImportStatus.SUCCEEDED, run.error
    events = ImportEvent.objects.filter(run=run).order_by("pk")
    return list(events.values_list("message", flat=True))


def test_counts_of_one_are_singular_and_an_empty_listing_says_so(sandbox, monkeypatch):
    monkeypatch.setattr(pipeline, "REPORT_INTERVAL_SECONDS", 0)  # every report written
    out = io.StringIO()
    with sandbox(serve=one_of_each_world()):
        call_command("import_artist", "--inline", ONE_OF_EACH, NO_SHOWS, stdout=out)

    one = messages(ONE_OF_EACH)
    assert "1 album or single found, 1 to fetch" in one
    assert "1 track on 1 release (1 fetched, 0 stored)" in one
    assert "1 of ~1 event fetched" in one
    assert "1 show stored" in one
    assert "1 show at 1 venue" in one
    assert "1 song: 1 studio recording of 1 track" in one
    assert any(m.startswith("details of 1 track and audio features of 1 track") for m in one)

    none = messages(NO_SHOWS)
    assert "no upcoming events listed" in none
    assert "0 shows stored" in none
    assert "0 shows at 0 venues" in none
    assert not any("~0" in m for m in none), none
    # What the command printed is the same English.
    assert f"{NO_SHOWS}: [shows" in out.getvalue() and "~0 events" not in out.getvalue()
