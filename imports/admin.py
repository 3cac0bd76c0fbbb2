"""Admin for imports: start imports (one attraction id or many), re-import artists, retry
failed runs, watch a run live and read its drop report, turn dropped tracks into
curator overrides.

Every kickoff goes through `imports.services.start_import`, like the API and the CLI.
Starting imports needs the "add import run" permission; cancelling runs (typically one
waiting for an upstream's quota), the "change import run" permission. Runs themselves
are never added or edited by hand.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
)
from django.template.defaultfilters import pluralize
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.text import Truncator

from catalog import admin as catalog_admin
from catalog.admin import artist_name_html
from catalog.models import (
    ARTIST_IMPORTED,
    TRACK_DECISION_CHOICES,
    Artist,
    SpotifyMatch,
    TrackOverride,
)
from catalog.rules import CuratorDecision, CuratorLookup, DropReason
from imports.auth import START_IMPORTS_PERMISSION
from imports.models import (
    DroppedTrack,
    ImportEvent,
    ImportRun,
    ImportStatus,
    ImportTrigger,
    ShowsBatch,
    ShowsSync,
)
from imports.phases import RunStage
from imports.resync import artist_last_shows_sync, artist_shows_syncs, shows_batch_retry
from imports.rules import merged_phase_counters
from imports.selectors import (
    live_progress_of,
    phases_with_live_progress,
    with_latest_event,
    with_live_progress,
)
from imports.services import InvalidAttractionId, import_run_cancel, start_import
from theset.admin import TimestampColumns, admin_time, time_column

# Line breaks, commas, semicolons and tabs separate ids; a space inside one is an error
# worth reporting rather than two ids.
ID_SEPARATORS = re.compile(r"[,;\t\r\n]+")
MAX_IDS_PER_SUBMISSION = 200
# The run page lists dropped tracks up to this many per reason; the rest are a link away.
DROPPED_ROWS_PER_REASON = 200

# Cancelling a run stops it for good: staff who may change runs may.
CANCEL_RUNS_PERMISSION = "imports.change_importrun"

DROP_REASON_LABELS = {
    DropReason.LIVE_ALBUM: "Live album",
    DropReason.LIVE_TITLE: "Live title",
    DropReason.LIVENESS: "Liveness above 0.8",
    DropReason.DUPLICATE_ISRC: "Duplicate (same ISRC)",
    DropReason.DUPLICATE_TITLE: "Duplicate (same title and length)",
    DropReason.CURATOR_DROP: "Curator: always drop",
}


def can_start_imports(request: HttpRequest) -> bool:
    return request.user.has_perm(START_IMPORTS_PERMISSION)


def can_cancel_runs(request: HttpRequest) -> bool:
    return request.user.has_perm(CANCEL_RUNS_PERMISSION)


def staff_name(request: HttpRequest) -> str:
    """Who cancelled, as the run's error says it."""
    return f"staff {request.user.get_username()}"


def until_text(when) -> str:
    """When a waiting run resumes, short, to the minute, in the admin's time zone."""
    return admin_time(when, "j M H:i T")


# The run list's trigger column, in a word (the filter keeps the choices' labels).
TRIGGER_WORDS = {ImportTrigger.PERSON: "person", ImportTrigger.RESYNC: "re-sync"}


def run_link(run_id: int) -> str:
    url = reverse("admin:imports_importrun_change", args=[run_id])
    return format_html('<a href="{}">#{}</a>', url, run_id)


def artist_links(artist: Artist) -> str:
    """The artist by name linked to its admin page, with its Ticketmaster id and, once
    fans may see it, a link to its public page."""
    admin_url = reverse("admin:catalog_artist_change", args=[artist.pk])
    return format_html(
        '<a href="{}">{}</a>{}{}',
        admin_url,
        artist_name_html(artist),
        format_html(' <span class="quiet">{}</span>', artist.tm_attraction_id)
        if artist.name
        else "",
        format_html(' · <a href="{}">public page</a>', artist.get_absolute_url())
        if artist.is_public
        else "",
    )


def start_imports_and_report(
    request: HttpRequest, targets: Iterable[tuple[str, str]], *, full_catalog: bool = False
) -> list[int]:
    """`start_import` for each (label, attraction id), one message each: queued, already
    running (with its run) or invalid (with the reason). Returns the runs' ids."""
    run_ids = []
    for label, tm_attraction_id in targets:
        try:
            started = start_import(tm_attraction_id, full_catalog=full_catalog)
        except InvalidAttractionId as exc:
            messages.error(request, str(exc))
            continue
        run_ids.append(started.import_id)
        if started.created:
            messages.success(
                request, format_html("{}: import {} queued.", label, run_link(started.import_id))
            )
        else:
            messages.warning(
                request,
                format_html(
                    "{}: already importing as {}; not queued again.",
                    label,
                    run_link(started.import_id),
                ),
            )
    return run_ids


def cancel_runs_and_report(request: HttpRequest, runs: QuerySet[ImportRun]) -> None:
    """`import_run_cancel` for each run, then one message for those cancelled and one
    for those that were not active (nothing to cancel), each listing the runs."""
    cancelled, inactive = [], []
    for run in runs.order_by("pk"):
        if import_run_cancel(run_id=run.pk, by=staff_name(request)):
            cancelled.append(run)
        else:
            inactive.append(run)
    if cancelled:
        messages.success(
            request,
            format_html(
                "Cancelled {}: {}.",
                "1 run" if len(cancelled) == 1 else f"{len(cancelled)} runs",
                format_html_join(", ", "{}", ((run_link(run.pk),) for run in cancelled)),
            ),
        )
    if inactive:
        fresh = ImportRun.objects.in_bulk([run.pk for run in inactive])
        messages.warning(
            request,
            format_html(
                "Not cancelled, {} not active: {}.",
                "1 run was" if len(inactive) == 1 else f"{len(inactive)} runs were",
                format_html_join(
                    ", ",
                    "{} ({})",
                    (
                        (run_link(run.pk), fresh.get(run.pk, run).get_status_display().lower())
                        for run in inactive
                    ),
                ),
            ),
        )


