"""Hostile input, from users and from upstreams.

1. Malformed and oversized attraction ids (empty, blank, 10 kB, RTL, emoji, NUL,
   surrogates, SQL-ish, path-ish) at every entry point — API, `import_artist`, the
   admin's "Import artists" form — and as API path parameters and page slugs: a
   clear 4xx or CommandError that names the problem, never a 500, nothing stored.
2. Markup in the names Ticketmaster and Spotify send, through a real import against
   the sandbox: escaped on the artist page and in the admin, never injected as HTML
   by the pages' scripts.
3. Malformed upstream answers (not JSON, an array for an object, fields missing or
   of the wrong type): the run fails saying which upstream, endpoint and field, keeps
   what it wrote, is not retried; a malformed *event* is skipped and recorded.
"""

from __future__ import annotations

import copy
import json
import os
import re
import sqlite3
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_from_bytes

import httpx
import orjson
import pytest
from django.contrib.messages import get_messages
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone
from django_q.models import OrmQ

from catalog.models import Album, Artist, ArtistTrack, Track
from imports import tasks
from imports.models import DroppedTrack, ImportEvent, ImportPhase, ImportRun, ImportStatus
from imports.pipeline import run_import
from imports.services import import_run_create, start_import
from integrations.spotify.client import SpotifyClient
from integrations.ticketmaster.client import TicketmasterClient
from sandbox import truth
from sandbox.config import SandboxConfig
from sandbox.scenario import parse_scenario
from sandbox.server import importer_environment
from sandbox.transport import sandbox_transport
from sandbox.world import World
from shows.models import Show, Venue
from theset.services import api_key_create

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]

# --- 1. Malformed and oversized ids --------------------------------------------------

HOSTILE_IDS = [
    pytest.param("", id="empty"),
    pytest.param("   ", id="blank"),
    pytest.param("\t \r\n", id="control-whitespace"),
    pytest.param("K" * 10_240, id="10kB"),
    pytest.param("\u202eK8vZ917Pr7k", id="rtl-override"),
    pytest.param("\u0645\u0631\u062d\u0628\u0627", id="arabic"),
    pytest.param("K8vZ\U0001f3b8", id="emoji"),
    pytest.param("K8vZ\x00917", id="nul"),
    pytest.param("\x00", id="nul-only"),
    pytest.param("K8vZ\ud800", id="lone-surrogate"),
    pytest.param("K8vZ917\u200bPr7k", id="zero-width-space"),
    pytest.param("K\uff18vZ917Pr7k", id="fullwidth-digit"),
    pytest.param("1' OR '1'='1", id="sql-or"),
    pytest.param("x'); DROP TABLE catalog_artist --", id="sql-drop"),
    pytest.param("../../etc/passwd", id="path-traversal"),
    pytest.param("K8vZ917Pr7k/../../admin", id="path-inside"),
    pytest.param("%2e%2e%2f", id="path-encoded"),
    pytest.param("<script>alert(1)</script>", id="markup"),
]
REFUSAL = re.compile(r"is not a Ticketmaster attraction id|must be a string")
IDS_SEEN: Counter[str] = Counter()  # refusals per entry point, for the report


def stored_rows() -> dict[str, int]:
    """Everything a kickoff would write: the artist shell, the run, its event, its task."""
    return {
        "artists": Artist.objects.count(),
        "runs": ImportRun.objects.count(),
        "events": ImportEvent.objects.count(),
        "phases": ImportPhase.objects.count(),
        "queued": OrmQ.objects.count(),
    }


NOTHING = {"artists": 0, "runs": 0, "events": 0, "phases": 0, "queued": 0}


@pytest.fixture
def api_key(settings) -> str:
    settings.IMPORT_KICKOFF_RATE = "100000/min"
    return api_key_create(name="hostile").plaintext


@pytest.fixture(scope="module", autouse=True)
def _report_ids(reliability):
    IDS_SEEN.clear()
    yield
    if IDS_SEEN:
        reliability.record(
            "hostile: malformed ids",
            runs=0,
            note="refused with a 4xx or CommandError naming the problem, nothing stored",
            counts=dict(IDS_SEEN),
        )


@pytest.mark.parametrize("tm_attraction_id", HOSTILE_IDS)
def test_api_kickoff_refuses_the_id_with_a_422_naming_it(client, api_key, tm_attraction_id):
    response = client.post(
        "/api/artists/import",
        json.dumps({"tm_attraction_id": tm_attraction_id}),  # ASCII: \u escapes, surrogates too
        content_type="application/json",
        headers={"X-API-Key": api_key},
    )

    assert response.status_code == 422, response.content[:300]
    body = response.json()
    assert body["detail"].startswith("tm_attraction_id: ")
    assert REFUSAL.search(body["detail"])
    assert body["errors"][0]["loc"] == ["body", "tm_attraction_id"]
    assert len(response.content) < 2_000, "the answer quotes a 10 kB id back"
    assert stored_rows() == NOTHING
    IDS_SEEN["api"] += 1


