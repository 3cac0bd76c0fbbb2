"""The admin in a browser, at phone and desktop sizes: a finished import's run page keeps
its event log inside the screen and shows its figures as a table; an artist's page leads
to the artist's public page ("View on site"); a song's page lists its recordings, the
main one first, inside the screen. No page breaks the Content-Security-Policy."""

from __future__ import annotations

import pytest
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler
from django.db import connection
from django.urls import reverse

from imports.models import ImportStatus
from imports.pipeline import run_import
from imports.services import import_run_create
from sandbox import profiles
from sandbox.server import serve_in_thread
from tests.browser import (
    ARTIFACTS,
    csp_violations,
    launch,
    logged_in_page,
    needs_chromium,
    progress_drawn,
)

VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}


def logged_in_admin_page(browser, web: str, username: str, viewport: dict[str, int]):
    """A page of the admin, logged in as `username` (password "password", pytest-django's
    admin_user), at the size given; it reaches nothing but 127.0.0.1."""
    page = logged_in_page(
        browser, web, username, viewport=viewport, next_url=reverse("admin:index")
    )
    page.wait_for_selector("#site-name")
    return page


def what_the_run_page_shows(page) -> dict:
    """Whether anything runs off the screen, and the figures and event log as shown."""
    return page.evaluate(
        """() => {
          const log = document.querySelector(".inline-group").getBoundingClientRect();
          return {
            page_width: document.documentElement.scrollWidth,
            screen_width: window.innerWidth,
            log_right: Math.ceil(log.right),
            figures: document.querySelectorAll("table.figures th[scope=row]").length,
            events: document.querySelectorAll(".inline-group tbody tr.has_original").length,
            title: document.querySelector("#content h2").textContent,
          };
        }"""
    )


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
@needs_chromium
def test_the_admin_at_phone_and_desktop_size(sandbox, admin_user):
    from playwright.sync_api import sync_playwright

    from theset.asgi import application

    with sandbox():
        started = import_run_create(tm_attraction_id=profiles.BUILTIN_ATTRACTION_IDS["mid"])
        run = run_import(started.import_id)
    assert run.status == ImportStatus.SUCCEEDED, run.error
    artist = run.artist
    assert artist.is_public
    run_page = reverse("admin:imports_importrun_change", args=[run.pk])
    artist_page = reverse("admin:catalog_artist_change", args=[artist.pk])
    song = artist.songs.order_by("-recordings_count", "key").first()
    song_page = reverse("admin:catalog_song_change", args=[song.pk])
    ARTIFACTS.mkdir(exist_ok=True)
    screenshot = ARTIFACTS / f"admin-{connection.vendor}"

    seen: dict[str, dict] = {}
    with (
        serve_in_thread(ASGIStaticFilesHandler(application)) as web,
        sync_playwright() as playwright,
    ):
        browser = launch(playwright)
        try:
            for size, viewport in VIEWPORTS.items():
                page = logged_in_admin_page(browser, web, admin_user.username, viewport)
                page.goto(f"{web}{run_page}")
                page.wait_for_selector("#import-run-counters table.figures")
                seen[size] = what_the_run_page_shows(page)
                seen[size]["bar"] = progress_drawn(page, "[data-field=bar]")
                page.screenshot(path=f"{screenshot}-run-page-{size}.png", full_page=True)

                page.goto(f"{web}{artist_page}")
                page.click("a.viewsitelink")
                page.wait_for_url(f"{web}{artist.get_absolute_url()}")
                seen[size]["public_page"] = page.url.removeprefix(web)
                seen[size]["public_heading"] = page.inner_text("h1")
                page.screenshot(path=f"{screenshot}-view-on-site-{size}.png", full_page=True)

                page.goto(f"{web}{song_page}")
                seen[size]["song"] = page.evaluate(
                    """() => ({
                      page_width: document.documentElement.scrollWidth,
                      rows: document.querySelectorAll(".inline-group tbody tr.has_original").length,
                      first_main: document.querySelector(
                        ".inline-group tbody tr.has_original td.field-main_column"
                      ).textContent.trim(),
                    })"""
                )
                page.screenshot(path=f"{screenshot}-song-page-{size}.png", full_page=True)
                # The admin index, the run page, the artist's and the song's, the public page.
                seen[size]["csp_violations"] = csp_violations(page)
                page.close()
        finally:
            browser.close()

    print(f"\nscreenshots: {screenshot}-*.png")
    for size, shown in seen.items():
        assert shown["page_width"] <= shown["screen_width"], (size, shown)
        assert shown["log_right"] <= shown["screen_width"], (size, shown)
        assert shown["figures"] >= 10, (size, shown)
        assert shown["events"] >= 5, (size, shown)
        assert shown["title"] == f"Import #{run.pk} of {artist.name}", (size, shown)
        assert shown["public_page"] == artist.get_absolute_url(), (size, shown)
        assert artist.name in shown["public_heading"], (size, shown)
        assert shown["song"]["page_width"] <= shown["screen_width"], (size, shown)
        assert shown["song"]["rows"] == song.recordings_count, (size, shown)
        assert shown["song"]["first_main"] == "main", (size, shown)
        assert shown["bar"] == {"says": 100, "drawn": 100}, (size, shown)
        assert shown["csp_violations"] == [], (size, shown)