class ImportArtistsForm(forms.Form):
    tm_attraction_ids = forms.CharField(
        label="Ticketmaster attraction ids",
        widget=forms.Textarea(
            attrs={"rows": 8, "cols": 60, "placeholder": "K8vZ917Gq0f\nK8vZ917Mx3d, K8vZ917Pr7k"}
        ),
        help_text=f"One per line or comma-separated, up to {MAX_IDS_PER_SUBMISSION}.",
    )

    def clean_tm_attraction_ids(self) -> list[str]:
        values = (
            value.strip() for value in ID_SEPARATORS.split(self.cleaned_data["tm_attraction_ids"])
        )
        ids = list(dict.fromkeys(value for value in values if value))
        if not ids:
            raise ValidationError("Enter at least one attraction id.")
        if len(ids) > MAX_IDS_PER_SUBMISSION:
            raise ValidationError(
                f"{len(ids)} ids: submit at most {MAX_IDS_PER_SUBMISSION} at a time."
            )
        return ids


class ReadOnlyTabularInline(admin.TabularInline):
    """Rows a page shows and nobody edits there: written by the imports."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


# An event's time: to the second, since a run's events are seconds apart.
EVENT_TIME_FORMAT = "j M Y, H:i:s T"


class ImportEventInline(ReadOnlyTabularInline):
    model = ImportEvent
    verbose_name_plural = "Event log"
    fields = ("time", "stage", "status", "percent", "overall_percent", "message")
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ("id",)

    @admin.display(description="At", ordering="at")
    def time(self, event: ImportEvent) -> str | None:
        # To the second: a run's events are seconds apart.
        return admin_time(event.at, EVENT_TIME_FORMAT)


@admin.register(ImportRun)
class ImportRunAdmin(TimestampColumns, admin.ModelAdmin):
    """Runs are made by `start_import` and written by the pipeline: staff read them,
    start new ones (the import page, "Retry failed runs") and may delete old ones."""

    list_display = (
        "id",
        "artist_column",
        "status_column",
        "stage_column",
        "percent_column",
        "message_column",
        "trigger_column",
        "attempt",
        "created_time",
        "finished_time",
    )
    list_display_links = ("id", "artist_column")
    list_filter = ("status", "trigger", "stage", "spotify_app_mode", "created_at")
    search_fields = ("artist__name", "artist__tm_attraction_id", "error", "message")
    list_select_related = ("artist",)
    date_hierarchy = "created_at"
    actions = ["retry_failed_runs", "cancel_runs"]
    change_form_template = "admin/imports/importrun/change_form.html"
    change_list_template = "admin/imports/importrun/change_list.html"
    # Status, stage, percent and message are in the progress panel above, live; figures,
    # drops, warnings and the error have their own sections of the page.
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "artist_links",
                    "trigger",
                    "attempt",
                    "spotify_app_mode",
                    "full_catalog",
                )
            },
        ),
        (
            "Timing",
            {
                "fields": (
                    "created_time",
                    "started_time",
                    "finished_time",
                    "updated_time",
                    "history_pruned_time",
                )
            },
        ),
    )
    readonly_fields = (
        "artist_links",
        "trigger",
        "attempt",
        "spotify_app_mode",
        "full_catalog",
        "created_time",
        "started_time",
        "finished_time",
        "updated_time",
        "history_pruned_time",
    )
    inlines = [ImportEventInline]

    started_time = time_column("started_at", "started")
    finished_time = time_column("finished_at", "finished")
    history_pruned_time = time_column("history_pruned_at", "history pruned")

    @admin.display(description="Artist", ordering="artist__name")
    def artist_column(self, run: ImportRun) -> str:
        return artist_name_html(run.artist)

    @admin.display(description="Artist")
    def artist_links(self, run: ImportRun) -> str:
        return artist_links(run.artist)

    @admin.display(description="Status", ordering="status")
    def status_column(self, run: ImportRun) -> str:
        return status_with_wait(run)

    def get_queryset(self, request) -> QuerySet[ImportRun]:
        # A running phase's reports are events only: the list shows the latest.
        return with_latest_event(super().get_queryset(request))

    @admin.display(description="Stage", ordering="stage")
    def stage_column(self, run: ImportRun) -> str:
        stage = live_progress_of(run).stage
        return RunStage(stage).label if stage in RunStage.values else stage

    @admin.display(description="Percent", ordering="percent")
    def percent_column(self, run: ImportRun) -> int:
        return live_progress_of(run).percent

    @admin.display(description="Message", ordering="message")
    def message_column(self, run: ImportRun) -> str:
        return live_progress_of(run).message

    @admin.display(description="Trigger", ordering="trigger")
    def trigger_column(self, run: ImportRun) -> str:
        return TRIGGER_WORDS.get(run.trigger, run.trigger)

    def has_add_permission(self, request) -> bool:
        return False  # runs come from start_import: the "Import artists" page

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_start_import_permission(self, request) -> bool:
        return can_start_imports(request)

    def has_cancel_permission(self, request) -> bool:
        return can_cancel_runs(request)

    # --- The import page ----------------------------------------------------------

    def get_urls(self):
        return [
            path(
                "import/",
                self.admin_site.admin_view(self.import_artists_view),
                name="imports_importrun_import",
            ),
            path(
                "<int:run_id>/cancel/",
                self.admin_site.admin_view(self.cancel_run_view),
                name="imports_importrun_cancel",
            ),
            *super().get_urls(),
        ]

    def import_artists_view(self, request: HttpRequest) -> HttpResponse:
        """Start imports of the attraction ids given; one message per id."""
        if not can_start_imports(request):
            raise PermissionDenied
        form = ImportArtistsForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            ids = form.cleaned_data["tm_attraction_ids"]
            run_ids = start_imports_and_report(request, [(tm_id, tm_id) for tm_id in ids])
            if len(ids) == 1 and run_ids:
                # One artist: watch its run.
                return HttpResponseRedirect(
                    reverse("admin:imports_importrun_change", args=[run_ids[0]])
                )
            return HttpResponseRedirect(reverse("admin:imports_importrun_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Import artists",
            "form": form,
            "media": self.media + form.media,
        }
        return TemplateResponse(request, "admin/imports/importrun/import_artists.html", context)

    def cancel_run_view(self, request: HttpRequest, run_id: int) -> HttpResponse:
        """The run page's "Cancel this run" button (a POST): cancel, say so, back to it."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not can_cancel_runs(request):
            raise PermissionDenied
        runs = ImportRun.objects.filter(pk=run_id)
        if not runs.exists():
            raise Http404(f"No import run #{run_id}")
        cancel_runs_and_report(request, runs)
        return HttpResponseRedirect(reverse("admin:imports_importrun_change", args=[run_id]))

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None):
        extra_context = {"can_start_imports": can_start_imports(request), **(extra_context or {})}
        return super().changelist_view(request, extra_context)

    # --- Actions ------------------------------------------------------------------

    @admin.action(
        description="Cancel selected runs (those queued, running or waiting)",
        permissions=["cancel"],
    )
    def cancel_runs(self, request: HttpRequest, queryset: QuerySet[ImportRun]) -> None:
        cancel_runs_and_report(request, queryset)

    @admin.action(description="Retry failed runs", permissions=["start_import"])
    def retry_failed_runs(self, request: HttpRequest, queryset: QuerySet[ImportRun]) -> None:
        runs = list(queryset.select_related("artist").order_by("pk"))
        not_failed = [run for run in runs if run.status != ImportStatus.FAILED]
        if not_failed:
            messages.info(
                request,
                format_html(
                    "Skipped {} that did not fail: {}.",
                    "a run" if len(not_failed) == 1 else f"{len(not_failed)} runs",
                    format_html_join(
                        ", ",
                        "{} ({})",
                        (
                            (run_link(run.pk), run.get_status_display().lower())
                            for run in not_failed
                        ),
                    ),
                ),
            )
        start_imports_and_report(
            request,
            [
                (f"{run.artist} (failed run #{run.pk})", run.artist.tm_attraction_id)
                for run in runs
                if run.status == ImportStatus.FAILED
            ],
        )

    # --- The run page -------------------------------------------------------------

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict | None = None,
    ):
        # Read before the run: the live script then hears of every event the page may
        # not show yet (`run_page_context`).
        last_event_id = ImportEvent.objects.order_by("-id").values_list("id", flat=True).first()
        run = self.get_object(request, object_id)
        if run is not None:
            extra_context = {
                **run_page_context(run, last_event_id=last_event_id or 0),
                # Not str(run): its status would repeat, and go stale, beside the live one.
                "subtitle": f"Import #{run.pk} of {run.artist}",
                "can_cancel": run.is_active and can_cancel_runs(request),
                "cancel_url": reverse("admin:imports_importrun_cancel", args=[run.pk]),
                **(extra_context or {}),
            }
        return super().change_view(request, object_id, form_url, extra_context)


