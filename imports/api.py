"""HTTP API of imports: start an import, watch it, cancel it, read what it built.

Routes stay thin: they validate input with schemas, call `imports.services` to
write and the apps' selectors to read, and shape the answer. Mounted under
`/api/` by `theset.api`. (No `from __future__ import annotations`: ninja reads the
routes' annotations at import time.)
"""

import re
from datetime import date, datetime, time
from typing import Annotated, Any

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from ninja import Field, Path, Query, Router, Schema, Status
from ninja.errors import HttpError
from ninja.pagination import paginate
from pydantic import BaseModel, ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticCustomError

from catalog.models import (
    TM_ATTRACTION_ID,
    TM_ATTRACTION_ID_MAX_LENGTH,
    AlbumType,
    Artist,
    Song,
    SpotifyMatch,
)
from catalog.rules import VersionKind
from catalog.selectors import (
    artist_get,
    artist_songs,
    artists_search,
    song_recordings,
    studio_tracks,
)
from imports.auth import ImportKickoffThrottle, write_auth
from imports.models import (
    ImportPhase,
    ImportRun,
    ImportStatus,
    ImportTrigger,
    ShowsBatch,
    ShowsSync,
)
from imports.phases import PhaseName, RunStage
from imports.resync import artist_last_shows_sync, shows_batch_get
from imports.selectors import (
    artist_latest_run,
    import_run_get,
    phases_with_live_progress,
    with_live_progress,
)
from imports.services import (
    InvalidAttractionId,
    import_run_cancel,
    start_import,
    validate_tm_attraction_id,
)
from shows.models import Billing, ShowStatus
from shows.selectors import upcoming_shows
from theset.models import ApiKey
from theset.schemas import ErrorOut, LimitOffset, ValidationErrorOut

router = Router(tags=["artists"])

# Database ids are 64-bit: a larger number would fail in the database, not as a 422.
DatabaseId = Annotated[int, Path(ge=1, le=2**63 - 1)]
ArtistIdOrSlug = Annotated[
    str,
    Path(
        min_length=1,
        max_length=120,
        pattern=r"^[-A-Za-z0-9_]+$",
        description=(
            "The artist: all digits are its id; anything else is its slug, else its "
            "Ticketmaster attraction id (case-sensitive, e.g. K8vZ917Pr7k)"
        ),
    ),
]

NOT_FOUND = {404: ErrorOut, 422: ValidationErrorOut}


# --- Schemas ---------------------------------------------------------------------


class ImportRequest(BaseModel):
    """The kickoff's body. A plain pydantic model (not a ninja Schema) sees the body as
    parsed, so a JSON array or string is named as such."""

    tm_attraction_id: str = Field(
        ...,
        min_length=1,
        max_length=TM_ATTRACTION_ID_MAX_LENGTH,
        pattern=TM_ATTRACTION_ID.pattern,
        description="Ticketmaster attraction id (surrounding spaces are ignored)",
        examples=["K8vZ917Pr7k"],
    )
    full_catalog: bool = Field(
        False,
        strict=True,  # true or false, as published: not 0, 1 or "yes"
        description="fetch the whole Spotify catalog again instead of only releases new or "
        "changed since the last import (a new run only: an active run is returned as it is)",
    )

    @model_validator(mode="before")
    @classmethod
    def _json_object(cls, data: object) -> object:
        if not isinstance(data, dict):
            raise PydanticCustomError(
                "json_object",
                'must be a JSON object such as {"tm_attraction_id": "K8vZ917Pr7k"}, '
                f"not {type(data).__name__}",
            )
        return data

    @field_validator("tm_attraction_id", mode="before")
    @classmethod
    def _attraction_id(cls, value: object) -> str:
        try:
            return validate_tm_attraction_id(value)
        except InvalidAttractionId as exc:
            raise PydanticCustomError("invalid_attraction_id", str(exc)) from None


