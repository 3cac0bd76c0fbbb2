"""A running phase's progress costs one row: `PhaseReporter.progress` appends its event
and nothing else. The run's latest event is then its live state, which the API, the
admin list and the sweeper read; transitions (start, finish, park) still write the
phase and run rows. Percent stays monotone across all of it."""

from __future__ import annotations

import itertools
import re
import threading
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from imports.models import ImportEvent, ImportPhase, ImportRun, ImportStatus
from imports.phases import PhaseName
from imports.progress import PhaseReporter, fail_run, park_phase
from imports.rules import LiveProgress, live_phase_progress, live_progress
from imports.selectors import stale_runs
from imports.services import import_run_create

pytestmark = pytest.mark.django_db

_ids = itertools.count(1)
WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE|REPLACE)\b", re.IGNORECASE)


def running_run() -> tuple[int, PhaseReporter, PhaseReporter]:
    """A run whose identity finished and whose shows and catalog phases run side by side."""
    run_id = import_run_create(tm_attraction_id=f"K8vZ917writes{next(_ids)}").import_id
    identity = PhaseReporter(run_id=run_id, phase=PhaseName.IDENTITY)
    identity.start()
    identity.finish("found the artist", {})
    shows = PhaseReporter(run_id=run_id, phase=PhaseName.SHOWS)
    catalog = PhaseReporter(run_id=run_id, phase=PhaseName.CATALOG)
    shows.start()
    catalog.start()
    return run_id, shows, catalog


def writes_of(action) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        action()
    return [q["sql"] for q in queries.captured_queries if WRITE.match(q["sql"])]


def test_a_progress_report_writes_one_row_its_event():
    run_id, shows, _ = running_run()
    before_run = ImportRun.objects.values().get(pk=run_id)
    before_phase = ImportPhase.objects.values().get(run_id=run_id, phase=PhaseName.SHOWS)

    writes = writes_of(lambda: shows.progress(40, "events page 2/5", {"shows": 400}))

    assert len(writes) == 1 and "importevent" in writes[0].lower(), writes
    assert ImportRun.objects.values().get(pk=run_id) == before_run
    assert ImportPhase.objects.values().get(run_id=run_id, phase=PhaseName.SHOWS) == before_phase
    event = ImportEvent.objects.filter(run_id=run_id).latest("pk")
    assert (event.stage, event.percent, event.message, event.counters) == (
        PhaseName.SHOWS,
        40,
        "events page 2/5",
        {"shows": 400},
    )
    assert event.status == ImportStatus.RUNNING


def test_percent_stays_monotone_through_progress_and_transitions():
    run_id, shows, catalog = running_run()
    seen = [
        shows.progress(60, "page 3"),
        catalog.progress(50, "albums"),
        shows.progress(30, "a late, lower report"),  # never shown as a step back
        catalog.progress(80, "tracks"),
    ]
    until = timezone.now() + timedelta(hours=1)
    park_phase(run_id, PhaseName.SHOWS, what="Ticketmaster's daily quota", until=until)
    seen.append(ImportEvent.objects.filter(run_id=run_id).latest("pk"))
    seen.append(catalog.finish("catalog done", {}))

    shows_percents = [e.percent for e in seen if e.stage == PhaseName.SHOWS]
    overall = [e.overall_percent for e in seen]
    assert shows_percents == [60, 60, 60, 60]  # the park keeps what progress reached
    assert overall == sorted(overall) and overall[-1] > overall[0]
    # The transition wrote the rows with what the events had reached.
    assert ImportPhase.objects.get(run_id=run_id, phase=PhaseName.SHOWS).percent == 60
    assert ImportRun.objects.get(pk=run_id).percent == overall[-1]