def _curator_decisions_by_track(artist_id: int, dropped: Sequence[DroppedTrack]) -> dict[str, str]:
    """For each dropped track's Spotify id, the override the next import will apply
    (looked up as `catalog.rules.decide_studio_tracks` does)."""
    curator = CuratorLookup(TrackOverride.objects.decisions_for(artist_id))
    found = {}
    for track in dropped:
        decision = curator.decision_for(spotify_id=track.spotify_id, isrc=track.isrc)
        if decision is not None:
            found[track.spotify_id] = decision
    return found


@dataclass(frozen=True, slots=True)
class FigureSection:
    """One part of a run's figures, as the run page's table shows it: (label, value) rows."""

    title: str
    rows: list[tuple[str, str]]


# A run's counters (the phases' counters merged) by part of the run, in reading order,
# with their labels. Counters not named here are shown last, under "Other".
FIGURE_SECTIONS: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    (
        "Identity",
        (
            ("spotify_match", "Spotify artist found by"),
            ("slug", "Page address (slug)"),
            ("identity_kept", "Identity kept (fetched recently)"),
        ),
    ),
    (
        "Shows & venues",
        (
            ("shows", "Shows listed"),
            ("shows_added", "Shows added"),
            ("shows_changed", "Shows changed"),
            ("shows_removed_upstream", "Shows the artist no longer lists"),
            ("shows_gone_upstream", "Shows no act lists any more"),
            ("shows_without_venue", "Shows without a venue"),
            ("venues", "Venues"),
            ("co_billed_places", "Other acts' places on its shows' bills"),
            ("events_listed_twice", "Events listed twice"),
            ("events_malformed", "Malformed events"),
            ("events_pages", "Event pages fetched"),
            ("events_windows", "Date windows queried"),
        ),
    ),
    (
        "Catalog",
        (
            ("raw_tracks", "Tracks on Spotify"),
            ("songs", "Songs"),
            ("tracks_kept", "Studio recordings kept"),
            ("tracks_unlinked", "Recordings no longer the artist's"),
            ("albums", "Albums and singles stored"),
            ("albums_fetched", "Releases fetched from Spotify"),
            ("albums_reused", "Releases reused (stored before)"),
            ("track_details_fetched", "Track details fetched"),
            ("audio_features_fetched", "Audio features fetched"),
            ("catalog_kept", "Catalog kept (synced recently)"),
            ("catalog_unchanged", "Catalog unchanged since last decided"),
        ),
    ),
)
# Upstream request statistics (`integrations.http.stats.UpstreamStats.as_dict`).
REQUEST_FIGURES = (("ticketmaster_requests", "Ticketmaster"), ("spotify_requests", "Spotify"))
# Shown with another figure, or elsewhere on the page: never a row of their own.
# - kept_studio, kept_curator_keep: the kept songs by reason. "Studio songs kept" is
#   their sum ("Studio recordings kept"), and the curator's keeps have their row under
#   "Studio-only decisions".
# - malformed_events: the first 50 malformed events, listed with their count.
FIGURES_SHOWN_ELSEWHERE = frozenset({"kept_studio", "kept_curator_keep", "malformed_events"})
# Counters that only flag what a phase did ("kept", "unchanged").
FLAG_FIGURES = frozenset({"identity_kept", "catalog_kept", "catalog_unchanged"})