class ImportStartedOut(Schema):
    artist_id: int
    slug: str
    import_id: int
    status_url: str = Field(..., description="Poll the artist's import status here")
    stream_url: str = Field(..., description="Server-sent events of the import's progress")
    import_url: str = Field(..., description="The run with its phase timings")


class ArtistImportStatusOut(Schema):
    """The artist's latest import; `import_id` and `status` are null if never imported."""

    artist_id: int
    import_id: int | None
    status: ImportStatus | None
    stage: RunStage | None
    percent: int = Field(..., description="Progress of the whole run, 0-100")
    message: str
    error: str
    is_active: bool
    waiting_until: datetime | None = Field(
        ..., description="While waiting for an upstream: when the run resumes"
    )
    created_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None
    updated_at: datetime | None
    stream_url: str
    import_url: str | None


class ImportPhaseOut(Schema):
    phase: PhaseName
    status: ImportStatus
    attempt: int
    percent: int
    message: str
    waiting_for: str = Field(
        ...,
        description="While waiting: the upstream it waits for, in words; empty otherwise",
        examples=["Ticketmaster's daily quota"],
    )
    waiting_until: datetime | None = Field(
        ..., description="While waiting: when the phase is queued again"
    )
    started_at: datetime | None
    finished_at: datetime | None
    seconds: float | None
    counters: dict[str, Any]
    error: str

    @staticmethod
    def resolve_waiting_for(phase: ImportPhase) -> str:
        return phase.waiting_for if phase.status == ImportStatus.WAITING else ""

    @staticmethod
    def resolve_waiting_until(phase: ImportPhase) -> datetime | None:
        return waiting_until(phase)


class ImportRunOut(Schema):
    id: int
    artist_id: int
    artist_slug: str
    artist_name: str
    status: ImportStatus
    stage: RunStage
    percent: int
    message: str
    error: str
    attempt: int
    trigger: ImportTrigger = Field(..., description="Who started it: a person, or the re-sync")
    waiting_until: datetime | None = Field(
        ...,
        description="While waiting for an upstream (status waiting): when the run resumes",
    )
    counters: dict[str, Any]
    drop_counts: dict[str, int]
    warnings: list[str]
    spotify_app_mode: str = Field(..., description="extended or development; empty until known")
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    updated_at: datetime
    seconds: float | None = Field(..., description="From start to finish, when finished")
    history_pruned_at: datetime | None = Field(
        ...,
        description="When its progress events and dropped-track list were deleted (only "
        "each artist's last RUN_HISTORY_KEEP runs keep them); null while it has them",
    )
    phases: list[ImportPhaseOut]

    @staticmethod
    def resolve_artist_slug(run: ImportRun) -> str:
        return run.artist.slug

    @staticmethod
    def resolve_artist_name(run: ImportRun) -> str:
        return run.artist.name

    @staticmethod
    def resolve_waiting_until(run: ImportRun) -> datetime | None:
        return waiting_until(run)

    @staticmethod
    def resolve_seconds(run: ImportRun) -> float | None:
        if run.started_at and run.finished_at:
            return (run.finished_at - run.started_at).total_seconds()
        return None

    @staticmethod
    def resolve_phases(run: ImportRun) -> list[ImportPhase]:
        return phases_with_live_progress(run)


class ShowsSyncChanges(Schema):
    """What one shows sync of an artist found and changed."""

    status: ImportStatus
    shows: int = Field(..., description="Events its search lists")
    added: int = Field(..., description="Shows new to the artist")
    changed: int = Field(..., description="Shows whose date, time, status, venue or name changed")
    removed: int = Field(..., description="Places on bills it no longer lists, marked removed")
    gone: int = Field(..., description="Shows no act lists any more")
    error: str


