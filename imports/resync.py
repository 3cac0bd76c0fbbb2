"""Fleet freshness: artists' shows re-synced in batches.

A round (`shows_resync_round`, from the every-10-minutes re-sync schedule) takes the
artists whose shows are older than RESYNC_SHOWS_AFTER and packs them into events
queries over several attraction ids at once (`rules.pack_shows_batches`), by their last
known upcoming events, so that most artists cost a fraction of one request. Each batch
is a `ShowsBatch` row with one `ShowsSync` row per artist and one task
(`imports.tasks.shows_batch_task`). The task fetches the query's events, hands each to
every artist of the batch on its bill, and stores each artist's listing exactly as the
shows phase of its own import would (the same upserts, the same "removed upstream"
marks). A batch that fails fails its own artists only; one that must wait for the
quota parks and resumes by itself, like an import's phase.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial

import structlog
from asgiref.sync import async_to_sync, sync_to_async
from django.conf import settings
from django.db import transaction
from django.db.models import Prefetch, Q
from django.utils import timezone
from django_q.conf import Conf
from django_q.models import Schedule
from django_q.tasks import async_task

from catalog import rules as catalog_rules
from catalog import services as catalog_services
from catalog.models import Artist, TrackOverride
from imports import rules
from imports.models import (
    ACTIVE_STATUSES,
    ImportEvent,
    ImportPhase,
    ImportRun,
    ImportStatus,
    ImportTrigger,
    ShowsBatch,
    ShowsSync,
)
from imports.phases import PhaseName, RunStage
from imports.rules import BatchMember, waiting_for
from imports.services import resync_spendable, run_drops_carry_over
from imports.tasks import send_resync_task
from integrations.http.errors import UpstreamError, UpstreamMustWait
from integrations.spotify.client import SpotifyClient
from integrations.ticketmaster.client import TicketmasterClient
from integrations.ticketmaster.records import UpcomingEvents
from shows import services as show_services
from shows.models import Billing
from shows.rules import events_by_listing
from theset.text import count_noun

log = structlog.get_logger(__name__)

SHOWS_BATCH_TASK = "imports.tasks.shows_batch_task"
# A parked batch is queued again this long after the time the upstream gave.
RESUME_MARGIN = timedelta(seconds=1)


def shows_batch_task_name(batch_id: int) -> str:
    return f"shows-batch-{batch_id}"


def _q_options(batch_id: int) -> dict[str, str]:
    # A re-sync's group: the brokers hand out what people started first.
    return {"task_name": shows_batch_task_name(batch_id), "group": f"resync-batch-{batch_id}"}


# --- Planning a round -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PlannedBatch:
    batch_id: int | None  # None in a dry run
    attraction_ids: tuple[str, ...]
    expected_events: int

    @property
    def requests(self) -> int:
        """The Ticketmaster requests it should cost."""
        return rules.shows_batch_requests(self.expected_events)


def _due_members(*, now: datetime, limit: int) -> dict[str, tuple[int, frozenset]]:
    """{attraction id: (artist id, ids of the upcoming shows it listed)} of the artists
    whose shows are older than RESYNC_SHOWS_AFTER, the stalest first: not in a shows
    sync already (active, or failed since the cut-off, so a failing one is not retried
    every round), not being imported by a person (that import syncs its shows)."""
    before = now - settings.RESYNC_SHOWS_AFTER
    today = timezone.localdate(now)
    due = dict(
        Artist.objects.filter(shows_synced_at__lt=before)
        .exclude(
            pk__in=ImportRun.objects.filter(
                status__in=ACTIVE_STATUSES, trigger=ImportTrigger.PERSON
            ).values("artist_id")
        )
        .exclude(
            pk__in=ShowsSync.objects.filter(
                Q(status__in=ACTIVE_STATUSES)
                | Q(status=ImportStatus.FAILED, created_at__gte=before)
            ).values("artist_id")
        )
        .order_by("shows_synced_at", "pk")
        .values_list("pk", "tm_attraction_id")[:limit]
    )
    shows: dict[int, set[int]] = {pk: set() for pk in due}
    pks = sorted(due)
    for start in range(0, len(pks), 500):
        listed = Billing.objects.filter(
            Q(show__local_date__gte=today) | Q(show__local_date__isnull=True),
            artist_id__in=pks[start : start + 500],
            listed_at__isnull=False,
            removed_upstream_at__isnull=True,
        ).values_list("artist_id", "show_id")
        for artist_id, show_id in listed.iterator():
            shows[artist_id].add(show_id)
    return {tm_id: (pk, frozenset(shows[pk])) for pk, tm_id in due.items()}


def shows_resync_round(*, now: datetime | None = None, dry_run: bool = False) -> list[PlannedBatch]:
    """Queue the shows re-syncs due now, in batches; a dry run only plans them."""
    now = now or timezone.now()
    due = _due_members(now=now, limit=settings.RESYNC_SHOWS_ROUND_ARTISTS)
    packed = rules.pack_shows_batches(
        [BatchMember(tm_id, len(events), events) for tm_id, (_, events) in due.items()],
        max_events=settings.RESYNC_SHOWS_BATCH_EVENTS,
        max_artists=settings.RESYNC_SHOWS_BATCH_ARTISTS,
    )
    chosen = rules.batches_within(
        packed, spendable=resync_spendable(), artists=settings.RESYNC_SHOWS_ROUND_ARTISTS
    )
    planned = []
    for members in chosen:
        ids = tuple(m.tm_attraction_id for m in members)
        expected = sum(m.expected_events for m in members)
        batch_id = None
        if not dry_run:
            batch_id = shows_batch_create(
                {
                    m.tm_attraction_id: (due[m.tm_attraction_id][0], m.expected_events)
                    for m in members
                }
            )
            if batch_id is None:
                continue
        planned.append(PlannedBatch(batch_id, ids, expected))
    return planned


def shows_batch_create(
    members: dict[str, tuple[int, int]], *, expected_events: int | None = None
) -> int | None:
    """A queued batch of these artists ({attraction id: (artist id, expected events)})
    and its task; None when every one of them is in another active shows sync already
    (the database allows one active sync per artist, so two rounds racing cannot both
    take an artist)."""
    with transaction.atomic():
        batch = ShowsBatch.objects.create(
            attraction_ids=sorted(members),
            expected_events=(
                sum(expected for _, expected in members.values())
                if expected_events is None
                else expected_events
            ),
        )
        ShowsSync.objects.bulk_create(
            [
                ShowsSync(batch=batch, artist_id=artist_id, expected_events=expected)
                for _, (artist_id, expected) in sorted(members.items())
            ],
            ignore_conflicts=True,
        )
        taken = sorted(
            ShowsSync.objects.filter(batch=batch).values_list("artist__tm_attraction_id", flat=True)
        )
        if not taken:
            batch.delete()
            return None
        if len(taken) != len(members):
            batch.attraction_ids = taken
            batch.expected_events = min(
                batch.expected_events, sum(members[tm_id][1] for tm_id in taken)
            )
            batch.save(update_fields=["attraction_ids", "expected_events", "updated_at"])
        _enqueue(batch.pk)
    return batch.pk


def shows_batch_retry(*, batch_id: int) -> int | None:
    """A new queued batch of the artists whose sync failed in this batch (all of them
    when the batch itself failed), as `shows_batch_create` makes it; None when none
    failed, or when every one of them is in another active shows sync already."""
    failed = ShowsSync.objects.filter(batch_id=batch_id, status=ImportStatus.FAILED)
    members = {
        tm_id: (artist_id, expected)
        for tm_id, artist_id, expected in failed.values_list(
            "artist__tm_attraction_id", "artist_id", "expected_events"
        )
    }
    if not members:
        return None
    return shows_batch_create(members)


def _enqueue(batch_id: int) -> None:
    q_options = _q_options(batch_id)

    def send() -> None:
        async_task(SHOWS_BATCH_TASK, batch_id, q_options=dict(q_options))

    send_resync_task("shows", send)


# --- Running a batch ------------------------------------------------------------------


def _claim(batch_id: int, resume: str | None) -> ShowsBatch | None:
    """Mark the batch running; None when it must not run now: finished, or waiting and
    this task is not the one its schedule queued for the end of the wait."""
    with transaction.atomic():
        batch = ShowsBatch.objects.select_for_update().filter(pk=batch_id).first()
        if batch is None or batch.status not in ACTIVE_STATUSES:
            return None
        if batch.status == ImportStatus.WAITING and not _resumes(resume, batch.waiting_until):
            return None
        now = timezone.now()
        batch.status = ImportStatus.RUNNING
        batch.attempt += 1
        batch.started_at = batch.started_at or now
        batch.waiting_for = ""
        batch.waiting_until = None
        batch.message = "fetching events"
        batch.save()
        batch.syncs.update(status=ImportStatus.RUNNING)
    return batch


def _resumes(resume: str | None, waiting_until: datetime | None) -> bool:
    if resume is None or waiting_until is None:
        return False
    try:
        return datetime.fromisoformat(resume) == waiting_until
    except ValueError:
        return False


def shows_batch_run(batch_id: int, *, resume: str | None = None) -> ShowsBatch | None:
    """Run one batch here (the task's body, also used inline): fetch, hand out, store."""
    return async_to_sync(_run)(batch_id, resume)


async def _run(batch_id: int, resume: str | None) -> ShowsBatch | None:
    batch = await sync_to_async(_claim)(batch_id, resume)
    if batch is None:
        return None
    members = await sync_to_async(_members)(batch_id)
    ids = sorted(members)
    started = timezone.now()
    # From the start of the day, as the shows phase does.
    since = started.replace(hour=0, minute=0, second=0, microsecond=0)
    with structlog.contextvars.bound_contextvars(shows_batch=batch_id, artists=len(ids)):
        try:
            async with TicketmasterClient.from_settings(
                reserve_share=settings.RESYNC_QUOTA_RESERVE
            ) as tm:
                try:
                    listings, malformed, fetched = await _fetch(tm, ids, since)
                finally:
                    requests = tm.stats.as_dict()["requests_total"]
        except UpstreamMustWait as wait:
            until = datetime.fromtimestamp(wait.until, UTC) + RESUME_MARGIN
            what = waiting_for(provider=wait.provider, reason=wait.reason)
            log.info("shows batch parked", waiting_for=what, until=until.isoformat())
            await sync_to_async(_park)(batch_id, what=what, until=until)
            return await sync_to_async(ShowsBatch.objects.get)(pk=batch_id)
        except Exception as exc:
            error = str(exc) if isinstance(exc, UpstreamError) else f"{type(exc).__name__}: {exc}"
            log.warning("shows batch failed", error=error)
            await sync_to_async(_fail)(batch_id, error)
            return await sync_to_async(ShowsBatch.objects.get)(pk=batch_id)
        await sync_to_async(_store)(
            batch_id,
            members=members,
            listings=listings,
            malformed=malformed,
            started=started,
            figures={
                "events": fetched.events,
                "requests": requests,
                "pages": fetched.pages,
                "windows": fetched.windows,
            },
        )
        log.info("shows batch finished", requests=requests, events=fetched.events)
    return await sync_to_async(ShowsBatch.objects.get)(pk=batch_id)


def _members(batch_id: int) -> dict[str, int]:
    """{attraction id: artist id} of the batch's artists."""
    return dict(
        ShowsSync.objects.filter(batch_id=batch_id).values_list(
            "artist__tm_attraction_id", "artist_id"
        )
    )


@dataclass(frozen=True, slots=True)
class _Fetched:
    events: int
    pages: int
    windows: int


async def _fetch(tm: TicketmasterClient, ids: list[str], since: datetime):
    """Each artist's listed events and the ids of the malformed events listed, and the
    query's figures. When the answer lists events whose bill names none of the batch's
    artists (Ticketmaster left the attractions out), they cannot be handed out from it:
    each artist is then queried on its own, as its own import would."""
    upcoming = await tm.upcoming_events(",".join(ids), since=since)
    listings, unplaced = events_by_listing(upcoming.events, ids)
    malformed = {e.tm_event_id for e in upcoming.malformed if e.tm_event_id}
    pages, windows = upcoming.pages, upcoming.windows
    if unplaced:
        log.info("events without their bill: querying each artist", events=len(unplaced))
        listings = {}
        for tm_id in ids:
            own: UpcomingEvents = await tm.upcoming_events(tm_id, since=since)
            listings[tm_id] = own.events
            malformed |= {e.tm_event_id for e in own.malformed if e.tm_event_id}
            pages += own.pages
            windows += own.windows
    return listings, malformed, _Fetched(len(upcoming.events), pages, windows)


def _store(
    batch_id: int,
    *,
    members: dict[str, int],
    listings: dict,
    malformed: set[str],
    started: datetime,
    figures: dict[str, int],
) -> None:
    """Store each artist's listing, in key order, as its own import's shows phase would:
    upsert the shows with their venues and bills, then mark its places on upcoming
    shows it no longer lists. Each artist is its own transactions; an error storing one
    fails that artist's sync, not the others'."""
    failed = 0
    # Artists listing nothing now and holding no upcoming place: nothing to store or to
    # mark, so they are settled together (most of a fleet has no shows at all).
    today = timezone.localdate(started)
    placed = set(
        Billing.objects.filter(
            Q(show__local_date__gte=today) | Q(show__local_date__isnull=True),
            artist_id__in=list(members.values()),
            removed_upstream_at__isnull=True,
        )
        .values_list("artist_id", flat=True)
        .distinct()
    )
    quiet = sorted(
        artist_id
        for tm_id, artist_id in members.items()
        if not listings.get(tm_id) and artist_id not in placed
    )
    settled = set(quiet)
    if quiet:
        now = timezone.now()
        with transaction.atomic():
            Artist.objects.filter(pk__in=quiet).update(shows_synced_at=now)
            ShowsSync.objects.filter(batch_id=batch_id, artist_id__in=quiet).update(
                status=ImportStatus.SUCCEEDED, finished_at=now
            )
    for tm_id in sorted(members):
        artist_id = members[tm_id]
        if artist_id in settled:
            continue
        try:
            events = listings.get(tm_id, [])
            written = show_services.shows_upsert(artist_id=artist_id, events=events)
            removed = show_services.shows_mark_removed(
                artist_id=artist_id,
                not_seen_since=started,
                # Listed but malformed: still upstream for whoever lists it, so not marked.
                still_listed=malformed,
            )
            show_services.artist_shows_synced(artist_id=artist_id)
        except Exception as exc:
            failed += 1
            log.warning("shows batch: storing an artist failed", artist=tm_id, error=str(exc))
            ShowsSync.objects.filter(batch_id=batch_id, artist_id=artist_id).update(
                status=ImportStatus.FAILED,
                error=f"{type(exc).__name__}: {exc}",
                finished_at=timezone.now(),
            )
            continue
        ShowsSync.objects.filter(batch_id=batch_id, artist_id=artist_id).update(
            status=ImportStatus.SUCCEEDED,
            shows=written.shows,
            added=written.added,
            changed=written.changed,
            removed=removed.places,
            gone=removed.shows,
            finished_at=timezone.now(),
        )
    stored = len(members) - failed
    ShowsBatch.objects.filter(pk=batch_id).update(
        status=ImportStatus.FAILED
        if failed == len(members) and members
        else ImportStatus.SUCCEEDED,
        message=(
            f"{count_noun(figures['events'], 'event')} for {stored} of "
            f"{count_noun(len(members), 'artist')}"
        ),
        error=f"{count_noun(failed, 'artist')} could not be stored" if failed else "",
        finished_at=timezone.now(),
        updated_at=timezone.now(),
        **figures,
    )


def _park(batch_id: int, *, what: str, until: datetime) -> None:
    with transaction.atomic():
        if not ShowsBatch.objects.filter(pk=batch_id, status__in=ACTIVE_STATUSES).update(
            status=ImportStatus.WAITING,
            waiting_for=what,
            waiting_until=until,
            message=f"waiting for {what}",
            updated_at=timezone.now(),
        ):
            return
        ShowsSync.objects.filter(batch_id=batch_id).update(status=ImportStatus.WAITING)
        Schedule.objects.filter(name=shows_batch_task_name(batch_id)).delete()
        Schedule.objects.create(
            name=shows_batch_task_name(batch_id),
            func=SHOWS_BATCH_TASK,
            args=repr((batch_id,)),
            kwargs=repr({"resume": until.isoformat(), "q_options": _q_options(batch_id)}),
            schedule_type=Schedule.ONCE,
            repeats=-1,
            next_run=until,
            cluster=Conf.CLUSTER_NAME,
        )


def _fail(batch_id: int, error: str) -> None:
    """Fail the batch and its artists' syncs still active; those already stored (its
    worker died while storing) keep what they say."""
    now = timezone.now()
    with transaction.atomic():
        ShowsBatch.objects.filter(pk=batch_id, status__in=ACTIVE_STATUSES).update(
            status=ImportStatus.FAILED, error=error, finished_at=now, updated_at=now
        )
        ShowsSync.objects.filter(batch_id=batch_id, status__in=ACTIVE_STATUSES).update(
            status=ImportStatus.FAILED, error=error, finished_at=now
        )


def shows_batches_sweep(*, idle_since: datetime) -> int:
    """Fail batches that made no progress since `idle_since` and whose task the broker
    no longer holds (lost with its worker); their artists are due again next period.
    A waiting batch is left alone while its resumption is scheduled. How many failed."""
    from imports.selectors import queued_task_names

    stale = list(
        ShowsBatch.objects.filter(status__in=ACTIVE_STATUSES, updated_at__lt=idle_since)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if not stale:
        return 0
    held = set(queued_task_names())
    lost = [batch_id for batch_id in stale if shows_batch_task_name(batch_id) not in held]
    for batch_id in lost:
        _fail(batch_id, "stalled: its task was lost (its worker died?)")
    return len(lost)


# --- Reads ----------------------------------------------------------------------------


def artist_last_shows_sync(*, artist_id: int) -> ShowsSync | None:
    """The artist's latest shows sync (by a batch or by its own import), or None."""
    return (
        ShowsSync.objects.filter(artist_id=artist_id)
        .select_related("batch", "run")
        .order_by("-id")
        .first()
    )


def artist_shows_syncs(*, artist_id: int, limit: int) -> list[ShowsSync]:
    """The artist's latest shows syncs, newest first, with their batch or run."""
    return list(
        ShowsSync.objects.filter(artist_id=artist_id)
        .select_related("batch", "run")
        .order_by("-id")[:limit]
    )


def shows_batch_get(batch_id: int) -> ShowsBatch:
    """The batch with its artists' syncs loaded (`batch.syncs.all()`, by attraction id,
    each with its artist); ShowsBatch.DoesNotExist when there is none."""
    syncs = ShowsSync.objects.select_related("artist").order_by("artist__tm_attraction_id")
    return ShowsBatch.objects.prefetch_related(Prefetch("syncs", queryset=syncs)).get(pk=batch_id)


# --- Re-sync runs in groups ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _QuickCheck:
    """A claimed re-sync run that may find its catalog unchanged with one listing."""

    spotify_id: str
    digest: str
    curator_decisions: dict


def _claim_resync_run(run_id: int) -> _QuickCheck | bool:
    """Claim a queued re-sync run for this group task (it is running from now on).
    False: not this task's any more (a person took it over and queued it on its own, or
    it started already, e.g. this task was handed out again). A `_QuickCheck` when
    only its catalog is due and an unchanged listing would keep it; True otherwise."""
    with transaction.atomic():
        run = (
            ImportRun.objects.select_for_update()
            .select_related("artist")
            .filter(pk=run_id, status=ImportStatus.QUEUED, trigger=ImportTrigger.RESYNC)
            .first()
        )
        if run is None or ImportPhase.objects.filter(run_id=run_id).exists():
            return False
        now = timezone.now()
        # Started: a person asking for the artist now joins this run as it goes.
        ImportRun.objects.filter(pk=run_id).update(
            status=ImportStatus.RUNNING, started_at=now, updated_at=now
        )
        artist = run.artist
        identity_fresh = not rules.stale_identity(
            identity_synced_at=artist.identity_synced_at,
            identity_before=now - settings.RESYNC_IDENTITY_AFTER,
        )
        if run.full_catalog or not identity_fresh or not artist.spotify_id:
            return True
        if not artist.catalog_digest:
            return True
        return _QuickCheck(
            spotify_id=artist.spotify_id,
            digest=artist.catalog_digest,
            curator_decisions=TrackOverride.objects.decisions_for(artist.pk),
        )


def resync_run_kept(run_id: int, *, releases: int, requests: int = 1) -> None:
    """Settle a re-sync run whose identity is fresh, whose shows go in batches and whose
    catalog listing is what its last decision was made from, in one transaction: every
    phase recorded as kept, the drops of that decision carried over, the run succeeded
    with one final progress event (no upstream request of its own to wait for)."""
    from imports.stream import publish_import_event

    now = timezone.now()
    artist = ImportRun.objects.select_related("artist").get(pk=run_id).artist
    kept = {
        PhaseName.IDENTITY: (
            f"{artist.name}: identity fetched {artist.identity_synced_at:%Y-%m-%d}, kept",
            {"spotify_match": artist.spotify_match, "slug": artist.slug, "identity_kept": 1},
        ),
        PhaseName.SHOWS: ("shows re-synced in batches", {}),
        PhaseName.CATALOG: (
            f"catalog unchanged: {count_noun(releases, 'release')} listed as when last decided",
            {
                "catalog_unchanged": 1,
                "albums": releases,
                "spotify_requests": {"requests_total": requests},
            },
        ),
    }
    counters = rules.merged_phase_counters(
        (phase, counters) for phase, (_, counters) in kept.items()
    )
    kept[PhaseName.FINALIZE] = ("import finished", counters)
    message = "import finished: catalog unchanged"
    with transaction.atomic():
        ImportPhase.objects.bulk_create(
            [
                ImportPhase(
                    run_id=run_id,
                    phase=phase,
                    status=ImportStatus.SUCCEEDED,
                    percent=100,
                    message=text,
                    counters=phase_counters,
                    attempt=1,
                    started_at=now,
                    finished_at=now,
                )
                for phase, (text, phase_counters) in kept.items()
            ]
        )
        run_drops_carry_over(run_id=run_id)
        catalog_services.artist_catalog_kept(artist_id=artist.pk)
        if ImportRun.objects.filter(pk=run_id, status=ImportStatus.RUNNING).update(
            status=ImportStatus.SUCCEEDED,
            stage=RunStage.DONE,
            percent=100,
            counters=counters,
            message=message,
            finished_at=now,
        ):
            event = ImportEvent.objects.create(
                run_id=run_id,
                stage=PhaseName.FINALIZE,
                status=ImportStatus.SUCCEEDED,
                percent=100,
                overall_percent=100,
                message=message,
                counters=counters,
            )
            transaction.on_commit(partial(publish_import_event, event.pk))


async def resync_runs(run_ids: list[int]) -> None:
    """Run a group of re-sync runs, at most RESYNC_RUNS_CONCURRENCY side by side. A run
    due only for its catalog first lists the artist's releases (one Spotify client, so
    one token, for the group): the same listing as its last decision keeps the catalog
    as it is, settled at once. Any other run runs whole (`pipeline.run_import_async`);
    one that fails or parks does so on its own, the others go on."""
    from imports.pipeline import run_import_async

    gate = asyncio.Semaphore(settings.RESYNC_RUNS_CONCURRENCY)
    async with contextlib.AsyncExitStack() as stack:
        spotify: SpotifyClient | None = None

        async def one(run_id: int) -> None:
            nonlocal spotify
            async with gate:
                claimed = await sync_to_async(_claim_resync_run)(run_id)
                if not claimed:
                    return
                if isinstance(claimed, _QuickCheck):
                    try:
                        if spotify is None:
                            spotify = await stack.enter_async_context(SpotifyClient.from_settings())
                        listing = await spotify.artist_albums(claimed.spotify_id)
                    except Exception as exc:  # the run itself meets it, and says so
                        log.info("re-sync listing check failed", run_id=run_id, error=str(exc))
                    else:
                        digest = catalog_rules.listing_digest(listing, claimed.curator_decisions)
                        if digest == claimed.digest:
                            releases = len({album.spotify_id for album in listing})
                            # The listing's pages: what keeping the catalog cost.
                            pages = max(1, -(-len(listing) // spotify.page_limit))
                            await sync_to_async(resync_run_kept)(
                                run_id, releases=releases, requests=pages
                            )
                            return
                try:
                    await run_import_async(run_id)
                except Exception:
                    log.exception("re-sync run failed outside its phases", run_id=run_id)

        await asyncio.gather(*(one(run_id) for run_id in run_ids))
