"""The artist page `/artists/<slug>/`: its content and escaping (Django test client), and
live progress in a real browser while a real `qcluster` imports the prolific artist.

The browser test serves the real ASGI app with uvicorn on 127.0.0.1 and drives
Debian's headless Chromium with Playwright; it runs in both CI lanes (SQLite +
ORM broker, PostgreSQL + Redis) and leaves screenshots in `test-artifacts/`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from html import escape
from html.parser import HTMLParser
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit

import pytest
from django.db import connection
from django.utils import dateformat, timezone

from catalog.models import Artist, Song, SpotifyMatch
from catalog.services import (
    StudioTrack,
    artist_identity_update,
    artist_shell_slug,
    catalog_upsert,
)
from imports.models import ImportStatus
from imports.pages import FLAGGED_SHOW_STATUSES, SHOWS_PER_PAGE, SONGS_PER_PAGE
from imports.phases import PhaseName
from imports.pipeline import finalize_phase
from imports.progress import PhaseReporter
from imports.services import StartedImport, import_run_create, start_import
from integrations.spotify.records import SpotifyAlbumSummary
from integrations.ticketmaster.records import TicketmasterEvent, TicketmasterVenue
from sandbox import profiles, truth
from sandbox.server import serve_in_thread
from shows.models import Show
from shows.rules import zone_abbreviation
from shows.selectors import upcoming_shows
from shows.services import shows_mark_removed, shows_upsert
from tests.browser import (
    ARTIFACTS,
    csp_violations,
    in_a_thread,
    launch,
    logged_in_page,
    needs_chromium,
)
from tests.support.cluster import finished_run
from theset.text import format_duration

PROLIFIC = profiles.BUILTIN_ATTRACTION_IDS["prolific"]
XSS = "<script>alert(1)</script>"

T = TypeVar("T")


# --- Building data through the services imports use -----------------------------------


def venue(n: int, **fields) -> TicketmasterVenue:
    values = {
        "tm_venue_id": f"KovZpZApage{n}",
        "name": f"Hall {n}",
        "address": "",
        "city": f"City {n}",
        "state": "",
        "state_code": "",
        "country": "Netherlands",
        "country_code": "NL",
        "postal_code": "",
        "timezone": "Europe/Amsterdam",
        "latitude": Decimal("52.37"),
        "longitude": Decimal("4.89"),
    }
    return TicketmasterVenue(**(values | fields))


def event(n: int, local_date: dt.date | None, **fields) -> TicketmasterEvent:
    values = {
        "tm_event_id": f"vvG1page{n}",
        "name": f"Show {n}",
        "local_date": local_date,
        "local_time": dt.time(20, 0),
        "starts_at": None,
        "date_tba": local_date is None,
        "time_tba": False,
        "status": "onsale",
        "url": "",
        "image_url": "",
        "venue": venue(n),
    }
    return TicketmasterEvent(**(values | fields))


def studio_track(n: int, album_id: str, **fields) -> StudioTrack:
    values = {
        "spotify_id": f"trackpage{n:013d}",
        "name": f"Song {n}",
        "isrc": f"NLPG1{n:07d}",
        "album_spotify_id": album_id,
        "duration_ms": 200_000,
        "popularity": 50,
        "disc_number": 1,
        "track_number": n,
        "is_remix": False,
    }
    return StudioTrack(**(values | fields))


def named_artist(tm_attraction_id: str, name: str) -> Artist:
    started = import_run_create(tm_attraction_id=tm_attraction_id)
    return artist_identity_update(
        artist_id=started.artist_id,
        name=name,
        image_url="https://s1.ticketm.net/dam/a/abc/portrait.jpg",
        genres=["Rock", "Indie"],
        spotify_id=None,
        spotify_match=SpotifyMatch.NOT_FOUND,
    )


def finish_run(tm_attraction_id: str) -> None:
    """Mark the artist's queued run succeeded, through the progress reporter."""
    run = import_run_create(tm_attraction_id=tm_attraction_id)
    for phase in (PhaseName.IDENTITY, PhaseName.SHOWS, PhaseName.CATALOG):
        reporter = PhaseReporter(run_id=run.import_id, phase=phase)
        reporter.start()
        reporter.finish(f"{phase.label} done")
    finalize_phase(run.import_id)


