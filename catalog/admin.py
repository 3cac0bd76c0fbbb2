"""Admin for artists and their studio catalog, and the curators' track overrides.

Artists, albums and tracks come from the upstreams, so the admin shows them read only
(no add, no delete, no field to edit); the curators' track overrides are what staff
write, on their own list and on each artist's page. The artist list's import actions
are added by `imports.admin` (catalog does not depend on imports).

The admin's timestamps say their zone ("6 Dec 2026, 14:05 UTC"): `theset.admin`'s
`admin_time` and `time_column`, shared by every app's admin.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html

from catalog.models import (
    TRACK_DECISION_CHOICES,
    Album,
    Artist,
    ArtistTrack,
    SpotifyRelease,
    Track,
    TrackOverride,
)
from catalog.rules import CuratorDecision
from theset.admin import TimestampColumns, UpstreamOwnedAdmin, time_column


def can_curate(request: HttpRequest) -> bool:
    """Whether the user may add and change track overrides."""
    return request.user.has_perms(["catalog.add_trackoverride", "catalog.change_trackoverride"])


@dataclass(frozen=True, slots=True)
class OverrideTarget:
    """One track (by Spotify id) or recording (by ISRC) of one artist to decide on."""

    artist_id: int
    artist: str
    name: str
    spotify_id: str = ""
    isrc: str = ""


def record_overrides(
    request: HttpRequest, decision: CuratorDecision, targets: Sequence[OverrideTarget]
) -> None:
    """Set `decision` on every target and say what changed, in one message per outcome."""
    recorded: list[str] = []
    refused: list[str] = []
    for target in targets:
        try:
            TrackOverride.objects.decide(
                artist_id=target.artist_id,
                decision=decision,
                spotify_id=target.spotify_id,
                isrc=target.isrc,
                track_name=target.name,
                created_by=request.user,
            )
        except ValidationError as exc:
            refused.append(f"{target.name} ({'; '.join(exc.messages)})")
            continue
        recorded.append(f"{target.name} ({target.artist})")
    label = dict(TRACK_DECISION_CHOICES)[decision.value].lower()
    if recorded:
        messages.success(
            request,
            f"{label.capitalize()} from the next import on: {', '.join(recorded)}.",
        )
    if refused:
        messages.error(request, f"No override for: {', '.join(refused)}.")
    if not targets:
        messages.warning(request, "None of the selected tracks belongs to an artist.")


class TrackOverrideInline(TimestampColumns, admin.TabularInline):
    """The artist's curator overrides: the one part of an artist staff edit."""

    model = TrackOverride
    fields = ("track_name", "spotify_id", "isrc", "decision", "note", "created_by", "updated_time")
    readonly_fields = ("created_by", "updated_time")
    extra = 0
    verbose_name_plural = "Curator track overrides (applied on every import)"


def artist_name_html(artist: Artist, marker: str = "not named yet") -> str:
    """The artist's name; before an identity phase named it, its Ticketmaster id with a
    marker saying so (never a bare "-")."""
    if artist.name:
        return artist.name
    return format_html(
        '<code>{}</code> <em class="unnamed-artist">({})</em>', artist.tm_attraction_id, marker
    )


def genres_text(genres: Sequence[str]) -> str | None:
    """Genres as people read a list: "rock, indie pop"; None (the admin's "-") for none."""
    return ", ".join(str(genre) for genre in genres) or None