@pytest.mark.parametrize(
    ("raw", "named"),
    [
        pytest.param(b'{"tm_attraction_id": "K8vZ\xff917"}', "not valid JSON", id="invalid-utf8"),
        pytest.param(b'{"tm_attraction_id": "K8vZ917', "not valid JSON", id="truncated"),
        pytest.param(b"\x00", "not valid JSON", id="nul-body"),
        pytest.param(b'{"tm_attraction_id": ["K8vZ917Pr7k"]}', "must be a string", id="array-id"),
        pytest.param(b'{"tm_attraction_id": 8917}', "must be a string", id="number-id"),
        pytest.param(b'{"tm_attraction_id": null}', "must be a string", id="null-id"),
        pytest.param(b'["K8vZ917Pr7k"]', "must be a JSON object", id="array-body"),
        pytest.param(b'"K8vZ917Pr7k"', "must be a JSON object", id="string-body"),
        pytest.param(b'{"tm_attraction_id\\u0000": "K8vZ917Pr7k"}', "Field required", id="nul-key"),
    ],
)
def test_api_kickoff_refuses_malformed_bodies(client, api_key, raw, named):
    response = client.post(
        "/api/artists/import", raw, content_type="application/json", headers={"X-API-Key": api_key}
    )

    assert 400 <= response.status_code < 500, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    assert named in response.json()["detail"]
    assert len(response.content) < 2_000
    assert stored_rows() == NOTHING
    IDS_SEEN["api body"] += 1


def test_api_kickoff_refuses_an_oversized_body(client, api_key):
    """Past DATA_UPLOAD_MAX_MEMORY_SIZE Django refuses the body before the API reads it:
    a 400, nothing stored. (Django's own HTML 400, not the API's JSON: reported.)"""
    raw = b'{"tm_attraction_id": "' + b"K" * 3_000_000 + b'"}'

    response = client.post(
        "/api/artists/import", raw, content_type="application/json", headers={"X-API-Key": api_key}
    )

    assert response.status_code in (400, 413)
    assert len(response.content) < 2_000
    assert stored_rows() == NOTHING
    IDS_SEEN["api body"] += 1


@pytest.mark.parametrize(
    "key",
    [
        pytest.param("", id="empty"),
        pytest.param("theset_" + "a" * 10_240 + "_secret", id="10kB"),
        pytest.param("theset_<script>_x", id="markup"),
        pytest.param("theset_abc' OR '1'='1_x", id="sql"),
        pytest.param("theset_ab\x00cd_secret", id="nul"),  # PostgreSQL refuses NUL in text
    ],
)
def test_api_kickoff_with_a_hostile_api_key_is_401(client, key):
    response = client.post(
        "/api/artists/import",
        json.dumps({"tm_attraction_id": "K8vZ917Pr7k"}),
        content_type="application/json",
        headers={"X-API-Key": key},
    )

    assert response.status_code == 401, response.content[:300]
    assert stored_rows() == NOTHING
    IDS_SEEN["api key"] += 1


HOSTILE_PATH_SEGMENTS = [
    pytest.param(quote(value, safe=""), id=name)
    for value, name in [
        ("K" * 10_240, "10kB"),
        ("9" * 400, "400-digits"),
        ("99999999999999999999", "over-64-bit"),
        ("-1", "negative"),
        ("\u202eabc", "rtl"),
        ("\U0001f3b8", "emoji"),
        ("a\x00b", "nul"),
        ("1' OR '1'='1", "sql"),
        ("..", "dot-dot"),
        ("<script>", "markup"),
    ]
]


@pytest.mark.parametrize("segment", HOSTILE_PATH_SEGMENTS)
@pytest.mark.parametrize(
    "template",
    [
        "/api/artists/{}",
        "/api/artists/{}/shows",
        "/api/artists/{}/tracks",
        "/api/artists/{}/status",
        "/api/imports/{}",
        "/api/shows-batches/{}",
        "/api/artists/{}/stream",
    ],
)
def test_api_paths_with_hostile_ids_are_4xx_json(client, template, segment):
    response = client.get(template.format(segment))

    assert response.status_code in (404, 422), response.content[:300]
    assert response["Content-Type"].startswith("application/json")  # the stream's 404 too
    assert len(response.content) < 3_000
    IDS_SEEN["api path"] += 1


@pytest.mark.parametrize("segment", HOSTILE_PATH_SEGMENTS)
def test_artist_page_with_a_hostile_slug_is_404(client, segment):
    Artist.objects.create(
        tm_attraction_id="K8vZ917Real",
        slug="real-band",
        name="Real Band",
        identity_synced_at=timezone.now(),  # named by an identity phase: public
    )

    response = client.get(f"/artists/{segment}/")
    shell_like = client.get(f"/artists/tm-{segment}-abcdef/")

    assert response.status_code == 404
    assert shell_like.status_code == 404
    assert client.get("/artists/real-band/").status_code == 200  # the control
    IDS_SEEN["page slug"] += 1


@pytest.mark.parametrize("inline", [False, True], ids=["queued", "inline"])
@pytest.mark.parametrize("tm_attraction_id", HOSTILE_IDS)
def test_command_refuses_the_id_naming_it(capsys, tm_attraction_id, inline):
    flags = ["--inline"] if inline else ["--no-wait"]

    with pytest.raises(CommandError, match="could not start: not a Ticketmaster attraction id"):
        call_command("import_artist", *flags, tm_attraction_id)

    err = capsys.readouterr().err
    assert REFUSAL.search(err), err[:300]
    assert "Traceback" not in err
    assert len(err) < 2_000
    assert stored_rows() == NOTHING
    IDS_SEEN["command"] += 1