@pytest.fixture
def page_artist(db) -> Artist:
    """An artist whose upstream texts try to inject a script, with shows and songs."""
    artist = named_artist("K8vZ917Page1", f"The {XSS} Band")
    today = timezone.localdate()
    later = today + dt.timedelta(days=30)
    listed = [
        event(1, later, local_time=dt.time(21, 30), venue=venue(1, name=f"Club {XSS}")),
        event(2, today + dt.timedelta(days=2), status="cancelled"),
        event(3, None),  # date to be announced: listed last
        event(4, later, local_time=None, time_tba=True, status="postponed"),
        event(5, today - dt.timedelta(days=3)),  # over
        event(6, later + dt.timedelta(days=1), venue=None, status="rescheduled"),
    ]
    no_longer_listed = event(7, later + dt.timedelta(days=2))
    shows_upsert(artist_id=artist.pk, events=[*listed, no_longer_listed])
    not_seen_since = timezone.now()
    shows_upsert(artist_id=artist.pk, events=listed)
    assert shows_mark_removed(artist_id=artist.pk, not_seen_since=not_seen_since).places == 1
    album = SpotifyAlbumSummary(
        spotify_id="albumpage000000000001",
        name=f"Album {XSS}",
        album_type="album",
        album_group="album",
        release_date="2020-05-01",
        release_date_precision="day",
        total_tracks=3,
        image_url="",
    )
    catalog_upsert(
        artist_id=artist.pk,
        albums=[album],
        tracks=[
            studio_track(1, album.spotify_id, name=f"Anthem {XSS}", duration_ms=187_000),
            studio_track(2, album.spotify_id, name="Blue (Night Remix)", is_remix=True),
            studio_track(3, album.spotify_id, name="Coda", duration_ms=65_400),
            studio_track(4, album.spotify_id, name=f"Anthem {XSS} (Demo)", duration_ms=150_000),
        ],
    )
    finish_run(artist.tm_attraction_id)
    return artist


