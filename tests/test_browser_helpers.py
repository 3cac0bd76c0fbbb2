"""The browser tests' own instruments can fail: the CSP recorder reports what a real
policy blocks (so an empty list from it means something)."""

from __future__ import annotations

import pytest

from tests.browser import csp_violations, launch, needs_chromium, record_csp_violations

# A page that breaks its own policy twice: an inline script and an inline style.
VIOLATING = (
    "<!doctype html><title>x</title><style>p { color: red }</style>"
    "<p>text</p><script>document.title = 'ran'</script>"
)
URL = "http://127.0.0.1:9/csp-check"  # fulfilled by the route below, never sent


@needs_chromium
def test_the_csp_recorder_reports_what_the_policy_blocks():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            page = browser.new_page()
            page.route(
                URL,
                lambda route: route.fulfill(
                    status=200,
                    content_type="text/html",
                    headers={"Content-Security-Policy": "default-src 'self'"},
                    body=VIOLATING,
                ),
            )
            record_csp_violations(page)
            page.goto(URL)
            violations = csp_violations(page)
            title = page.title()
        finally:
            browser.close()

    assert title == "x"  # the inline script did not run
    assert any(v.startswith("script-src-elem blocked inline") for v in violations), violations
    assert any(v.startswith("style-src-elem blocked inline") for v in violations), violations


def test_a_page_not_recorded_is_an_error_not_an_empty_list():
    class Page:
        pass

    with pytest.raises(AssertionError, match="record_csp_violations"):
        csp_violations(Page())
