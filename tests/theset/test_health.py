"""GET /health/: the load balancers' probe, against real dependencies on 127.0.0.1.

Checks run on the health module's own threads, with their own database connections,
so tests of the view use a transactional database: the checks must see the rows a
test writes, as they see what another process (a qcluster) commits.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.db import DEFAULT_DB_ALIAS, connections
from django.test import Client
from django.utils import timezone
from django_q.brokers import get_broker
from django_q.conf import Conf
from django_q.models import Schedule, Task
from django_q.scheduler import scheduler
from django_q.tasks import async_task

from imports.health import (
    QUOTA_CHECK,
    SWEEP_FUNC,
    SWEEP_HEARTBEAT,
    SWEEP_SCHEDULE_NAME,
    check_quotas,
)
from integrations.http.quota import HoldReason, QuotaLedger, QuotaObservation
from theset import health
from theset.health import cluster_heartbeats, cluster_silence_seconds, overall_status

SECRETS = ("tm-key-do-not-leak", "spotify-secret-do-not-leak", "redis-pass-do-not-leak")
NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
# 2100-01-01T00:00:00Z: a quota window no test outlives.
QUOTA_RESET = 4_102_444_800.0


def an_hour_before_the_reset() -> float:
    """The ledger's clock when it learns of the window: a reset further away than two
    days is not believed (integrations.http.quota.LONGEST_WAIT_SECONDS)."""
    return QUOTA_RESET - 3600


# --- Pure decisions ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("outcomes", "require_cluster", "expected"),
    [
        ({"database": True, "broker": True, "cluster": True}, True, "ok"),
        ({"database": False, "broker": True, "cluster": True}, True, "unhealthy"),
        ({"database": True, "broker": False, "cluster": True}, True, "unhealthy"),
        ({"database": True, "broker": True, "redis": False}, True, "unhealthy"),
        ({"database": True, "broker": True, "cluster": False}, True, "unhealthy"),
        ({"database": True, "broker": True, "cluster": False}, False, "ok"),
        ({"database": False, "broker": True, "cluster": True}, False, "unhealthy"),
        ({"database": True, "upstream_ticketmaster": False}, True, "ok"),
        ({"database": True, "upstream_spotify": False}, True, "ok"),
        ({"database": True, "quotas": False}, True, "ok"),
        ({}, True, "ok"),
    ],
    ids=[
        "all-pass",
        "database-down",
        "broker-down",
        "redis-down",
        "cluster-silent-required",
        "cluster-silent-informational",
        "database-down-web-only",
        "ticketmaster-down-is-reported-only",
        "spotify-down-is-reported-only",
        "quota-ledger-unreadable-is-reported-only",
        "nothing-to-check",
    ],
)
def test_overall_status(outcomes, require_cluster, expected):
    assert overall_status(outcomes, require_cluster=require_cluster) == expected


@pytest.mark.parametrize(
    ("last_ran", "last_scheduled", "expected"),
    [
        (None, None, None),
        (NOW - timedelta(seconds=40), None, 40.0),
        (None, NOW - timedelta(seconds=70), 70.0),
        (NOW - timedelta(minutes=30), NOW - timedelta(seconds=20), 20.0),
        (NOW - timedelta(seconds=5), NOW - timedelta(minutes=30), 5.0),
        (NOW + timedelta(seconds=2), None, 0.0),
    ],
    ids=[
        "never-seen",
        "worker-ran-it",
        "scheduler-queued-it",
        "busy-workers-but-scheduler-alive",
        "latest-sign-wins",
        "clock-ahead-is-now",
    ],
)
def test_cluster_silence_seconds(last_ran, last_scheduled, expected):
    silence = cluster_silence_seconds(last_ran=last_ran, last_scheduled=last_scheduled, now=NOW)
    assert silence == expected


def test_the_imports_app_registers_the_sweeper_as_the_cluster_heartbeat():
    """theset.health names no app: the sweeper's schedule comes from ImportsConfig.ready()."""
    assert SWEEP_HEARTBEAT in cluster_heartbeats()
    source = Path(health.__file__).read_text()
    assert SWEEP_FUNC not in source
    assert SWEEP_SCHEDULE_NAME not in source


