"""The public pages: `/` (artist index and search, a staff import form), the artist
page (identity, upcoming shows and studio songs, each paged and filtered on the server,
live import progress) and the venue page (its upcoming shows).

Plain Django templates; the pages' reads live here, each one query with its relations
joined (never a query per row). Fans see an artist only once an identity phase named
it (`Artist.objects.public()`); staff see the others too, with why they are not public.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from django.core.paginator import Page, Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from catalog.models import Artist, Song, Track
from catalog.rules import VersionKind
from catalog.selectors import (
    artist_song_totals,
    artist_songs,
    artists_recently_imported,
    artists_search,
    song_recordings,
)
from catalog.services import artist_shell_slug
from imports.auth import START_IMPORTS_PERMISSION
from imports.models import ImportEvent, ImportPhase, ImportRun, ImportStatus
from imports.phases import RunStage
from imports.rules import MissingPart, parts_missing_after_failure, waiting_message
from imports.selectors import artist_latest_run
from shows.models import Billing, Show, ShowStatus, Venue
from shows.rules import country_name, is_festival, month_bounds, place_line, zone_abbreviation
from shows.selectors import (
    upcoming_show_countries,
    upcoming_show_months,
    upcoming_shows,
    venue_upcoming_shows,
)
from theset.text import format_duration

# Statuses worth a badge next to a show; on sale / off sale are the normal case.
FLAGGED_SHOW_STATUSES = frozenset(
    {ShowStatus.CANCELLED, ShowStatus.POSTPONED, ShowStatus.RESCHEDULED}
)
SHELL_SLUG = re.compile(r"^tm-(?P<attraction>.+)-[0-9a-f]{6}$")
SHOWS_PER_PAGE = 50
SONGS_PER_PAGE = 50
ARTISTS_PER_PAGE = 30
RECENT_ARTISTS = 12
# The longest search a person types; longer input is cut, not refused.
MAX_QUERY_LENGTH = 100


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
    url: str  # "" for an act with no public page (never imported): no link


@dataclass(frozen=True, slots=True)
class BillLine:
    """What a show row says about the rest of its bill: "with X, Y" or "Festival · 42 acts"."""

    others: tuple[BilledAct, ...] = ()
    festival_acts: int = 0


@dataclass(frozen=True, slots=True)
class ShowRow:
    """A show as a page lists it: the show, the rest of its bill, where, and the name of
    the venue's clock (dates and times are the venue's local ones)."""

    show: Show
    bill: BillLine
    place: str  # "Glasgow, United Kingdom"
    zone: str  # "BST"; "" when the venue's zone is unknown
    ticket_url: str
    venue_url: str


@dataclass(frozen=True, slots=True)
class VersionRow:
    """One recording of a song, as its song's versions list it."""

    name: str
    kind: str  # "Demo", "Remix": the version's label
    is_original: bool
    is_main: bool
    album_name: str
    year: str  # "" when Spotify gives no date
    duration: str


@dataclass(frozen=True, slots=True)
class SongRow:
    """A song as the page lists it: its title, its main recording's album and length,
    and every version (main first; a song of one recording is not expanded)."""

    title: str
    album_name: str
    duration: str
    versions: tuple[VersionRow, ...]

    @property
    def only_version(self) -> VersionRow | None:
        return self.versions[0] if len(self.versions) == 1 else None


@dataclass(frozen=True, slots=True)
class Choice:
    value: str
    label: str


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


def act_url(artist: Artist) -> str:
    """The page of an act on a bill, or "" if fans have none to go to."""
    return artist.get_absolute_url() if artist.is_imported and artist.is_public else ""


def bill_line(lineup: Sequence[Billing], artist_id: int | None) -> BillLine:
    """The rest of a show's bill as a page shows it (`lineup` in order): every act but
    the artist whose page it is (`artist_id`; None on a venue's page: every act)."""
    if is_festival(len(lineup)):
        return BillLine(festival_acts=len(lineup))
    return BillLine(
        others=tuple(
            BilledAct(
                name=place.artist.name or place.artist.tm_attraction_id, url=act_url(place.artist)
            )
            for place in lineup
            if place.artist_id != artist_id
        )
    )


