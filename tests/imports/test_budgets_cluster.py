"""Upstream budgets through real `qcluster` processes, against the sandbox over HTTP, in
real time: a phase that must wait for an upstream parks (its task ends, its worker is
free), resumes by itself when the upstream said, survives a killed cluster meanwhile,
and re-syncs leave the imports people start a reserve of the daily quota.

The figures of the quota test (requests, refusals, wall time against the window) are
written to test-artifacts/budgets-<database>.md.
"""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from django_q.models import Schedule

from catalog.models import Album, Artist, ArtistTrack, SpotifyRelease, Track
from imports.models import (
    ACTIVE_STATUSES,
    ImportPhase,
    ImportRun,
    ImportStatus,
    ImportTrigger,
    ShowsBatch,
)
from imports.phases import PhaseName
from imports.schedules import resync_stale_artists
from imports.services import start_import
from integrations.http.quota import quota_ledger_clear, quota_reports
from sandbox import profiles
from sandbox.server import SANDBOX_CREDENTIALS
from shows.models import Show, Venue
from tests.imports.test_import_flow import row_counts, stored_rows
from tests.support.cluster import finished_run, wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.integration]

PROLIFIC = profiles.BUILTIN_ATTRACTION_IDS["prolific"]
MID = profiles.BUILTIN_ATTRACTION_IDS["mid"]
SPARSE = profiles.BUILTIN_ATTRACTION_IDS["sparse"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

# The prolific import sends 8 Ticketmaster requests: identity, then 7 event pages (in 2
# date windows). A quota of 7 per window fits identity and 6 pages; the shows phase,
# which starts its listing over when it resumes, fits in the next window.
QUOTA, WINDOW_SECONDS = 7, 10
# No per-second spike arrests from the sandbox (the importer still keeps to 5 a second):
# on a loaded machine a request can reach it closer to the last than our margin, and
# then every 429 counted here is a quota refusal.
NO_SPIKE_ARREST = {"tm_rps": 0}


def waiting_run(import_id: int, phase: PhaseName, qcluster) -> ImportRun:
    return wait_for(
        lambda: ImportRun.objects.filter(
            pk=import_id,
            phases__phase=phase,
            phases__status=ImportStatus.WAITING,
        ).first(),
        timeout=90,
        what=f"import #{import_id} to park its {phase} phase",
        qcluster=qcluster,
    )


def unhindered_rows(sandbox, artist_id: int) -> tuple[dict, dict]:
    """The rows the same import stores with no budget in its way: inline, from scratch."""
    for model in (ArtistTrack, Track, Album, SpotifyRelease, Show, Venue):
        model.objects.all().delete()
    quota_ledger_clear()
    with sandbox():
        call_command("import_artist", PROLIFIC, "--inline")
    return stored_rows(artist_id), row_counts()


def tm_figures(stats: dict) -> tuple[int, int]:
    """Ticketmaster requests the sandbox received, and the 429s it answered."""
    endpoints = stats["endpoints"]
    requests = sum(v["requests"] for k, v in endpoints.items() if k.startswith("tm."))
    refused = sum(n for k, n in stats["rate_limited_by_endpoint"].items() if k.startswith("tm."))
    return requests, refused


def test_a_spent_quota_parks_the_import_which_completes_by_itself_after_the_reset(cluster, sandbox):
    started_at = time.monotonic()
    with cluster(
        tm_daily_quota=QUOTA,
        tm_quota_window_seconds=WINDOW_SECONDS,
        **NO_SPIKE_ARREST,
    ) as (qcluster, stats):
        started = start_import(PROLIFIC)
        parked = waiting_run(started.import_id, PhaseName.SHOWS, qcluster)
        parked_after = time.monotonic() - started_at
        shows = ImportPhase.objects.get(run=parked, phase=PhaseName.SHOWS)
        assert shows.waiting_for == "Ticketmaster's daily quota"
        assert Schedule.objects.filter(name=f"import-{parked.pk}-shows").exists()
        # The first window's whole quota, and not one request more.
        seen = stats()
        assert tm_figures(seen) == (QUOTA, 0), (seen["endpoints"], seen["rate_limited_by_endpoint"])

        run = finished_run(started.import_id, qcluster, timeout=120)
        wall = time.monotonic() - started_at
        requests, refused = tm_figures(stats())
    assert run.status == ImportStatus.SUCCEEDED, run.error
    assert refused == 0
    assert requests == QUOTA + 7  # the first window's 7, then the shows phase's 7
    through_cluster = stored_rows(run.artist_id), row_counts()
    assert through_cluster == unhindered_rows(sandbox, run.artist_id)

    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / f"budgets-{connection.vendor}.md").write_text(
        "# Upstream budgets: a prolific import against a spent quota (cluster)\n\n"
        f"- quota: {QUOTA} Ticketmaster requests per {WINDOW_SECONDS} s window "
        f"(the import needs 8)\n"
        f"- Ticketmaster requests sent: {requests} (minimum 8; 7 more because the shows "
        f"phase lists its events again when it resumes)\n"
        f"- 429s received: {refused}\n"
        f"- parked after {parked_after:.1f} s; finished after {wall:.1f} s = "
        f"{wall / WINDOW_SECONDS:.1f} windows (django-q2's scheduler looks every 30 s)\n"
    )


