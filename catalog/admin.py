"""Admin for artists and their studio catalog, and the curators' track and song overrides.

Artists, albums, tracks and songs come from the upstreams (songs are the imports'
grouping of the recordings), so the admin shows them read only (no add, no delete, no
field to edit); the curators' overrides are what staff write, on their own lists and on
each artist's page. A song override takes effect at once: the artist's songs are
regrouped from the stored recordings (`catalog.services.songs_regroup`) after every
save or delete, and the curator is told which recordings moved. The artist list's import
actions are added by `imports.admin` (catalog does not depend on imports).

The admin's timestamps say their zone ("6 Dec 2026, 14:05 UTC"): `theset.admin`'s
`admin_time` and `time_column`, shared by every app's admin.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urlencode

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Case, F, QuerySet, Value, When
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html

from catalog.models import (
    TRACK_DECISION_CHOICES,
    Album,
    Artist,
    ArtistTrack,
    Song,
    SongOverride,
    SpotifyRelease,
    Track,
    TrackOverride,
)
from catalog.rules import CuratorDecision
from catalog.selectors import song_recordings
from catalog.services import songs_regroup
from theset.admin import TimestampColumns, UpstreamOwnedAdmin, time_column
from theset.text import count_noun, format_duration

# A regroup's message names this many moved recordings, then says how many more moved.
MOVES_NAMED = 20


def can_curate(request: HttpRequest) -> bool:
    """Whether the user may add and change track overrides."""
    return request.user.has_perms(["catalog.add_trackoverride", "catalog.change_trackoverride"])


def can_move_recordings(request: HttpRequest) -> bool:
    """Whether the user may add and change song overrides (move recordings between songs)."""
    return request.user.has_perms(["catalog.add_songoverride", "catalog.change_songoverride"])


def recording_key(track: Track) -> dict[str, str]:
    """What a curator override of a stored track is keyed by: its ISRC (the recording, so
    every release of it) when it has one, else its Spotify id (this release)."""
    if track.isrc:
        return {"spotify_id": "", "isrc": track.isrc}
    return {"spotify_id": track.spotify_id, "isrc": ""}


def override_key_text(spotify_id: str, isrc: str) -> str:
    """An override's key as curators read it: "Spotify <id>" or "ISRC <isrc> (every
    release)"."""
    return f"Spotify {spotify_id}" if spotify_id else f"ISRC {isrc} (every release)"


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


def _songs_of_recordings(artist_ids: Collection[int]) -> dict[int, int]:
    """The song of each of these artists' recordings: {ArtistTrack id: Song id}."""
    return dict(ArtistTrack.objects.filter(artist_id__in=artist_ids).values_list("pk", "song_id"))


@contextmanager
def regrouping_songs(request: HttpRequest, artist_ids: Collection[int | None]) -> Iterator[None]:
    """Around a change to these artists' song overrides, in one transaction: afterwards
    their stored recordings are put in their songs again (`songs_regroup`), so the change
    shows at once, and the curator is told which recordings moved to which song ("Alive -
    Early Version now in “Alive Again” (The Velvet Rövers)"), or that none did."""
    artists = sorted({artist_id for artist_id in artist_ids if artist_id is not None})
    with transaction.atomic():
        before = _songs_of_recordings(artists)
        yield
        for artist_id in artists:
            songs_regroup(artist_id=artist_id)
        after = _songs_of_recordings(artists)
    if not artists:
        return
    moved = [pk for pk, song_id in after.items() if before.get(pk) != song_id]
    if not moved:
        names = ", ".join(str(artist) for artist in Artist.objects.filter(pk__in=artists))
        messages.info(request, f"No stored recording of {names} changed song.")
        return
    links = (
        ArtistTrack.objects.filter(pk__in=moved)
        .select_related("artist", "track", "song")
        .order_by("artist__name", "song__key", "track__name", "pk")
    )
    named = [
        f"{link.track.name} now in “{link.song.title}” ({link.artist})"
        for link in links[:MOVES_NAMED]
    ]
    more = len(moved) - len(named)
    messages.success(
        request,
        "; ".join(named) + (f"; and {count_noun(more, 'more recording')} moved." if more else "."),
    )