def test_command_line_refuses_hostile_ids_with_exit_status_1(tmp_path):
    """The real command line (argv bytes, not `call_command`): an undecodable byte, a
    10 kB id, RTL and markup each named, exit status 1, no traceback, and the database
    never touched (it points at an empty file with no tables)."""
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'untouched.sqlite3'}",
        "REDIS_URL": "",
        "PYTHONIOENCODING": "utf-8",
    }
    argv = [
        sys.executable,
        "manage.py",
        "import_artist",
        "--no-wait",
        b"K8vZ\xff917",  # not UTF-8: Python hands it over as a lone surrogate
        "K" * 10_240,
        "\u202eK8vZ917Pr7k",
        "<script>alert(1)</script>",
    ]

    result = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, timeout=120)

    err = result.stderr.decode("utf-8", "replace")
    assert result.returncode == 1, err[-500:]
    assert "Traceback" not in err
    assert err.count("is not a Ticketmaster attraction id") == 4, err
    assert "4 of 4 imports failed (4 could not start: not a Ticketmaster attraction id)" in err
    database = tmp_path / "untouched.sqlite3"
    if database.exists():  # opened (settings' connection setup), never written
        with sqlite3.connect(database) as connection:
            assert connection.execute("select count(*) from sqlite_master").fetchone() == (0,)
    IDS_SEEN["command line"] += 4


@pytest.mark.parametrize("tm_attraction_id", HOSTILE_IDS)
def test_admin_import_form_refuses_the_id_naming_it(admin_client, tm_attraction_id):
    # Encoded by hand: a lone surrogate reaches a server only as bytes that are not UTF-8.
    body = "tm_attraction_ids=" + quote_from_bytes(
        tm_attraction_id.encode("utf-8", "surrogatepass")
    )
    response = admin_client.post(
        reverse("admin:imports_importrun_import"),
        body,
        content_type="application/x-www-form-urlencoded",
        follow=True,
    )

    assert response.status_code == 200
    html = response.content.decode()
    said = " ".join(str(m) for m in get_messages(response.wsgi_request)) + html
    form_errors = ("This field is required", "Null characters are not allowed")
    assert REFUSAL.search(said) or any(error in html for error in form_errors), said[:500]
    assert "<script>alert(1)</script>" not in html
    assert stored_rows() == NOTHING
    IDS_SEEN["admin form"] += 1


# --- 2. Markup in upstream names ----------------------------------------------------

ARTIST_NAME = "<script>alert(1)</script>"
VENUE_NAME = '"><img src=x onerror=alert(1)>'
CITY = "\u202eAl \u0642\u0627\u0647\u0631\u0629 \U0001f3b8"
EVENT_NAME = "<svg onload=alert(3)>"
ALBUM_NAME = "<b>Bold</b> & <i>Italic</i>"
TRACK_NAME = "</td><script>alert(2)</script>"
LIVE_ALBUM = "Live at <iframe src=javascript:alert(5)>"
GENRE = "<img src=y onerror=alert(4)>"
MARKUP = [ARTIST_NAME, VENUE_NAME, TRACK_NAME, ALBUM_NAME, EVENT_NAME, LIVE_ALBUM, GENRE]


def markup_world() -> World:
    day = date.today() + timedelta(days=20)
    artist = {
        "tm_attraction_id": "K8vZ917Xss1",
        "name": ARTIST_NAME,
        "spotify_id": "0xssArtist000000000001",
        "spotify_linked": True,
        "genres": [GENRE],
        "albums": [
            {
                "spotify_id": "0xssAlbum0000000000001",
                "name": ALBUM_NAME,
                "album_type": "album",
                "release_date": "2020-01-01",
                "tracks": [
                    {
                        "spotify_id": "0xssTrack0000000000001",
                        "name": TRACK_NAME,
                        "isrc": "USXS12000001",
                        "duration_ms": 200_000,
                        "truth": "studio",
                    },
                    {
                        "spotify_id": "0xssTrack0000000000002",
                        "name": f"{CITY} \u05e9\u05dc\u05d5\u05dd",
                        "isrc": "USXS12000002",
                        "duration_ms": 180_000,
                        "truth": "studio",
                    },
                ],
            },
            {
                "spotify_id": "0xssAlbum0000000000002",
                "name": LIVE_ALBUM,
                "album_type": "album",
                "release_date": "2021-01-01",
                "tracks": [
                    {
                        "spotify_id": "0xssTrack0000000000003",
                        "name": TRACK_NAME,
                        "isrc": "USXS12100003",
                        "duration_ms": 210_000,
                        "truth": "live_album",
                    }
                ],
            },
        ],
        "events": [
            {
                "tm_event_id": "vvG1xss000000001",
                "name": EVENT_NAME,
                "local_date": day.isoformat(),
                "local_time": "20:00:00",
                "venue": {
                    "tm_venue_id": "KovZxss0001",
                    "name": VENUE_NAME,
                    "city": CITY,
                    "country": "<Country>",
                },
            }
        ],
    }
    return World(artists=parse_scenario({"artists": [artist]}, source="markup"))


def escaped(text: str) -> str:
    from django.utils.html import escape

    return str(escape(text))