def test_the_imports_app_registers_the_quota_report_as_an_informational_check():
    """theset.health names no app: the quota report comes from ImportsConfig.ready()."""
    assert health.informational_checks()[QUOTA_CHECK] is check_quotas
    assert not health.is_required(QUOTA_CHECK, require_cluster=True)
    source = Path(health.__file__).read_text()
    assert "integrations" not in source
    assert check_quotas.__name__ not in source


@pytest.mark.parametrize("name", ["database", "redis", "cluster", "upstream_spotify"])
def test_an_informational_check_cannot_take_a_project_checks_name(name):
    with pytest.raises(ValueError, match="project's own health checks"):
        health.register_informational_check(name, dict)


def test_without_a_heartbeat_the_cluster_check_fails_readably(monkeypatch):
    monkeypatch.setattr(health, "_cluster_heartbeats", {})

    with pytest.raises(health.HealthCheckFailed, match="no app registered a cluster heartbeat"):
        health.check_cluster()


# --- Helpers -------------------------------------------------------------------------


def closed_port() -> int:
    """A 127.0.0.1 port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def sweep_schedule(**fields) -> Schedule:
    """The sweeper schedule as migration 0003 creates it (a transactional flush removes it)."""
    schedule, _ = Schedule.objects.update_or_create(
        name=SWEEP_SCHEDULE_NAME,
        defaults={
            "func": SWEEP_FUNC,
            "schedule_type": Schedule.MINUTES,
            "minutes": 1,
            "repeats": -1,
            **fields,
        },
    )
    return schedule


def sweeper_ran(*, ago: timedelta) -> None:
    """A worker ran the sweeper `ago` back: django-q2's own worker and monitor write the row."""
    task_id = async_task(SWEEP_FUNC, sync=True)
    started = timezone.now() - ago
    Task.objects.filter(pk=task_id).update(started=started, stopped=started)


def get_health(client: Client, query: str = "") -> tuple[int, dict]:
    response = client.get(f"/health/{query}")
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "no-store"
    return response.status_code, response.json()


