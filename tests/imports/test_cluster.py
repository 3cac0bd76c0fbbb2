"""Imports through a real `qcluster` process, against the sandbox over HTTP.

The test process kicks off runs with `start_import`; a separate `manage.py
qcluster` process (pointed at the same test database) runs the phases. Runs
in both CI lanes: SQLite + ORM broker, and PostgreSQL + Redis.
"""

from __future__ import annotations

from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import close_old_connections, connection

from catalog.models import Album, ArtistTrack, SpotifyRelease, Track
from imports.models import ImportEvent, ImportRun, ImportStatus
from imports.phases import PhaseName
from imports.services import start_import
from sandbox import profiles, truth
from shows.models import Show, Venue
from tests.imports.test_import_flow import assert_stores_the_scenario, row_counts, stored_rows
from tests.support.cluster import finished_run, phases_under_way, wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.integration]

PROLIFIC = profiles.BUILTIN_ATTRACTION_IDS["prolific"]


def assert_progress_is_monotone_and_final(run: ImportRun) -> None:
    events = list(ImportEvent.objects.filter(run=run).order_by("pk"))
    per_stage: dict[str, list[int]] = defaultdict(list)
    for event in events:
        per_stage[event.stage].append(event.percent)
    for stage, percents in per_stage.items():
        assert percents == sorted(percents), f"{stage} went backwards: {percents}"
    overall = [event.overall_percent for event in events]
    assert overall == sorted(overall), f"overall percent went backwards: {overall}"
    assert set(per_stage) == {"identity", "shows", "catalog", "finalize"}
    final = events[-1]
    assert (final.stage, final.status, final.overall_percent) == ("finalize", "succeeded", 100)


@pytest.mark.parametrize(
    "broker",
    [
        "orm",
        pytest.param(
            "redis",
            marks=pytest.mark.skipif(
                not settings.REDIS_URL,
                reason="the Redis broker runs in the PostgreSQL + Redis lane",
            ),
        ),
    ],
)
def test_prolific_import_through_the_cluster_stores_what_the_inline_import_stores(
    world, cluster, sandbox, broker
):
    expected = next(a for a in world.artists if a.tm_attraction_id == PROLIFIC)
    with cluster(broker=broker, latency_ms=20) as (qcluster, _):
        started = start_import(PROLIFIC)
        run = finished_run(started.import_id, qcluster)
        assert run.status == ImportStatus.SUCCEEDED, run.error
        assert_stores_the_scenario(run, expected)
        assert_progress_is_monotone_and_final(run)
        through_cluster = stored_rows(run.artist_id), row_counts()

    # The same artist imported inline, from scratch, stores the same rows.
    for model in (ArtistTrack, Track, Album, SpotifyRelease, Show, Venue):
        model.objects.all().delete()
    with sandbox(latency_ms=20):
        call_command("import_artist", PROLIFIC, "--inline")
    assert (stored_rows(run.artist_id), row_counts()) == through_cluster


def test_the_sweeper_requeues_a_phase_whose_task_died_with_its_worker(world, cluster, settings):
    """kill -9 mid-phase, and the broker has lost the task too (as the Redis broker
    does, which pops without acknowledging): only the sweeper can bring the run back."""
    from django_q.models import OrmQ

    from imports.rules import SweepAction
    from imports.services import stale_runs_sweep

    expected = next(a for a in world.artists if a.tm_attraction_id == PROLIFIC)
    settings.IMPORT_STALE_AFTER_SECONDS = 0
    with cluster(latency_ms=150, jitter_ms=0) as (qcluster, _):
        started = start_import(PROLIFIC)
        wait_for(
            lambda: phases_under_way(started.import_id, PhaseName.SHOWS),
            timeout=60,
            what="the shows phase to be running",
            qcluster=qcluster,
        )
        qcluster.kill()
        OrmQ.objects.all().delete()  # the lost tasks
        close_old_connections()
        swept = {s.run_id: s for s in stale_runs_sweep()}[started.import_id]
        assert swept.action == SweepAction.REQUEUE
        assert "shows" in swept.phases
        qcluster.start()
        run = finished_run(started.import_id, qcluster, timeout=90)
    assert run.status == ImportStatus.SUCCEEDED, run.error
    assert_stores_the_scenario(run, expected)
    assert run.requeued_at is not None
    assert any("re-queued" in warning for warning in run.warnings)


def test_fifty_concurrent_kickoffs_make_one_run_and_everyone_gets_its_id():
    def kickoff(_: int) -> int:
        try:
            return start_import("K8vZ917Race1").import_id
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=50) as pool:
        ids = list(pool.map(kickoff, range(50)))
    assert len(set(ids)) == 1
    assert ImportRun.objects.filter(artist__tm_attraction_id="K8vZ917Race1").count() == 1


def test_the_command_queues_waits_with_progress_lines_and_reports(world, cluster, capsys):
    mid = profiles.BUILTIN_ATTRACTION_IDS["mid"]
    (mid_artist,) = [a for a in world.artists if a.tm_attraction_id == mid]
    shows = len(truth.expected_upcoming_event_ids(mid_artist))
    with cluster():
        call_command("import_artist", mid, "--timeout", "90")
    out = capsys.readouterr().out
    assert f"{mid}: import #" in out and "queued" in out
    assert f"{mid}: [identity   0% | run   0%] Identity started" in out
    assert f"{mid}: [finalize 100% | run 100%] import finished" in out
    assert f"{mid}: Café Lumière | {shows} shows" in out


def test_the_command_can_return_right_after_kickoff(capsys):
    call_command("import_artist", "K8vZ917NoWait", "--no-wait")
    assert "K8vZ917NoWait: import #" in capsys.readouterr().out
    run = ImportRun.objects.get(artist__tm_attraction_id="K8vZ917NoWait")
    assert run.status == ImportStatus.QUEUED
