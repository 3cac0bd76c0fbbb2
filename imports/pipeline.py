"""The import of one artist, phase by phase.

Each phase is a function of a run id that reads what it needs from the
database, calls the upstream clients, writes through the apps' services and
reports progress. The same functions run inline (`import_artist --inline`,
tests) and, one task each, on the django-q2 cluster; `imports.phases` declares
their order:

    identity ──┬── shows & venues ──┬── finalize
               └── catalog ─────────┘
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from asgiref.sync import async_to_sync, sync_to_async
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from catalog import rules
from catalog.models import SpotifyMatch, TrackOverride
from catalog.services import artist_identity_update
from catalog.sync import sync_catalog
from imports.metrics import import_phase_metrics_record
from imports.models import (
    DroppedTrack,
    ImportPhase,
    ImportRun,
    ImportStatus,
    ImportTrigger,
    ShowsSync,
)
from imports.phases import (
    PhaseFailed,
    PhaseName,
    PhaseParked,
    RunStage,
    phase_get,
    phases_still_needed,
)
from imports.progress import PhaseReporter, fail_run, park_phase, skip_phase
from imports.rules import merged_phase_counters, stale_identity, waiting_for
from imports.services import import_run_warning_add, run_drops_carry_over
from integrations.http.errors import UpstreamError, UpstreamMustWait
from integrations.http.stats import collect_stats
from integrations.spotify.client import SpotifyClient
from integrations.ticketmaster.client import TicketmasterClient
from shows.sync import sync_shows
from theset.bulk import bulk_upsert
from theset.text import count_noun

log = structlog.get_logger(__name__)

# A parked phase is queued again this long after the time the upstream gave: our clock
# and theirs differ, and a request a moment early would be refused again.
RESUME_MARGIN = timedelta(seconds=1)


def readable_error(exc: BaseException) -> str:
    """What went wrong, for staff and API clients: no traceback, no secrets."""
    if isinstance(exc, UpstreamError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


async def _run_phase(
    run_id: int,
    phase: PhaseName,
    body: Callable[[PhaseReporter], Awaitable[tuple[str, dict[str, Any]]]],
) -> None:
    reporter = PhaseReporter(run_id=run_id, phase=phase)
    artist = await sync_to_async(_start_phase)(reporter)
    record_metrics = sync_to_async(import_phase_metrics_record)
    started = time.monotonic()
    # Every line logged during the phase (ours, httpx's) carries the run, artist, phase.
    with (
        structlog.contextvars.bound_contextvars(run_id=run_id, artist=artist, phase=phase.value),
        collect_stats() as upstream,
    ):
        log.info("phase started")
        try:
            message, counters = await body(reporter)
        except UpstreamMustWait as wait:
            # Not a failure: the task ends (the worker is free) and the phase is queued
            # again for when the upstream said; its upserts so far stay.
            until = datetime.fromtimestamp(wait.until, UTC) + RESUME_MARGIN
            what = waiting_for(provider=wait.provider, reason=wait.reason)
            log.info("phase parked", waiting_for=what, until=until.isoformat(), detail=wait.detail)
            await sync_to_async(park_phase)(run_id, phase, what=what, until=until)
            await record_metrics(run_id=run_id, phase=phase, upstream=upstream)
            raise PhaseParked(what) from wait
        except Exception as exc:
            error = readable_error(exc)
            log.warning("phase failed", error=error, seconds=_since(started))
            await sync_to_async(fail_run)(run_id, phase, error)
            await record_metrics(run_id=run_id, phase=phase, upstream=upstream)
            raise PhaseFailed(error) from exc
        await sync_to_async(reporter.finish)(message, counters)
        log.info("phase finished", seconds=_since(started), **log_figures(counters))
    await record_metrics(run_id=run_id, phase=phase, upstream=upstream, counters=counters)


def _start_phase(reporter: PhaseReporter) -> str:
    """Start the phase; the artist's Ticketmaster id, for the logs."""
    reporter.start()
    return ImportRun.objects.values_list("artist__tm_attraction_id", flat=True).get(
        pk=reporter.run_id
    )


