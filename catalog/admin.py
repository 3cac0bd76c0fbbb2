"""Admin for artists and their studio catalog, and the curators' track overrides.

The artist list's import actions are added by `imports.admin` (catalog does not
depend on imports).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest

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


class TrackOverrideInline(admin.TabularInline):
    model = TrackOverride
    fields = ("track_name", "spotify_id", "isrc", "decision", "note", "created_by", "updated_at")
    readonly_fields = ("created_by", "updated_at")
    extra = 0
    verbose_name_plural = "Curator track overrides (applied on every import)"


@admin.register(Artist)
class ArtistAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "tm_attraction_id",
        "spotify_id",
        "spotify_match",
        "shows_synced_at",
        "catalog_synced_at",
    )
    list_filter = ("spotify_match", "shows_synced_at", "catalog_synced_at")
    search_fields = ("name", "slug", "tm_attraction_id", "spotify_id")
    readonly_fields = ("created_at", "updated_at")
    prepopulated_fields = {"slug": ("name",)}
    inlines = [TrackOverrideInline]

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
class AlbumAdmin(admin.ModelAdmin):
    list_display = ("name", "album_type", "release_date", "total_tracks", "spotify_id")
    list_filter = ("album_type",)
    search_fields = ("name", "spotify_id")
    readonly_fields = ("created_at", "updated_at")


@admin.register(SpotifyRelease)
class SpotifyReleaseAdmin(admin.ModelAdmin):
    """What Spotify gave for each release, as incremental catalogs reuse it: read only
    (a full-catalog import refreshes it)."""

    list_display = ("name", "album_type", "release_date", "total_tracks", "fetched_at")
    list_filter = ("album_type",)
    search_fields = ("name", "spotify_id")
    date_hierarchy = "fetched_at"

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
class TrackAdmin(CuratorActions, admin.ModelAdmin):
    list_display = ("name", "album", "isrc", "duration_ms", "popularity", "is_remix")
    list_filter = ("is_remix", "album__album_type")
    search_fields = ("name", "isrc", "spotify_id", "album__name")
    list_select_related = ("album",)
    raw_id_fields = ("album",)
    readonly_fields = ("created_at", "updated_at")
    actions = ["always_drop", "always_keep"]

    def links(self, queryset: QuerySet[Track]) -> QuerySet[ArtistTrack]:
        return ArtistTrack.objects.filter(track__in=queryset)


@admin.register(ArtistTrack)
class ArtistTrackAdmin(CuratorActions, admin.ModelAdmin):
    list_display = ("artist", "track", "created_at")
    search_fields = ("artist__name", "track__name", "track__isrc")
    list_select_related = ("artist", "track")
    raw_id_fields = ("artist", "track")
    actions = ["always_drop", "always_keep"]

    def links(self, queryset: QuerySet[ArtistTrack]) -> QuerySet[ArtistTrack]:
        return queryset


@admin.register(TrackOverride)
class TrackOverrideAdmin(admin.ModelAdmin):
    """Curators' standing decisions: every later import of the artist applies them."""

    list_display = ("track_name", "artist", "decision", "key", "note", "created_by", "updated_at")
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
    readonly_fields = ("created_by", "created_at", "updated_at")

    @admin.display(description="Track", ordering="spotify_id")
    def key(self, obj: TrackOverride) -> str:
        return f"Spotify {obj.spotify_id}" if obj.spotify_id else f"ISRC {obj.isrc} (every release)"

    def get_fields(self, request, obj=None):
        if obj is None:
            return self.fields
        return (*self.fields, "created_by", "created_at", "updated_at")

    def save_model(self, request, obj, form, change) -> None:
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
