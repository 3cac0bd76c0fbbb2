"""Structured logs: one event per phase start and finish, request ids, no secrets."""

from __future__ import annotations

import io
import json
import logging

import pytest
import structlog
from django.test import RequestFactory

from imports.pipeline import run_import
from imports.services import import_run_create
from integrations.spotify import client as spotify
from sandbox import profiles
from theset.logs import REDACTED, formatter, redact, request_id_middleware


@pytest.fixture
def log_lines():
    """Everything logged at DEBUG and up, by anyone (httpx included), rendered as JSON
    lines through the formatter production uses."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    spec = formatter("json")
    handler.setFormatter(
        spec["()"](processors=spec["processors"], foreign_pre_chain=spec["foreign_pre_chain"])
    )
    root = logging.getLogger()
    levels = {name: logging.getLogger(name).level for name in ("", "httpx", "httpcore")}
    root.addHandler(handler)
    for name in levels:
        logging.getLogger(name).setLevel(logging.DEBUG)
    yield lambda: stream.getvalue()
    root.removeHandler(handler)
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("GET /discovery/v2/events.json?apikey=abc123&size=200", f"apikey={REDACTED}&size=200"),
        ("Authorization: Bearer eyJ0eXAi.abc-def_1", f"Bearer {REDACTED}"),
        ('{"access_token": "BQDx1-2_3"}', f'"access_token": "{REDACTED}"'),
        ("key sandbox-key leaked", f"key {REDACTED} leaked"),
        ("client sandbox-secret", f"client {REDACTED}"),
        ("nothing secret here", "nothing secret here"),
    ],
)
def test_redact(line, expected, settings):
    settings.TICKETMASTER_API_KEY = "sandbox-key"
    settings.SPOTIFY_CLIENT_SECRET = "sandbox-secret"
    assert expected in redact(line)


@pytest.mark.django_db
def test_a_whole_import_logs_each_phase_and_no_secret(sandbox, log_lines, settings):
    with sandbox(latency_ms=0):
        started = import_run_create(tm_attraction_id=profiles.BUILTIN_ATTRACTION_IDS["mid"])
        run = run_import(started.import_id)
        tokens = [token.value for token in spotify._tokens.values()]
    assert run.status == "succeeded", run.error
    output = log_lines()
    assert tokens and all(token not in output for token in tokens)
    for secret in (
        settings.TICKETMASTER_API_KEY,
        settings.SPOTIFY_CLIENT_ID,
        settings.SPOTIFY_CLIENT_SECRET,
    ):
        assert secret not in output
    assert "HTTP Request" in output  # httpx did log its requests (redacted)

    events = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    phase_events = [e for e in events if e.get("event") in ("phase started", "phase finished")]
    order = [(e["event"], e["phase"]) for e in phase_events]
    # Identity first, finalize last, shows and catalog side by side in between.
    assert order[:2] == [("phase started", "identity"), ("phase finished", "identity")]
    assert order[-2:] == [("phase started", "finalize"), ("phase finished", "finalize")]
    assert sorted(order[2:-2]) == [
        ("phase finished", "catalog"),
        ("phase finished", "shows"),
        ("phase started", "catalog"),
        ("phase started", "shows"),
    ]
    for event in phase_events:
        assert event["run_id"] == run.pk
        assert event["artist"] == profiles.BUILTIN_ATTRACTION_IDS["mid"]
        assert event["level"] == "info"
    finished = {e["phase"]: e for e in phase_events if e["event"] == "phase finished"}
    assert finished["shows"]["shows"] == run.counters["shows"]
    assert finished["catalog"]["tracks_kept"] == run.counters["tracks_kept"]
    assert all(e["seconds"] >= 0 for e in finished.values())


def test_requests_get_an_id_in_the_header_and_on_their_log_lines(log_lines):
    logger = structlog.get_logger("tests")

    def view(request):
        logger.info("inside the view")
        from django.http import HttpResponse

        return HttpResponse("ok")

    middleware = request_id_middleware(view)
    response = middleware(RequestFactory().get("/x"))
    generated = response["X-Request-ID"]
    assert len(generated) == 32
    offered = middleware(RequestFactory().get("/x", HTTP_X_REQUEST_ID="lb-1234.5"))
    assert offered["X-Request-ID"] == "lb-1234.5"
    hostile = middleware(RequestFactory().get("/x", HTTP_X_REQUEST_ID="<script>\n"))
    assert hostile["X-Request-ID"] != "<script>\n"
    lines = [json.loads(line) for line in log_lines().splitlines() if "inside the view" in line]
    assert [line["request_id"] for line in lines] == [
        generated,
        "lb-1234.5",
        hostile["X-Request-ID"],
    ]


def test_an_exception_logged_by_the_standard_library_keeps_its_traceback(log_lines):
    try:
        raise ValueError("boom")
    except ValueError:
        logging.getLogger("tests").exception("it broke")
    [line] = [json.loads(x) for x in log_lines().splitlines() if "it broke" in x]
    assert "Traceback (most recent call last)" in line["exception"]
    assert "ValueError: boom" in line["exception"]