def _since(started: float) -> float:
    return round(time.monotonic() - started, 3)


def log_figures(counters: dict[str, Any]) -> dict[str, Any]:
    """A phase's counters for its log line: the plain figures, and each upstream's
    request count (the per-endpoint detail stays in the run's counters)."""
    figures: dict[str, Any] = {}
    for name, value in counters.items():
        if isinstance(value, int | float | str | bool):
            figures[name] = value
        elif isinstance(value, dict) and "requests_total" in value:
            figures[name] = value["requests_total"]
    return figures


# A phase's progress is written at most this often (its start, its first report and its
# end always are).
REPORT_INTERVAL_SECONDS = 0.25


def _report(reporter: PhaseReporter) -> Callable[..., Awaitable[Any]]:
    """The phase's `progress(percent, message, counters)`, throttled: at most one every
    REPORT_INTERVAL_SECONDS, each one event row."""
    report = sync_to_async(reporter.progress)
    last = float("-inf")  # the first report always goes: a phase is seen under way

    async def throttled(percent: int, message: str, counters: dict[str, Any] | None) -> Any:
        nonlocal last
        now = time.monotonic()
        if counters is None and now - last < REPORT_INTERVAL_SECONDS:
            return None
        last = now
        return await report(percent, message, counters)

    return throttled


def _run_with_artist(run_id: int) -> ImportRun:
    return ImportRun.objects.select_related("artist").get(pk=run_id)


def _is_resync(run: ImportRun) -> bool:
    return run.trigger == ImportTrigger.RESYNC


def _reserve(run: ImportRun) -> float:
    """The share of Ticketmaster's daily quota this run must leave: re-syncs leave
    RESYNC_QUOTA_RESERVE to the imports people start; those may spend it all."""
    return settings.RESYNC_QUOTA_RESERVE if run.trigger == ImportTrigger.RESYNC else 0.0


# --- Phases ---------------------------------------------------------------------


# How the identity phase's last message says where the Spotify id came from.
SPOTIFY_MATCH_WORDS = {
    SpotifyMatch.EXTERNAL_LINK: "Spotify artist from Ticketmaster's link",
    SpotifyMatch.NAME_SEARCH: "Spotify artist found by its exact name",
    SpotifyMatch.NOT_FOUND: "no Spotify artist found",
    SpotifyMatch.UNRESOLVED: "Spotify artist not resolved",
}


async def identity_phase(run_id: int) -> None:
    """Name, slug, images, genres and the Spotify id (from Ticketmaster's link, else a
    strict name search on Spotify; how it matched is recorded)."""

    async def body(reporter: PhaseReporter) -> tuple[str, dict[str, Any]]:
        run = await sync_to_async(_run_with_artist)(run_id)
        async with TicketmasterClient.from_settings(reserve_share=_reserve(run)) as tm:
            attraction = await tm.attraction(run.artist.tm_attraction_id)
        # Written while the Spotify search is in flight: not a round trip on the path.
        found_it = asyncio.ensure_future(
            _report(reporter)(40, f"found {attraction.name} on Ticketmaster", None)
        )
        try:
            spotify_id, match = attraction.spotify_id, SpotifyMatch.EXTERNAL_LINK
            if not spotify_id:
                async with SpotifyClient.from_settings() as spotify:
                    candidates = await spotify.search_artists(attraction.name)
                found = rules.pick_spotify_artist(
                    attraction.name, [(c.spotify_id, c.name) for c in candidates]
                )
                spotify_id, match = (
                    (found, SpotifyMatch.NAME_SEARCH) if found else (None, SpotifyMatch.NOT_FOUND)
                )
        finally:
            await found_it  # before anything else of the phase is written
        artist = await sync_to_async(artist_identity_update)(
            artist_id=run.artist_id,
            name=attraction.name,
            image_url=attraction.image_url,
            genres=attraction.genres,
            spotify_id=spotify_id,
            spotify_match=match,
        )
        return (
            f"{artist.name}: {SPOTIFY_MATCH_WORDS[match]}",
            {"spotify_match": match.value, "slug": artist.slug},
        )

    if kept := await sync_to_async(_identity_kept)(run_id):
        await sync_to_async(skip_phase)(
            run_id, PhaseName.IDENTITY, message=kept[0], counters=kept[1]
        )
        return
    await _run_phase(run_id, PhaseName.IDENTITY, body)


