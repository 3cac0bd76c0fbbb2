"""Every route of `/api/openapi.json` under schemathesis: generated valid and invalid
input (paths, queries, bodies, headers), in-process through Django's WSGI handler.

Each answer must be no server error (5xx) and must conform to the published schema
(status code listed, content type, body schema, headers). Write routes are called
with an API key, so they are exercised past the 401, and once without, so the 401
is checked too. Kickoffs only queue the import (ORM broker): the test fails if any
connection is opened to anything but 127.0.0.1 / ::1, or an upstream HTTP request is
sent. Deterministic (derandomized generation) and bounded (few examples per route).
"""

from __future__ import annotations

import contextlib
import ipaddress
import re
import socket
import zlib
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
import schemathesis
from django.conf import settings as settings_module
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.utils import timezone
from django_q.models import OrmQ
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from imports.models import ImportRun, ImportStatus
from imports.services import start_import
from tests.factories import link_track, make_artist, make_show, make_track, make_venue
from theset.services import api_key_create

# Per route and phase (examples, coverage, fuzzing): small enough for well under a
# minute in all, large enough to reach every parameter's edge cases.
MAX_EXAMPLES = 100

STORED: dict[str, int | str] = {}  # path parameters of the stored records
SEEN: Counter[str] = Counter()  # answers by status class, for the reliability report


@pytest.fixture(autouse=True)
def _quiet_and_own_throttle(settings, own_throttle_counts):
    """Each run counts kickoffs from zero (tests/conftest.py); the rate is high enough
    that a generated burst is not answered 429 throughout (the 429 itself is covered in
    tests/test_api.py)."""
    settings.IMPORT_KICKOFF_RATE = "100000/min"


def _loopback(host: object) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
    except ValueError:
        return False


@contextlib.contextmanager
def refusing_the_outside_world() -> Iterator[list[str]]:
    """Refuse, and list, every connection to a host that is not 127.0.0.1 / ::1 and
    every upstream HTTP request (httpx is how the importer reaches its upstreams)."""
    leaks: list[str] = []
    connect = socket.socket.connect

    def guarded_connect(self, address):
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _loopback(address[0]):
            leaks.append(f"connection to {address!r}")
            raise OSError(f"test refuses a connection to {address!r}")
        return connect(self, address)

    def no_upstream(client, request, *args, **kwargs):
        leaks.append(f"upstream request {request.method} {request.url}")
        raise httpx.ConnectError("test refuses upstream requests", request=request)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(socket.socket, "connect", guarded_connect)
        patch.setattr(httpx.AsyncClient, "send", no_upstream)
        patch.setattr(httpx.Client, "send", no_upstream)
        yield leaks


@pytest.fixture(autouse=True)
def _nothing_leaves_loopback():
    """A kickoff only queues its first phase: nothing may leave this machine."""
    with refusing_the_outside_world() as leaks:
        yield
    assert leaks == []