def test_markup_from_upstream_is_escaped_on_the_artist_page_and_in_the_admin(
    sandbox, admin_client, client, reliability
):
    world = markup_world()
    expected = world.artists[0]
    with sandbox(serve=world):
        started = import_run_create(tm_attraction_id=expected.tm_attraction_id)
        run = run_import(started.import_id)
    assert run.status == ImportStatus.SUCCEEDED, run.error
    artist = run.artist
    assert artist.name == ARTIST_NAME  # stored as sent: escaping is the pages' job
    show = Show.objects.get()
    venue = Venue.objects.get()
    track = Track.objects.get(spotify_id="0xssTrack0000000000001")
    dropped = DroppedTrack.objects.get(run=run)

    pages = {
        "artist page": (
            client,
            f"/artists/{artist.slug}/",
            [ARTIST_NAME, VENUE_NAME, CITY, TRACK_NAME, ALBUM_NAME, GENRE],
        ),
        "run list": (admin_client, reverse("admin:imports_importrun_changelist"), [ARTIST_NAME]),
        "run page": (
            admin_client,
            reverse("admin:imports_importrun_change", args=[run.pk]),
            [ARTIST_NAME, TRACK_NAME, LIVE_ALBUM],
        ),
        "artist list": (admin_client, reverse("admin:catalog_artist_changelist"), [ARTIST_NAME]),
        "artist change": (
            admin_client,
            reverse("admin:catalog_artist_change", args=[artist.pk]),
            [ARTIST_NAME],
        ),
        "venue list": (admin_client, reverse("admin:shows_venue_changelist"), [VENUE_NAME]),
        "venue change": (
            admin_client,
            reverse("admin:shows_venue_change", args=[venue.pk]),
            [VENUE_NAME, CITY],
        ),
        "show list": (
            admin_client,
            reverse("admin:shows_show_changelist"),
            [EVENT_NAME, ARTIST_NAME, VENUE_NAME],
        ),
        "show change": (
            admin_client,
            reverse("admin:shows_show_change", args=[show.pk]),
            [EVENT_NAME, ARTIST_NAME],
        ),
        "track list": (admin_client, reverse("admin:catalog_track_changelist"), [TRACK_NAME]),
        "track change": (
            admin_client,
            reverse("admin:catalog_track_change", args=[track.pk]),
            [TRACK_NAME],
        ),
        "album list": (admin_client, reverse("admin:catalog_album_changelist"), [ALBUM_NAME]),
        "dropped tracks": (
            admin_client,
            reverse("admin:imports_droppedtrack_changelist"),
            [dropped.name, ARTIST_NAME],
        ),
        "event log": (admin_client, reverse("admin:imports_importevent_changelist"), []),
    }
    for where, (as_who, url, shown) in pages.items():
        response = as_who.get(url)
        assert response.status_code == 200, f"{where}: {response.status_code}"
        html = response.content.decode()
        for text in MARKUP:
            assert text not in html, f"{where} shows {text!r} unescaped"
        for text in shown:
            assert escaped(text) in html, f"{where} does not show {text!r} (escaped)"

    # The JSON API returns the names as data, exactly as sent.
    assert client.get(f"/api/artists/{artist.slug}").json()["name"] == ARTIST_NAME
    shows = client.get(f"/api/artists/{artist.slug}/shows").json()["items"]
    assert (shows[0]["name"], shows[0]["venue"]["name"]) == (EVENT_NAME, VENUE_NAME)
    kept = {Show: 1, Venue: 1, Track: truth.expected_studio_track_count(expected)}
    lost = sum(max(0, count - model.objects.count()) for model, count in kept.items())
    assert lost == 0
    reliability.record(
        "hostile: markup in upstream names",
        runs=1,
        rows_lost=lost,
        note=f"escaped on the artist page and {len(pages) - 1} admin pages",
    )


HTML_SINKS = re.compile(
    r"\.(innerHTML|outerHTML|insertAdjacentHTML)\b|document\.write|\.html\(|createContextualFragment"
)


def test_page_scripts_never_insert_server_data_as_html():
    """The pages' scripts put stream data (names, messages) in with `textContent` only:
    none of them uses an HTML sink. (The artist page swaps in a re-fetched copy of
    itself, parsed by DOMParser from the server's already-escaped HTML.)"""
    scripts = {
        path.relative_to(ROOT): path.read_text(encoding="utf-8")
        for path in [
            *(ROOT / "templates").rglob("*.html"),
            *(ROOT / "theset" / "static").rglob("*.js"),
        ]
    }
    assert any("EventSource" in text for text in scripts.values())  # the scripts are there
    offenders = {
        str(path): HTML_SINKS.findall(text)
        for path, text in scripts.items()
        if HTML_SINKS.search(text)
    }
    assert offenders == {}
    assert "textContent" in scripts[Path("theset/static/theset/artist_page.js")]


# --- 3. Malformed upstream answers ----------------------------------------------------

EVENTS = 4
TM_ID = "K8vZ917Brk1"