def _identity_kept(run_id: int) -> tuple[str, dict[str, Any]] | None:
    """A re-sync fetches identity only once it is older than RESYNC_IDENTITY_AFTER:
    what the phase says when it keeps it; None when it must fetch."""
    run = _run_with_artist(run_id)
    artist = run.artist
    if not _is_resync(run) or stale_identity(
        identity_synced_at=artist.identity_synced_at,
        identity_before=timezone.now() - settings.RESYNC_IDENTITY_AFTER,
    ):
        return None
    return (
        f"{artist.name}: identity fetched {artist.identity_synced_at:%Y-%m-%d}, kept",
        {"spotify_match": artist.spotify_match, "slug": artist.slug, "identity_kept": 1},
    )


async def shows_phase(run_id: int) -> None:
    async def body(reporter: PhaseReporter) -> tuple[str, dict[str, Any]]:
        run = await sync_to_async(_run_with_artist)(run_id)
        async with TicketmasterClient.from_settings(reserve_share=_reserve(run)) as tm:
            result = await sync_shows(
                artist_id=run.artist_id,
                tm_attraction_id=run.artist.tm_attraction_id,
                client=tm,
                report=_report(reporter),
            )
            requests = tm.stats.as_dict()
        counters = result.counters() | {"ticketmaster_requests": requests}
        if result.malformed_events:
            counters["malformed_events"] = result.malformed_events[:50]
        await sync_to_async(ShowsSync.objects.create)(
            artist_id=run.artist_id,
            run_id=run_id,
            status=ImportStatus.SUCCEEDED,
            shows=result.shows,
            added=result.added,
            changed=result.changed,
            removed=result.removed_upstream,
            gone=result.gone_upstream,
            finished_at=timezone.now(),
        )
        shows = count_noun(result.shows, "show")
        return f"{shows} at {count_noun(result.venues, 'venue')}", counters

    run = await sync_to_async(_run_with_artist)(run_id)
    if _is_resync(run):
        # Re-syncs' shows are fetched in batches of artists (`imports.resync`).
        await sync_to_async(skip_phase)(
            run_id, PhaseName.SHOWS, message="shows re-synced in batches", counters={}
        )
        return
    await _run_phase(run_id, PhaseName.SHOWS, body)


async def catalog_phase(run_id: int) -> None:
    async def body(reporter: PhaseReporter) -> tuple[str, dict[str, Any]]:
        run = await sync_to_async(_run_with_artist)(run_id)
        if not run.artist.spotify_id:
            await sync_to_async(import_run_warning_add)(
                run_id=run_id, warning="no Spotify artist: catalog not imported"
            )
            return "no Spotify artist", {"tracks_kept": 0, "songs": 0}
        # Curators' always keep / always drop decisions outlast every re-import.
        curator_decisions = await sync_to_async(TrackOverride.objects.decisions_for)(run.artist_id)
        async with SpotifyClient.from_settings() as spotify:
            result = await sync_catalog(
                artist_id=run.artist_id,
                spotify_artist_id=run.artist.spotify_id,
                client=spotify,
                report=_report(reporter),
                curator_decisions=curator_decisions,
                full=run.full_catalog,
            )
            requests = spotify.stats.as_dict()
        await sync_to_async(_record_catalog)(run_id, result)
        counters = result.counters() | {"spotify_requests": requests}
        songs = count_noun(result.songs, "song")
        kept = count_noun(result.tracks_kept, "studio recording")
        return f"{songs}: {kept} of {count_noun(result.raw_tracks, 'track')}", counters

    run = await sync_to_async(_run_with_artist)(run_id)
    synced_at = run.artist.catalog_synced_at
    if (
        _is_resync(run)
        and synced_at is not None
        and synced_at >= timezone.now() - settings.RESYNC_CATALOG_AFTER
    ):
        # A re-sync started for a stale identity leaves a fresh catalog as it is.
        await sync_to_async(skip_phase)(
            run_id,
            PhaseName.CATALOG,
            message=f"catalog synced {synced_at:%Y-%m-%d}, kept",
            counters={"catalog_kept": 1},
        )
        # Its drop report is the one of the run that decided the catalog.
        await sync_to_async(run_drops_carry_over)(run_id=run_id)
        return
    await _run_phase(run_id, PhaseName.CATALOG, body)


