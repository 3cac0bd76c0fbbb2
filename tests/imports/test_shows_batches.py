"""Shows re-syncs in batches: one events query over several artists' attraction ids,
each event handed to every artist of the batch on its bill. After the world changed, a
batched round leaves exactly the rows that each artist's own full re-import would."""

from __future__ import annotations

import socket
from datetime import date, timedelta

import pytest
from asgiref.sync import async_to_sync
from django.utils import timezone
from django_q.models import OrmQ, Schedule

from catalog.models import Artist
from imports import resync as resync_module
from imports.models import ImportStatus, ImportTrigger, ShowsBatch, ShowsSync
from imports.pipeline import run_import
from imports.resync import (
    shows_batch_create,
    shows_batch_run,
    shows_batches_sweep,
    shows_resync_round,
)
from imports.schedules import sweep_stale_runs
from imports.services import import_run_create, start_import
from integrations.ticketmaster.client import TicketmasterClient
from sandbox import profiles
from sandbox.world import World
from shows.models import Billing, Show, Venue
from shows.sync import sync_shows
from tests.factories import make_artist, make_show
from tests.imports.test_lineups import (
    CO,
    FESTIVAL_ACTS,
    HEAD,
    NAMES,
    OPENER,
    SECOND_OPENER,
    lineup_world,
)
from tests.imports.test_quota import MovableTime
from tests.support.queue import run_queued_work

pytestmark = pytest.mark.django_db

PROLIFIC = profiles.BUILTIN_ATTRACTION_IDS["prolific"]
MID = profiles.BUILTIN_ATTRACTION_IDS["mid"]
SPARSE = profiles.BUILTIN_ATTRACTION_IDS["sparse"]


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
    # The tour's acts and two of the festival's: the others stay billed, never imported
    # (each import is a Spotify name search, as none of them has a Spotify link).
    acts = sorted([HEAD, CO, OPENER, SECOND_OPENER, *FESTIVAL_ACTS[:2]])

    # The batched way: import them, the world changes, one round of batches.
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


# --- The engine, piece by piece -------------------------------------------------------

DAYS_AGO = timezone.now() - timedelta(days=2)


@pytest.fixture(autouse=True)
def _fast_upstreams(settings):
    """The importer's own rate limit is not under test here (the sandboxes run with
    tm_rps=0), and a refused connection fails at once."""
    settings.TICKETMASTER_RPS = 1000
    settings.DEFAULT_RETRIES = 0


@pytest.fixture
def movable_time(monkeypatch) -> MovableTime:
    return MovableTime(monkeypatch)


def due(tm_attraction_id: str | None = None, *, upcoming: int = 0, **fields) -> Artist:
    """An imported artist whose shows are due for a re-sync, listing `upcoming` shows."""
    ids = {} if tm_attraction_id is None else {"tm_attraction_id": tm_attraction_id}
    artist = make_artist(**ids, shows_synced_at=DAYS_AGO, **fields)
    for n in range(upcoming):
        make_show(artist=artist, local_date=date.today() + timedelta(days=n + 1))
    return artist


def run_round() -> list[ShowsBatch]:
    return [shows_batch_run(planned.batch_id) for planned in shows_resync_round()]


def closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def test_a_round_packs_the_due_artists_and_skips_the_others():
    counted = due(upcoming=3)
    make_show(artist=counted, local_date=date.today() - timedelta(days=3))  # past
    removed = make_show(artist=counted, local_date=date.today() + timedelta(days=9))
    Billing.objects.filter(show=removed).update(removed_upstream_at=timezone.now())
    quiet = due()
    failed_long_ago = due()
    ShowsSync.objects.filter(
        pk=ShowsSync.objects.create(artist=failed_long_ago, status=ImportStatus.FAILED).pk
    ).update(created_at=timezone.now() - timedelta(days=3))
    resyncing = due()  # its re-sync run does not sync shows: the batch does
    start_import(resyncing.tm_attraction_id, trigger=ImportTrigger.RESYNC)

    make_artist(shows_synced_at=timezone.now() - timedelta(hours=2))  # fresh
    make_artist()  # never imported
    in_batch = due()
    shows_batch_create({in_batch.tm_attraction_id: (in_batch.pk, 0)})
    imported_by_a_person = due()
    start_import(imported_by_a_person.tm_attraction_id)
    failed_lately = due()
    ShowsSync.objects.create(artist=failed_lately, status=ImportStatus.FAILED)
    queued_before = OrmQ.objects.count()

    [planned] = shows_resync_round()

    members = sorted(a.tm_attraction_id for a in (counted, quiet, failed_long_ago, resyncing))
    assert planned.attraction_ids == tuple(members)
    assert planned.expected_events == 3  # upcoming and still listed only
    batch = ShowsBatch.objects.get(pk=planned.batch_id)
    assert (batch.status, batch.attraction_ids, batch.expected_events) == (
        ImportStatus.QUEUED,
        members,
        3,
    )
    assert dict(batch.syncs.values_list("artist__tm_attraction_id", "expected_events")) == {
        tm_id: 3 if tm_id == counted.tm_attraction_id else 0 for tm_id in members
    }
    [task] = OrmQ.objects.order_by("-pk")[: OrmQ.objects.count() - queued_before]
    assert task.task["name"] == f"shows-batch-{batch.pk}"
    # Right after, they are all in a batch: nothing is due.
    assert shows_resync_round() == []


def test_an_artist_is_in_one_active_batch_at_a_time():
    first, second = due(), due()
    members = {a.tm_attraction_id: (a.pk, 0) for a in (first, second)}
    taken = shows_batch_create({first.tm_attraction_id: (first.pk, 0)})
    # The other artist only: the database refuses a second active sync of the first.
    partial = shows_batch_create(members)
    assert ShowsBatch.objects.get(pk=partial).attraction_ids == [second.tm_attraction_id]
    assert shows_batch_create(members) is None
    assert ShowsBatch.objects.count() == 2
    assert ShowsSync.objects.filter(artist=first).get().batch_id == taken
    # Once its batch finished, the artist can be taken again.
    ShowsSync.objects.filter(batch_id=taken).update(status=ImportStatus.SUCCEEDED)
    assert shows_batch_create({first.tm_attraction_id: (first.pk, 0)}) is not None


def test_a_failing_batch_fails_its_own_artists_only(sandbox, settings):
    settings.RESYNC_SHOWS_BATCH_ARTISTS = 2
    acts = [due(tm_id) for tm_id in (HEAD, CO, OPENER, SECOND_OPENER)]
    with sandbox(serve=lineup_world(), tm_rps=0):
        first, second = shows_resync_round()
        reachable = settings.TICKETMASTER_BASE_URL
        settings.TICKETMASTER_BASE_URL = closed_port_url()
        failed = shows_batch_run(first.batch_id)
        settings.TICKETMASTER_BASE_URL = reachable
        succeeded = shows_batch_run(second.batch_id)

    assert failed.status == ImportStatus.FAILED
    assert failed.error and failed.finished_at is not None
    assert succeeded.status == ImportStatus.SUCCEEDED, succeeded.error
    assert set(first.attraction_ids) | set(second.attraction_ids) == {
        a.tm_attraction_id for a in acts
    }
    for sync in ShowsSync.objects.select_related("artist"):
        artist = sync.artist
        if artist.tm_attraction_id in first.attraction_ids:
            assert (sync.status, sync.error) == (ImportStatus.FAILED, failed.error)
            assert artist.shows_synced_at == DAYS_AGO
        else:
            assert sync.status == ImportStatus.SUCCEEDED
            assert artist.shows_synced_at > DAYS_AGO
            assert sync.shows == sync.added > 0
    # A failed sync is not retried every round: only after RESYNC_SHOWS_AFTER.
    assert shows_resync_round() == []