class LastShowsSyncOut(ShowsSyncChanges):
    """The artist's latest shows sync: by a re-sync batch or by its own import."""

    at: datetime = Field(..., description="When it finished; until then, when it was queued")
    batch_id: int | None = Field(
        ..., description="The re-sync batch that ran it (GET /api/shows-batches/{id}); or null"
    )
    import_id: int | None = Field(..., description="The artist's import that ran it; or null")

    @staticmethod
    def resolve_import_id(sync: ShowsSync) -> int | None:
        return sync.run_id


class ShowsBatchSyncOut(ShowsSyncChanges):
    """One artist of a batch and its sync."""

    artist_id: int
    tm_attraction_id: str
    name: str
    slug: str
    finished_at: datetime | None

    @staticmethod
    def resolve_tm_attraction_id(sync: ShowsSync) -> str:
        return sync.artist.tm_attraction_id

    @staticmethod
    def resolve_name(sync: ShowsSync) -> str:
        return sync.artist.name

    @staticmethod
    def resolve_slug(sync: ShowsSync) -> str:
        return sync.artist.slug


class ShowsBatchOut(Schema):
    """A shows re-sync batch: one events query over several artists' attraction ids."""

    id: int
    status: ImportStatus
    attraction_ids: list[str] = Field(..., description="The attraction ids queried, in order")
    expected_events: int = Field(
        ..., description="The artists' last known upcoming events, summed (what it was packed by)"
    )
    events: int = Field(..., description="Distinct events the query listed")
    requests: int = Field(..., description="Ticketmaster requests it spent")
    pages: int
    windows: int = Field(..., description="Date windows paged through (1 unless very large)")
    attempt: int
    message: str
    error: str
    waiting_for: str = Field(
        ..., description="While waiting: the upstream it waits for, in words; empty otherwise"
    )
    waiting_until: datetime | None = Field(
        ..., description="While waiting for an upstream: when the batch runs again"
    )
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    updated_at: datetime
    syncs: list[ShowsBatchSyncOut] = Field(
        ..., description="Each artist of the batch and what its sync changed"
    )

    @staticmethod
    def resolve_waiting_for(batch: ShowsBatch) -> str:
        return batch.waiting_for if batch.status == ImportStatus.WAITING else ""

    @staticmethod
    def resolve_waiting_until(batch: ShowsBatch) -> datetime | None:
        return waiting_until(batch)

    @staticmethod
    def resolve_syncs(batch: ShowsBatch) -> list[ShowsSync]:
        return list(batch.syncs.all())


class ArtistOut(Schema):
    id: int
    tm_attraction_id: str
    name: str
    slug: str
    image_url: str
    genres: list[str]
    spotify_id: str | None
    spotify_match: SpotifyMatch | None = Field(
        ..., description="How the Spotify id was found; null until identity has run"
    )
    shows_synced_at: datetime | None
    catalog_synced_at: datetime | None
    upcoming_show_count: int
    studio_track_count: int = Field(..., description="Studio recordings kept (`/tracks`)")
    song_count: int = Field(..., description="Songs those recordings are of (`/songs`)")
    last_shows_sync: LastShowsSyncOut | None = Field(
        ..., description="The artist's latest shows sync (re-sync batch or import); null if none"
    )

    @staticmethod
    def resolve_spotify_match(artist: Artist) -> str | None:
        return artist.spotify_match or None


class ArtistSearch(Schema):
    q: str = Field(
        "",
        max_length=300,
        pattern=r"^[^\x00]*$",  # PostgreSQL refuses NUL in text: a 422, not a 500
        description="Part of the name, ignoring case; names starting with it come first. "
        "Empty: every artist, by name",
    )


class ArtistListItemOut(Schema):
    """An artist in the list: who it is and where to read more."""

    id: int
    slug: str
    name: str
    tm_attraction_id: str
    image_url: str
    page_url: str = Field(..., description="The artist's public page (absolute URL)")
    api_url: str = Field(..., description="The artist's detail in this API")

    @staticmethod
    def resolve_page_url(artist: Artist, context: dict[str, Any]) -> str:
        return context["request"].build_absolute_uri(artist.get_absolute_url())

    @staticmethod
    def resolve_api_url(artist: Artist, context: dict[str, Any]) -> str:
        return _api_url(context["request"], "artist-detail", id_or_slug=artist.pk)