def clean_world() -> World:
    day = date.today() + timedelta(days=30)
    artist = {
        "tm_attraction_id": TM_ID,
        "name": "Brittle Band",
        "spotify_id": "0brittleArtist00000001",
        "spotify_linked": True,
        "albums": [
            {
                "spotify_id": f"0brittleAlbum00000000{a}",
                "name": f"Record {a}",
                "album_type": "album",
                "release_date": f"201{a}-05-01",
                "tracks": [
                    {
                        "spotify_id": f"0brittleTrack0000000{a}{t}",
                        "name": f"Song {a}.{t}",
                        "isrc": f"USBR1{a}00000{t}",
                        "duration_ms": 200_000 + t,
                        "truth": "studio",
                    }
                    for t in range(3)
                ],
            }
            for a in range(2)
        ],
        "events": [
            {
                "tm_event_id": f"vvG1brittle0000{n}",
                "name": "Brittle Band",
                "local_date": (day + timedelta(days=n)).isoformat(),
                "local_time": "20:00:00",
                "venue": {"tm_venue_id": f"KovZbrittle{n}", "name": f"Hall {n}", "city": "Oslo"},
            }
            for n in range(EVENTS)
        ],
    }
    return World(artists=parse_scenario({"artists": [artist]}, source="brittle"))


@dataclass(frozen=True)
class Corruption:
    """What to do to the first answer of an endpoint: raw bytes, or a change of its
    decoded JSON (a function of a copy, returning the new body)."""

    path: str  # a regular expression on the URL path
    answer: bytes | Callable[[Any], Any]


class CorruptingTransport(httpx.AsyncBaseTransport):
    """The in-process sandbox, with one endpoint's answers corrupted."""

    def __init__(self, world: World, corruption: Corruption | None) -> None:
        self._inner = sandbox_transport(world, SandboxConfig(tm_rps=0))
        self._corruption = corruption
        self.corrupted = 0  # answers corrupted (one per request to that endpoint)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self._inner.handle_async_request(request)
        corruption = self._corruption
        if corruption is None or not re.search(corruption.path, request.url.path):
            return response
        if response.status_code != 200:
            return response
        body = await response.aread()
        self.corrupted += 1
        if isinstance(corruption.answer, bytes):
            content = corruption.answer
        else:
            content = json.dumps(corruption.answer(copy.deepcopy(orjson.loads(body)))).encode()
        return httpx.Response(
            200, headers={"Content-Type": "application/json"}, content=content, request=request
        )

    async def aclose(self) -> None:
        await self._inner.aclose()


def without(key: str) -> Callable[[dict], dict]:
    def change(body: dict) -> dict:
        del body[key]
        return body

    return change


def at(path: str, value: Any = ..., *, delete: bool = False) -> Callable[[Any], Any]:
    """Set (or delete) the field at a dotted path such as `_embedded.events.0.id`."""

    def change(body: Any) -> Any:
        *parents, last = path.split(".")
        node = body
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        key: Any = int(last) if isinstance(node, list) else last
        if delete:
            del node[key]
        else:
            node[key] = value
        return body

    return change


ATTRACTION = r"/discovery/v2/attractions/[^/]+\.json$"
EVENTS_SEARCH = r"/discovery/v2/events\.json$"
TOKEN = r"^/api/token$"
ARTIST_ALBUMS = r"^/v1/artists/[^/]+/albums$"
SEVERAL_ALBUMS = r"^/v1/albums$"
SEVERAL_TRACKS = r"^/v1/tracks$"
AUDIO_FEATURES = r"^/v1/audio-features$"
FIRST_EVENT = "_embedded.events.0"