def show_row(show: Show, artist_id: int | None) -> ShowRow:
    venue = show.venue
    return ShowRow(
        show=show,
        bill=bill_line(show.lineup, artist_id),
        place=place_line(venue.city, country_name(code=venue.country_code, name=venue.country))
        if venue
        else "",
        zone=zone_abbreviation(
            local_date=show.local_date,
            local_time=None if show.time_tba else show.local_time,
            zone=venue.timezone if venue else "",
        ),
        ticket_url=web_url(show.url),
        venue_url=venue.get_absolute_url() if venue else "",
    )


def release_year(release_date: str) -> str:
    """The year of a Spotify release date ("2011-04-05", "2011"); "" when unknown ("0000")."""
    year = release_date[:4]
    return year if year.isdigit() and int(year) > 0 else ""


def version_row(track: Track) -> VersionRow:
    return VersionRow(
        name=track.name,
        kind=track.get_version_display(),
        is_original=track.version == VersionKind.ORIGINAL,
        is_main=track.is_main,
        album_name=track.album.name,
        year=release_year(track.album.release_date),
        duration=format_duration(track.duration_ms),
    )


def song_row(song: Song, recordings: Sequence[Track]) -> SongRow:
    """`song` with its `recordings` (main first, from `song_recordings`)."""
    main = song.main_track or (recordings[0] if recordings else None)
    return SongRow(
        title=song.title,
        album_name=main.album.name if main else "",
        duration=format_duration(main.duration_ms) if main else "",
        versions=tuple(version_row(track) for track in recordings),
    )


def web_url(url: str) -> str:
    """`url` if it is an http(s) address, else "": upstream text never becomes a script URL."""
    return url if url.startswith(("https://", "http://")) else ""


def search_text(request: HttpRequest, name: str) -> str:
    return " ".join(request.GET.get(name, "").split())[:MAX_QUERY_LENGTH]


def paged(items, request: HttpRequest, *, per_page: int, param: str) -> Page:
    """The page of `items` the request asks for in `param` (the last one past the end,
    the first one for anything not a number): Django's paginator."""
    return Paginator(items, per_page).get_page(request.GET.get(param))


@dataclass(frozen=True, slots=True)
class PageLink:
    label: str
    url: str  # "" for the gap between page numbers ("…")
    current: bool = False


def pager_links(page: Page, request: HttpRequest, *, param: str, anchor: str) -> list[PageLink]:
    """Links to the pages around `page` (first and last always, "…" between), each
    keeping the request's other parameters (filters, the other list's page)."""
    if page.paginator.num_pages <= 1:
        return []
    links = []
    for number in page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1):
        if number == Paginator.ELLIPSIS:
            links.append(PageLink(label=str(number), url=""))
            continue
        params = request.GET.copy()
        params[param] = str(number)
        links.append(
            PageLink(
                label=str(number),
                url=f"?{params.urlencode()}#{anchor}",
                current=number == page.number,
            )
        )
    return links


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


def month_choices(months: Sequence[date]) -> list[Choice]:
    return [Choice(f"{month:%Y-%m}", f"{month:%B %Y}") for month in months]


def country_choices(countries: Sequence[tuple[str, str]]) -> list[Choice]:
    choices = [Choice(code, country_name(code=code, name=name)) for code, name in countries]
    return sorted(choices, key=lambda choice: choice.label)


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """`/`: search artists by name; without a search, the recently imported ones and
    every artist by name. Staff who may import get the import form."""
    query = search_text(request, "q")
    artists = paged(artists_search(query=query), request, per_page=ARTISTS_PER_PAGE, param="page")
    context = {
        "query": query,
        "artists": artists,
        "artists_pager": pager_links(artists, request, param="page", anchor="artists"),
        "recent": artists_recently_imported(limit=RECENT_ARTISTS) if not query else [],
        "can_import": request.user.has_perm(START_IMPORTS_PERMISSION),
    }
    return render(request, "site/home.html", context)