def run_figures(counters: dict[str, Any]) -> list[FigureSection]:
    """A run's counters as readable sections of (label, value) rows, each number once."""
    sections = []
    named = set(FIGURES_SHOWN_ELSEWHERE)
    for title, figures in FIGURE_SECTIONS:
        rows = [(label, _figure_value(key, counters)) for key, label in figures if key in counters]
        named.update(key for key, _ in figures)
        if rows:
            sections.append(FigureSection(title, rows))
    for key, provider in REQUEST_FIGURES:
        named.add(key)
        if isinstance(counters.get(key), dict):
            sections.append(
                FigureSection(f"{provider} requests", request_figure_rows(counters[key]))
            )
    other = [
        (key.replace("_", " ").capitalize(), readable_figure(counters[key]))
        for key in sorted(counters)
        if key not in named
    ]
    if other:
        sections.append(FigureSection("Other", other))
    return sections


def _figure_value(key: str, counters: dict[str, Any]) -> str:
    value = counters[key]
    if key == "spotify_match":
        return str(dict(SpotifyMatch.choices).get(value, value))
    if key in FLAG_FIGURES:
        return "yes" if value else "no"
    if key == "events_malformed" and counters.get("malformed_events"):
        return f"{value}: {readable_figure(counters['malformed_events'])}"
    return readable_figure(value)


def request_figure_rows(stats: dict[str, Any]) -> list[tuple[str, str]]:
    """One upstream's request statistics as rows: requests (per endpoint when there are
    several), the answers other than 200 with their endpoints, retries, parked requests
    and time spent waiting. 429 answers are counted once, among the answers."""
    requests = stats.get("requests") or {}
    if not isinstance(requests, dict):  # older runs counted requests in all only
        requests = {} if "requests_total" in stats else {"": requests}
    total = stats.get("requests_total", sum(requests.values()))
    per_endpoint = ", ".join(f"{name} {count}" for name, count in sorted(requests.items()))
    if len(requests) > 1:
        rows = [("Requests", f"{total}: {per_endpoint}")]
    elif requests and next(iter(requests)):
        rows = [("Requests", f"{total} ({next(iter(requests))})")]
    else:
        rows = [("Requests", str(total))]
    by_status: dict[str, dict[str, int]] = {}
    for endpoint, statuses in (stats.get("responses") or {}).items():
        for status, count in statuses.items():
            by_status.setdefault(status, {})[endpoint] = count
    if by_status:
        rows.append(("Answers", _answers_text(by_status)))
    for key, label in (("retries", "Retries"), ("parked", "Requests parked (quota)")):
        if stats.get(key):
            rows.append((label, str(stats[key])))
    waits = [
        f"{stats[key]:g} s {what}"
        for key, what in (
            ("limiter_wait_seconds", "for our rate limit"),
            ("retry_after_wait_seconds", "asked by Retry-After"),
        )
        if stats.get(key)
    ]
    if waits:
        rows.append(("Waited", ", ".join(waits)))
    return rows


def _answers_text(by_status: dict[str, dict[str, int]]) -> str:
    """ "all 200", or each status with its count, the endpoints named for those not 200:
    "200: 70; 429: 5 (artist albums 3, several tracks 2); timeout: 1 (token 1)"."""
    if set(by_status) == {"200"}:
        return "all 200"
    parts = []
    for status in sorted(by_status):
        endpoints = by_status[status]
        part = f"{status}: {sum(endpoints.values())}"
        if status != "200":
            part += " (" + ", ".join(f"{e} {n}" for e, n in sorted(endpoints.items())) + ")"
        parts.append(part)
    return "; ".join(parts)


