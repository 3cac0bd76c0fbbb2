"""Shows re-syncs in batches: one events query over several artists' attraction ids,
each event handed to every artist of the batch on its bill. After the world changed, a
batched round leaves exactly the rows that each artist's own full re-import would."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from catalog.models import Artist
from imports.models import ImportStatus, ShowsBatch, ShowsSync
from imports.pipeline import run_import
from imports.resync import shows_batch_run, shows_resync_round
from imports.services import import_run_create
from shows.models import Billing, Show, Venue
from tests.imports.test_lineups import NAMES, lineup_world

pytestmark = pytest.mark.django_db


def import_inline(tm_attraction_id: str) -> None:
    run = run_import(import_run_create(tm_attraction_id=tm_attraction_id).import_id)
    assert run.status == ImportStatus.SUCCEEDED, run.error


def stored() -> dict[str, set[tuple]]:
    """Every row a shows sync writes, without ids and times (removal as a yes/no)."""
    return {
        "shows": set(
            Show.objects.values_list(
                "tm_event_id", "name", "local_date", "local_time", "status", "venue__tm_venue_id"
            ).annotate()
        )
        | {
            ("gone", tm_event_id)
            for tm_event_id in Show.objects.filter(removed_upstream_at__isnull=False).values_list(
                "tm_event_id", flat=True
            )
        },
        "bills": {
            (event, act, position, headliner, listed is not None, removed is not None)
            for event, act, position, headliner, listed, removed in Billing.objects.values_list(
                "show__tm_event_id",
                "artist__tm_attraction_id",
                "position",
                "headliner",
                "listed_at",
                "removed_upstream_at",
            )
        },
        "venues": set(Venue.objects.values_list("tm_venue_id", "name", "city")),
    }


def age_shows(days: int = 2) -> None:
    Artist.objects.filter(shows_synced_at__isnull=False).update(
        shows_synced_at=timezone.now() - timedelta(days=days)
    )


def wipe() -> None:
    Billing.objects.all().delete()
    Show.objects.all().delete()
    Venue.objects.all().delete()
    ShowsSync.objects.all().delete()
    ShowsBatch.objects.all().delete()
    Artist.objects.all().delete()


def test_a_batched_round_stores_what_each_artists_own_reimport_would(sandbox, settings):
    before = lineup_world()
    after = lineup_world(opener_on_first_date=False, festival=False)
    acts = sorted(NAMES)

    # The batched way: import all, the world changes, one round of batches.
    with sandbox(serve=before, tm_rps=0):
        for tm_id in acts:
            import_inline(tm_id)
    age_shows()
    with sandbox(serve=after, tm_rps=0) as stats:
        planned = shows_resync_round()
        for batch in planned:
            shows_batch_run(batch.batch_id)
        requests = stats()["requests"]
    batched = stored()
    assert {b.status for b in ShowsBatch.objects.all()} == {ImportStatus.SUCCEEDED}
    assert sum(len(b.attraction_ids) for b in planned) == len(acts)
    # One query for all the acts: far less than a request per artist.
    assert requests.get("tm.events", 0) == len(planned) == 1

    # The reference: each act's own full import of the changed world.
    wipe()
    with sandbox(serve=before, tm_rps=0):
        for tm_id in acts:
            import_inline(tm_id)
    with sandbox(serve=after, tm_rps=0):
        for tm_id in acts:
            import_inline(tm_id)
    assert batched == stored()


def test_resync_runs_go_in_groups_one_task_each(sandbox, settings):
    from django_q.models import OrmQ

    from imports.models import ImportPhase, ImportRun, ImportTrigger
    from imports.selectors import queued_import_tasks
    from imports.services import artists_resync
    from imports.tasks import resync_runs_task

    settings.RESYNC_RUNS_PER_TASK = 3
    world = lineup_world()
    acts = sorted(NAMES)[:5]
    with sandbox(serve=world, tm_rps=0) as stats:
        for tm_id in acts:
            import_inline(tm_id)
        Artist.objects.filter(tm_attraction_id__in=acts).update(
            catalog_synced_at=timezone.now() - timedelta(days=8)
        )
        ImportRun.objects.update(created_at=timezone.now() - timedelta(days=8))
        OrmQ.objects.all().delete()
        queued = artists_resync()
        assert len(queued) == len(acts)
        tasks = [row.task for row in OrmQ.objects.all()]
        assert sorted(len(task["args"][0]) for task in tasks) == [2, 3]
        held = queued_import_tasks()
        assert set(held) == {item.import_id for item in queued}
        before = stats()["requests"]
        for task in tasks:
            resync_runs_task(*task["args"])
        spent = {k: v - before.get(k, 0) for k, v in stats()["requests"].items()}
    runs = ImportRun.objects.filter(pk__in=[item.import_id for item in queued])
    assert {run.status for run in runs} == {ImportStatus.SUCCEEDED}
    assert {run.trigger for run in runs} == {ImportTrigger.RESYNC}
    # Identity is fresh and shows go in batches: not one Ticketmaster request.
    assert not {k: v for k, v in spent.items() if k.startswith("tm.") and v}
    kept = ImportPhase.objects.filter(run__in=runs, phase="identity")
    assert all(phase.counters.get("identity_kept") for phase in kept)