class ArtistPage(LimitOffset):
    """The artist list's pages: 20 artists unless `limit` says otherwise, at most 100."""

    class Input(LimitOffset.Input):
        limit: int = Field(20, ge=1, le=100)


class VenueOut(Schema):
    tm_venue_id: str
    name: str
    city: str
    state: str
    state_code: str
    country: str
    country_code: str
    timezone: str = Field(
        ...,
        description="The venue's IANA time zone, as Ticketmaster (e.g. Europe/London); "
        "empty if unknown",
        examples=["Europe/London"],
    )


class LineupActOut(Schema):
    tm_attraction_id: str
    name: str
    slug: str | None = Field(
        ..., description="The act's page slug; null for an act never imported (no page)"
    )
    position: int = Field(..., description="Place on the bill, 0 first, in Ticketmaster's order")
    headliner: bool

    @staticmethod
    def resolve_tm_attraction_id(place: Billing) -> str:
        return place.artist.tm_attraction_id

    @staticmethod
    def resolve_name(place: Billing) -> str:
        return place.artist.name

    @staticmethod
    def resolve_slug(place: Billing) -> str | None:
        return place.artist.slug if place.artist.is_imported else None


class ShowOut(Schema):
    tm_event_id: str
    name: str
    status: ShowStatus
    local_date: date | None = Field(
        ..., description="Local date in the venue's time zone (`venue.timezone`), as Ticketmaster"
    )
    local_time: time | None = Field(
        ..., description="Local time in the venue's time zone (`venue.timezone`), as Ticketmaster"
    )
    starts_at: datetime | None = Field(..., description="Start in UTC, when known")
    date_tba: bool
    time_tba: bool
    url: str
    venue: VenueOut | None
    lineup: list[LineupActOut] = Field(
        ..., description="Every act on the bill, in Ticketmaster's order (this artist too)"
    )


class ShowFilters(Schema):
    date_from: date | None = Field(None, description="Shows on or after this local date")
    date_to: date | None = Field(
        None,
        description="Shows on or before this local date; a date before `date_from` is a 422",
    )

    @field_validator("date_to")
    @classmethod
    def _not_before_date_from(cls, value: date | None, info: ValidationInfo) -> date | None:
        date_from = info.data.get("date_from")
        if value is not None and date_from is not None and value < date_from:
            raise PydanticCustomError(
                "date_range", f"date_to {value} is before date_from {date_from}"
            )
        return value


class AlbumOut(Schema):
    spotify_id: str
    name: str
    album_type: AlbumType
    release_date: str = Field(..., description="YYYY, YYYY-MM or YYYY-MM-DD, as Spotify")


class TrackOut(Schema):
    spotify_id: str
    name: str
    isrc: str
    duration_ms: int
    popularity: int | None = Field(..., description="Null for development-mode Spotify apps")
    is_remix: bool
    album: AlbumOut


class RecordingOut(Schema):
    """One studio recording of a song."""

    spotify_id: str
    name: str = Field(..., description="As released, version markers included")
    isrc: str
    version: VersionKind = Field(
        ..., description="What this recording is of its song (original, demo, remix...)"
    )
    album: AlbumOut
    duration_ms: int


class SongRecordingOut(RecordingOut):
    """A recording as its song lists it."""

    is_main: bool = Field(..., description="Whether it is the song's main recording")