def readable_figure(value: Any) -> str:
    """A counter's value in words, never a Python repr: nested figures as "name value"
    pairs, sorted (PostgreSQL's jsonb keeps its own key order), lists joined by "; "."""
    if isinstance(value, dict):
        return ", ".join(
            f"{str(key).replace('_', ' ')} {_nested(item)}" for key, item in sorted(value.items())
        )
    if isinstance(value, list):
        return "; ".join(readable_figure(item) for item in value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _nested(value: Any) -> str:
    return f"({readable_figure(value)})" if isinstance(value, dict | list) else str(value)


def run_page_context(run: ImportRun, *, last_event_id: int = 0) -> dict[str, Any]:
    """What the run page shows besides its fields: progress, phases, figures, drops.

    An active run's page follows the artist's progress stream from the event after
    `last_event_id` (read before `run`) and reloads when the status changes, or when
    identity names the artist, so the whole page says one state: the run's."""
    run = with_live_progress(run)
    phases = phases_with_live_progress(run)
    # The run's counters are filled in by finalize; until then each phase holds its own.
    counters = run.counters or merged_phase_counters(
        (phase.phase, phase.counters) for phase in phases
    )
    figures = run_figures(counters)
    dropped = list(DroppedTrack.objects.filter(run=run).order_by("reason", "name", "spotify_id"))
    curator = _curator_decisions_by_track(run.artist_id, dropped)
    dropped_list_url = reverse("admin:imports_droppedtrack_changelist")
    drop_groups = []
    for reason, count in sorted(run.drop_counts.items(), key=lambda item: (-item[1], item[0])):
        rows = [track for track in dropped if track.reason == reason]
        drop_groups.append(
            {
                "reason": reason,
                "label": DROP_REASON_LABELS.get(reason, reason),
                "count": count,
                "url": f"{dropped_list_url}?run__id__exact={run.pk}&reason__exact={reason}",
                "rows": [
                    {"track": track, "curator": curator.get(track.spotify_id)}
                    for track in rows[:DROPPED_ROWS_PER_REASON]
                ],
                "more": max(0, len(rows) - DROPPED_ROWS_PER_REASON),
            }
        )
    # The stream follows the artist's latest run, which an active run always is.
    stream_url = None
    if run.is_active:
        stream_url = reverse("artist-import-stream", args=[run.artist_id])
        if last_event_id:
            stream_url += f"?lastEventId={last_event_id}"
    return {
        "run": run,
        "waiting": run.status == ImportStatus.WAITING,
        "phases": phases,
        "figures": figures,
        "drop_groups": drop_groups,
        "dropped_total": sum(run.drop_counts.values()),
        "kept_by_curator": counters.get("kept_curator_keep", 0),
        "curator_overrides_url": (
            reverse("admin:catalog_trackoverride_changelist")
            + f"?artist__id__exact={run.artist_id}"
        ),
        "stream_url": stream_url,
        "live_config": {
            "stream_url": stream_url,
            "run_id": run.pk,
            "status": run.status,
            # Identity names the artist: the page reloads once it is past it.
            "reload_when_named": not run.artist.name
            and run.stage in (RunStage.QUEUED, RunStage.IDENTITY),
            "stage_labels": dict(RunStage.choices),
            "status_labels": dict(ImportStatus.choices),
        },
        "always_keep": CuratorDecision.ALWAYS_KEEP.value,
        # Older runs lose their event log and dropped-track rows (imports.history).
        "history_pruned": run.history_pruned_at is not None,
        "run_history_keep": settings.RUN_HISTORY_KEEP,
    }


# --- Dropped tracks: the drop report, and curator overrides from it ------------------


@admin.register(DroppedTrack)
class DroppedTrackAdmin(admin.ModelAdmin):
    """Every track a run left out, with the reason; "Always keep" makes a curator
    override so the next imports keep it."""

    list_display = ("name", "album_name", "reason", "curator_override", "isrc", "run_column")
    list_filter = ("reason",)
    search_fields = ("name", "album_name", "isrc", "spotify_id", "run__artist__name")
    list_select_related = ("run__artist",)
    actions = ["always_keep", "always_drop"]

    def get_queryset(self, request):
        override = TrackOverride.objects.filter(artist_id=OuterRef("run__artist_id")).filter(
            Q(spotify_id=OuterRef("spotify_id")) | (Q(isrc=OuterRef("isrc")) & ~Q(isrc=""))
        )
        # A Spotify id override outranks an ISRC one, as in the rules.
        return (
            super()
            .get_queryset(request)
            .annotate(
                override_decision=Subquery(override.order_by("-spotify_id").values("decision")[:1])
            )
        )

    @admin.display(description="Curator", ordering="override_decision")
    def curator_override(self, obj: DroppedTrack) -> str | None:
        return dict(TRACK_DECISION_CHOICES).get(obj.override_decision)

    @admin.display(description="Run", ordering="run")
    def run_column(self, obj: DroppedTrack) -> str:
        return format_html("{} of {}", run_link(obj.run_id), obj.run.artist)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_curate_permission(self, request) -> bool:
        return catalog_admin.can_curate(request)

    @admin.action(
        description="Always keep the selected tracks on future imports", permissions=["curate"]
    )
    def always_keep(self, request: HttpRequest, queryset: QuerySet[DroppedTrack]) -> None:
        # This release only (its Spotify id): the rules then keep it whatever its name says.
        catalog_admin.record_overrides(
            request, CuratorDecision.ALWAYS_KEEP, self._override_targets(queryset)
        )

    @admin.action(
        description="Always drop the selected tracks on future imports", permissions=["curate"]
    )
    def always_drop(self, request: HttpRequest, queryset: QuerySet[DroppedTrack]) -> None:
        # A dropped track is dropped already; pinning it stops a rule change bringing it back.
        catalog_admin.record_overrides(
            request, CuratorDecision.ALWAYS_DROP, self._override_targets(queryset)
        )

    @staticmethod
    def _override_targets(
        queryset: QuerySet[DroppedTrack],
    ) -> list[catalog_admin.OverrideTarget]:
        return [
            catalog_admin.OverrideTarget(
                artist_id=track.run.artist_id,
                artist=str(track.run.artist),
                spotify_id=track.spotify_id,
                name=track.name,
            )
            for track in queryset.select_related("run__artist")
        ]


@admin.register(ImportEvent)
class ImportEventAdmin(admin.ModelAdmin):
    """The progress log is history: readable, never edited."""

    list_display = ("id", "run", "time", "stage", "status", "percent", "message")
    list_filter = ("stage", "status")
    search_fields = ("message", "run__artist__name")
    list_select_related = ("run__artist",)
    fields = ("run", "time", "stage", "status", "percent", "overall_percent", "message", "counters")
    readonly_fields = fields

    @admin.display(description="at", ordering="at")
    def time(self, event: ImportEvent) -> str | None:
        return admin_time(event.at, EVENT_TIME_FORMAT)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


# --- Shows re-sync batches and each artist's shows syncs -------------------------------

# The artist page lists this many of its latest shows syncs; the rest are a link away.
RECENT_SHOWS_SYNCS = 10
# List columns show an error's start; its page shows the whole of it.
ERROR_EXCERPT_CHARS = 80


def shows_batch_link(batch_id: int) -> str:
    url = reverse("admin:imports_showsbatch_change", args=[batch_id])
    return format_html('<a href="{}">batch #{}</a>', url, batch_id)


def artist_link(artist: Artist) -> str:
    url = reverse("admin:catalog_artist_change", args=[artist.pk])
    return format_html('<a href="{}">{}</a>', url, artist_name_html(artist))


def shows_sync_source(sync: ShowsSync) -> str:
    """What ran the sync, linked: a re-sync batch, or the artist's own import run."""
    if sync.batch_id is not None:
        return format_html("by {}", shows_batch_link(sync.batch_id))
    if sync.run_id is not None:
        return format_html("by import {}", run_link(sync.run_id))
    return "—"


def shows_sync_changes(sync: ShowsSync) -> str:
    """What the sync changed, in a line."""
    return (
        f"{sync.shows} listed: {sync.added} added, {sync.changed} changed, "
        f"{sync.removed} removed, {sync.gone} gone"
    )


def error_excerpt(error: str) -> str:
    return Truncator(error).chars(ERROR_EXCERPT_CHARS)


def status_with_wait(row: ImportRun | ShowsBatch) -> str:
    """The status; a waiting row also says until when (its message says for what)."""
    if row.status == ImportStatus.WAITING and row.waiting_until:
        return format_html(
            '{}<br><span class="quiet">until {}</span>',
            row.get_status_display(),
            until_text(row.waiting_until),
        )
    return row.get_status_display()


class ShowsSyncInline(ReadOnlyTabularInline):
    """A batch's artists, each with what its sync changed."""

    model = ShowsSync
    fk_name = "batch"
    verbose_name_plural = "Artists (their shows syncs)"
    fields = ("artist_column", "status", "shows", "added", "changed", "removed", "gone", "error")
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ("artist__tm_attraction_id",)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("artist")

    @admin.display(description="Artist")
    def artist_column(self, sync: ShowsSync) -> str:
        return artist_link(sync.artist)


@admin.register(ShowsBatch)
class ShowsBatchAdmin(TimestampColumns, admin.ModelAdmin):
    """Batches are made by re-sync rounds (`imports.resync`) and written by their task:
    staff read them, and may queue a failed batch's artists again."""

    list_display = (
        "id",
        "status_column",
        "artists_count",
        "expected_events",
        "events",
        "requests",
        "pages",
        "created_time",
        "finished_time",
        "error_column",
    )
    list_filter = ("status", "created_at")
    search_fields = ("error", "message", "syncs__artist__name", "syncs__artist__tm_attraction_id")
    date_hierarchy = "created_at"
    actions = ["retry_failed_batches"]
    fieldsets = (
        (None, {"fields": ("status", "message", "error", "waiting_for", "waiting_until_time")}),
        (
            "Query",
            {
                "fields": (
                    "attraction_ids_text",
                    "expected_events",
                    "events",
                    "requests",
                    "pages",
                    "windows",
                    "attempt",
                )
            },
        ),
        ("Timing", {"fields": ("created_time", "started_time", "finished_time", "updated_time")}),
    )
    readonly_fields = (
        "status",
        "message",
        "error",
        "waiting_for",
        "waiting_until_time",
        "attraction_ids_text",
        "expected_events",
        "events",
        "requests",
        "pages",
        "windows",
        "attempt",
        "created_time",
        "started_time",
        "finished_time",
        "updated_time",
    )
    inlines = [ShowsSyncInline]

    waiting_until_time = time_column("waiting_until", "waiting until")
    started_time = time_column("started_at", "started")
    finished_time = time_column("finished_at", "finished")

    @admin.display(description="Status", ordering="status")
    def status_column(self, batch: ShowsBatch) -> str:
        return status_with_wait(batch)

    @admin.display(description="Artists")
    def artists_count(self, batch: ShowsBatch) -> int:
        return len(batch.attraction_ids)

    @admin.display(description="Error", ordering="error")
    def error_column(self, batch: ShowsBatch) -> str:
        return error_excerpt(batch.error)

    @admin.display(description="Attraction ids")
    def attraction_ids_text(self, batch: ShowsBatch) -> str:
        return ", ".join(batch.attraction_ids)

    def has_add_permission(self, request) -> bool:
        return False  # batches come from re-sync rounds

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # an artist's shows syncs are its history

    def has_start_import_permission(self, request) -> bool:
        return can_start_imports(request)

    @admin.action(
        description="Retry failed batches (queue their failed artists again)",
        permissions=["start_import"],
    )
    def retry_failed_batches(self, request: HttpRequest, queryset: QuerySet[ShowsBatch]) -> None:
        queued, skipped = [], []
        for batch in queryset.order_by("pk"):
            new_batch_id = shows_batch_retry(batch_id=batch.pk)
            if new_batch_id is None:
                skipped.append(batch.pk)
            else:
                queued.append((batch.pk, new_batch_id))
        for old_id, new_id in queued:
            messages.success(
                request,
                format_html(
                    "Failed artists of {} queued as {}.",
                    shows_batch_link(old_id),
                    shows_batch_link(new_id),
                ),
            )
        if skipped:
            messages.info(
                request,
                format_html(
                    "Nothing to retry (no failed artist, or all in another sync now): {}.",
                    format_html_join(", ", "{}", ((shows_batch_link(pk),) for pk in skipped)),
                ),
            )


@admin.register(ShowsSync)
class ShowsSyncAdmin(TimestampColumns, admin.ModelAdmin):
    """Every artist's shows syncs, by re-sync batches and by its own imports: history,
    read only."""

    list_display = (
        "id",
        "artist",
        "source_column",
        "status",
        "shows",
        "added",
        "changed",
        "removed",
        "gone",
        "created_time",
        "finished_time",
        "error_column",
    )
    list_filter = ("status", "created_at")
    search_fields = ("artist__name", "artist__tm_attraction_id", "error")
    list_select_related = ("artist",)

    fields = (
        "artist",
        "source_column",
        "status",
        "expected_events",
        "shows",
        "added",
        "changed",
        "removed",
        "gone",
        "error",
        "created_time",
        "finished_time",
    )
    readonly_fields = fields

    finished_time = time_column("finished_at", "finished")

    @admin.display(description="By")
    def source_column(self, sync: ShowsSync) -> str:
        return shows_sync_source(sync)

    @admin.display(description="Error", ordering="error")
    def error_column(self, sync: ShowsSync) -> str:
        return error_excerpt(sync.error)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


def last_shows_sync_text(sync: ShowsSync | None) -> str:
    """The artist page's line: when, by what, the status and what changed."""
    if sync is None:
        return "never"
    return format_html(
        "{} {}: {}; {}{}",
        admin_time(sync.at),
        shows_sync_source(sync),
        sync.get_status_display().lower(),
        shows_sync_changes(sync),
        format_html(" — {}", sync.error) if sync.error else "",
    )


def recent_shows_syncs_table(artist: Artist) -> str:
    """The artist's latest shows syncs as a table, with a link to all of them."""
    syncs = artist_shows_syncs(artist_id=artist.pk, limit=RECENT_SHOWS_SYNCS)
    if not syncs:
        return "none"
    rows = format_html_join(
        "",
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>"
        "<td>{}</td><td>{}</td><td>{}</td></tr>",
        (
            (
                admin_time(sync.at),
                shows_sync_source(sync),
                sync.get_status_display(),
                sync.shows,
                sync.added,
                sync.changed,
                sync.removed,
                sync.gone,
                error_excerpt(sync.error),
            )
            for sync in syncs
        ),
    )
    url = reverse("admin:imports_showssync_changelist") + f"?artist__id__exact={artist.pk}"
    return format_html(
        "<table><thead><tr><th>At</th><th>By</th><th>Status</th><th>Listed</th>"
        "<th>Added</th><th>Changed</th><th>Removed</th><th>Gone</th><th>Error</th>"
        '</tr></thead><tbody>{}</tbody></table><a href="{}">All its shows syncs</a>',
        rows,
        url,
    )


# --- Artists: re-import from the artist list -------------------------------------------

# The artist admin is catalog's; its import actions are added here, since catalog must
# not depend on imports.
admin.site.unregister(Artist)


class ImportedFilter(admin.SimpleListFilter):
    """Imported artists, or acts only seen on other artists' bills (never imported)."""

    title = "imported"
    parameter_name = "imported"

    def lookups(self, request, model_admin):
        return [("yes", "Yes"), ("no", "No: only on other artists' bills")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(ARTIST_IMPORTED)
        if self.value() == "no":
            return queryset.exclude(ARTIST_IMPORTED)
        return queryset


class NamedFilter(admin.SimpleListFilter):
    """Artists identity has named, those it has not named yet, and those whose latest
    import failed before naming them (an id Ticketmaster does not know, typically)."""

    title = "named"
    parameter_name = "named"

    def lookups(self, request, model_admin):
        return [
            ("yes", "Yes"),
            ("pending", "Not named yet (importing, or never imported)"),
            ("failed", "Not named: its latest import failed (e.g. not found upstream)"),
        ]

    def queryset(self, request, queryset):
        # `latest_run_status` is ArtistAdmin's annotation.
        if self.value() == "yes":
            return queryset.exclude(name="")
        if self.value() == "pending":
            return queryset.filter(name="").exclude(latest_run_status=ImportStatus.FAILED)
        if self.value() == "failed":
            return queryset.filter(name="", latest_run_status=ImportStatus.FAILED)
        return queryset


def import_failed_unnamed(artist: Artist) -> bool:
    """Whether the artist's latest import failed before identity named it (annotated by
    ArtistAdmin.get_queryset)."""
    return not artist.name and getattr(artist, "latest_run_status", "") == ImportStatus.FAILED


_IDENTITY_FIELDSET, _SYNCED_FIELDSET = catalog_admin.ArtistAdmin.fieldsets


@admin.register(Artist)
class ArtistAdmin(catalog_admin.ArtistAdmin):
    """catalog's artist admin, with what imports know: import actions, the latest
    import (and why an unnamed artist has no name), its shows and shows syncs."""

    actions = [*catalog_admin.ArtistAdmin.actions, "reimport_selected", "reimport_full_catalog"]
    # The latest import beside the name: for an unnamed artist, it says why.
    list_display = (
        catalog_admin.ArtistAdmin.list_display[0],
        "latest_import_column",
        *catalog_admin.ArtistAdmin.list_display[1:],
    )
    list_filter = (ImportedFilter, NamedFilter, *catalog_admin.ArtistAdmin.list_filter)
    fieldsets = (
        (_IDENTITY_FIELDSET[0], {"fields": (*_IDENTITY_FIELDSET[1]["fields"], "latest_import")}),
        ("Shows", {"fields": ("shows_billed_on", "last_shows_sync", "recent_shows_syncs")}),
        _SYNCED_FIELDSET,
    )
    readonly_fields = (
        "latest_import",
        "shows_billed_on",
        "last_shows_sync",
        "recent_shows_syncs",
        *catalog_admin.ArtistAdmin.readonly_fields,
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Artist]:
        latest = ImportRun.objects.filter(artist=OuterRef("pk")).order_by("-created_at", "-id")
        return (
            super()
            .get_queryset(request)
            .annotate(
                latest_run_id=Subquery(latest.values("id")[:1]),
                latest_run_status=Subquery(latest.values("status")[:1]),
                latest_run_error=Subquery(latest.values("error")[:1]),
            )
        )

    @admin.display(description="name", ordering="name")
    def name_column(self, artist: Artist) -> str:
        """The name; an unnamed artist's id, marked: not named yet, or its latest import
        failed (the "latest import" column says why)."""
        if import_failed_unnamed(artist):
            return artist_name_html(artist, "not named: import failed")
        return artist_name_html(artist)

    @admin.display(description="latest import", ordering="latest_run_id")
    def latest_import_column(self, artist: Artist) -> str:
        """The latest run, linked, and its status; a failed one's error, shortened."""
        if artist.latest_run_id is None:
            return self.get_empty_value_display()
        return format_html(
            "{} {}{}",
            run_link(artist.latest_run_id),
            ImportStatus(artist.latest_run_status).label.lower(),
            format_html('<br><span class="quiet">{}</span>', error_excerpt(artist.latest_run_error))
            if artist.latest_run_error
            else "",
        )

    @admin.display(description="latest import")
    def latest_import(self, artist: Artist) -> str:
        """The artist's latest run, linked, its status and when; its error if it failed."""
        run = artist.import_runs.order_by("-created_at", "-id").first()
        if run is None:
            return "never imported (only seen on other artists' bills)"
        return format_html(
            "{} {}, {}{}",
            run_link(run.pk),
            run.get_status_display().lower(),
            admin_time(run.finished_at or run.created_at),
            format_html('<br><span class="errornote">{}</span>', run.error) if run.error else "",
        )

    def has_start_import_permission(self, request) -> bool:
        return can_start_imports(request)

    @admin.display(description="shows")
    def shows_billed_on(self, artist: Artist) -> str:
        """How many shows the artist is billed on, linking to them in the show list."""
        if artist.pk is None:
            return "—"
        count = artist.billings.count()
        url = reverse("admin:shows_show_changelist") + f"?bill__artist__id__exact={artist.pk}"
        return format_html('<a href="{}">{} show{}</a>', url, count, pluralize(count))

    @admin.display(description="last shows sync")
    def last_shows_sync(self, artist: Artist) -> str:
        if artist.pk is None:
            return "—"
        return last_shows_sync_text(artist_last_shows_sync(artist_id=artist.pk))

    @admin.display(description="recent shows syncs")
    def recent_shows_syncs(self, artist: Artist) -> str:
        if artist.pk is None:
            return "—"
        return recent_shows_syncs_table(artist)

    @admin.action(description="Import selected artists", permissions=["start_import"])
    def reimport_selected(self, request: HttpRequest, queryset: QuerySet[Artist]) -> None:
        start_imports_and_report(
            request,
            [(str(artist), artist.tm_attraction_id) for artist in queryset.order_by("name", "pk")],
        )

    @admin.action(
        description="Re-import with full catalog (fetch every release from Spotify again)",
        permissions=["start_import"],
    )
    def reimport_full_catalog(self, request: HttpRequest, queryset: QuerySet[Artist]) -> None:
        start_imports_and_report(
            request,
            [(str(artist), artist.tm_attraction_id) for artist in queryset.order_by("name", "pk")],
            full_catalog=True,
        )

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None):
        extra_context = {"can_start_imports": can_start_imports(request), **(extra_context or {})}
        return super().changelist_view(request, extra_context)
