"""The public artist page: identity, upcoming shows, studio songs and live import progress.

Plain Django templates; the page's reads live here, each one query with its
relations joined (never a query per row).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from catalog.models import Artist
from catalog.selectors import studio_tracks
from catalog.services import artist_shell_slug
from imports.models import ImportEvent, ImportPhase, ImportRun, ImportStatus
from imports.phases import RunStage
from imports.rules import waiting_message
from imports.selectors import artist_latest_run
from shows.models import Billing, ShowStatus
from shows.rules import is_festival
from shows.selectors import upcoming_shows

# Statuses worth a badge next to a show; on sale / off sale are the normal case.
FLAGGED_SHOW_STATUSES = frozenset(
    {ShowStatus.CANCELLED, ShowStatus.POSTPONED, ShowStatus.RESCHEDULED}
)
SHELL_SLUG = re.compile(r"^tm-(?P<attraction>.+)-[0-9a-f]{6}$")


@dataclass(frozen=True, slots=True)
class ImportProgress:
    """Where the artist's running import stands, as the page first draws it."""

    artist_id: int
    last_event_id: int  # the stream resumes after it: no replay of what is drawn
    stage: str
    percent: int
    message: str
    # The run's status: "waiting" is drawn as paused (neither failed nor done).
    status: str = ImportStatus.RUNNING

    @property
    def waiting(self) -> bool:
        return self.status == ImportStatus.WAITING


@dataclass(frozen=True, slots=True)
class BilledAct:
    name: str
    slug: str  # "" for an act never imported: no page to link to


@dataclass(frozen=True, slots=True)
class BillLine:
    """What a show row says about the rest of its bill: "with X, Y" or "Festival · 42 acts"."""

    others: tuple[BilledAct, ...] = ()
    festival_acts: int = 0


@dataclass(frozen=True, slots=True)
class SongRow:
    name: str
    album_name: str
    duration: str
    is_remix: bool


def artist_by_slug(slug: str) -> Artist | None:
    return Artist.objects.filter(slug=slug).first()


def artist_by_shell_slug(slug: str) -> Artist | None:
    """The artist that `slug` named before identity gave it a name slug, if any.

    A page opened as soon as an import starts has the shell slug in its URL;
    the slug changes once, so the old link keeps working by redirect.
    """
    match = SHELL_SLUG.fullmatch(slug)
    if not match:
        return None
    candidates = Artist.objects.filter(tm_attraction_id__iexact=match["attraction"])
    return next((a for a in candidates if artist_shell_slug(a.tm_attraction_id) == slug), None)


def bill_line(lineup: Sequence[Billing], artist_id: int) -> BillLine:
    """The rest of a show's bill as the artist's page shows it (`lineup` in order)."""
    if is_festival(len(lineup)):
        return BillLine(festival_acts=len(lineup))
    return BillLine(
        others=tuple(
            BilledAct(
                name=place.artist.name or place.artist.tm_attraction_id,
                slug=place.artist.slug if place.artist.is_imported else "",
            )
            for place in lineup
            if place.artist_id != artist_id
        )
    )


def format_duration(duration_ms: int) -> str:
    """Minutes and seconds, as track lists show them: 3:07, 12:45, 61:02."""
    minutes, seconds = divmod(round(duration_ms / 1000), 60)
    return f"{minutes}:{seconds:02d}"


def studio_songs(artist_id: int) -> list[SongRow]:
    """The artist's studio catalog by title, with album and duration."""
    return [
        SongRow(
            name=track.name,
            album_name=track.album.name,
            duration=format_duration(track.duration_ms),
            is_remix=track.is_remix,
        )
        for track in studio_tracks(artist_id=artist_id)
    ]


def web_url(url: str) -> str:
    """`url` if it is an http(s) address, else "": upstream text never becomes a script URL."""
    return url if url.startswith(("https://", "http://")) else ""


def import_progress(run: ImportRun) -> ImportProgress:
    """The run's latest progress event (or its queued state), to draw before streaming.
    A waiting run says what it waits for and until when."""
    event = ImportEvent.objects.filter(run_id=run.pk).order_by("-pk").first()
    if event is None:
        return ImportProgress(
            artist_id=run.artist_id,
            last_event_id=0,
            stage=RunStage(run.stage).label,
            percent=run.percent,
            message=run.message or "Waiting for a worker",
            status=run.status,
        )
    return ImportProgress(
        artist_id=run.artist_id,
        last_event_id=event.pk,
        stage=RunStage(event.stage).label,
        percent=event.overall_percent,
        message=_waiting_words(run) or event.message,
        status=run.status,
    )


def _waiting_words(run: ImportRun) -> str:
    """ "waiting for Ticketmaster's daily quota until 14:05 UTC" for a waiting run, from
    its parked phase (the one resuming first); "" for a run that is not waiting."""
    if run.status != ImportStatus.WAITING:
        return ""
    parked = (
        ImportPhase.objects.filter(run=run, status=ImportStatus.WAITING)
        .exclude(waiting_until=None)
        .order_by("waiting_until")
        .first()
    )
    if parked is None:
        return run.message
    return waiting_message(what=parked.waiting_for, until=parked.waiting_until, now=timezone.now())


@require_GET
def artist_page(request: HttpRequest, slug: str) -> HttpResponse:
    """`/artists/<slug>/`: the artist, upcoming shows, studio songs, live import progress."""
    artist = artist_by_slug(slug)
    if artist is None:
        renamed = artist_by_shell_slug(slug)
        if renamed is None:
            raise Http404("No artist with this address")
        return redirect("artist-page", slug=renamed.slug, permanent=True)
    run = artist_latest_run(artist_id=artist.pk)
    context = {
        "artist": artist,
        "image_url": web_url(artist.image_url),
        "shows": [
            (show, bill_line(show.lineup, artist.pk))
            for show in upcoming_shows(artist_id=artist.pk)
        ],
        "songs": studio_songs(artist.pk),
        "flagged_statuses": FLAGGED_SHOW_STATUSES,
        "progress": import_progress(run) if run and run.is_active else None,
        "run_failed": run is not None and run.status == ImportStatus.FAILED,
        "stage_labels": dict(RunStage.choices),
    }
    return render(request, "artists/artist_page.html", context)