# (corruption, the phase that fails, what the run's error must say)
FAILING = [
    pytest.param(
        Corruption(ATTRACTION, b"{not json"),
        "identity",
        "Ticketmaster attraction details answered HTTP 200: answer is not valid JSON",
        id="tm-attraction-not-json",
    ),
    pytest.param(
        Corruption(ATTRACTION, b""),
        "identity",
        "Ticketmaster attraction details answered HTTP 200: answer is not valid JSON (empty body)",
        id="tm-attraction-empty-body",
    ),
    pytest.param(
        Corruption(ATTRACTION, lambda body: [body]),
        "identity",
        "Ticketmaster attraction details: malformed answer: attraction: expected an object, "
        "got an array",
        id="tm-attraction-array",
    ),
    pytest.param(
        Corruption(ATTRACTION, without("id")),
        "identity",
        "Ticketmaster attraction details: malformed answer: attraction.id: expected an id, "
        "got null",
        id="tm-attraction-without-id",
    ),
    pytest.param(
        Corruption(ATTRACTION, at("name", 42)),
        "identity",
        "Ticketmaster attraction details: malformed answer: attraction.name: expected a string, "
        "got the number 42",
        id="tm-attraction-name-number",
    ),
    pytest.param(
        Corruption(ATTRACTION, at("externalLinks", ["spotify"])),
        "identity",
        "attraction.externalLinks: expected an object, got an array",
        id="tm-attraction-links-array",
    ),
    pytest.param(
        Corruption(EVENTS_SEARCH, b"<html>Service Unavailable</html>"),
        "shows",
        "Ticketmaster events search answered HTTP 200: answer is not valid JSON",
        id="tm-events-html",
    ),
    pytest.param(
        Corruption(EVENTS_SEARCH, b'{"page": "\\ud800"}'),
        "shows",
        "Ticketmaster events search answered HTTP 200: answer is not valid JSON",
        id="tm-events-lone-surrogate",
    ),
    pytest.param(
        Corruption(EVENTS_SEARCH, lambda body: body["_embedded"]["events"]),
        "shows",
        "Ticketmaster events search: malformed answer: answer: expected an object, got an array",
        id="tm-events-array",
    ),
    pytest.param(
        Corruption(EVENTS_SEARCH, without("page")),
        "shows",
        "Ticketmaster events search: malformed answer: page: expected an object, got null",
        id="tm-events-without-page",
    ),
    pytest.param(
        Corruption(EVENTS_SEARCH, at("page.totalElements", "many")),
        "shows",
        "Ticketmaster events search: malformed answer: page.totalElements: expected an "
        "integer, got the string 'many'",
        id="tm-events-total-string",
    ),
    pytest.param(
        Corruption(EVENTS_SEARCH, at("page.totalPages", -1)),
        "shows",
        "page.totalPages: expected an integer from 0, got -1",
        id="tm-events-negative-pages",
    ),
    pytest.param(
        Corruption(EVENTS_SEARCH, at("_embedded.events", {"0": "x"})),
        "shows",
        "Ticketmaster events search: malformed answer: _embedded.events: expected an array, "
        "got an object",
        id="tm-events-object-for-list",
    ),
    pytest.param(
        Corruption(TOKEN, b"access_token=abc"),
        "catalog",
        "Spotify token answered HTTP 200: answer is not valid JSON",
        id="sp-token-not-json",
    ),
    pytest.param(
        Corruption(TOKEN, without("access_token")),
        "catalog",
        "Spotify token: malformed answer: access_token: expected a token, got null",
        id="sp-token-without-token",
    ),
    pytest.param(
        Corruption(TOKEN, at("access_token", "abc\r\nX-Injected: 1")),
        "catalog",
        "Spotify token: malformed answer: access_token: expected a token",
        id="sp-token-header-injection",
    ),
    pytest.param(
        Corruption(ARTIST_ALBUMS, lambda body: body["items"]),
        "catalog",
        "Spotify artist albums: malformed answer: answer: expected an object, got an array",
        id="sp-albums-array",
    ),
    pytest.param(
        Corruption(ARTIST_ALBUMS, at("items.0.id", "../../me")),
        "catalog",
        "Spotify artist albums: malformed answer: items[0] (offset 0).id: expected a Spotify "
        "id, got the string '../../me'",
        id="sp-album-id-path",
    ),
    pytest.param(
        Corruption(ARTIST_ALBUMS, at("items.0.album_type", "ep")),
        "catalog",
        "Spotify artist albums: malformed answer: items[0] (offset 0).album_type: 'ep' is not "
        "one of album, compilation, single",
        id="sp-album-type-unknown",
    ),
    pytest.param(
        Corruption(SEVERAL_ALBUMS, at("albums.0.tracks", delete=True)),
        "catalog",
        "Spotify several albums: malformed answer: albums[0].tracks: expected an object, got null",
        id="sp-album-without-tracks",
    ),
    pytest.param(
        Corruption(SEVERAL_ALBUMS, at("albums.0.tracks.items.0.duration_ms", delete=True)),
        "catalog",
        "Spotify several albums: malformed answer: albums[0].tracks.items[0].duration_ms: "
        "missing (expected an integer)",
        id="sp-track-without-duration",
    ),
    pytest.param(
        Corruption(SEVERAL_ALBUMS, at("albums.0.tracks.items.1.duration_ms", "3:20")),
        "catalog",
        "albums[0].tracks.items[1].duration_ms: expected an integer, got the string '3:20'",
        id="sp-track-duration-string",
    ),
    pytest.param(
        Corruption(SEVERAL_ALBUMS, at("albums.0.tracks.items.0.id", delete=True)),
        "catalog",
        "albums[0].tracks.items[0].id: expected a Spotify id, got null",
        id="sp-track-without-id",
    ),
    pytest.param(
        Corruption(SEVERAL_TRACKS, at("tracks.0.popularity", "high")),
        "catalog",
        "Spotify several tracks: malformed answer: tracks[0].popularity: expected an integer, "
        "got the string 'high'",
        id="sp-track-popularity-string",
    ),
    pytest.param(
        Corruption(SEVERAL_TRACKS, at("tracks.0.popularity", -5)),
        "catalog",
        "tracks[0].popularity: expected an integer from 0 to 100, got -5",
        id="sp-track-popularity-negative",
    ),
    pytest.param(
        Corruption(AUDIO_FEATURES, at("audio_features.0.liveness", "live")),
        "catalog",
        "Spotify audio features: malformed answer: audio_features[0].liveness: expected a "
        "number, got the string 'live'",
        id="sp-liveness-string",
    ),
    pytest.param(
        Corruption(AUDIO_FEATURES, without("audio_features")),
        "catalog",
        "Spotify audio features: malformed answer: audio_features: expected an array, got null",
        id="sp-features-missing",
    ),
]

MALFORMED_SEEN: Counter[str] = Counter()


@pytest.fixture
def upstream(settings, monkeypatch):
    """`upstream(world, corruption)` points the importer at an in-process sandbox (no
    socket) with that corruption, for inline runs and the cluster's tasks alike."""
    for name, value in importer_environment("http://sandbox.invalid").items():
        setattr(settings, name, value)
    settings.TICKETMASTER_RPS = 1000  # the limiter is not under test here
    settings.DEFAULT_RETRIES = 2

    current: dict[str, CorruptingTransport] = {}
    for client in (TicketmasterClient, SpotifyClient):
        from_settings = client.from_settings  # bound to the class

        def in_process(cls, *, transport=None, _from_settings=from_settings, **options):
            return _from_settings(transport=current["transport"], **options)

        monkeypatch.setattr(client, "from_settings", classmethod(in_process))

    def point(world: World, corruption: Corruption | None) -> CorruptingTransport:
        current["transport"] = CorruptingTransport(world, corruption)
        return current["transport"]

    return point