class SongOut(Schema):
    """One of the artist's songs: every studio recording of one title, whatever its
    version (demo, remaster, remix...)."""

    id: int
    title: str
    key: str = Field(..., description="The title as songs are told apart (normalised)")
    versions: int = Field(..., description="How many recordings the song has")
    main: RecordingOut | None = Field(
        ...,
        description="The main recording: the original studio version, from an album over "
        "a single over a compilation, earliest first; null only while the catalog is "
        "being rewritten",
    )
    recordings: list[SongRecordingOut] = Field(
        ..., description="Every recording, the main one first, then in the order it was chosen by"
    )

    @staticmethod
    def resolve_versions(song: Song) -> int:
        return song.recordings_count

    @staticmethod
    def resolve_main(song: Song) -> Any:
        return song.main_track

    @staticmethod
    def resolve_recordings(song: Song) -> Any:
        return song.recordings_main_first


class SongSearch(Schema):
    q: str = Field(
        "",
        max_length=300,
        pattern=r"^[^\x00]*$",  # PostgreSQL refuses NUL in text: a 422, not a 500
        description="Part of the title, ignoring case. Empty: every song",
    )


class SongPage(LimitOffset):
    """Limit/offset pages of songs whose recordings are read for the whole page in one
    query (`song_recordings`) once the page is cut, never one query per song."""

    def paginate_queryset(
        self, queryset: Any, pagination: Any, request: HttpRequest, **params: Any
    ) -> Any:
        page = super().paginate_queryset(queryset, pagination, request, **params)
        songs = list(page["items"])
        recordings = song_recordings(song_ids=[song.pk for song in songs])
        for song in songs:
            song.recordings_main_first = recordings[song.pk]
        return page | {"items": songs}


# --- Helpers -----------------------------------------------------------------------


def artist_route_words() -> set[str]:
    """The literal words routed where an artist's id or slug goes ("import" of
    `/artists/import`): no artist slug may be one of them."""
    return {
        path.removeprefix("/artists/")
        for path in router.path_operations
        if re.fullmatch(r"/artists/[^/{}]+", path)
    }


def waiting_until(row: ImportRun | ImportPhase | ShowsBatch) -> datetime | None:
    """When a waiting run, phase or batch resumes; None unless it is waiting now (a run
    cancelled while waiting keeps the time it would have resumed at)."""
    return row.waiting_until if row.status == ImportStatus.WAITING else None


def _api_url(request: HttpRequest, name: str, **kwargs: Any) -> str:
    """The path of a named route of this API (whatever namespace it is mounted under)."""
    return reverse(f"{request.resolver_match.namespace}:{name}", kwargs=kwargs)


def _stream_url(artist_id: int) -> str:
    return reverse("artist-import-stream", kwargs={"id_or_slug": artist_id})


def _caller(request: HttpRequest) -> str:
    """Who made a write request, for the record: the API key's name (never the key)
    or the staff user's username."""
    caller: Any = request.auth
    if isinstance(caller, ApiKey):
        return f"API key {caller.name}"
    return f"staff {caller.get_username()}"


def _artist_or_404(id_or_slug: str) -> Artist:
    try:
        return artist_get(id_or_slug=id_or_slug)
    except Artist.DoesNotExist as exc:
        raise HttpError(404, str(exc)) from None


# --- Routes ------------------------------------------------------------------------


@router.post(
    "/artists/import",
    auth=write_auth,
    throttle=[ImportKickoffThrottle()],
    response={
        200: ImportStartedOut,
        202: ImportStartedOut,
        401: ErrorOut,
        403: ErrorOut,
        422: ValidationErrorOut,
        429: ErrorOut,
        503: ErrorOut,
    },
    url_name="artist-import-start",
    summary="Start an artist import",
)
def artist_import_start(
    request: HttpRequest, response: HttpResponse, payload: ImportRequest
) -> Status[ImportStartedOut]:
    """Queue an import of the attraction's artist: 202 with the new run, or 200 with the
    artist's run already queued or running (nothing new is started). Never calls
    Ticketmaster or Spotify; the work runs on the task cluster."""
    try:
        started = start_import(payload.tm_attraction_id, full_catalog=payload.full_catalog)
    except InvalidAttractionId as exc:
        raise HttpError(422, str(exc)) from None
    status_url = _api_url(request, "artist-import-status", id_or_slug=started.artist_id)
    response["Location"] = status_url
    return Status(
        202 if started.created else 200,
        ImportStartedOut(
            artist_id=started.artist_id,
            slug=started.slug,
            import_id=started.import_id,
            status_url=status_url,
            stream_url=_stream_url(started.artist_id),
            import_url=_api_url(request, "import-run-detail", import_id=started.import_id),
        ),
    )