def _record_catalog(run_id: int, result) -> None:
    """The drop report of this run: per-reason counts and one row per dropped track."""
    with transaction.atomic():
        ImportRun.objects.filter(pk=run_id).update(
            drop_counts=result.drop_counts, spotify_app_mode=result.spotify_app_mode
        )
        DroppedTrack.objects.filter(run_id=run_id).delete()
        bulk_upsert(
            DroppedTrack,
            [
                (
                    run_id,
                    drop.spotify_id,
                    drop.name[:500],
                    drop.album_name[:500],
                    drop.isrc,
                    drop.reason,
                    drop.duplicate_of,
                )
                for drop in result.dropped
            ],
            fields=["run_id", "spotify_id", "name", "album_name", "isrc", "reason", "duplicate_of"],
        )
    for warning in result.warnings:
        import_run_warning_add(run_id=run_id, warning=warning)


def finalize_phase(run_id: int) -> ImportRun:
    """Mark the run succeeded with the figures of its phases (a failed run stays failed)."""
    reporter = PhaseReporter(run_id=run_id, phase=PhaseName.FINALIZE)
    artist = _start_phase(reporter)
    started = time.monotonic()
    phase_log = log.bind(run_id=run_id, artist=artist, phase=PhaseName.FINALIZE.value)
    phase_log.info("phase started")
    counters = merged_phase_counters(
        ImportPhase.objects.filter(run_id=run_id).values_list("phase", "counters")
    )
    with transaction.atomic():
        # Status first, so the final event carries the run's final status.
        finished = ImportRun.objects.filter(pk=run_id, status=ImportStatus.RUNNING).update(
            status=ImportStatus.SUCCEEDED,
            counters=counters,
            message="import finished",
            finished_at=timezone.now(),
        )
        reporter.finish("import finished" if finished else "import ended", counters)
        ImportRun.objects.filter(pk=run_id, status=ImportStatus.SUCCEEDED).update(
            stage=RunStage.DONE, percent=100
        )
    import_phase_metrics_record(run_id=run_id, phase=PhaseName.FINALIZE)
    run = ImportRun.objects.get(pk=run_id)
    phase_log.info("phase finished", seconds=_since(started), status=run.status)
    return run


# --- Inline ------------------------------------------------------------------------


async def run_import_async(run_id: int) -> None:
    """Every phase of a run in this process, in the registry's order: each phase starts
    once all it waits for has succeeded, and phases ready together run side by side."""
    succeeded: set[PhaseName] = set()
    while ready := phases_still_needed(succeeded):
        outcomes = await asyncio.gather(
            *(phase_get(name).arun(run_id) for name in ready), return_exceptions=True
        )
        for outcome in outcomes:
            if isinstance(outcome, PhaseFailed | PhaseParked):
                # Failed: the run says why. Parked: a cluster resumes it when the upstream
                # said; this process does not wait for hours.
                return
            if isinstance(outcome, BaseException):
                raise outcome
        succeeded.update(ready)


def run_import(run_id: int) -> ImportRun:
    """Run a whole import here; ORM work stays on this thread (and its connection)."""
    async_to_sync(run_import_async)(run_id)
    return ImportRun.objects.select_related("artist").get(pk=run_id)