def move_recordings(
    request: HttpRequest, links: Sequence[ArtistTrack], *, song_title: str, note: str = ""
) -> None:
    """Move these recordings to the song titled `song_title`: one song override each,
    keyed by `recording_key` (the ISRC, so every release of the recording, else the
    Spotify id), then the artists' songs regrouped and the curator told what moved."""
    refused: list[str] = []
    with regrouping_songs(request, {link.artist_id for link in links}):
        for link in links:
            key = recording_key(link.track)
            # An override of this very release outranks its recording's: it moves too.
            release_overridden = bool(key["isrc"]) and (
                SongOverride.objects.filter(
                    artist_id=link.artist_id, spotify_id=link.track.spotify_id
                ).exists()
            )
            keys = [key, {"spotify_id": link.track.spotify_id}] if release_overridden else [key]
            try:
                for override_key in keys:
                    SongOverride.objects.assign(
                        artist_id=link.artist_id,
                        song_title=song_title,
                        track_name=link.track.name,
                        note=note,
                        created_by=request.user,
                        **override_key,
                    )
            except ValidationError as exc:
                refused.append(f"{link.track.name} ({'; '.join(exc.messages)})")
    if refused:
        messages.error(request, f"Not moved: {', '.join(refused)}.")


class SongMoveForm(forms.Form):
    """The question of "Move to another song…": which song the recordings are of."""

    song_title = forms.CharField(
        label="Song",
        max_length=500,
        error_messages={"required": "Give the title of the song."},
        help_text=SongOverride._meta.get_field("song_title").help_text,
        widget=forms.TextInput(attrs={"list": "song-titles", "autocomplete": "off", "size": 60}),
    )
    note = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
        help_text="Why, for the next curator.",
    )

    def clean_song_title(self) -> str:
        return " ".join(self.cleaned_data["song_title"].split())


