"""What the browser tests share: Debian's headless Chromium driven by Playwright,
where screenshots go, running ORM calls beside Playwright's event loop, and the
Content-Security-Policy violations a page reports."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit
from weakref import WeakKeyDictionary

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

# Before any script of the page: each Content-Security-Policy violation it reports, handed
# to the test through a Playwright binding (so reports outlive the page's navigations).
REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  const where = event.sourceFile ? ` (${event.sourceFile}:${event.lineNumber})` : "";
  window.reportCspViolation(
    `${event.violatedDirective} blocked ${event.blockedURI || "?"} on ${event.documentURI}${where}`
  );
});
"""
_csp_reports: WeakKeyDictionary = WeakKeyDictionary()


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


def record_csp_violations(page) -> None:
    """Record the Content-Security-Policy violations `page` reports from its next
    navigation on: each `securitypolicyviolation` event (directive, what was blocked,
    where), and each console error naming the Content Security Policy."""
    reports: list[str] = []
    _csp_reports[page] = reports

    def report(violation: str) -> None:
        reports.append(violation)

    def console(message) -> None:
        if message.type == "error" and "Content Security Policy" in message.text:
            reports.append(f"console: {message.text}")

    page.expose_function("reportCspViolation", report)
    page.add_init_script(REPORT_CSP_VIOLATIONS)
    page.on("console", console)


def csp_violations(page) -> list[str]:
    """The violations `page` reported since `record_csp_violations` (`logged_in_page`
    calls it), once every report it sent before this call has arrived. A page that is
    not being recorded is an error, not an empty list."""
    reports = _csp_reports.get(page)
    assert reports is not None, "call record_csp_violations(page) before the page loads"
    if not page.is_closed():
        page.evaluate("() => null")  # a round trip: the reports sent before it are in
    return list(reports)


def progress_drawn(page, bar: str) -> dict[str, int]:
    """The percent the progress bar at selector `bar` says (its aria-valuenow) and the one
    it is drawn at (its fill's width in the bar's, rounded). Read it while the bar stands
    still: the fill eases from one width to the next."""
    return page.eval_on_selector(
        bar,
        """(bar) => ({
          says: Number(bar.getAttribute("aria-valuenow")),
          drawn: Math.round(
            (100 * bar.firstElementChild.getBoundingClientRect().width) / bar.clientWidth
          ),
        })""",
    )


def logged_in_page(browser, web: str, username: str, *, viewport: dict[str, int], next_url: str):
    """A new page, reaching nothing but 127.0.0.1, logged in through the admin's login form
    as `username` (password "password", pytest-django's admin_user), then at `next_url`;
    its Content-Security-Policy violations are recorded from the start (`csp_violations`)."""
    from django.urls import reverse

    page = browser.new_page(viewport=viewport)
    page.route("**/*", only_local)
    record_csp_violations(page)
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
