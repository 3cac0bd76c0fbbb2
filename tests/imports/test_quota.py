"""Upstream budgets over real HTTP, in this process: a spent quota or a long Retry-After
parks the phase (it neither fails nor sleeps), the run says what it waits for, and the
scheduled resumption completes it with the rows of an unhindered import. Time is moved
by the test (the sandbox's clock and the ledger's), never slept."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone
from django.utils.module_loading import import_string
from django_q.models import Schedule

from catalog.models import Album, Artist, ArtistTrack, SpotifyRelease, Track
from imports.models import ImportPhase, ImportRun, ImportStatus, ImportTrigger
from imports.phases import PhaseName
from imports.pipeline import RESUME_MARGIN, run_import
from imports.resync import shows_batch_run, shows_resync_round
from imports.services import import_run_cancel, import_run_create
from integrations.http import quota
from sandbox import gateway, profiles
from shows.models import Show, Venue
from tests.imports.test_import_flow import row_counts, stored_rows
from tests.support.queue import run_queued_work

pytestmark = pytest.mark.django_db

PROLIFIC = profiles.BUILTIN_ATTRACTION_IDS["prolific"]
MID = profiles.BUILTIN_ATTRACTION_IDS["mid"]


class MovableTime:
    """Wall time plus an offset the test moves: the sandbox's limits and quota windows
    and the importer's ledger read it (the rate limiter keeps real time, as it must)."""

    def __init__(self, monkeypatch) -> None:
        import time

        self._time = time
        self.offset = 0.0
        monkeypatch.setattr(gateway, "now_ms", lambda: int(self.now() * 1000))
        monkeypatch.setattr(quota, "wall_clock", self.now)

    def now(self) -> float:
        return self._time.time() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds


@pytest.fixture
def movable_time(monkeypatch) -> MovableTime:
    return MovableTime(monkeypatch)


def unhindered_rows(sandbox, tm_attraction_id: str):
    with sandbox():
        run = run_import(import_run_create(tm_attraction_id=tm_attraction_id).import_id)
    assert run.status == ImportStatus.SUCCEEDED, run.error
    rows = stored_rows(run.artist_id), row_counts()
    ImportRun.objects.all().delete()
    for model in (
        ArtistTrack,
        Track,
        Album,
        SpotifyRelease,
        Show,
        Venue,
    ):  # the next import from scratch
        model.objects.all().delete()
    quota.quota_ledger_clear()  # that sandbox's day-long window is not the next one's
    return rows


def test_a_spent_ticketmaster_quota_parks_the_shows_phase_until_the_reset(
    sandbox, settings, movable_time
):
    expected = unhindered_rows(sandbox, PROLIFIC)
    # Pages are fetched several at a time: each takes one from the ledger's count as it
    # goes, so none goes out once the count is spent.
    assert settings.DEFAULT_CONCURRENCY > 1
    # The import needs 8 requests (identity, 7 event pages): identity and 6 pages fit in
    # the first window, the phase's 7 in the next (it starts its listing over).
    with sandbox(tm_daily_quota=7, tm_quota_window_seconds=3600, tm_rps=0) as stats:
        run = run_import(import_run_create(tm_attraction_id=PROLIFIC).import_id)
        shows = ImportPhase.objects.get(run=run, phase=PhaseName.SHOWS)
        reset = (
            quota.QuotaLedger(
                next(r.name for r in quota.quota_reports() if r.name.startswith("ticketmaster:"))
            )
            .state()
            .reset_at
        )

        # Parked, not failed: the run says what it waits for and until when.
        assert run.status == ImportStatus.WAITING, run.error
        assert shows.status == ImportStatus.WAITING
        assert shows.waiting_for == "Ticketmaster's daily quota"
        assert run.waiting_until == shows.waiting_until
        assert shows.waiting_until == datetime.fromtimestamp(reset, UTC) + RESUME_MARGIN
        assert run.message.startswith("waiting for Ticketmaster's daily quota until ")
        assert run.message.endswith(" UTC")
        assert ImportPhase.objects.get(run=run, phase=PhaseName.CATALOG).status == (
            ImportStatus.SUCCEEDED
        )
        assert Show.objects.exists()  # the pages stored before the wait are kept
        [schedule] = Schedule.objects.filter(name=f"import-{run.pk}-shows")
        assert schedule.next_run == shows.waiting_until
        seen = stats()
        # Nothing was sent once the ledger knew the quota was spent: no refusal at all.
        assert seen["rate_limited"] == 0, seen["rate_limited_by_endpoint"]
        assert seen["repeated_total"] == 0

        movable_time.advance(3600)
        assert run_queued_work() == [f"import-{run.pk}-shows", f"import-{run.pk}-finalize"]
        seen = stats()

    run.refresh_from_db()
    assert run.status == ImportStatus.SUCCEEDED, run.error
    assert run.waiting_until is None
    assert (stored_rows(run.artist_id), row_counts()) == expected
    assert seen["rate_limited"] == 0
    shows.refresh_from_db()
    assert shows.attempt == 1  # a resumption is the same attempt, carried on