@router.get(
    "/artists/{id_or_slug}/status",
    response={200: ArtistImportStatusOut, **NOT_FOUND},
    url_name="artist-import-status",
    summary="Where the artist's latest import stands",
)
def artist_import_status(request: HttpRequest, id_or_slug: ArtistIdOrSlug) -> ArtistImportStatusOut:
    """The artist's latest run (running or finished); null status if never imported."""
    artist = _artist_or_404(id_or_slug)
    run = artist_latest_run(artist_id=artist.pk)
    if run is None:
        return ArtistImportStatusOut(
            artist_id=artist.pk,
            import_id=None,
            status=None,
            stage=None,
            percent=0,
            message="Never imported: POST /api/artists/import to start an import.",
            error="",
            is_active=False,
            waiting_until=None,
            created_at=None,
            started_at=None,
            finished_at=None,
            updated_at=None,
            stream_url=_stream_url(artist.pk),
            import_url=None,
        )
    run = with_live_progress(run)
    return ArtistImportStatusOut(
        artist_id=artist.pk,
        import_id=run.pk,
        status=run.status,
        stage=run.stage,
        percent=run.percent,
        message=run.message,
        error=run.error,
        is_active=run.is_active,
        waiting_until=waiting_until(run),
        created_at=run.created_at,
        started_at=run.started_at,
        finished_at=run.finished_at,
        updated_at=run.updated_at,
        stream_url=_stream_url(artist.pk),
        import_url=_api_url(request, "import-run-detail", import_id=run.pk),
    )


@router.get(
    "/imports/{import_id}",
    response={200: ImportRunOut, **NOT_FOUND},
    url_name="import-run-detail",
    tags=["imports"],
    summary="An import run with its phases",
)
def import_run_detail(request: HttpRequest, import_id: DatabaseId) -> ImportRun:
    """The run: status, counters, drops by reason, warnings, Spotify app mode, error,
    and each phase's status, attempt, timing and counters."""
    try:
        return with_live_progress(import_run_get(import_id))
    except ImportRun.DoesNotExist:
        raise HttpError(404, f"No import with id {import_id}") from None


@router.post(
    "/imports/{import_id}/cancel",
    auth=write_auth,
    response={
        200: ImportRunOut,
        401: ErrorOut,
        403: ErrorOut,
        404: ErrorOut,
        409: ErrorOut,
        422: ValidationErrorOut,
    },
    url_name="import-run-cancel",
    tags=["imports"],
    summary="Cancel an import run",
)
def import_run_cancel_route(request: HttpRequest, import_id: DatabaseId) -> ImportRun:
    """Stop a queued, running or waiting run (typically one waiting for an upstream's
    quota): it fails, its error saying who cancelled it, and its scheduled resumption
    is dropped; what it stored stays. 200 with the run; 409 if it had already
    finished. Same credentials as the kickoff."""
    if not import_run_cancel(run_id=import_id, by=_caller(request)):
        try:
            run = import_run_get(import_id)
        except ImportRun.DoesNotExist:
            raise HttpError(404, f"No import with id {import_id}") from None
        raise HttpError(
            409, f"Import {import_id} is not active (status {run.status}): nothing to cancel"
        )
    return import_run_get(import_id)