def test_a_parked_run_survives_a_killed_cluster(cluster, sandbox):
    with cluster(
        tm_daily_quota=QUOTA,
        tm_quota_window_seconds=WINDOW_SECONDS,
        **NO_SPIKE_ARREST,
    ) as (qcluster, stats):
        started = start_import(PROLIFIC)
        waiting_run(started.import_id, PhaseName.SHOWS, qcluster)
        # The catalog phase runs beside the shows phase: the kill comes once it is done,
        # so that the parked phase is all the run has left (a phase killed mid-task is
        # the sweeper's, tested in tests/reliability/test_crashes.py).
        wait_for(
            lambda: ImportPhase.objects.filter(
                run_id=started.import_id,
                phase=PhaseName.CATALOG,
                status=ImportStatus.SUCCEEDED,
            ).exists(),
            timeout=90,
            what=f"import #{started.import_id} to finish its catalog phase",
            qcluster=qcluster,
        )
        qcluster.kill()  # kill -9 of every cluster process, while the run waits
        # Longer than the wait: the resumption is due before any cluster is back.
        time.sleep(WINDOW_SECONDS + 2)
        qcluster.start()
        run = finished_run(started.import_id, qcluster, timeout=120)
        seen = stats()
        assert tm_figures(seen)[1] == 0, (seen["endpoints"], qcluster.log.read_text()[-4000:])
    assert run.status == ImportStatus.SUCCEEDED, run.error
    assert run.requeued_at is None  # the schedule brought it back, not the sweeper
    assert (
        stored_rows(run.artist_id)["shows"] == unhindered_rows(sandbox, run.artist_id)[0]["shows"]
    )


def spotify_refusals(stats: dict) -> dict[str, int]:
    return {k: n for k, n in stats["rate_limited_by_endpoint"].items() if k.startswith("spotify.")}