def test_a_long_spotify_retry_after_parks_the_catalog_phase(sandbox, settings, movable_time):
    expected = unhindered_rows(sandbox, MID)
    settings.RETRY_AFTER_CAP_SECONDS = 60
    settings.DEFAULT_CONCURRENCY = 1
    # Spotify's rolling window: 6 requests per 30 s (fewer than the catalog needs), its
    # 429s asking for 120 s.
    with sandbox(spotify_rps=0.2, spotify_retry_after_seconds=120) as stats:
        run = run_import(import_run_create(tm_attraction_id=MID).import_id)
        catalog = ImportPhase.objects.get(run=run, phase=PhaseName.CATALOG)
        assert run.status == ImportStatus.WAITING, run.error
        assert catalog.status == ImportStatus.WAITING
        assert catalog.waiting_for == "Spotify, which asked us to pause"
        assert run.message.startswith("waiting for Spotify, which asked us to pause until ")
        # One 429, then no request until the wait is over (one request at a time: with
        # more, those already in flight are refused too).
        refused = stats()["rate_limited_by_endpoint"]
        assert sum(refused.values()) == 1, refused

        movable_time.advance(121)
        with sandbox() as _:  # a fresh window, as Spotify's would be after 120 s
            ran = run_queued_work()
    assert ran == [f"import-{run.pk}-catalog", f"import-{run.pk}-finalize"]
    run.refresh_from_db()
    assert run.status == ImportStatus.SUCCEEDED, run.error
    assert (stored_rows(run.artist_id), row_counts()) == expected


def test_a_resync_leaves_the_reserve_and_waits_for_the_reset(sandbox, settings, movable_time):
    """A re-sync's requests stop at RESYNC_QUOTA_RESERVE (here 40 % of 10): its shows
    batch parks there; a person's import then still has that share to spend."""
    settings.RESYNC_QUOTA_RESERVE = 0.4
    with sandbox(tm_daily_quota=10, tm_quota_window_seconds=3600, tm_rps=0) as stats:
        # A re-sync run fetches identity (1 request); its shows are batched.
        resync = run_import(
            import_run_create(tm_attraction_id=PROLIFIC, trigger=ImportTrigger.RESYNC).import_id
        )
        assert resync.status == ImportStatus.SUCCEEDED, resync.error
        Artist.objects.filter(pk=resync.artist_id).update(
            shows_synced_at=timezone.now() - timedelta(days=2)
        )
        # The batch needs 7 pages: 5 are sent, then it parks at the reserve.
        [planned] = shows_resync_round()
        batch = shows_batch_run(planned.batch_id)
        assert batch.status == ImportStatus.WAITING
        assert batch.waiting_for == (
            "Ticketmaster's daily quota (what is left is kept for imports people start)"
        )
        assert Schedule.objects.filter(name=f"shows-batch-{batch.pk}").exists()
        assert stats()["rate_limited"] == 0
        person = run_import(import_run_create(tm_attraction_id=MID).import_id)
        assert person.status == ImportStatus.SUCCEEDED, person.error


def test_staff_can_cancel_a_parked_run(sandbox, movable_time):
    with sandbox(tm_daily_quota=3, tm_quota_window_seconds=3600):
        run = run_import(import_run_create(tm_attraction_id=PROLIFIC).import_id)
    assert run.status == ImportStatus.WAITING
    assert Schedule.objects.filter(name=f"import-{run.pk}-shows").exists()

    assert import_run_cancel(run_id=run.pk, by="staff alice")
    run.refresh_from_db()
    assert run.status == ImportStatus.FAILED
    assert run.error.startswith(
        "cancelled by staff alice while waiting for Ticketmaster's daily quota until "
    )
    assert not Schedule.objects.filter(name__startswith=f"import-{run.pk}-").exists()
    assert ImportPhase.objects.get(run=run, phase=PhaseName.SHOWS).status == ImportStatus.FAILED
    assert Show.objects.exists()  # what it wrote stays
    assert not import_run_cancel(run_id=run.pk, by="staff alice")  # no longer active
    # Its resumption, had it already been queued, does nothing for a cancelled run.
    import_string("imports.tasks.shows_task")(run.pk)
    run.refresh_from_db()
    assert run.status == ImportStatus.FAILED