def test_the_api_shows_the_latest_progress_of_a_running_run(client):
    run_id, shows, _ = running_run()
    shows.progress(45, "events page 3/6")
    event = ImportEvent.objects.filter(run_id=run_id).latest("pk")
    artist_id = ImportRun.objects.get(pk=run_id).artist_id

    status = client.get(f"/api/artists/{artist_id}/status").json()
    detail = client.get(f"/api/imports/{run_id}").json()

    for answer in (status, detail):
        assert (answer["stage"], answer["percent"], answer["message"]) == (
            "shows",
            event.overall_percent,
            "events page 3/6",
        )
        # The API gives times to the millisecond.
        at = event.at.replace(microsecond=event.at.microsecond // 1000 * 1000)
        assert datetime.fromisoformat(answer["updated_at"].replace("Z", "+00:00")) == at


def test_the_admin_list_shows_the_latest_progress_of_a_running_run(admin_client):
    _, shows, _ = running_run()
    shows.progress(45, "events page 3/6 (admin)")

    page = admin_client.get(reverse("admin:imports_importrun_changelist")).content.decode()

    assert "events page 3/6 (admin)" in page


def test_a_run_whose_phase_reports_progress_is_not_stale():
    run_id, shows, _ = running_run()
    long_ago = timezone.now() - timedelta(hours=2)
    ImportRun.objects.filter(pk=run_id).update(updated_at=long_ago)
    ImportEvent.objects.filter(run_id=run_id).update(at=long_ago)
    idle_since = timezone.now() - timedelta(minutes=10)
    assert [run.pk for run in stale_runs(idle_since=idle_since)] == [run_id]

    shows.progress(50, "still fetching")  # only an event: the row stays two hours old

    assert stale_runs(idle_since=idle_since) == []


T0 = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
ROW = LiveProgress("shows", 40, "shows started", T0)
NEWER = LiveProgress("catalog", 55, "tracks read", T0 + timedelta(seconds=3))
LOWER = LiveProgress("catalog", 30, "tracks read", T0 + timedelta(seconds=3))
OLDER = LiveProgress("catalog", 55, "old news", T0 - timedelta(seconds=3))


@pytest.mark.parametrize(
    ("status", "latest", "expected"),
    [
        ("running", NEWER, NEWER),
        ("queued", NEWER, NEWER),
        ("running", None, ROW),
        # The latest event is the latest word, whatever a row write touched since
        # (a warning added bumps updated_at) or a worker host's clock says.
        ("running", OLDER, LiveProgress("catalog", 55, "old news", T0)),
        ("running", LOWER, LiveProgress("catalog", 40, "tracks read", NEWER.updated_at)),
        # What it waits for, why it failed, from the row; the percent never goes back.
        ("waiting", NEWER, replace(ROW, percent=55)),
        ("failed", NEWER, replace(ROW, percent=55)),
        ("failed", LOWER, ROW),
        ("succeeded", NEWER, replace(ROW, percent=55)),
    ],
)
def test_live_progress(status, latest, expected):
    assert live_progress(status=status, row=ROW, latest_event=latest) == expected


PHASE_ROW = LiveProgress("shows", 10, "Shows & venues started", T0)
PHASE_EVENT = LiveProgress("shows", 60, "800 of ~1,350 events fetched", T0 + timedelta(seconds=2))
EARLIER_ATTEMPT = LiveProgress("shows", 70, "page 5 (before the crash)", T0 - timedelta(minutes=5))


@pytest.mark.parametrize(
    ("status", "latest", "expected"),
    [
        ("running", PHASE_EVENT, PHASE_EVENT),
        ("running", None, PHASE_ROW),
        # An earlier attempt's words are not this one's; its percent still counts.
        ("running", EARLIER_ATTEMPT, replace(PHASE_ROW, percent=70)),
        ("succeeded", PHASE_EVENT, replace(PHASE_ROW, percent=60)),
        ("waiting", PHASE_EVENT, replace(PHASE_ROW, percent=60)),
        ("queued", PHASE_EVENT, replace(PHASE_ROW, percent=60)),
    ],
)
def test_live_phase_progress(status, latest, expected):
    assert (
        live_phase_progress(status=status, row=PHASE_ROW, started_at=T0, latest_event=latest)
        == expected
    )


def test_a_failed_run_keeps_the_percent_its_progress_reached(client):
    run_id, _, catalog = running_run()
    catalog.progress(80, "tracks read")
    reached = ImportEvent.objects.filter(run_id=run_id).latest("pk").overall_percent
    fail_run(run_id, PhaseName.SHOWS, "Ticketmaster answered 500 three times")

    detail = client.get(f"/api/imports/{run_id}").json()

    assert detail["status"] == "failed"
    assert detail["percent"] == reached  # not the row's, written at the phases' starts
    assert detail["message"].startswith("Shows & venues failed")


def test_the_run_detail_and_the_admin_run_page_show_each_phase_live(client, admin_client):
    run_id, shows, catalog = running_run()
    shows.progress(45, "events page 3/6")
    catalog.progress(30, "albums listed")

    detail = client.get(f"/api/imports/{run_id}").json()
    page = admin_client.get(
        reverse("admin:imports_importrun_change", args=[run_id])
    ).content.decode()

    phases = {p["phase"]: (p["percent"], p["message"]) for p in detail["phases"]}
    assert phases["shows"] == (45, "events page 3/6")
    assert phases["catalog"] == (30, "albums listed")
    assert phases["identity"] == (100, "found the artist")
    for words in ("events page 3/6", "albums listed"):
        assert words in page


LOCKS_RUN = re.compile(r'FROM "imports_importrun".* FOR UPDATE', re.IGNORECASE | re.DOTALL)
TOUCHES_PHASES = re.compile(r'^\s*(UPDATE|INSERT INTO) "imports_importphase"', re.IGNORECASE)


def _phase_writes_before_the_run_lock(action) -> list[str]:
    """The writes to phase rows a transition makes before it holds its run's lock."""
    with CaptureQueriesContext(connection) as queries:
        action()
    before = []
    for query in queries.captured_queries:
        if LOCKS_RUN.search(query["sql"]):
            break
        if TOUCHES_PHASES.match(query["sql"]):
            before.append(query["sql"])
    return before


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor == "sqlite", reason="SQLite locks the database, not rows")
@pytest.mark.parametrize("transition", ["start", "resume", "finish", "park", "fail beside a park"])
def test_a_transition_locks_its_run_before_its_phases_rows(transition):
    # One order for every transition, or two of them at once deadlock: a parked phase
    # resuming (run, then its row) while another fails the run (which ends the parked one).
    run_id, shows, catalog = running_run()
    until = timezone.now() + timedelta(minutes=5)
    if transition in ("resume", "fail beside a park"):
        park_phase(run_id, PhaseName.CATALOG, what="Spotify's rate limit", until=until)
    actions = {
        "start": lambda: PhaseReporter(run_id=run_id, phase=PhaseName.FINALIZE).start(),
        "resume": catalog.start,
        "finish": lambda: shows.finish("done", {}),
        "park": lambda: park_phase(run_id, PhaseName.SHOWS, what="the quota", until=until),
        # The failing phase marks its own row first; the rest of the run after its lock.
        "fail beside a park": lambda: fail_run(run_id, PhaseName.SHOWS, "boom"),
    }
    before = _phase_writes_before_the_run_lock(actions[transition])
    allowed = 1 if transition == "fail beside a park" else 0
    assert len(before) == allowed, before


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor == "sqlite", reason="SQLite locks the database, not rows")
@pytest.mark.skipif(not django_settings.REDIS_URL, reason="only publishing to Redis reads it")
def test_a_report_that_waited_for_the_run_lock_knows_the_event_committed_before_it():
    # What the publisher trusts (the run's latest event before the new one) must be read
    # after the wait: a statement reads as of its start, before the holder's commit.
    _, shows, catalog = running_run()
    seen: dict[str, Any] = {}

    def other_worker() -> None:
        try:
            with transaction.atomic():
                seen["run"] = catalog._lock_run()
        finally:
            connections.close_all()

    with transaction.atomic():
        held = shows.progress(50, "holding the run's lock")
        waiting = threading.Thread(target=other_worker)
        waiting.start()
        with connection.cursor() as cursor:
            for _ in range(3000):  # a hang guard: the wait is observed, not timed
                # (The activity view is read once per transaction unless told again.)
                cursor.execute("SELECT pg_stat_clear_snapshot()")
                cursor.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                    " AND wait_event_type = 'Lock' AND query LIKE %s",
                    ['%"imports_importrun"%FOR UPDATE%'],
                )
                if cursor.fetchone()[0]:
                    break
                time.sleep(0.01)
            else:
                pytest.fail("the other worker never waited for the run's lock")
    waiting.join(timeout=30)
    assert seen["run"][2] == held.pk


@pytest.mark.parametrize(
    ("redis_url", "reads"), [(None, 0), ("redis://127.0.0.1:6379/15", 1)], ids=["without", "with"]
)
def test_only_with_redis_a_report_reads_the_latest_event(settings, redis_url, reads):
    # The latest event's id is for publishing to Redis only: no Redis, no query for it.
    # (The test's transaction never commits: nothing is published.)
    settings.REDIS_URL = redis_url
    _, shows, _ = running_run()
    with CaptureQueriesContext(connection) as queries:
        shows.progress(40, "events page 2/5")
    latest = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].startswith('SELECT "imports_importevent"."id"') and " DESC" in q["sql"]
    ]
    assert len(latest) == reads


def test_a_report_on_a_run_that_is_gone_says_so():
    run_id, shows, _ = running_run()
    ImportRun.objects.filter(pk=run_id).delete()
    with pytest.raises(ImportRun.DoesNotExist, match=f"import run {run_id} does not exist"):
        shows.progress(40, "events page 2/5")