def import_now(*, full_catalog: bool = False) -> ImportRun:
    started = import_run_create(tm_attraction_id=TM_ID, full_catalog=full_catalog)
    return run_import(started.import_id)


def catalog_rows() -> dict[str, int]:
    return {
        "shows": Show.objects.filter(removed_upstream_at=None).count(),
        "venues": Venue.objects.count(),
        "albums": Album.objects.count(),
        "tracks": Track.objects.count(),
        "links": ArtistTrack.objects.count(),
    }


@pytest.fixture(scope="module", autouse=True)
def _report_malformed(reliability):
    MALFORMED_SEEN.clear()
    yield
    if MALFORMED_SEEN["runs"]:
        reliability.record(
            "hostile: malformed upstream JSON",
            runs=MALFORMED_SEEN["runs"],
            failures=MALFORMED_SEEN["failures"],
            rows_lost=MALFORMED_SEEN["rows_lost"],
            note="each failed readably (upstream, endpoint, field), kept its rows, not retried",
        )
    if MALFORMED_SEEN["skip runs"]:
        reliability.record(
            "hostile: malformed upstream event or odd value",
            runs=MALFORMED_SEEN["skip runs"],
            rows_lost=MALFORMED_SEEN["skip rows_lost"],
            note="a malformed event recorded and skipped, odd text and coordinates cleaned; "
            "the run succeeded",
        )


@pytest.mark.parametrize(("corruption", "phase", "error"), FAILING)
def test_a_malformed_answer_fails_the_run_readably_and_keeps_what_was_written(
    upstream, corruption, phase, error
):
    world = clean_world()
    upstream(world, None)
    first = import_now()
    assert first.status == ImportStatus.SUCCEEDED, first.error
    before = catalog_rows()
    expected = world.artists[0]
    assert before == {
        "shows": EVENTS,
        "venues": EVENTS,
        "albums": 2,
        "tracks": truth.expected_studio_track_count(expected),
        "links": truth.expected_studio_track_count(expected),
    }

    transport = upstream(world, corruption)
    # A full catalog, so the corrupted Spotify endpoint is asked again (an incremental
    # catalog would reuse the stored releases).
    run = import_now(full_catalog=True)

    assert run.status == ImportStatus.FAILED
    assert error in run.error, run.error
    assert run.stage == phase
    assert not re.search(r"Traceback|KeyError|TypeError|AttributeError|IndexError", run.error)
    failed = ImportPhase.objects.get(run=run, phase=phase)
    assert failed.status == ImportStatus.FAILED and failed.attempt == 1
    # A parse error is not transient: the corrupted endpoint was asked once, no retry.
    assert transport.corrupted == 1
    # Nothing of the previous import was lost: no show marked gone, no song unlinked.
    after = catalog_rows()
    lost = sum(max(0, before[name] - after[name]) for name in before)
    MALFORMED_SEEN["runs"] += 2  # the clean import, then the one that meets the corruption
    MALFORMED_SEEN["failures"] += 1
    MALFORMED_SEEN["rows_lost"] += lost
    assert lost == 0, (before, after)
    assert after == before


@pytest.mark.parametrize(
    ("corruption", "kept_shows", "recorded"),
    [
        pytest.param(
            Corruption(EVENTS_SEARCH, at(f"{FIRST_EVENT}.id", delete=True)),
            EVENTS - 1,
            "event ?: no event id",
            id="event-without-id",
        ),
        pytest.param(
            Corruption(EVENTS_SEARCH, at(f"{FIRST_EVENT}._embedded.venues.0.id", delete=True)),
            EVENTS - 1,
            "unreadable field (_embedded.venues[0].id: expected an id, got null)",
            id="venue-without-id",
        ),
        pytest.param(
            Corruption(EVENTS_SEARCH, at(f"{FIRST_EVENT}._embedded.venues", {"id": "x"})),
            EVENTS - 1,
            "unreadable field (_embedded.venues: expected an array, got an object)",
            id="venues-object-for-list",
        ),
        pytest.param(
            Corruption(EVENTS_SEARCH, at(f"{FIRST_EVENT}.dates.start.localDate", 20270501)),
            EVENTS - 1,
            "unreadable field (dates.start.localDate: expected a date YYYY-MM-DD, got the "
            "number 20270501)",
            id="date-number",
        ),
        pytest.param(
            Corruption(EVENTS_SEARCH, at(f"{FIRST_EVENT}.dates.status", "onsale")),
            EVENTS - 1,
            "unreadable field (dates.status: expected an object, got the string 'onsale')",
            id="status-string",
        ),
        pytest.param(
            Corruption(EVENTS_SEARCH, at(f"{FIRST_EVENT}.dates.status.code", "soldout")),
            EVENTS - 1,
            "unreadable field (dates.status.code: 'soldout' is not a Ticketmaster event status)",
            id="status-unknown",
        ),
        pytest.param(
            Corruption(EVENTS_SEARCH, at(f"{FIRST_EVENT}.id", "vvG1 \x00bad")),
            EVENTS - 1,
            "unreadable field (id: expected an id of at most 64 printable characters",
            id="event-id-nul",
        ),
        pytest.param(
            Corruption(EVENTS_SEARCH, at(f"{FIRST_EVENT}._embedded.venues.0.name", 7)),
            EVENTS - 1,
            "unreadable field (_embedded.venues[0].name: expected a string, got the number 7)",
            id="venue-name-number",
        ),
        pytest.param(
            Corruption(EVENTS_SEARCH, at("_embedded.events.0", "vvG1brittle00000")),
            EVENTS - 1,
            "event ?: no event id",
            id="event-string",
        ),
    ],
)
def test_a_malformed_event_is_recorded_and_skipped_the_rest_stored(
    upstream, corruption, kept_shows, recorded
):
    """One event Ticketmaster sends unreadable is skipped (the architecture's rule: it
    must not cost the artist every other show) and recorded on the run for staff."""
    world = clean_world()
    upstream(world, corruption)

    run = import_now()

    assert run.status == ImportStatus.SUCCEEDED, run.error
    assert run.counters["events_malformed"] == 1
    assert any(recorded in line for line in run.counters["malformed_events"]), run.counters
    stored = Show.objects.filter(artists=run.artist).count()
    lost = max(0, kept_shows - stored)
    MALFORMED_SEEN["skip runs"] += 1
    MALFORMED_SEEN["skip rows_lost"] += lost
    assert lost == 0 and stored == kept_shows
    assert Track.objects.count() == truth.expected_studio_track_count(world.artists[0])


