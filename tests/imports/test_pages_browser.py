"""The public pages in a real browser (Debian's headless Chromium through Playwright),
at desktop and phone sizes: `/` and its search, the artist page's filters and paging,
the song search, a venue page, the API docs, and the way from the site to the admin;
none breaks the Content-Security-Policy. The ASGI app is served by uvicorn on 127.0.0.1;
screenshots go to test-artifacts/pages-*.png."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.utils import timezone

from catalog.models import Album, Artist
from catalog.rules import song_title
from imports.pages import SHOWS_PER_PAGE, SONGS_PER_PAGE
from sandbox.server import serve_in_thread
from tests.browser import (
    ARTIFACTS,
    csp_violations,
    launch,
    logged_in_page,
    needs_chromium,
    only_local,
    record_csp_violations,
)
from tests.factories import link_track, make_artist, make_touring_artist, make_track

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True),
    needs_chromium,
]

SIZES = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
SHOWS, SONGS = SHOWS_PER_PAGE + 12, SONGS_PER_PAGE + 9
OVERFLOW = "document.documentElement.scrollWidth - window.innerWidth"
# The first song's other versions; the longest kind's name must wrap on a phone.
VERSIONS = ["Ballad 000 (Demo)", "Ballad 000 - Radio Edit"]


@pytest.fixture
def site() -> Artist:
    """A touring artist (shows in London and Austin over two months, songs), another
    public artist, and an id Ticketmaster does not know (never listed)."""
    artist = make_touring_artist(
        name="Touring Browser Band", slug="touring-browser-band", shows=SHOWS, songs=SONGS
    )
    later = Album.objects.create(
        spotify_id="albumbrowserlater0001", name="Later Sessions", album_type="compilation"
    )
    for name in VERSIONS:  # "Ballad 000", the first song, in three versions
        link_track(artist, make_track(name=name, album=later, version=song_title(name).kind))
    yesterday = timezone.now() - dt.timedelta(days=1)
    make_artist(name="Quiet Neighbours", identity_synced_at=yesterday)
    make_artist(name="", tm_attraction_id="K8vZ917Zzzz")
    return artist


def rows(page, section: str) -> int:
    return page.locator(f"#{section} tbody tr").count()


@pytest.mark.parametrize("size", list(SIZES))
def test_a_fan_finds_an_artist_filters_pages_and_reaches_a_venue(site, size):
    from playwright.sync_api import sync_playwright

    from theset.asgi import application

    unknown_url = Artist.objects.get(tm_attraction_id="K8vZ917Zzzz").get_absolute_url()
    ARTIFACTS.mkdir(exist_ok=True)
    shot = f"{ARTIFACTS}/pages-{size}-{connection.vendor}"
    seen: dict = {}
    with serve_in_thread(application) as web, sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            page = browser.new_page(viewport=SIZES[size])
            page.route("**/*", only_local)
            record_csp_violations(page)

            page.goto(f"{web}/")
            seen["index"] = page.locator("#artists .name").all_inner_texts()
            seen["recent"] = page.locator("#recent .name").all_inner_texts()
            seen["index_overflow"] = page.evaluate(OVERFLOW)
            page.screenshot(path=f"{shot}-index.png", full_page=True)

            page.fill("#site-search", "touring")
            page.press("#site-search", "Enter")
            page.wait_for_url("**/?q=touring")
            seen["results"] = page.locator("#artists .name").all_inner_texts()
            page.click("#artists a.artist-card")
            page.wait_for_url(f"**{site.get_absolute_url()}")
            seen["artist"] = page.locator("h1").inner_text()
            seen["first_page"] = (rows(page, "shows"), rows(page, "songs"))
            seen["artist_overflow"] = page.evaluate(OVERFLOW)
            page.screenshot(path=f"{shot}-artist.png")

            # A song opens to its versions (no script: <details>), main first.
            first_song = page.locator("#songs tbody tr >> nth=0")
            seen["versions_shown_closed"] = first_song.locator(".versions").is_visible()
            first_song.locator("summary").click()
            seen["versions"] = first_song.locator(".versions li").evaluate_all(
                """items => items.map((item) => [
                    item.firstChild.textContent.trim(),
                    [...item.querySelectorAll(".tag")].map((tag) => tag.textContent),
                ])"""
            )
            seen["versions_shown_open"] = first_song.locator(".versions").is_visible()
            seen["open_overflow"] = page.evaluate(OVERFLOW)
            first_song.screenshot(path=f"{shot}-song-versions.png")

            # Choosing a country applies it at once (no button needed with JS on).
            with page.expect_navigation():
                page.select_option("select[name=country]", "GB")
            seen["country_query"] = parse_qs(urlsplit(page.url).query)
            seen["in_gb"] = rows(page, "shows")
            seen["gb_places"] = set(page.locator("#shows td.where").all_inner_texts())
            with page.expect_navigation():
                page.select_option("select[name=country]", "")

            # The next page of shows, then of songs: each keeps the other.
            page.click("#shows .pager a:text-is('2')")
            page.wait_for_url("**page=2*")
            seen["second_page"] = rows(page, "shows")
            page.click("#songs .pager a:text-is('2')")
            page.wait_for_url("**songs_page=2*")
            seen["both_paged"] = parse_qs(urlsplit(page.url).query)
            seen["songs_second_page"] = rows(page, "songs")

            page.fill("#song-search", "ballad")
            page.press("#song-search", "Enter")
            page.wait_for_url("**song=ballad*")
            seen["ballads"] = page.locator("#songs .song").all_inner_texts()
            page.screenshot(path=f"{shot}-artist-filtered.png")

            page.click("#shows td.venue a >> nth=0")
            page.wait_for_url("**/venues/**")
            seen["venue"] = page.locator("h1").inner_text()
            seen["venue_rows"] = rows(page, "shows")
            seen["venue_overflow"] = page.evaluate(OVERFLOW)
            page.screenshot(path=f"{shot}-venue.png", full_page=True)
            page.click(f"#shows a[href='{site.get_absolute_url()}'] >> nth=0")
            page.wait_for_url(f"**{site.get_absolute_url()}")

            seen["unknown"] = page.goto(f"{web}{unknown_url}").status

            # The API docs: Swagger UI, from the app's own static files, lists the routes.
            page.goto(f"{web}/api/docs")
            page.wait_for_selector("#swagger-ui .opblock")
            seen["api_docs_routes"] = page.locator("#swagger-ui .opblock").count()
            seen["csp_violations"] = csp_violations(page)
        finally:
            browser.close()

    assert seen["index"] == ["Quiet Neighbours", "Touring Browser Band"]
    assert seen["recent"] == ["Touring Browser Band", "Quiet Neighbours"]
    assert seen["results"] == ["Touring Browser Band"]
    assert seen["artist"] == "Touring Browser Band"
    assert seen["first_page"] == (SHOWS_PER_PAGE, SONGS_PER_PAGE)
    assert (seen["versions_shown_closed"], seen["versions_shown_open"]) == (False, True)
    assert seen["versions"] == [
        ["Ballad 000", ["Original", "Main"]],
        ["Ballad 000 (Demo)", ["Demo"]],
        ["Ballad 000 - Radio Edit", ["Edit"]],
    ]
    assert seen["country_query"]["country"] == ["GB"]
    assert seen["in_gb"] == SHOWS // 2
    assert seen["gb_places"] == {"London, United Kingdom"}
    assert seen["second_page"] == SHOWS - SHOWS_PER_PAGE
    assert seen["both_paged"]["page"] == ["2"] and seen["both_paged"]["songs_page"] == ["2"]
    assert seen["songs_second_page"] == SONGS - SONGS_PER_PAGE
    assert seen["ballads"] == [f"Ballad {n:03d}" for n in range(0, SONGS, 3)]
    assert seen["venue"] in {"Roundhouse", "Moody Center"}
    assert seen["venue_rows"] > 0
    assert seen["unknown"] == 404
    assert seen["api_docs_routes"] > 0
    assert seen["csp_violations"] == []
    # Nothing scrolls sideways, at either size; no box scrolls inside the page.
    assert seen["index_overflow"] <= 0
    assert seen["artist_overflow"] <= 0
    assert seen["open_overflow"] <= 0
    assert seen["venue_overflow"] <= 0


def test_staff_go_from_the_site_to_the_admin(site, admin_user):
    from playwright.sync_api import sync_playwright

    from theset.asgi import application

    with serve_in_thread(application) as web, sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            page = logged_in_page(
                browser, web, admin_user.username, viewport=SIZES["desktop"], next_url="/"
            )
            import_form = page.locator("#import form").count()
            page.goto(f"{web}{site.get_absolute_url()}")
            page.click("text=Edit in admin")
            page.wait_for_url("**/admin/catalog/artist/*/change/")
            admin_title = page.locator("#content h2, #content h1").first.inner_text()
            violations = csp_violations(page)
        finally:
            browser.close()

    assert import_form == 1
    assert "Touring Browser Band" in admin_title or "Change artist" in admin_title
    assert violations == []  # the login, `/` with its import form, the admin's artist page