class RecordingMoveActions:
    """ "Move to another song…" for admins listing an artist's recordings or songs: an
    intermediate page asks for the song, then `move_recordings`. Staff who may add and
    change song overrides see it."""

    move_action_title = "Move to another song"

    def has_move_recordings_permission(self, request: HttpRequest) -> bool:
        return can_move_recordings(request)

    def links(self, queryset: QuerySet) -> QuerySet[ArtistTrack]:
        raise NotImplementedError

    def move_recordings_page(
        self, request: HttpRequest, queryset: QuerySet, action: str
    ) -> TemplateResponse | None:
        """The action's page (a GET-like first visit from the list, or a post with errors),
        or, once its form is posted valid, the recordings moved and None (back to the list)."""
        recordings = list(
            self.links(queryset)
            .select_related("artist", "track__album", "song")
            .order_by("artist__name", "song__key", "track__name", "pk")
        )
        if not recordings:
            messages.warning(request, "None of the selected rows has a recording to move.")
            return None
        form = SongMoveForm(request.POST if "post" in request.POST else None)
        if form.is_valid():
            move_recordings(
                request,
                recordings,
                song_title=form.cleaned_data["song_title"],
                note=form.cleaned_data["note"],
            )
            return None
        artist_ids = {link.artist_id for link in recordings}
        opts = self.model._meta
        context = {
            **self.admin_site.each_context(request),
            "title": self.move_action_title,
            "opts": opts,
            "form": form,
            "recordings": [
                {"link": link, "key": override_key_text(**recording_key(link.track))}
                for link in recordings
            ],
            "artists": sorted({str(link.artist) for link in recordings}),
            "song_titles": sorted(
                set(Song.objects.filter(artist_id__in=artist_ids).values_list("title", flat=True))
            ),
            "selected": [str(pk) for pk in queryset.values_list("pk", flat=True)],
            "action": action,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "changelist_url": reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/catalog/move_to_song.html", context)


class SongOverrideForm(forms.ModelForm):
    """A song override's form: a blank title gets the model's one message ("Give the
    title of the song."), not the form's "This field is required." beside it."""

    class Meta:
        model = SongOverride
        fields = ("artist", "track_name", "spotify_id", "isrc", "song_title", "note")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if "song_title" in self.fields:
            self.fields["song_title"].required = False


# An override's inputs in an artist page's inline: narrow, so a row fits the page.
INLINE_INPUTS = {
    models.CharField: {"widget": forms.TextInput(attrs={"size": 16})},
    models.TextField: {"widget": forms.Textarea(attrs={"rows": 2, "cols": 24})},
}


class TrackOverrideInline(TimestampColumns, admin.TabularInline):
    """The artist's curator overrides: the one part of an artist staff edit."""

    model = TrackOverride
    formfield_overrides = INLINE_INPUTS
    fields = ("track_name", "spotify_id", "isrc", "decision", "note", "created_by", "updated_time")
    readonly_fields = ("created_by", "updated_time")
    extra = 0
    verbose_name_plural = "Curator track overrides (applied on every import)"

    def get_queryset(self, request: HttpRequest) -> QuerySet[TrackOverride]:
        return super().get_queryset(request).select_related("artist", "created_by")


class SongOverrideInline(TimestampColumns, admin.TabularInline):
    """The artist's song overrides: saving them regroups the artist's songs at once."""

    model = SongOverride
    form = SongOverrideForm
    formfield_overrides = INLINE_INPUTS
    fields = (
        "track_name",
        "spotify_id",
        "isrc",
        "song_title",
        "note",
        "created_by",
        "updated_time",
    )
    readonly_fields = ("created_by", "updated_time")
    extra = 0

    verbose_name_plural = "Curator song overrides (songs regrouped on save, and on every import)"

    def get_queryset(self, request: HttpRequest) -> QuerySet[SongOverride]:
        return super().get_queryset(request).select_related("artist", "created_by")


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
    except for the curators' track and song overrides at the bottom of the page. "View on
    site" is there for public artists only (the others have no public page)."""

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
    inlines = [TrackOverrideInline, SongOverrideInline]

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
        if formset.model is SongOverride and formset.has_changed():
            with regrouping_songs(request, [form.instance.pk]):
                self._save_overrides(request, formset)
        elif formset.model in (TrackOverride, SongOverride):
            self._save_overrides(request, formset)
        else:
            super().save_formset(request, form, formset, change)

    @staticmethod
    def _save_overrides(request: HttpRequest, formset) -> None:
        """Save a curator overrides inline: new ones say who made them; deleted ones go."""
        for override in formset.save(commit=False):
            if override.pk is None:
                override.created_by = request.user
            override.save()
        for deleted in formset.deleted_objects:
            deleted.delete()


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
            **recording_key(link.track),
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

    list_display = ("name", "version", "album", "isrc", "duration_ms", "popularity", "is_remix")
    list_filter = ("version", "is_remix", "album__album_type")
    search_fields = ("name", "isrc", "spotify_id", "album__name")
    list_select_related = ("album",)
    fields = (
        "name",
        "version",
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


def song_link(song: Song) -> str:
    url = reverse("admin:catalog_song_change", args=[song.pk])
    return format_html('<a href="{}">{}</a>', url, song.title)


@admin.register(ArtistTrack)
class ArtistTrackAdmin(TimestampColumns, CuratorActions, RecordingMoveActions, UpstreamOwnedAdmin):
    """Each artist's studio recordings, as imports linked them, in their songs: read
    only; curators move recordings to another song with the action (song overrides)."""

    list_display = ("artist", "track", "song_column", "version_column", "created_time")
    list_filter = ("track__version",)
    search_fields = ("artist__name", "track__name", "track__isrc", "song__title")
    list_select_related = ("artist", "track", "song")
    fields = ("artist", "track", "song_column", "version_column", "created_time", "updated_time")
    readonly_fields = fields
    actions = ["always_drop", "always_keep", "move_to_song"]

    @admin.display(description="song", ordering="song__key")
    def song_column(self, link: ArtistTrack) -> str:
        return song_link(link.song)

    @admin.display(description="version", ordering="track__version")
    def version_column(self, link: ArtistTrack) -> str:
        return link.track.get_version_display()

    def links(self, queryset: QuerySet[ArtistTrack]) -> QuerySet[ArtistTrack]:
        return queryset

    @admin.action(description="Move to another song…", permissions=["move_recordings"])
    def move_to_song(self, request: HttpRequest, queryset: QuerySet[ArtistTrack]):
        return self.move_recordings_page(request, queryset, "move_to_song")


class VersionsFilter(admin.SimpleListFilter):
    """Songs with one recording, or with several (the ones worth a curator's look)."""

    title = "versions"
    parameter_name = "versions"

    def lookups(self, request, model_admin):
        return [("one", "One recording"), ("several", "Several recordings")]

    def queryset(self, request, queryset):
        if self.value() == "one":
            return queryset.filter(recordings_count=1)
        if self.value() == "several":
            return queryset.filter(recordings_count__gt=1)
        return queryset


class SongRecordingInline(admin.TabularInline):
    """A song's recordings, the main one first, read only; each says whether a curator
    placed it (its song override) or offers to move it (a new one)."""

    model = ArtistTrack
    fk_name = "song"
    verbose_name = "recording"
    verbose_name_plural = "Recordings (the main one first)"
    fields = (
        "main_column",
        "track_column",
        "version_column",
        "album_column",
        "release_date_column",
        "isrc_column",
        "spotify_id_column",
        "length_column",
        "curator_column",
    )
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_formset(self, request, obj=None, **kwargs):
        # What the curator column needs, once per page: the permission, the overrides.
        self.may_move = can_move_recordings(request)
        self.song_overrides = (
            {
                override.key: override
                for override in SongOverride.objects.filter(artist_id=obj.artist_id)
            }
            if obj is not None
            else {}
        )
        # The order the site and the API list them in (main first, then as it is chosen).
        self.recording_order = (
            [track.pk for track in song_recordings(song_ids=[obj.pk])[obj.pk]]
            if obj is not None
            else []
        )
        return super().get_formset(request, obj, **kwargs)

    def get_queryset(self, request: HttpRequest) -> QuerySet[ArtistTrack]:
        main_first = Case(When(track_id=F("song__main_track_id"), then=Value(0)), default=Value(1))
        order = getattr(self, "recording_order", [])
        position = Case(
            *(When(track_id=pk, then=Value(n)) for n, pk in enumerate(order)),
            default=Value(len(order)),
        )
        return (
            super()
            .get_queryset(request)
            .select_related("artist", "song", "track__album")
            .annotate(main_rank=main_first, position=position)
            .order_by("position", "main_rank", "track__name", "pk")
        )

    @admin.display(description="main")
    def main_column(self, link: ArtistTrack) -> str:
        return format_html("<strong>{}</strong>", "main") if link.main_rank == 0 else ""

    @admin.display(description="recording")
    def track_column(self, link: ArtistTrack) -> str:
        url = reverse("admin:catalog_track_change", args=[link.track_id])
        return format_html('<a href="{}">{}</a>', url, link.track.name)

    @admin.display(description="version")
    def version_column(self, link: ArtistTrack) -> str:
        return link.track.get_version_display()

    @admin.display(description="album")
    def album_column(self, link: ArtistTrack) -> str:
        album = link.track.album
        return f"{album.name} ({album.get_album_type_display().lower()})"

    @admin.display(description="released")
    def release_date_column(self, link: ArtistTrack) -> str:
        return link.track.album.release_date or "—"

    @admin.display(description="ISRC")
    def isrc_column(self, link: ArtistTrack) -> str:
        return link.track.isrc or "—"

    @admin.display(description="Spotify id")
    def spotify_id_column(self, link: ArtistTrack) -> str:
        return link.track.spotify_id

    @admin.display(description="length")
    def length_column(self, link: ArtistTrack) -> str:
        return format_duration(link.track.duration_ms)

    @admin.display(description="curator")
    def curator_column(self, link: ArtistTrack) -> str:
        """The song override placing this recording (its release's outranks its ISRC's),
        linked; else, for staff who may, a link to move it (a new override, filled in)."""
        overrides = getattr(self, "song_overrides", {})
        override = overrides.get(link.track.spotify_id) or (
            overrides.get(link.track.isrc) if link.track.isrc else None
        )
        if override is not None:
            url = reverse("admin:catalog_songoverride_change", args=[override.pk])
            return format_html(
                'placed by <a href="{}">{}</a>',
                url,
                override_key_text(override.spotify_id, override.isrc),
            )
        if not getattr(self, "may_move", False):
            return "—"
        query = {
            "artist": link.artist_id,
            **recording_key(link.track),
            "track_name": link.track.name,
        }
        url = (
            reverse("admin:catalog_songoverride_add")
            + "?"
            + urlencode({name: value for name, value in query.items() if value})
        )
        return format_html('<a href="{}">move…</a>', url)


@admin.register(Song)
class SongAdmin(TimestampColumns, RecordingMoveActions, UpstreamOwnedAdmin):
    """An artist's songs as imports grouped its recordings (`catalog.rules.group_songs`,
    with the curators' song overrides): read only. Curators move recordings with song
    overrides; the action here moves every recording of the selected songs (a merge)."""

    list_display = (
        "title",
        "artist_column",
        "recordings_count",
        "main_album",
        "main_length",
    )
    list_filter = (VersionsFilter,)
    search_fields = ("title", "artist__name")
    list_select_related = ("artist", "main_track__album")
    ordering = ("artist__name", "key")
    fields = (
        "title",
        "artist_links",
        "recordings_count",
        "main_recording",
        "created_time",
        "updated_time",
    )
    readonly_fields = fields
    inlines = [SongRecordingInline]
    actions = ["move_songs"]
    move_action_title = "Move every recording of these songs to another song"

    @admin.display(description="artist", ordering="artist__name")
    def artist_column(self, song: Song) -> str:
        """The artist, linked to its songs in this list."""
        url = reverse("admin:catalog_song_changelist") + f"?artist__id__exact={song.artist_id}"
        return format_html('<a href="{}">{}</a>', url, artist_name_html(song.artist))

    @admin.display(description="artist")
    def artist_links(self, song: Song) -> str:
        """The artist linked to its admin page and, once fans may see it, its public page."""
        artist = song.artist
        return format_html(
            '<a href="{}">{}</a>{}',
            reverse("admin:catalog_artist_change", args=[artist.pk]),
            artist_name_html(artist),
            format_html(' · <a href="{}">public page</a>', artist.get_absolute_url())
            if artist.is_public
            else "",
        )

    @admin.display(description="main recording's album", ordering="main_track__album__name")
    def main_album(self, song: Song) -> str | None:
        return song.main_track.album.name if song.main_track else None

    @admin.display(description="length", ordering="main_track__duration_ms")
    def main_length(self, song: Song) -> str | None:
        return format_duration(song.main_track.duration_ms) if song.main_track else None

    @admin.display(description="main recording")
    def main_recording(self, song: Song) -> str:
        track = song.main_track
        if track is None:
            return self.get_empty_value_display()
        url = reverse("admin:catalog_track_change", args=[track.pk])
        return format_html(
            '<a href="{}">{}</a> ({}, {})',
            url,
            track.name,
            track.get_version_display().lower(),
            track.album.name,
        )

    def view_on_site(self, song: Song) -> str | None:
        # The song is on its artist's public page, when there is one.
        return song.artist.get_absolute_url() if song.artist.is_public else None

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "recordings_url": reverse("admin:catalog_artisttrack_changelist")
            + f"?song__id__exact={object_id}",
            "may_move": can_move_recordings(request),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def links(self, queryset: QuerySet[Song]) -> QuerySet[ArtistTrack]:
        return ArtistTrack.objects.filter(song__in=queryset)

    @admin.action(
        description="Move their recordings to another song (merge)…",
        permissions=["move_recordings"],
    )
    def move_songs(self, request: HttpRequest, queryset: QuerySet[Song]):
        return self.move_recordings_page(request, queryset, "move_songs")


class CuratorOverrideAdmin(TimestampColumns, admin.ModelAdmin):
    """What the admins of curators' overrides share: who created one is recorded on
    add and shown, with its times, once it exists."""

    list_select_related = ("artist", "created_by")
    autocomplete_fields = ("artist",)
    readonly_fields = ("created_by", "created_time", "updated_time")

    def get_fields(self, request, obj=None):
        if obj is None:
            return self.fields
        return (*self.fields, "created_by", "created_time", "updated_time")

    def save_model(self, request, obj, form, change) -> None:
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(TrackOverride)
class TrackOverrideAdmin(CuratorOverrideAdmin):
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
    fields = ("artist", "track_name", "spotify_id", "isrc", "decision", "note")

    @admin.display(description="Track", ordering="spotify_id")
    def key(self, obj: TrackOverride) -> str:
        return override_key_text(obj.spotify_id, obj.isrc)


@admin.register(SongOverride)
class SongOverrideAdmin(CuratorOverrideAdmin):
    """Curators' standing decisions on which song a recording is of: every later import
    applies them, and saving or deleting one here regroups the artist's songs at once."""

    form = SongOverrideForm
    list_display = (
        "track_name",
        "song_title",
        "artist",
        "key",
        "note",
        "created_by",
        "updated_time",
    )
    list_filter = ("created_at", "updated_at")
    search_fields = (
        "track_name",
        "song_title",
        "spotify_id",
        "isrc",
        "note",
        "artist__name",
        "artist__tm_attraction_id",
    )
    fields = ("artist", "track_name", "spotify_id", "isrc", "song_title", "note")

    @admin.display(description="Recording", ordering="spotify_id")
    def key(self, obj: SongOverride) -> str:
        return override_key_text(obj.spotify_id, obj.isrc)

    def save_model(self, request, obj, form, change) -> None:
        # A change may move the override to another artist: both artists regroup.
        artist_ids = {obj.artist_id}
        if change:
            artist_ids.update(
                SongOverride.objects.filter(pk=obj.pk).values_list("artist_id", flat=True)
            )
        with regrouping_songs(request, artist_ids):
            super().save_model(request, obj, form, change)

    def delete_model(self, request, obj) -> None:
        with regrouping_songs(request, [obj.artist_id]):
            super().delete_model(request, obj)

    def delete_queryset(self, request, queryset) -> None:
        artist_ids = set(queryset.values_list("artist_id", flat=True))
        with regrouping_songs(request, artist_ids):
            super().delete_queryset(request, queryset)