def _shows_context(request: HttpRequest, artist: Artist) -> dict:
    """The artist's upcoming shows as the page lists them: filtered by the month and
    country asked for (a value the artist has no shows in is said so, and ignored), then
    paged."""
    months = month_choices(upcoming_show_months(artist_id=artist.pk))
    countries = country_choices(upcoming_show_countries(artist_id=artist.pk))
    month = request.GET.get("month", "").strip()
    country = request.GET.get("country", "").strip().upper()
    problems = []
    if month and month not in {choice.value for choice in months}:
        problems.append(f"No shows in the month “{month[:20]}”: showing every month.")
        month = ""
    if country and country not in {choice.value for choice in countries}:
        problems.append(f"No shows in the country “{country[:20]}”: showing every country.")
        country = ""
    date_from, date_to = (month_bounds(month) if month else None) or (None, None)
    shows = upcoming_shows(
        artist_id=artist.pk, date_from=date_from, date_to=date_to, country_code=country
    )
    page = paged(shows, request, per_page=SHOWS_PER_PAGE, param="page")
    return {
        "shows": page,
        "show_rows": [show_row(show, artist.pk) for show in page],
        "shows_pager": pager_links(page, request, param="page", anchor="shows"),
        "months": months,
        "countries": countries,
        "month": month,
        "country": country,
        "show_filter_problems": problems,
        "shows_filtered": bool(month or country),
    }


def _songs_context(request: HttpRequest, artist: Artist) -> dict:
    """The artist's songs as the page lists them: those whose title contains the search,
    by title, paged; each with its versions (one query for the page's recordings)."""
    song_query = search_text(request, "song")
    totals = artist_song_totals(artist_id=artist.pk)
    page = paged(
        artist_songs(artist_id=artist.pk, query=song_query),
        request,
        per_page=SONGS_PER_PAGE,
        param="songs_page",
    )
    recordings = song_recordings(song_ids=[song.pk for song in page])
    return {
        "songs": page,
        "song_rows": [song_row(song, recordings[song.pk]) for song in page],
        "songs_pager": pager_links(page, request, param="songs_page", anchor="songs"),
        "song_query": song_query,
        "songs_total": totals.songs,
        "recordings_total": totals.recordings,
    }


@require_GET
def artist_page(request: HttpRequest, slug: str) -> HttpResponse:
    """`/artists/<slug>/`: the artist, upcoming shows, studio songs, live import progress."""
    artist = artist_by_slug(slug)
    if artist is None:
        renamed = artist_by_shell_slug(slug)
        if renamed is None:
            raise Http404("No artist with this address")
        return redirect("artist-page", slug=renamed.slug, permanent=True)
    is_staff = request.user.is_active and request.user.is_staff
    if not artist.is_public and not is_staff:
        raise Http404("No artist with this address")
    run = artist_latest_run(artist_id=artist.pk)
    missing = parts_missing_after_failure(
        latest_run_failed=run is not None and run.status == ImportStatus.FAILED,
        shows_synced=artist.shows_synced_at is not None,
        catalog_synced=artist.catalog_synced_at is not None,
    )
    context = {
        "artist": artist,
        "image_url": web_url(artist.image_url),
        **_shows_context(request, artist),
        **_songs_context(request, artist),
        "upcoming_total": upcoming_shows(artist_id=artist.pk).count(),
        "flagged_statuses": FLAGGED_SHOW_STATUSES,
        "progress": import_progress(run) if run and run.is_active else None,
        "shows_missing": MissingPart.SHOWS in missing,
        "songs_missing": MissingPart.SONGS in missing,
        "stage_labels": dict(RunStage.choices),
        # Staff see an artist fans cannot (not named yet, or unknown upstream), and why.
        "staff_only": not artist.is_public,
        "latest_run": run,
        "is_staff": is_staff,
    }
    return render(request, "artists/artist_page.html", context)


@require_GET
def venue_page(request: HttpRequest, tm_venue_id: str) -> HttpResponse:
    """`/venues/<Ticketmaster venue id>/`: the venue and its upcoming shows, paged."""
    venue = get_object_or_404(Venue, tm_venue_id=tm_venue_id)
    page = paged(
        venue_upcoming_shows(venue_id=venue.pk), request, per_page=SHOWS_PER_PAGE, param="page"
    )
    context = {
        "venue": venue,
        "place": place_line(
            venue.address,
            venue.city,
            venue.state,
            country_name(code=venue.country_code, name=venue.country),
        ),
        "shows": page,
        "show_rows": [show_row(show, None) for show in page],
        "shows_pager": pager_links(page, request, param="page", anchor="shows"),
        "flagged_statuses": FLAGGED_SHOW_STATUSES,
        "is_staff": request.user.is_active and request.user.is_staff,
    }
    return render(request, "venues/venue_page.html", context)