def test_the_guard_refuses_and_reports_what_would_leave():
    with refusing_the_outside_world() as leaks:
        with pytest.raises(OSError):
            socket.create_connection(("192.0.2.1", 80), timeout=1)  # TEST-NET-1
        with pytest.raises(httpx.ConnectError):
            httpx.get("http://127.0.0.1:9/events.json")
        loopback = socket.socket()
        with contextlib.suppress(OSError):  # nothing listens there: refused, not guarded
            loopback.connect(("127.0.0.1", 9))
        loopback.close()

    assert leaks == [
        "connection to ('192.0.2.1', 80)",
        "upstream request GET http://127.0.0.1:9/events.json",
    ]


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    """As Django's test client does: the handler must not close the connection that
    holds the test's transaction at the end of each request."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def stored(db) -> str:
    """An artist with a show, a studio song and a queued run (so id and slug routes also
    answer 200); the API key every generated call carries."""
    artist = make_artist(name="Schema Band", slug="schema-band")
    link_track(artist, make_track(name="Song"))
    make_show(
        artist=artist,
        tm_event_id="vvG1schema0001",
        name="Schema Band",
        local_date=timezone.localdate() + timedelta(days=7),
        venue=make_venue(),
    )
    started = start_import(artist.tm_attraction_id)
    STORED.update(artist_id=artist.pk, id_or_slug=artist.slug, import_id=started.import_id)
    return api_key_create(name="schemathesis").plaintext


def _aim_at_stored_records(case) -> None:
    """Point every other valid generated id at the stored records, so that the 200
    answers (the bodies with the most schema to conform to) are generated too, not
    only 404s. A valid id is swapped for another valid id: the case stays what it was
    (valid or not) for the rest of its input."""
    for name, value in list((case.path_parameters or {}).items()):
        valid = (isinstance(value, int) and value >= 1) or (
            isinstance(value, str) and re.fullmatch(r"[-A-Za-z0-9_]{1,120}", value)
        )
        if name in STORED and valid and zlib.crc32(repr(value).encode()) % 2 == 0:
            case.path_parameters[name] = STORED[name]


# Loaded from the app itself at collection (Django is set up by then; the schema view
# reads no database). `schemathesis.pytest.from_fixture` would load it per test, but
# its lazy loader sets `request.node._nodeid`, which pytest 9.2 no longer has.
schema = schemathesis.openapi.from_wsgi("/api/openapi.json", get_wsgi_application())
schema.config.generation.update(
    modes=["positive", "negative"], max_examples=MAX_EXAMPLES, deterministic=True
)


@schema.parametrize()
# The data fixture is read-only for the generated calls; kickoffs only add runs.
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_every_route_answers_without_server_error_and_as_published(case, stored):
    """With a valid API key: reads, kickoffs and cancels, valid and invalid input. A
    kickoff that is accepted has only queued its run and the run's first task; a cancel
    that is accepted has failed the run."""
    _aim_at_stored_records(case)
    response = case.call_and_validate(
        headers={"X-API-Key": stored}, excluded_checks=_documented_refusals(case)
    )
    _count(response.status_code)
    if case.path == "/api/artists/import" and response.status_code in (200, 202):
        run = ImportRun.objects.get(pk=response.json()["import_id"])
        assert run.status == ImportStatus.QUEUED, "a kickoff ran more than the kickoff"
        assert OrmQ.objects.filter(key=settings_module.Q_CLUSTER["name"]).exists()
    if case.path == "/api/imports/{import_id}/cancel" and response.status_code == 200:
        run = ImportRun.objects.get(pk=response.json()["id"])
        assert run.status == ImportStatus.FAILED, "a cancel left the run active"


@schema.include(method="POST").parametrize()
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_write_routes_without_credentials_are_401_as_published(case, stored):
    """Whatever the body, no credentials is a 401 (authentication comes first)."""
    response = case.call_and_validate()
    _count(response.status_code)
    if case.method == "POST":  # the other methods are schemathesis' 405 probes
        assert response.status_code == 401, response.text
    assert ImportRun.objects.count() == 1  # only the fixture's


def _documented_refusals(case) -> list:
    """Checks that do not apply to this case: a reversed date range is valid for the
    schema (two dates) but documented as refused with a 422 (see `date_to`)."""
    query = case.query or {}
    date_from, date_to = query.get("date_from"), query.get("date_to")
    if (
        case.path.endswith("/shows")
        and isinstance(date_from, str)
        and isinstance(date_to, str)
        and date_to < date_from
    ):
        return [positive_data_acceptance]
    return []


def _count(status: int) -> None:
    SEEN["calls"] += 1
    SEEN[f"{status // 100}xx"] += 1


@pytest.fixture(scope="module", autouse=True)
def _report(reliability):
    """One row for the whole module: generated calls, and 5xx answers among them."""
    SEEN.clear()
    yield
    if SEEN["calls"]:
        reliability.record(
            "api: schemathesis on every route",
            runs=0,
            failures=SEEN["5xx"],
            note=(
                f"{SEEN['calls']} generated calls: {SEEN['2xx']} 2xx, {SEEN['4xx']} 4xx, "
                f"{SEEN['5xx']} 5xx, none off 127.0.0.1"
            ),
        )