def test_a_batch_parks_for_the_quota_and_resumes_only_when_its_schedule_says(
    sandbox, settings, movable_time
):
    settings.RESYNC_QUOTA_RESERVE = 0
    due(PROLIFIC)
    with sandbox(tm_daily_quota=3, tm_quota_window_seconds=3600, tm_rps=0) as stats:
        [planned] = shows_resync_round()
        OrmQ.objects.all().delete()  # run here, not by the queue
        batch = shows_batch_run(planned.batch_id)

        assert batch.status == ImportStatus.WAITING
        assert batch.waiting_for == "Ticketmaster's daily quota"
        assert batch.waiting_until is not None
        assert set(batch.syncs.values_list("status", flat=True)) == {ImportStatus.WAITING}
        [schedule] = Schedule.objects.filter(name=f"shows-batch-{batch.pk}")
        assert schedule.next_run == batch.waiting_until
        assert stats()["rate_limited"] == 0
        sent = stats()["requests"]["tm.events"]
        # Its task delivered again, or the resumption of another wait: nothing runs.
        for resume in (None, (batch.waiting_until + timedelta(seconds=1)).isoformat()):
            assert shows_batch_run(batch.pk, resume=resume) is None
        assert ShowsBatch.objects.get(pk=batch.pk).status == ImportStatus.WAITING
        assert stats()["requests"]["tm.events"] == sent

    movable_time.advance(3600)
    with sandbox(tm_rps=0):  # the next window (the whole query fits in it)
        assert run_queued_work() == [f"shows-batch-{batch.pk}"]

    batch.refresh_from_db()
    assert batch.status == ImportStatus.SUCCEEDED, batch.error
    assert batch.attempt == 2
    assert batch.syncs.get().shows == Show.objects.count() > 1000


def tm_requests(stats, endpoint: str) -> int:
    return stats()["requests"].get(endpoint, 0)


def test_a_resync_run_fetches_identity_only_when_it_is_stale(sandbox):
    with sandbox(serve=lineup_world(), tm_rps=0) as stats:
        import_inline(HEAD)  # a person's import: identity and shows
        assert (tm_requests(stats, "tm.attraction"), tm_requests(stats, "tm.events")) == (1, 1)

        resync = run_import(
            import_run_create(tm_attraction_id=HEAD, trigger=ImportTrigger.RESYNC).import_id
        )
        assert resync.status == ImportStatus.SUCCEEDED, resync.error
        # Fresh identity kept, shows left to the batches: not one request.
        assert (tm_requests(stats, "tm.attraction"), tm_requests(stats, "tm.events")) == (1, 1)

        Artist.objects.filter(tm_attraction_id=HEAD).update(
            identity_synced_at=DAYS_AGO - timedelta(days=30)
        )
        resync = run_import(
            import_run_create(tm_attraction_id=HEAD, trigger=ImportTrigger.RESYNC).import_id
        )
        assert resync.status == ImportStatus.SUCCEEDED, resync.error
        assert (tm_requests(stats, "tm.attraction"), tm_requests(stats, "tm.events")) == (2, 1)
        assert Artist.objects.get(tm_attraction_id=HEAD).identity_synced_at > DAYS_AGO

        import_inline(HEAD)  # a person's import always fetches it
        assert (tm_requests(stats, "tm.attraction"), tm_requests(stats, "tm.events")) == (3, 2)


def changed_world() -> World:
    """The lineup world a day later: the tour's third date moved, the co-headlined one
    cancelled, the festival gone."""
    world = lineup_world(festival=False)
    events = {e.tm_event_id: e for a in world.artists for e in a.events}
    third = events["vvG1lineupT3"]
    third.local_date = (date.fromisoformat(third.local_date) + timedelta(days=30)).isoformat()
    events["vvG1lineupK1"].status = "cancelled"
    return world