@pytest.mark.parametrize(
    ("field", "value", "stored"),
    [
        pytest.param("name", "A" * 10_000, "A" * 300, id="10kB-name-cut"),
        pytest.param("name", "Hall\x00 of\x00 NUL", "Hall of NUL", id="nul-removed"),
        pytest.param("name", "  \u202eHall \U0001f3b8  ", "\u202eHall \U0001f3b8", id="unicode"),
        pytest.param("location", {"latitude": "NaN", "longitude": "1e400"}, None, id="nan"),
        pytest.param("location", {"latitude": "91", "longitude": "-181"}, None, id="off-globe"),
        pytest.param("location", {"latitude": True, "longitude": []}, None, id="wrong-types"),
    ],
)
def test_odd_but_harmless_venue_values_are_cleaned_not_refused(upstream, field, value, stored):
    """Display text is cleaned (NUL removed: PostgreSQL refuses it; cut to its column)
    and unusable coordinates dropped, on both databases, instead of failing the write."""
    world = clean_world()
    upstream(
        world, Corruption(EVENTS_SEARCH, at(f"{FIRST_EVENT}._embedded.venues.0.{field}", value))
    )

    run = import_now()

    assert run.status == ImportStatus.SUCCEEDED, run.error
    lost = EVENTS - Show.objects.count()
    MALFORMED_SEEN["skip runs"] += 1
    MALFORMED_SEEN["skip rows_lost"] += max(0, lost)
    assert lost == 0
    venue = Venue.objects.get(tm_venue_id="KovZbrittle0")
    if field == "name":
        assert venue.name == stored
    else:
        assert (venue.latitude, venue.longitude) == (None, None)


def test_a_malformed_answer_on_the_cluster_is_not_requeued(upstream, settings):
    """The phases as the cluster runs them: the failing task records the failure and
    returns normally, so django-q acknowledges it (only a task that raises, or whose
    worker dies, is handed out again) and no further task is queued for the run."""
    assert 0 < settings.Q_CLUSTER["max_attempts"] <= 10  # and a dead worker is bounded too
    assert settings.Q_CLUSTER["retry"] > settings.Q_CLUSTER["timeout"]
    world = clean_world()
    upstream(world, Corruption(EVENTS_SEARCH, at("page.totalElements", "many")))
    started = start_import(TM_ID)
    run_id = started.import_id

    def queued() -> list[str]:
        return sorted(task.func() for task in OrmQ.objects.all())

    assert queued() == ["imports.tasks.identity_task"]
    OrmQ.objects.all().delete()  # as a worker takes it
    tasks.identity_task(run_id)
    assert queued() == ["imports.tasks.catalog_task", "imports.tasks.shows_task"]
    OrmQ.objects.all().delete()
    tasks.catalog_task(run_id)
    tasks.shows_task(run_id)  # returns: no exception for django-q to retry

    run = ImportRun.objects.get(pk=run_id)
    MALFORMED_SEEN["runs"] += 1
    MALFORMED_SEEN["failures"] += 1
    assert run.status == ImportStatus.FAILED
    assert "page.totalElements: expected an integer" in run.error
    assert queued() == []  # no finalize, no retry queued
    phases = {p.phase: (p.status, p.attempt) for p in ImportPhase.objects.filter(run=run)}
    assert phases["shows"] == (ImportStatus.FAILED, 1)
    assert phases["catalog"] == (ImportStatus.SUCCEEDED, 1)
    # A task delivered again anyway (a worker died after the failure) does nothing.
    tasks.shows_task(run_id)
    assert ImportPhase.objects.get(run=run, phase="shows").attempt == 1