class SpotifyMatchFilter(admin.ChoicesFieldListFilter):
    """The "spotify match" choices, titled as a name is written: "By Spotify match"."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.title = "Spotify match"


@admin.register(Artist)
class ArtistAdmin(TimestampColumns, admin.ModelAdmin):
    """Artists are made by `start_import` and named by their identity phase: read only,
    except for the curators' track overrides at the bottom of the page. "View on site"
    is there for public artists only (the others have no public page)."""

    list_display = (
        "name_column",
        "tm_attraction_id",
        "spotify_id",
        "spotify_match_column",
        "shows_synced_time",
        "catalog_synced_time",
    )
    list_filter = (
        ("spotify_match", SpotifyMatchFilter),
        "shows_synced_at",
        "catalog_synced_at",
    )
    search_fields = ("name", "slug", "tm_attraction_id", "spotify_id")
    fieldsets = (
        (
            "Identity (from Ticketmaster and Spotify)",
            {
                "fields": (
                    "name_column",
                    "tm_attraction_id",
                    "slug",
                    "spotify_id",
                    "spotify_match_column",
                    "genres_column",
                    "image_url",
                )
            },
        ),
        (
            "Synced",
            {
                "fields": (
                    "identity_synced_time",
                    "shows_synced_time",
                    "catalog_synced_time",
                    "created_time",
                    "updated_time",
                )
            },
        ),
    )
    readonly_fields = (
        "name_column",
        "tm_attraction_id",
        "slug",
        "spotify_id",
        "spotify_match_column",
        "genres_column",
        "image_url",
        "identity_synced_time",
        "shows_synced_time",
        "catalog_synced_time",
        "created_time",
        "updated_time",
    )
    inlines = [TrackOverrideInline]

    identity_synced_time = time_column("identity_synced_at", "identity synced")
    shows_synced_time = time_column("shows_synced_at", "shows synced")
    catalog_synced_time = time_column("catalog_synced_at", "catalog synced")

    @admin.display(description="name", ordering="name")
    def name_column(self, artist: Artist) -> str:
        return artist_name_html(artist)

    @admin.display(description="Spotify match", ordering="spotify_match")
    def spotify_match_column(self, artist: Artist) -> str:
        return artist.get_spotify_match_display()

    @admin.display(description="genres")
    def genres_column(self, artist: Artist) -> str:
        return genres_text(artist.genres) or self.get_empty_value_display()

    def view_on_site(self, artist: Artist) -> str | None:
        # Unnamed artists have no public page (it answers 404).
        return artist.get_absolute_url() if artist.is_public else None

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # artists come from start_import: the "Import artists" page

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change) -> None:
        pass  # every field is the upstreams': only the overrides below are saved

    def save_formset(self, request, form, formset, change) -> None:
        if formset.model is TrackOverride:
            for override in formset.save(commit=False):
                if override.pk is None:
                    override.created_by = request.user
                override.save()
            for deleted in formset.deleted_objects:
                deleted.delete()
            return
        super().save_formset(request, form, formset, change)


@admin.register(Album)
class AlbumAdmin(TimestampColumns, UpstreamOwnedAdmin):
    list_display = ("name", "album_type", "release_date", "total_tracks", "spotify_id")
    list_filter = ("album_type",)
    search_fields = ("name", "spotify_id")
    fields = (
        "name",
        "album_type",
        "release_date",
        "release_date_precision",
        "total_tracks",
        "spotify_id",
        "image_url",
        "created_time",
        "updated_time",
    )
    readonly_fields = fields


@admin.register(SpotifyRelease)
class SpotifyReleaseAdmin(TimestampColumns, admin.ModelAdmin):
    """What Spotify gave for each release, as incremental catalogs reuse it: read only
    (a full-catalog import refreshes it)."""

    list_display = ("name", "album_type", "release_date", "total_tracks", "fetched_time")
    list_filter = ("album_type",)
    search_fields = ("name", "spotify_id")
    date_hierarchy = "fetched_at"
    fields = (
        "name",
        "album_type",
        "release_date",
        "release_date_precision",
        "total_tracks",
        "spotify_id",
        "image_url",
        "tracks",
        "fetched_time",
        "created_time",
        "updated_time",
    )
    readonly_fields = fields

    fetched_time = time_column("fetched_at", "fetched")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


def _targets_of_links(links: QuerySet[ArtistTrack]) -> list[OverrideTarget]:
    # A stored track is a studio song: name the recording (ISRC) so no other release of
    # it takes its place, or, without an ISRC, this release.
    return [
        OverrideTarget(
            artist_id=link.artist_id,
            artist=str(link.artist),
            name=link.track.name,
            isrc=link.track.isrc,
            spotify_id="" if link.track.isrc else link.track.spotify_id,
        )
        for link in links.select_related("artist", "track").order_by("artist__name", "track__name")
    ]


class CuratorActions:
    """ "Always drop" / "always keep" actions for admins listing an artist's songs."""

    def has_curate_permission(self, request: HttpRequest) -> bool:
        return can_curate(request)

    def links(self, queryset: QuerySet) -> QuerySet[ArtistTrack]:
        raise NotImplementedError

    @admin.action(
        description="Always drop the selected songs on future imports (every release)",
        permissions=["curate"],
    )
    def always_drop(self, request: HttpRequest, queryset: QuerySet) -> None:
        record_overrides(
            request, CuratorDecision.ALWAYS_DROP, _targets_of_links(self.links(queryset))
        )

    @admin.action(
        description="Always keep the selected songs on future imports", permissions=["curate"]
    )
    def always_keep(self, request: HttpRequest, queryset: QuerySet) -> None:
        record_overrides(
            request, CuratorDecision.ALWAYS_KEEP, _targets_of_links(self.links(queryset))
        )