def test_each_sync_says_what_changed(sandbox):
    head, co = due(HEAD), due(CO)
    with sandbox(serve=lineup_world(), tm_rps=0):
        [first] = run_round()
    assert first.status == ImportStatus.SUCCEEDED, first.error
    age_shows()
    with sandbox(serve=changed_world(), tm_rps=0):
        [second] = run_round()
    assert second.status == ImportStatus.SUCCEEDED, second.error

    def counts(batch: ShowsBatch, artist: Artist) -> tuple[int, ...]:
        sync = batch.syncs.get(artist=artist)
        return sync.shows, sync.added, sync.changed, sync.removed, sync.gone

    # shows, added, changed, removed, gone
    assert counts(first, head) == (5, 5, 0, 0, 0)
    assert counts(first, co) == (2, 2, 0, 0, 0)
    # Head lists 4 shows now: T3 moved, K1 cancelled; its festival place removed, and
    # the festival gone (Head was the last imported act to list it).
    assert counts(second, head)[:2] + counts(second, head)[3:] == (4, 0, 1, 1)
    # Co lists K1, cancelled; its festival place removed.
    assert counts(second, co)[:2] + counts(second, co)[3:] == (1, 0, 1, 0)
    # A shared show's change is counted once, by the first of its artists stored (Co):
    # T3 for Head, K1 for Co.
    assert (counts(second, head)[2], counts(second, co)[2]) == (1, 1)
    assert Show.objects.get(tm_event_id="vvG1lineupF1").removed_upstream_at is not None
    assert second.events == 4


def listing_rows(tm_attraction_id: str) -> set[tuple]:
    """The shows the artist lists, with their bills."""
    shows = Show.objects.filter(
        bill__artist__tm_attraction_id=tm_attraction_id,
        bill__listed_at__isnull=False,
        bill__removed_upstream_at__isnull=True,
    )
    return {
        (
            show.tm_event_id,
            show.name,
            show.local_date,
            show.local_time,
            show.status,
            show.venue.tm_venue_id if show.venue else None,
            tuple(
                show.bill.order_by("position").values_list(
                    "artist__tm_attraction_id", "position", "headliner"
                )
            ),
        )
        for show in shows.select_related("venue")
    }


def test_a_prolific_artist_is_alone_in_its_batch_paged_through_windows(sandbox, settings):
    settings.RESYNC_SHOWS_BATCH_EVENTS = 800
    artists = [due(tm_id) for tm_id in (PROLIFIC, MID, SPARSE)]
    with sandbox(tm_rps=0):
        # First round: nothing known of them, one query over the three.
        [first] = run_round()
        assert first.status == ImportStatus.SUCCEEDED, first.error
        age_shows()
        # Now their listings are known: prolific's 1,350 events get a query of their own.
        second = run_round()
    by_ids = {tuple(batch.attraction_ids): batch for batch in second}
    assert set(by_ids) == {(PROLIFIC,), tuple(sorted([MID, SPARSE]))}
    alone = by_ids[(PROLIFIC,)]
    assert alone.status == ImportStatus.SUCCEEDED, alone.error
    assert (alone.expected_events, alone.events) == (1350, 1350)
    assert (alone.pages, alone.windows, alone.requests) == (7, 2, 7)
    batched = listing_rows(PROLIFIC)
    assert len(batched) == 1350

    # The reference: the shows phase of its own import, from scratch.
    wipe()
    prolific = due(PROLIFIC)
    with sandbox(tm_rps=0):

        async def own_import_shows():
            async with TicketmasterClient.from_settings() as tm:
                return await sync_shows(
                    artist_id=prolific.pk,
                    tm_attraction_id=PROLIFIC,
                    client=tm,
                    report=no_report,
                )

        result = async_to_sync(own_import_shows)()
    assert result.shows == 1350
    assert listing_rows(PROLIFIC) == batched
    assert artists


async def no_report(*args) -> None:
    return None


