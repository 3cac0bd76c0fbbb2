"""The Content-Security-Policy (django-csp, theset.settings): every page we render says
it, and none needs what it forbids. No inline script (a <script> without `src` that is
not a JSON data block), no <style> element, no `style` or `on…` attribute: the CSS and
JavaScript are files of the theset app, served by the app. Browser tests record the
violations Chromium reports (tests/browser.py `csp_violations`)."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.urls import reverse

from catalog.models import Artist
from imports.models import ImportRun, ImportStatus
from imports.phases import RunStage
from tests.factories import make_touring_artist

pytestmark = pytest.mark.django_db

STATIC = Path(__file__).resolve().parents[2] / "theset/static/theset"


class InlineCode(HTMLParser):
    """What a page carries inline that the policy would block, and the scripts and
    stylesheets it loads."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[str] = []
        self.styles = 0
        self.style_attributes: list[str] = []
        self.handlers: list[str] = []
        self.loaded: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for name, value in attrs:
            if name == "style":
                self.style_attributes.append(f"<{tag} style={value!r}>")
            elif name.startswith("on") or (value or "").lstrip().startswith("javascript:"):
                self.handlers.append(f"<{tag} {name}={value!r}>")
        if tag == "style":
            self.styles += 1
        elif tag == "script":
            self._in_script = not values.get("src") and values.get("type") != "application/json"
            if values.get("src"):
                self.loaded.append(values["src"])
            if self._in_script:
                self.scripts.append("")
        elif tag == "link" and values.get("rel") == "stylesheet":
            self.loaded.append(values["href"])

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts[-1] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False


@pytest.fixture
def touring() -> Artist:
    """A public artist with shows, songs, and an import running (35%: its progress bar)."""
    artist = make_touring_artist(name="Policy Band", slug="policy-band", shows=3, songs=4)
    ImportRun.objects.create(
        artist=artist, status=ImportStatus.RUNNING, stage=RunStage.SHOWS, percent=35
    )
    return artist


def finished_run(artist: Artist) -> ImportRun:
    return ImportRun.objects.create(
        artist=artist, status=ImportStatus.SUCCEEDED, stage=RunStage.DONE, percent=100
    )


PAGES = {
    "index": lambda artist: "/",
    "index search": lambda artist: "/?q=policy",
    "artist page, importing": lambda artist: artist.get_absolute_url(),
    "venue page": lambda artist: artist.shows.first().venue.get_absolute_url(),
    "not found": lambda artist: "/no-such-page/",
    "admin index": lambda artist: reverse("admin:index"),
    "admin run page, active": lambda artist: reverse(
        "admin:imports_importrun_change", args=[artist.import_runs.get().pk]
    ),
    "admin run page, finished": lambda artist: reverse(
        "admin:imports_importrun_change", args=[finished_run(artist).pk]
    ),
    "admin import artists": lambda artist: reverse("admin:imports_importrun_import"),
    "admin artist change form": lambda artist: reverse(
        "admin:catalog_artist_change", args=[artist.pk]
    ),
    "admin song change form": lambda artist: reverse(
        "admin:catalog_song_change", args=[artist.songs.first().pk]
    ),
}
PUBLIC = ["index", "index search", "artist page, importing", "venue page", "not found"]


@pytest.mark.parametrize(
    ("page", "who"),
    [pytest.param(page, "fan", id=f"{page} (fan)") for page in PUBLIC]
    + [pytest.param(page, "staff", id=f"{page} (staff)") for page in PAGES],
)
def test_each_page_states_the_policy_and_carries_no_inline_code(
    client, admin_client, touring, page, who
):
    as_who = admin_client if who == "staff" else client

    response = as_who.get(PAGES[page](touring))

    assert response.status_code == (404 if page == "not found" else 200)
    assert_keeps_the_policy(as_who, response)


def test_the_move_to_song_page_keeps_the_policy_too(admin_client, touring):
    """The admin's "Move to another song…" step (a recordings list action, posted)."""
    recordings = touring.artist_tracks.all()[:2]

    response = admin_client.post(
        reverse("admin:catalog_artisttrack_changelist"),
        {"action": "move_to_song", "_selected_action": [r.pk for r in recordings], "index": "0"},
    )

    assert response.status_code == 200
    assert 'id="move-to-song-form"' in response.content.decode()
    assert_keeps_the_policy(admin_client, response)


def assert_keeps_the_policy(as_who, response) -> None:
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "unsafe-inline" not in policy
    found = InlineCode()
    found.feed(response.content.decode())
    assert found.scripts == []
    assert found.styles == 0
    assert found.style_attributes == []
    assert found.handlers == []
    # What it loads instead is ours, and there.
    for url in found.loaded:
        assert url.startswith("/"), url
        assert as_who.get(url).status_code == 200, url


def test_the_progress_bars_say_their_width_in_aria_valuenow(client, admin_client, touring):
    """The bar's width is no style attribute: its aria-valuenow, drawn by progress.css."""
    run = touring.import_runs.get()
    artist_page = client.get(touring.get_absolute_url()).content.decode()
    run_page = admin_client.get(
        reverse("admin:imports_importrun_change", args=[run.pk])
    ).content.decode()

    assert 'aria-valuenow="35"><div class="progress-fill"></div>' in re.sub(
        r">\s+<", "><", artist_page
    )
    assert 'aria-valuenow="35"><div class="fill"></div>' in re.sub(r">\s+<", "><", run_page)
    for html in (artist_page, run_page):
        assert '<link rel="stylesheet" href="/static/theset/progress.css">' in html


def test_progress_css_draws_every_percent_on_both_bars():
    css = re.sub(r"/\*.*?\*/", "", (STATIC / "progress.css").read_text(), flags=re.S)
    widths = {
        " ".join(selector.split()): body.strip()
        for selectors, body in re.findall(r"([^{}]+)\{([^{}]*)\}", css)
        for selector in selectors.split(",")
    }

    for fill in (".progress-fill", ".fill"):
        assert widths[f'[role="progressbar"] > {fill}'] == "width: 0;"  # no aria-valuenow
        for percent in range(101):
            selector = f'[role="progressbar"][aria-valuenow="{percent}"] > {fill}'
            assert widths[selector] == f"width: {percent}%;", selector


def test_the_live_run_page_config_is_data_not_script(admin_client, touring):
    """The run page's live script reads its settings from a JSON block, after the
    stream client it needs."""
    run = touring.import_runs.get()
    html = admin_client.get(reverse("admin:imports_importrun_change", args=[run.pk])).content
    html = html.decode()

    assert '<script id="import-run-live" type="application/json">' in html
    client_at = html.index('src="/static/django_eventstream/reconnecting-eventsource.js" defer')
    assert client_at < html.index('src="/static/theset/import_run.js" defer')


def test_the_too_many_reads_page_keeps_the_policy_too(client, anonymous_read_rates):
    anonymous_read_rates("1/d")
    client.get("/")

    response = client.get("/")

    assert response.status_code == 429
    assert_keeps_the_policy(client, response)


def test_the_locked_login_page_keeps_the_policy_too(client, settings, django_user_model):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.AXES_FAILURE_LIMIT = 2
    django_user_model.objects.create_user("alice", password="right", is_staff=True)
    for _ in range(2):
        response = client.post("/admin/login/", {"username": "alice", "password": "wrong"})

    assert response.status_code == 429
    assert "Login locked" in response.content.decode()
    assert_keeps_the_policy(client, response)