@admin.register(Track)
class TrackAdmin(TimestampColumns, CuratorActions, UpstreamOwnedAdmin):
    """Studio tracks as imports stored them: read only; curators decide on them with
    the actions (overrides the next import applies)."""

    list_display = ("name", "album", "isrc", "duration_ms", "popularity", "is_remix")
    list_filter = ("is_remix", "album__album_type")
    search_fields = ("name", "isrc", "spotify_id", "album__name")
    list_select_related = ("album",)
    fields = (
        "name",
        "album",
        "spotify_id",
        "isrc",
        "duration_ms",
        "popularity",
        "disc_number",
        "track_number",
        "is_remix",
        "created_time",
        "updated_time",
    )
    readonly_fields = fields
    actions = ["always_drop", "always_keep"]

    def links(self, queryset: QuerySet[Track]) -> QuerySet[ArtistTrack]:
        return ArtistTrack.objects.filter(track__in=queryset)


@admin.register(ArtistTrack)
class ArtistTrackAdmin(TimestampColumns, CuratorActions, UpstreamOwnedAdmin):
    """Which artist each studio track belongs to, as imports linked them: read only."""

    list_display = ("artist", "track", "created_time")
    search_fields = ("artist__name", "track__name", "track__isrc")
    list_select_related = ("artist", "track")
    fields = ("artist", "track", "created_time", "updated_time")
    readonly_fields = fields
    actions = ["always_drop", "always_keep"]

    def links(self, queryset: QuerySet[ArtistTrack]) -> QuerySet[ArtistTrack]:
        return queryset


@admin.register(TrackOverride)
class TrackOverrideAdmin(TimestampColumns, admin.ModelAdmin):
    """Curators' standing decisions: every later import of the artist applies them."""

    list_display = (
        "track_name",
        "artist",
        "decision",
        "key",
        "note",
        "created_by",
        "updated_time",
    )
    list_filter = ("decision", "created_at", "updated_at")
    search_fields = (
        "track_name",
        "spotify_id",
        "isrc",
        "note",
        "artist__name",
        "artist__tm_attraction_id",
    )
    list_select_related = ("artist", "created_by")
    autocomplete_fields = ("artist",)
    fields = ("artist", "track_name", "spotify_id", "isrc", "decision", "note")
    readonly_fields = ("created_by", "created_time", "updated_time")

    @admin.display(description="Track", ordering="spotify_id")
    def key(self, obj: TrackOverride) -> str:
        return f"Spotify {obj.spotify_id}" if obj.spotify_id else f"ISRC {obj.isrc} (every release)"

    def get_fields(self, request, obj=None):
        if obj is None:
            return self.fields
        return (*self.fields, "created_by", "created_time", "updated_time")

    def save_model(self, request, obj, form, change) -> None:
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