def spend_the_spotify_window(base_url: str) -> float:
    """Another client of the same Spotify app goes over its rolling window, so that Spotify
    holds the app (as it does, for the Retry-After it gives); the Retry-After."""
    credentials = (
        SANDBOX_CREDENTIALS["SPOTIFY_CLIENT_ID"],
        SANDBOX_CREDENTIALS["SPOTIFY_CLIENT_SECRET"],
    )
    with httpx.Client(base_url=base_url) as http:
        token = http.post(
            "/api/token", data={"grant_type": "client_credentials"}, auth=credentials
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        for _ in range(1000):
            answer = http.get(f"/v1/artists/{profiles.BUILTIN_SPOTIFY_IDS['mid']}", headers=headers)
            if answer.status_code == 429:
                return float(answer.headers["Retry-After"])
    raise AssertionError("the sandbox never refused")


def test_a_long_spotify_retry_after_parks_the_catalog_and_frees_the_worker(cluster, settings):
    """One worker. Spotify holds the app for 120 s: the sparse artist's catalog parks,
    and the worker goes on meanwhile with the prolific artist's Ticketmaster phases
    (its catalog then waits for the same app: it parks too). Both complete by
    themselves once the 120 s are over."""
    with cluster(
        spotify_rps=5,  # 150 requests per rolling 30 s: both catalogs fit, once free
        spotify_retry_after_seconds=120,
        env={"Q_WORKERS": "1"},
        **NO_SPIKE_ARREST,
    ) as (qcluster, stats):
        assert spend_the_spotify_window(settings.SPOTIFY_API_URL) == 120
        held_from = timezone.now()
        first = start_import(SPARSE)
        waiting = waiting_run(first.import_id, PhaseName.CATALOG, qcluster)
        assert waiting.message.startswith("waiting for Spotify, which asked us to pause until")
        second = start_import(PROLIFIC)
        # Meanwhile, on the one worker: the second import's identity and shows phases.
        wait_for(
            lambda: ImportPhase.objects.filter(
                run_id=second.import_id, phase=PhaseName.SHOWS, status=ImportStatus.SUCCEEDED
            ).exists(),
            timeout=60,
            what="the second import's shows phase, while the first waits",
            qcluster=qcluster,
        )
        shows_done = ImportPhase.objects.get(run_id=second.import_id, phase=PhaseName.SHOWS)
        assert shows_done.finished_at < ImportRun.objects.get(pk=first.import_id).waiting_until
        refused_while_held = spotify_refusals(stats())

        done = [finished_run(r.import_id, qcluster, timeout=240) for r in (first, second)]
        seen = stats()
    assert [r.status for r in done] == [ImportStatus.SUCCEEDED] * 2, [r.error for r in done]
    assert all(r.finished_at >= held_from + timedelta(seconds=120) for r in done)
    # The test's own requests aside, one refusal (the first catalog request): the
    # second catalog did not ask, the ledger knew. None after the hold.
    assert sum(refused_while_held.values()) == 2, refused_while_held
    assert spotify_refusals(seen) == refused_while_held


def test_a_resync_round_leaves_the_reserve_to_people(cluster, settings):
    """14 requests a window, 20 % (3) kept for people. After a person's prolific import
    (8), 6 are left: 3 above the reserve. A round of two artists due everywhere queues
    one shows batch over both (1 request) and the re-imports of both for their stale
    identity (1 each): 3. After them the quota is at its reserve: the next round queues
    nothing, and a person's import still runs on the reserve."""
    settings.RESYNC_QUOTA_RESERVE = 0.2
    long_ago = timezone.now() - timedelta(days=30)
    with cluster(tm_daily_quota=14, tm_quota_window_seconds=600, **NO_SPIKE_ARREST) as (
        qcluster,
        stats,
    ):
        person = finished_run(start_import(PROLIFIC).import_id, qcluster, timeout=120)
        assert person.status == ImportStatus.SUCCEEDED, person.error
        [ticketmaster] = [r for r in quota_reports() if r.name.startswith("ticketmaster:")]
        assert (ticketmaster.limit, ticketmaster.available) == (14, 6)
        for tm_id in (SPARSE, MID):  # two artists long due for a re-sync
            Artist.objects.update_or_create(  # a support act of prolific's, maybe
                tm_attraction_id=tm_id,
                defaults={
                    "name": tm_id,
                    "slug": tm_id.lower(),
                    "shows_synced_at": long_ago,
                    "catalog_synced_at": long_ago,
                    "identity_synced_at": long_ago,
                },
            )

        assert resync_stale_artists() == "2 artists' shows in 1 batches, 2 artists re-queued"
        batch = wait_for(
            lambda: ShowsBatch.objects.exclude(status__in=ACTIVE_STATUSES).first(),
            timeout=120,
            what="the shows batch to finish",
            qcluster=qcluster,
        )
        assert batch.status == ImportStatus.SUCCEEDED, batch.error
        assert batch.requests == 1
        for run in ImportRun.objects.filter(trigger=ImportTrigger.RESYNC):
            resync = finished_run(run.pk, qcluster, timeout=120)
            assert resync.status == ImportStatus.SUCCEEDED, resync.error
        [ticketmaster] = [r for r in quota_reports() if r.name.startswith("ticketmaster:")]
        assert ticketmaster.available == 3  # the reserve, untouched

        Artist.objects.filter(tm_attraction_id__in=[SPARSE, MID]).update(
            shows_synced_at=long_ago, identity_synced_at=long_ago
        )
        assert resync_stale_artists() == "nothing stale"  # none spendable above the reserve
        assert ShowsBatch.objects.count() == 1
        assert ImportRun.objects.filter(trigger=ImportTrigger.RESYNC).count() == 2

        second = finished_run(start_import(MID).import_id, qcluster, timeout=120)
        assert second.status == ImportStatus.SUCCEEDED, second.error
        [ticketmaster] = [r for r in quota_reports() if r.name.startswith("ticketmaster:")]
        assert ticketmaster.available == 1  # the person's import spent into the reserve
        assert tm_figures(stats())[1] == 0