@router.get(
    "/artists",
    response={200: list[ArtistListItemOut], 422: ValidationErrorOut},
    url_name="artist-list",
    summary="Find artists by name",
)
@paginate(ArtistPage)
def artist_list(request: HttpRequest, search: Query[ArtistSearch]) -> Any:
    """Artists an import has named (those with a public page), whose name contains `q`:
    names starting with it first, then by name."""
    return artists_search(query=search.q, public_only=True)


@router.get(
    "/artists/{id_or_slug}",
    response={200: ArtistOut, **NOT_FOUND},
    url_name="artist-detail",
    summary="An artist",
)
def artist_detail(request: HttpRequest, id_or_slug: ArtistIdOrSlug) -> Artist:
    """The artist's identity, when its shows and catalog were last synced, and how many
    upcoming shows and studio songs it has, and its last shows sync (which batch or
    import ran it, what it changed). Any artist, also one no import has named yet
    (`/status` says why); `GET /api/artists` lists named ones only."""
    artist = _artist_or_404(id_or_slug)
    artist.upcoming_show_count = upcoming_shows(artist_id=artist.pk).count()
    artist.studio_track_count = studio_tracks(artist_id=artist.pk).count()
    artist.song_count = artist_songs(artist_id=artist.pk).count()
    artist.last_shows_sync = artist_last_shows_sync(artist_id=artist.pk)
    return artist


@router.get(
    "/artists/{id_or_slug}/shows",
    response={200: list[ShowOut], **NOT_FOUND},
    url_name="artist-shows",
    summary="The artist's upcoming shows",
)
@paginate(LimitOffset)
def artist_shows(
    request: HttpRequest, id_or_slug: ArtistIdOrSlug, filters: Query[ShowFilters]
) -> Any:
    """Shows still listed by Ticketmaster, today or later by their local date, then
    undated (TBA) ones; `date_from`/`date_to` keep dated shows in that range."""
    artist = _artist_or_404(id_or_slug)
    return upcoming_shows(artist_id=artist.pk, date_from=filters.date_from, date_to=filters.date_to)


@router.get(
    "/artists/{id_or_slug}/tracks",
    response={200: list[TrackOut], **NOT_FOUND},
    url_name="artist-tracks",
    summary="The artist's studio recordings",
)
@paginate(LimitOffset)
def artist_tracks(request: HttpRequest, id_or_slug: ArtistIdOrSlug) -> Any:
    """The artist's studio recordings (live versions and duplicates dropped), by name,
    each on its own; `/songs` groups them into songs."""
    artist = _artist_or_404(id_or_slug)
    return studio_tracks(artist_id=artist.pk)


@router.get(
    "/artists/{id_or_slug}/songs",
    response={200: list[SongOut], **NOT_FOUND},
    url_name="artist-songs",
    summary="The artist's songs with their recordings",
)
@paginate(SongPage)
def artist_songs_list(
    request: HttpRequest, id_or_slug: ArtistIdOrSlug, search: Query[SongSearch]
) -> Any:
    """The artist's studio catalog as songs, by title (ignoring case): each with its
    main recording and every recording of it (demos, remasters, remixes...), main
    first; `q` keeps the songs whose title contains it."""
    artist = _artist_or_404(id_or_slug)
    return artist_songs(artist_id=artist.pk, query=search.q)


@router.get(
    "/shows-batches/{batch_id}",
    response={200: ShowsBatchOut, **NOT_FOUND},
    url_name="shows-batch-detail",
    tags=["imports"],
    summary="A shows re-sync batch with its artists' syncs",
)
def shows_batch_detail(request: HttpRequest, batch_id: DatabaseId) -> ShowsBatch:
    """The batch: status, the attraction ids queried, what the query listed and cost,
    while waiting what for and until when, the error, and each artist's sync (what it
    added, changed, removed). Public, like an import run."""
    try:
        return shows_batch_get(batch_id)
    except ShowsBatch.DoesNotExist:
        raise HttpError(404, f"No shows batch with id {batch_id}") from None
