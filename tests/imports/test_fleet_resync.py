"""Fleet freshness end to end: a small catalogue of generated artists sharing venues and
bills is imported, the sandbox world advances the way time does, and one re-sync round
(shows in batches, catalogs incrementally, identity kept) runs. It must leave exactly the
rows each artist's own full re-import of the changed world leaves (shows, bills, removed
marks, venues, studio tracks and their songs, drops), and its live rows must equal a
fresh full import of the changed world."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from django.db.models import Max
from django.utils import timezone

from catalog.models import Album, Artist, ArtistTrack, Song, Track
from imports.models import ImportRun, ImportStatus, ShowsBatch, ShowsSync
from imports.pipeline import run_import
from imports.resync import shows_batch_run, shows_resync_round
from imports.services import artists_resync, import_run_create
from imports.tasks import resync_runs_task
from sandbox.world import build_world
from shows.models import Billing, Show, Venue

pytestmark = pytest.mark.django_db

ADVANCE = {"seed": 5, "random": {"share": 0.5}}


def small_world():
    return build_world(scenario_sources=["sparse"], generate=[("sparse", 4), ("mid", 3)], seed=3)


def import_all(ids, **options) -> None:
    for tm_id in ids:
        run = run_import(import_run_create(tm_attraction_id=tm_id, **options).import_id)
        assert run.status == ImportStatus.SUCCEEDED, (tm_id, run.error)


def advance() -> dict:
    from django.conf import settings

    answer = httpx.post(f"{settings.TICKETMASTER_BASE_URL}/_sandbox/advance", json=ADVANCE)
    answer.raise_for_status()
    return answer.json()


def rows(*, live_only: bool = False) -> dict[str, set]:
    shows = Show.objects.all()
    bills = Billing.objects.all()
    if live_only:
        shows = shows.filter(removed_upstream_at__isnull=True)
        bills = bills.filter(removed_upstream_at__isnull=True, show__removed_upstream_at=None)
    latest = ImportRun.objects.values("artist_id").annotate(last=Max("pk")).values("last")
    from imports.models import DroppedTrack

    return {
        "shows": {
            (e, n, d, t, s, v, gone is not None)
            for e, n, d, t, s, v, gone in shows.values_list(
                "tm_event_id",
                "name",
                "local_date",
                "local_time",
                "status",
                "venue__tm_venue_id",
                "removed_upstream_at",
            )
        },
        "bills": {
            (e, a, p, h, listed is not None, removed is not None)
            for e, a, p, h, listed, removed in bills.values_list(
                "show__tm_event_id",
                "artist__tm_attraction_id",
                "position",
                "headliner",
                "listed_at",
                "removed_upstream_at",
            )
        },
        "venues": set(
            Venue.objects.filter(shows__in=shows)
            .values_list("tm_venue_id", "name", "city")
            .distinct()
        ),
        "studio_tracks": set(
            ArtistTrack.objects.values_list(
                "artist__tm_attraction_id", "track__spotify_id", "song__key", "track__version"
            )
        ),
        "songs": set(
            Song.objects.values_list(
                "artist__tm_attraction_id",
                "key",
                "title",
                "main_track__spotify_id",
                "recordings_count",
            )
        ),
        "drops": set(
            DroppedTrack.objects.filter(run_id__in=latest).values_list(
                "run__artist__tm_attraction_id", "spotify_id", "reason", "duplicate_of"
            )
        ),
    }


def wipe() -> None:
    for model in (ShowsSync, ShowsBatch, ImportRun, Billing, Show, Venue, ArtistTrack):
        model.objects.all().delete()
    Track.objects.all().delete()
    Album.objects.all().delete()
    Artist.objects.all().delete()


def resync_round() -> None:
    """One round of the schedule's work, run here: batches, then the runs' groups."""
    from django_q.models import OrmQ

    now = timezone.now()
    Artist.objects.filter(shows_synced_at__isnull=False).update(
        shows_synced_at=now - timedelta(days=2)
    )
    Artist.objects.filter(catalog_synced_at__isnull=False).update(
        catalog_synced_at=now - timedelta(days=8)
    )
    ImportRun.objects.update(created_at=now - timedelta(days=8))
    OrmQ.objects.all().delete()
    for batch in shows_resync_round():
        assert shows_batch_run(batch.batch_id).status == ImportStatus.SUCCEEDED
    artists_resync()
    for task in OrmQ.objects.all():
        if task.task["name"].startswith("resync-runs-"):
            resync_runs_task(*task.task["args"])
    assert not ImportRun.objects.exclude(status=ImportStatus.SUCCEEDED).exists()
    # The advance changed some catalogs, not all: both kinds of re-sync ran.
    from imports.models import ImportPhase

    catalogs = ImportPhase.objects.filter(phase="catalog", run__trigger="resync")
    unchanged = [p for p in catalogs if p.counters.get("catalog_unchanged")]
    assert unchanged and len(unchanged) < catalogs.count()


def test_a_round_after_an_advance_stores_what_full_reimports_store(sandbox):
    world = small_world()
    ids = sorted(a.tm_attraction_id for a in world.artists)
    with sandbox(serve=world, tm_rps=0):
        import_all(ids)
        advance()
        resync_round()
    resynced = rows()
    resynced_live = rows(live_only=True)

    wipe()
    with sandbox(serve=small_world(), tm_rps=0):
        import_all(ids)
        advance()
        import_all(ids)  # each artist's own full re-import of the changed world
        reimported = rows()
        wipe()
        import_all(ids)  # a fresh full import of the changed world
        fresh = rows(live_only=True)
    for name in resynced:
        assert resynced[name] == reimported[name], name
    for name in ("shows", "bills", "venues", "studio_tracks", "drops"):
        assert resynced_live[name] == fresh[name], name
