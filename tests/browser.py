"""What the browser tests share: Debian's headless Chromium driven by Playwright,
where screenshots go, and running ORM calls beside Playwright's event loop."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit

import pytest
from django.db import connection

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
INSTALL_CHROMIUM = "apt-get update && apt-get install -y chromium"
# Playwright's own browser download does not work here; these flags keep Chromium
# from reaching for the network on its own.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# The reason names the command: tests/conftest.py repeats it in the run's summary.
NEEDS_CHROMIUM = f"needs Debian's chromium at {CHROMIUM} (install it: {INSTALL_CHROMIUM})"
needs_chromium = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=NEEDS_CHROMIUM)

T = TypeVar("T")


def launch(playwright):
    """Debian's Chromium, headless."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def only_local(route) -> None:
    """Tests never reach the internet: anything but 127.0.0.1 is refused."""
    if urlsplit(route.request.url).hostname == "127.0.0.1":
        route.continue_()
    else:
        route.abort()


def in_a_thread(function: Callable[[], T]) -> T:
    """Call `function` on a thread of its own: Django refuses ORM calls from this one
    while Playwright's event loop runs on it."""

    def call() -> T:
        try:
            return function()
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(call).result()


def logged_in_page(browser, web: str, username: str, *, viewport: dict[str, int], next_url: str):
    """A new page, reaching nothing but 127.0.0.1, logged in through the admin's login form
    as `username` (password "password", pytest-django's admin_user), then at `next_url`."""
    from django.urls import reverse

    page = browser.new_page(viewport=viewport)
    page.route("**/*", only_local)
    page.goto(f"{web}{reverse('admin:login')}?next={next_url}")
    page.fill("#id_username", username)
    page.fill("#id_password", "password")
    page.click("input[type=submit]")
    page.wait_for_url(f"{web}{next_url}")
    return page


def logged_in_admin_run_page(browser, web: str, username: str, run_page_url: str):
    """A desktop-sized page of the admin's run page, logged in as `username`, once its live
    progress has started."""
    page = logged_in_page(
        browser, web, username, viewport={"width": 1280, "height": 1000}, next_url=run_page_url
    )
    page.wait_for_selector("#import-run-progress [data-field=live]")
    return page