def test_the_sweeper_fails_a_batch_whose_task_is_gone_and_leaves_the_others(settings):
    lost, queued, waiting = due(), due(), due()
    lost_id, queued_id, waiting_id = (
        shows_batch_create({a.tm_attraction_id: (a.pk, 0)}) for a in (lost, queued, waiting)
    )
    # The lost batch's worker died while storing: one artist was stored already.
    stored_artist = due()
    ShowsSync.objects.create(batch_id=lost_id, artist=stored_artist, status=ImportStatus.SUCCEEDED)
    ShowsBatch.objects.filter(pk=lost_id).update(status=ImportStatus.RUNNING)
    OrmQ.objects.filter(
        pk__in=[t.pk for t in OrmQ.objects.all() if t.task["name"] == f"shows-batch-{lost_id}"]
    ).delete()
    # The waiting one's task is its schedule.
    OrmQ.objects.filter(
        pk__in=[t.pk for t in OrmQ.objects.all() if t.task["name"] == f"shows-batch-{waiting_id}"]
    ).delete()
    resume_at = timezone.now() + timedelta(hours=1)
    resync_module._park(waiting_id, what="Ticketmaster's daily quota", until=resume_at)
    long_ago = timezone.now() - timedelta(seconds=settings.IMPORT_STALE_AFTER_SECONDS + 60)
    ShowsBatch.objects.update(updated_at=long_ago)

    assert sweep_stale_runs() == "failed shows batch 1"

    statuses = dict(ShowsBatch.objects.values_list("pk", "status"))
    assert statuses == {
        lost_id: ImportStatus.FAILED,
        queued_id: ImportStatus.QUEUED,
        waiting_id: ImportStatus.WAITING,
    }
    failed = ShowsBatch.objects.get(pk=lost_id)
    assert failed.error == "stalled: its task was lost (its worker died?)"
    assert ShowsSync.objects.get(artist=lost).status == ImportStatus.FAILED
    assert ShowsSync.objects.get(artist=stored_artist).status == ImportStatus.SUCCEEDED
    # Nothing else is stale now.
    assert shows_batches_sweep(idle_since=timezone.now() - timedelta(seconds=1)) == 0


def test_a_person_asking_for_an_artist_whose_resync_is_queued_in_a_group_takes_it_over(
    sandbox, settings
):
    from imports.models import ImportRun
    from imports.services import artists_resync
    from imports.tasks import resync_runs_task

    world = lineup_world()
    with sandbox(serve=world, tm_rps=0):
        import_inline(HEAD)
        Artist.objects.filter(tm_attraction_id=HEAD).update(
            identity_synced_at=timezone.now() - timedelta(days=8)
        )
        ImportRun.objects.update(created_at=timezone.now() - timedelta(days=8))
        OrmQ.objects.all().delete()
        [queued] = artists_resync()
        [group] = [row.task for row in OrmQ.objects.all()]
        taken = start_import(HEAD)  # a person asks for the artist meanwhile
        assert taken.import_id == queued.import_id and not taken.created
        run = ImportRun.objects.get(pk=queued.import_id)
        assert run.trigger == ImportTrigger.PERSON
        # Queued on its own, ahead of re-syncs; the group task leaves it.
        names = sorted(row.task["name"] for row in OrmQ.objects.all())
        assert names == sorted([group["name"], f"import-{run.pk}-identity"])
        resync_runs_task(*group["args"])
        assert ImportRun.objects.get(pk=run.pk).status == ImportStatus.QUEUED


def test_a_resync_keeping_a_fresh_catalog_reports_the_drops_that_decided_it(sandbox, settings):
    from imports.models import DroppedTrack, ImportRun
    from imports.services import artists_resync
    from imports.tasks import resync_runs_task

    prolific = profiles.BUILTIN_ATTRACTION_IDS["mid"]
    with sandbox(tm_rps=0):
        import_inline(prolific)
        decided = ImportRun.objects.get()
        drops = set(DroppedTrack.objects.filter(run=decided).values_list("spotify_id", "reason"))
        assert drops
        # Only identity is stale: the catalog is kept, with the drops of its decision.
        Artist.objects.filter(tm_attraction_id=prolific).update(
            identity_synced_at=timezone.now() - timedelta(days=8)
        )
        ImportRun.objects.update(created_at=timezone.now() - timedelta(days=8))
        OrmQ.objects.all().delete()
        [queued] = artists_resync()
        for row in OrmQ.objects.all():
            resync_runs_task(*row.task["args"])
    run = ImportRun.objects.get(pk=queued.import_id)
    assert run.status == ImportStatus.SUCCEEDED
    assert run.drop_counts == decided.drop_counts
    assert set(DroppedTrack.objects.filter(run=run).values_list("spotify_id", "reason")) == drops