@pytest.fixture
def upstream_server() -> Iterator[tuple[str, list[tuple[str, str, dict[str, str]]]]]:
    """A local upstream that answers 404 to everything, recording what it was sent."""
    received: list[tuple[str, str, dict[str, str]]] = []

    class Handler(BaseHTTPRequestHandler):
        def answer(self) -> None:
            received.append((self.command, self.path, dict(self.headers)))
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()

        do_HEAD = do_GET = answer

        def log_message(self, format, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", received
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def database_down(monkeypatch) -> None:
    """New connections to the default database fail as they would with the server gone.

    Only the health checks' threads open new connections; the test's own stays usable.
    """
    database = connections.settings[DEFAULT_DB_ALIAS]
    if database["ENGINE"].endswith("sqlite3"):
        monkeypatch.setitem(database, "NAME", "/nonexistent-theset-dir/theset.sqlite3")
    else:
        monkeypatch.setitem(database, "HOST", "127.0.0.1")
        monkeypatch.setitem(database, "PORT", str(closed_port()))


@pytest.fixture
def redis_broker(monkeypatch):
    """Switches django-q2 to its Redis broker (Q_BROKER=redis) at the given URL."""

    def use(url: str) -> None:
        monkeypatch.setattr(Conf, "ORM", None)
        monkeypatch.setattr(Conf, "BROKER_CLASS", "imports.broker.PriorityRedisBroker")
        monkeypatch.setattr(Conf, "REDIS", url)

    return use


# --- The view ------------------------------------------------------------------------

view = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _cluster_required(settings):
    """Most tests here look at a required cluster check; some turn it off again."""
    settings.HEALTH_REQUIRE_CLUSTER = True


def test_the_cluster_check_is_informational_by_default():
    from theset import settings as defaults

    assert defaults.HEALTH_REQUIRE_CLUSTER is False or "HEALTH_REQUIRE_CLUSTER" in os.environ


@view
def test_healthy_when_a_cluster_swept_recently(client, settings):
    sweep_schedule()
    sweeper_ran(ago=timedelta(seconds=30))

    status, body = get_health(client)

    assert status == 200
    assert body["status"] == "ok"
    expected = {"database", "broker", "cluster", "quotas"}
    assert set(body["checks"]) == expected | ({"redis"} if settings.REDIS_URL else set())
    for check in body["checks"].values():
        assert check["ok"] is True
        assert check["ms"] >= 0
        assert "error" not in check
    assert 29 <= body["checks"]["cluster"]["last_seen_seconds_ago"] <= 60
    assert body["checks"]["quotas"]["keys"] == {}  # no upstream answered yet


@view
def test_the_cluster_check_reads_what_the_scheduler_writes(client):
    """Workers all busy with long phases: the sentinel's scheduler still proves the cluster."""
    sweep_schedule(next_run=timezone.now() - timedelta(minutes=5))
    scheduler(broker=get_broker())  # what every qcluster's sentinel runs, about every 30 s
    assert not Task.objects.filter(func=SWEEP_FUNC).exists()

    status, body = get_health(client)

    assert (status, body["checks"]["cluster"]["ok"]) == (200, True)
    assert body["checks"]["cluster"]["last_seen_seconds_ago"] <= 60


@view
def test_a_silent_cluster_is_unhealthy(client, settings):
    settings.HEALTH_CLUSTER_MAX_SILENCE_SECONDS = 180
    sweep_schedule(task="f" * 32, next_run=timezone.now() - timedelta(minutes=9))
    sweeper_ran(ago=timedelta(minutes=10))

    status, body = get_health(client)

    assert status == 503
    assert body["status"] == "unhealthy"
    cluster = body["checks"]["cluster"]
    assert cluster["ok"] is False
    assert cluster["error"].startswith("no qcluster seen for 6")
    assert cluster["max_silence_seconds"] == 180
    assert body["checks"]["database"]["ok"] is True


@view
def test_a_cluster_that_never_ran_is_unhealthy(client):
    """The migration's schedule alone (never queued by a scheduler) proves nothing."""
    sweep_schedule(next_run=timezone.now())

    status, body = get_health(client)

    assert status == 503
    assert body["checks"]["cluster"] == {
        "ok": False,
        "ms": body["checks"]["cluster"]["ms"],
        "error": "no qcluster has run the stale-run sweeper yet",
        "last_seen_seconds_ago": None,
        "max_silence_seconds": 180,
    }


@view
def test_a_silent_cluster_is_reported_only_when_not_required(client, settings):
    settings.HEALTH_REQUIRE_CLUSTER = False
    sweep_schedule()

    status, body = get_health(client)

    assert status == 200
    assert body["status"] == "ok"
    assert body["checks"]["cluster"]["ok"] is False
    assert body["checks"]["cluster"]["required"] is False
    assert "required" not in body["checks"]["database"]


@view
def test_database_down_is_unhealthy(client, settings, database_down):
    settings.HEALTH_REQUIRE_CLUSTER = False

    status, body = get_health(client)

    assert status == 503
    assert body["status"] == "unhealthy"
    assert body["checks"]["database"] == {
        "ok": False,
        "ms": body["checks"]["database"]["ms"],
        "error": "OperationalError",
    }


@view
def test_broker_down_is_unhealthy(client, redis_broker):
    sweep_schedule()
    sweeper_ran(ago=timedelta(seconds=10))
    redis_broker(f"redis://127.0.0.1:{closed_port()}/0")

    status, body = get_health(client)

    assert status == 503
    assert body["checks"]["broker"]["ok"] is False
    assert body["checks"]["broker"]["error"] == "ConnectionError"
    assert body["checks"]["database"]["ok"] is True


@view
def test_broker_up_on_redis(client, settings, redis_broker):
    if not settings.REDIS_URL:
        pytest.skip("needs REDIS_URL (the PostgreSQL + Redis lane)")
    redis_broker(settings.REDIS_URL)

    _, body = get_health(client)

    assert body["checks"]["broker"] == {"ok": True, "ms": body["checks"]["broker"]["ms"]}


@view
def test_redis_down_is_unhealthy_and_the_body_leaks_no_secrets(
    admin_client, settings, database_down
):
    settings.TICKETMASTER_API_KEY = SECRETS[0]
    settings.SPOTIFY_CLIENT_SECRET = SECRETS[1]
    settings.REDIS_URL = f"redis://:{SECRETS[2]}@127.0.0.1:{closed_port()}/0"
    settings.TICKETMASTER_BASE_URL = f"http://127.0.0.1:{closed_port()}"
    settings.SPOTIFY_API_URL = f"http://127.0.0.1:{closed_port()}"

    response = admin_client.get("/health/?upstream=1")

    assert response.status_code == 503
    body = response.json()
    assert body["checks"]["redis"]["error"] == "ConnectionError"
    # The quota ledger lives in that Redis: unreadable, reported like the upstreams.
    quotas = body["checks"]["quotas"]
    assert quotas == {
        "ok": False,
        "ms": quotas["ms"],
        "error": "ConnectionError",
        "required": False,
    }
    text = response.content.decode()
    for secret in (*SECRETS, settings.SECRET_KEY, "Traceback", "127.0.0.1", "nonexistent"):
        assert secret not in text


@view
def test_a_hanging_check_fails_within_the_deadline(client, settings, monkeypatch):
    settings.HEALTH_REQUIRE_CLUSTER = False
    release = threading.Event()
    monkeypatch.setattr(health, "CHECK_TIMEOUT_SECONDS", 0.3)
    monkeypatch.setattr(health, "check_database", lambda: release.wait(10) or {})
    try:
        started = time.monotonic()
        status, body = get_health(client)
        elapsed = time.monotonic() - started
    finally:
        release.set()

    assert status == 503
    assert body["checks"]["database"]["error"] == "timed out after 0.3 s"
    assert body["checks"]["broker"]["ok"] is True
    assert elapsed < 1.5


@view
def test_upstream_reachable_and_unreachable(admin_client, settings, upstream_server):
    base_url, received = upstream_server
    settings.TICKETMASTER_API_KEY = SECRETS[0]
    settings.SPOTIFY_CLIENT_SECRET = SECRETS[1]
    settings.TICKETMASTER_BASE_URL = base_url
    settings.SPOTIFY_API_URL = f"http://127.0.0.1:{closed_port()}"
    sweep_schedule()
    sweeper_ran(ago=timedelta(seconds=5))

    status, body = get_health(admin_client, "?upstream=1")

    # Any HTTP answer, even a 404, means reachable; an upstream outage is reported only.
    assert status == 200
    assert body["checks"]["upstream_ticketmaster"]["ok"] is True
    assert body["checks"]["upstream_ticketmaster"]["http_status"] == 404
    assert body["checks"]["upstream_spotify"]["ok"] is False
    assert body["checks"]["upstream_spotify"]["error"] == "ConnectError"
    assert body["checks"]["upstream_spotify"]["required"] is False
    assert [(method, path) for method, path, _ in received] == [("HEAD", "/")]
    sent = str(received)
    assert SECRETS[0] not in sent
    assert SECRETS[1] not in sent


@view
def test_upstream_is_checked_only_when_asked(client, settings, upstream_server):
    base_url, received = upstream_server
    settings.TICKETMASTER_BASE_URL = settings.SPOTIFY_API_URL = base_url

    _, body = get_health(client)
    assert "upstream_ticketmaster" not in body["checks"]
    assert received == []

    settings.HEALTH_CHECK_UPSTREAM = True
    _, body = get_health(client)
    assert body["checks"]["upstream_spotify"]["ok"] is True
    assert len(received) == 2


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_other_methods_are_not_allowed(method):
    # CSRF enforced as in a browser: the answer is 405, not 403.
    response = getattr(Client(enforce_csrf_checks=True), method)("/health/")
    assert response.status_code == 405
    assert set(response["Allow"].split(", ")) == {"GET", "HEAD"}


@view
def test_only_staff_can_ask_for_the_upstream_checks(client, settings, upstream_server):
    settings.TICKETMASTER_BASE_URL, received = upstream_server
    sweep_schedule()
    sweeper_ran(ago=timedelta(seconds=5))

    status, body = get_health(client, "?upstream=1")

    assert status == 200
    assert not set(body["checks"]) & {"upstream_ticketmaster", "upstream_spotify"}
    assert received == []


@view
def test_the_quota_ledger_is_reported_and_a_spent_quota_is_healthy(client, settings):
    settings.RESYNC_QUOTA_RESERVE = 0.25
    sweep_schedule()
    sweeper_ran(ago=timedelta(seconds=5))
    ticketmaster = QuotaLedger("ticketmaster:test", clock=an_hour_before_the_reset)
    ticketmaster.observe(QuotaObservation(limit=5000, available=120, reset_at=QUOTA_RESET))
    ticketmaster.refuse(reason=HoldReason.QUOTA, retry_after=None)
    # Spotify asked for a wait and sends no quota figures: those are not known.
    QuotaLedger("spotify:test", clock=lambda: QUOTA_RESET - 100).refuse(
        reason=HoldReason.RETRY_AFTER, retry_after=29.5
    )
    # A window that is over has its budget back; no block, no reset time known.
    QuotaLedger("ticketmaster:old").observe(
        QuotaObservation(limit=5000, available=3, reset_at=1_000_000.0)
    )

    status, body = get_health(client)

    assert (status, body["status"]) == (200, "ok")
    quotas = body["checks"]["quotas"]
    assert quotas == {
        "ok": True,
        "ms": quotas["ms"],
        "required": False,
        "resync_reserve": 0.25,
        "keys": {
            "spotify:test": {
                "limit": None,
                "available": None,
                "used": None,
                "reset_at": None,
                # 70.5 s before the reset, reported to the next whole second.
                "blocked_until": "2099-12-31T23:58:50Z",
                "blocked_by": "retry_after",
                "refusals": 1,
            },
            "ticketmaster:old": {
                "limit": 5000,
                "available": 5000,
                "used": 0,
                "reset_at": None,
                "blocked_until": None,
                "blocked_by": None,
                "refusals": 0,
            },
            "ticketmaster:test": {
                "limit": 5000,
                "available": 0,
                "used": 5000,
                "reset_at": "2100-01-01T00:00:00Z",
                "blocked_until": "2100-01-01T00:00:00Z",
                "blocked_by": "quota",
                "refusals": 1,
            },
        },
    }


@view
def test_an_unreadable_quota_ledger_is_reported_without_a_503(client, settings, tmp_path):
    settings.HEALTH_REQUIRE_CLUSTER = False
    settings.REDIS_URL = None  # the ledger in its file, whatever the lane
    settings.QUOTA_LEDGER_FILE = tmp_path / "quota.sqlite3"
    settings.QUOTA_LEDGER_FILE.write_text("not a database")

    status, body = get_health(client)

    assert (status, body["status"]) == (200, "ok")
    quotas = body["checks"]["quotas"]
    assert quotas == {"ok": False, "ms": quotas["ms"], "error": "DatabaseError", "required": False}
    assert body["checks"]["database"]["ok"] is True