class TableRows(HTMLParser):
    """The text of each body row's cells in the table of one section of the page; the
    pieces of text in one cell are joined by " / "."""

    def __init__(self, section_id: str) -> None:
        super().__init__()
        self.section_id = section_id
        self.depth = 0  # > 0 inside the section
        self.in_body = False
        self.rows: list[list[list[str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.depth:
            self.depth += tag == "section"
        elif tag == "section" and ("id", self.section_id) in attrs:
            self.depth = 1
        if not self.depth:
            return
        if tag == "tbody":
            self.in_body = True
        elif tag == "tr" and self.in_body:
            self.rows.append([])
        elif tag == "td" and self.in_body:
            self.rows[-1].append([])

    def handle_endtag(self, tag: str) -> None:
        if self.depth and tag == "section":
            self.depth -= 1
        elif tag == "tbody":
            self.in_body = False

    def handle_data(self, data: str) -> None:
        if self.depth and self.in_body and self.rows and self.rows[-1] and data.strip():
            self.rows[-1][-1].append(data.strip())


def table_rows(html: str, section_id: str) -> list[list[str]]:
    parser = TableRows(section_id)
    parser.feed(html)
    return [[" / ".join(cell) for cell in row] for row in parser.rows]


def day(date: dt.date) -> str:
    return dateformat.format(date, "D j M Y")


# --- The page, through the Django test client -----------------------------------------


def test_the_page_lists_upcoming_shows_by_date_then_the_studio_songs(
    client, page_artist, django_assert_max_num_queries
):
    today = timezone.localdate()

    # Artist, latest run, the filters' months and countries, counts, one page of shows
    # with their bills and acts, one page of songs: never a query per row.
    with django_assert_max_num_queries(12):
        response = client.get(f"/artists/{page_artist.slug}/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "Rock" in html and "Indie" in html
    assert 'id="import-progress"' not in html  # the run has finished
    soon, later = today + dt.timedelta(days=2), today + dt.timedelta(days=30)

    def at(date: dt.date, time: str) -> str:  # the venue's clock is named after the time
        zone = zone_abbreviation(
            local_date=date, local_time=dt.time.fromisoformat(time), zone="Europe/Amsterdam"
        )
        return f"{time} / {zone}"

    assert table_rows(html, "shows") == [
        [day(soon), at(soon, "20:00"), "Hall 2 / Cancelled", "City 2, Netherlands", ""],
        [day(later), at(later, "21:30"), f"Club {XSS}", "City 1, Netherlands", ""],
        [day(later), "TBA", "Hall 4 / Postponed", "City 4, Netherlands", ""],
        [day(later + dt.timedelta(days=1)), "20:00", "Venue TBA / Rescheduled", "", ""],
        ["TBA", "20:00", "Hall 3", "City 3, Netherlands", ""],
    ]  # not the show that is over, nor the one Ticketmaster stopped listing
    # One row a song: its title, its main recording's album and length; a song of
    # several recordings lists every version (main first) under its summary.
    assert table_rows(html, "songs") == [
        [
            f"Anthem {XSS} / 2 versions / Album {XSS}"
            f" / Anthem {XSS} / Original / Main / Album {XSS} · 2020 · 3:07"
            f" / Anthem {XSS} (Demo) / Demo / Album {XSS} · 2020 · 2:30",
            "3:07",
        ],
        [f"Blue / Remix / Album {XSS}", "3:20"],  # its only recording is a remix
        [f"Coda / Album {XSS}", "1:05"],
    ]
    assert "<strong>3</strong> studio songs</a> (4 recordings)" in html


def test_upstream_text_is_escaped_never_markup(client, page_artist):
    html = client.get(f"/artists/{page_artist.slug}/").content.decode()

    assert XSS not in html
    escaped = "&lt;script&gt;alert(1)&lt;/script&gt;"
    # Title, heading, portrait alt text, venue, song and album.
    assert html.count(escaped) >= 6
    assert f"<h1>The {escaped} Band</h1>" in html


def test_an_unknown_slug_is_not_found(client, db):
    assert client.get("/artists/no-such-artist/").status_code == 404
    assert client.get(f"/artists/{artist_shell_slug('K8vZ917Nobody')}/").status_code == 404


def test_the_address_an_import_started_with_leads_to_the_named_page(client, admin_client, db):
    started = import_run_create(tm_attraction_id="K8vZ917Page2")
    assert started.slug == artist_shell_slug("K8vZ917Page2")

    # Not public before identity names the artist: staff see it, fans get a 404.
    assert client.get(f"/artists/{started.slug}/").status_code == 404
    before_identity = admin_client.get(f"/artists/{started.slug}/")
    assert before_identity.status_code == 200
    assert "Artist K8vZ917Page2" in before_identity.content.decode()
    assert "Only staff see this page" in before_identity.content.decode()

    artist = artist_identity_update(
        artist_id=started.artist_id,
        name="Café Lumière",
        image_url="",
        genres=[],
        spotify_id=None,
        spotify_match=SpotifyMatch.NOT_FOUND,
    )
    after_identity = client.get(f"/artists/{started.slug}/")
    assert after_identity.status_code == 301
    assert after_identity["Location"] == f"/artists/{artist.slug}/" == "/artists/cafe-lumiere/"
    assert client.get(after_identity["Location"]).status_code == 200


def test_a_running_import_draws_its_progress_and_where_the_stream_resumes(admin_client, db):
    started = import_run_create(tm_attraction_id="K8vZ917Page3")
    queued = admin_client.get(f"/artists/{started.slug}/").content.decode()
    assert 'data-last-event-id="0"' in queued
    assert "Shows appear here when the import finishes." in queued

    identity = PhaseReporter(run_id=started.import_id, phase=PhaseName.IDENTITY)
    identity.start()
    last = identity.report(40, f"found {XSS} on Ticketmaster")

    html = admin_client.get(f"/artists/{started.slug}/").content.decode()
    assert f'data-stream-url="/api/artists/{started.artist_id}/stream"' in html
    assert f'data-last-event-id="{last.pk}"' in html
    assert f'aria-valuenow="{last.overall_percent}"' in html and last.overall_percent == 4
    assert '<span class="stage" data-field="stage">Identity</span>' in html
    assert f"found {escape(XSS)} on Ticketmaster" in html and XSS not in html


@pytest.mark.parametrize(
    ("duration_ms", "shown"),
    [(0, "0:00"), (9_400, "0:09"), (187_000, "3:07"), (599_600, "10:00"), (3_725_000, "62:05")],
    ids=["zero", "seconds padded", "minutes", "rounds to a minute", "over an hour"],
)
def test_durations_are_minutes_and_seconds(duration_ms, shown):
    assert format_duration(duration_ms) == shown


# --- Live progress in a real browser -------------------------------------------------

# Before the page's own script: record every value the progress bar shows, and every
# EventSource the page opens (to check it closes them).
RECORD_PROGRESS = """
window.progressSeen = [];
window.eventSources = [];
const NativeEventSource = window.EventSource;
window.EventSource = class extends NativeEventSource {
  constructor(...args) { super(...args); window.eventSources.push(this); }
};
document.addEventListener("DOMContentLoaded", () => {
  const record = () => {
    const bar = document.querySelector("#import-progress [role=progressbar]");
    if (!bar) return;
    const value = Number(bar.getAttribute("aria-valuenow"));
    if (window.progressSeen.at(-1) !== value) window.progressSeen.push(value);
  };
  record();
  new MutationObserver(record).observe(document.body, {
    subtree: true, childList: true, attributes: true, attributeFilter: ["aria-valuenow"],
  });
});
"""
LISTS_LOADED = """() => !document.querySelector("#import-progress")
    && document.querySelectorAll("#shows tbody tr").length > 0
    && document.querySelectorAll("#songs tbody tr").length > 0"""


def watch_the_import_in_a_browser(
    web: str, kickoff: Callable[[], StartedImport], screenshot_prefix: Path, staff: str
) -> dict:
    """Start the import with the browser ready (logged in as `staff`: the page is theirs
    alone until identity names the artist), open the page at the address the kickoff
    returned, follow the import to the end; what the browser saw."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            page = logged_in_page(
                browser, web, staff, viewport={"width": 1280, "height": 900}, next_url="/admin/"
            )
            page.add_init_script(RECORD_PROGRESS)
            started = in_a_thread(kickoff)
            page.goto(f"{web}/artists/{started.slug}/")
            first = {
                "path": urlsplit(page.url).path,
                "name": page.locator("h1").inner_text(),
                "importing": page.locator("#import-progress").count() == 1,
            }
            page.wait_for_function(
                "() => window.progressSeen.some((value) => value >= 30)", timeout=120_000
            )
            page.wait_for_timeout(400)  # the bar's width eases in
            page.screenshot(path=f"{screenshot_prefix}-importing.png")
            page.wait_for_function(LISTS_LOADED, timeout=120_000)
            page.screenshot(path=f"{screenshot_prefix}.png")
            seen = {
                "started": started,
                "first": first,
                "progress": page.evaluate("window.progressSeen"),
                "streams": page.evaluate("window.eventSources.map((s) => s.readyState)"),
                "path": urlsplit(page.url).path,
                "name": page.locator("h1").inner_text(),
                "shows_total": page.locator("#shows-title .count").inner_text(),
                "songs_total": page.locator("#songs-title .count").inner_text(),
                "summary": page.locator(".artist-header .summary").inner_text(),
                "shows": page.locator("#shows tbody tr").count(),
                "songs": page.locator("#songs tbody tr").count(),
                "badges": page.locator("#shows .badge").count(),
                "bills": page.locator("#shows .bill").count(),
            }
            page.set_viewport_size({"width": 390, "height": 844})
            page.screenshot(path=f"{screenshot_prefix}-phone.png")
            # The bill lines wrap inside the phone's width: nothing scrolls sideways.
            seen["phone_overflow"] = page.evaluate(
                "document.documentElement.scrollWidth - window.innerWidth"
            )
            # From the login to the lists, through the live progress and the page's refetch.
            seen["csp_violations"] = csp_violations(page)
            return seen
        finally:
            browser.close()


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
@needs_chromium
def test_the_page_follows_a_cluster_import_live_then_shows_the_lists(world, cluster, admin_user):
    from theset.asgi import application

    expected = next(a for a in world.artists if a.tm_attraction_id == PROLIFIC)
    ARTIFACTS.mkdir(exist_ok=True)
    screenshot = ARTIFACTS / f"artist-page-{connection.vendor}"
    # Slow answers keep the import running for a while.
    with cluster(latency_ms=100, jitter_ms=0) as (qcluster, _), serve_in_thread(application) as web:
        seen = watch_the_import_in_a_browser(
            web, lambda: start_import(PROLIFIC), screenshot, admin_user.username
        )
        started = seen["started"]
        run = finished_run(started.import_id, qcluster)

    print(f"\nscreenshots: {screenshot}.png {screenshot}-importing.png {screenshot}-phone.png")
    assert run.status == ImportStatus.SUCCEEDED, run.error
    artist = Artist.objects.get(pk=started.artist_id)
    # Opened at the address the kickoff returned, before identity named the artist...
    assert seen["first"] == {
        "path": f"/artists/{artist_shell_slug(PROLIFIC)}/",
        "name": f"Artist {PROLIFIC}",
        "importing": True,
    }
    # ...then the bar grew to the end, the name and its address came, then the lists.
    progress = seen["progress"]
    assert progress == sorted(set(progress)) and len(progress) >= 3, progress
    assert progress[-1] == 100
    assert seen["streams"] and set(seen["streams"]) == {2}, "every EventSource closed on `end`"
    assert (seen["path"], seen["name"]) == (f"/artists/{artist.slug}/", expected.name)
    # Every show counted, one page of each list drawn (paged on the server).
    assert seen["shows_total"] == str(len(truth.expected_upcoming_event_ids(expected))) == "1350"
    assert Show.objects.filter(artists=artist).count() == 1350
    # Every studio recording counted, in the songs stored (checked against the oracle by
    # the import-flow tests); one page of songs drawn.
    songs = Song.objects.filter(artist=artist).count()
    assert seen["songs_total"] == str(songs)
    assert f"({truth.expected_studio_track_count(expected)} recordings)" in seen["summary"]
    assert seen["shows"] == SHOWS_PER_PAGE
    assert seen["songs"] == min(SONGS_PER_PAGE, songs) > 0
    # Every show of the page with other acts on its bill names them.
    first_page = list(upcoming_shows(artist_id=artist.pk)[:SHOWS_PER_PAGE])
    assert seen["bills"] == sum(len(show.lineup) > 1 for show in first_page) > 0
    assert seen["phone_overflow"] <= 0
    assert seen["badges"] == sum(show.status in FLAGGED_SHOW_STATUSES for show in first_page)
    assert seen["csp_violations"] == []
