"""Artists and their studio catalog (Spotify albums and tracks)."""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse

from catalog.rules import ISRC, SONG_KEY_MAX_LENGTH, CuratorDecision, VersionKind, normalise_isrc
from integrations.ticketmaster.records import TM_ID_MAX_LENGTH
from theset.models import TimestampedModel

VERSION_KIND_CHOICES = [
    (VersionKind.ORIGINAL.value, "Original"),
    (VersionKind.REMASTER.value, "Remaster"),
    (VersionKind.DEMO.value, "Demo"),
    (VersionKind.ALTERNATE.value, "Alternate"),  # early or alternate version, take N
    (VersionKind.EDIT.value, "Edit"),  # single, album or radio version or edit
    (VersionKind.MONO.value, "Mono"),
    (VersionKind.STEREO.value, "Stereo"),
    (VersionKind.BONUS.value, "Bonus track"),
    (VersionKind.RERECORDED.value, "Re-recorded"),
    (VersionKind.ACOUSTIC.value, "Acoustic"),
    (VersionKind.INSTRUMENTAL.value, "Instrumental"),
    (VersionKind.REMIX.value, "Remix"),
    (VersionKind.LIVE.value, "Live"),
]
TRACK_DECISION_CHOICES = [
    (CuratorDecision.ALWAYS_KEEP.value, "Always keep"),
    (CuratorDecision.ALWAYS_DROP.value, "Always drop"),
]


class SpotifyMatch(models.TextChoices):
    """How the artist's Spotify id was found."""

    UNRESOLVED = "", "Not resolved yet"
    EXTERNAL_LINK = "external_link", "Ticketmaster external link"
    NAME_SEARCH = "name_search", "Spotify search, exact name"
    NOT_FOUND = "not_found", "No Spotify artist"


# What a Ticketmaster attraction id may be: 1 to 64 letters, digits, '-' or '_', at
# least one letter or digit ("--" or "_" alone is a paste accident, not an id).
# (No lookahead: the API's schema carries this pattern to pydantic's Rust regex.)
TM_ATTRACTION_ID = re.compile(r"^[A-Za-z0-9_-]*[A-Za-z0-9][A-Za-z0-9_-]*$")
TM_ATTRACTION_ID_MAX_LENGTH = TM_ID_MAX_LENGTH


# Artists an import has stored the shows or catalog of (`Artist.is_imported`, as a filter).
ARTIST_IMPORTED = Q(shows_synced_at__isnull=False) | Q(catalog_synced_at__isnull=False)


class ArtistQuerySet(models.QuerySet):
    def public(self) -> ArtistQuerySet:
        """Artists fans may see: named by an identity phase. An id Ticketmaster does not
        know, or an import that has not named its artist yet, stays visible to staff only."""
        return self.filter(identity_synced_at__isnull=False).exclude(name="")


class Artist(TimestampedModel):
    tm_attraction_id = models.CharField(
        "Ticketmaster attraction id", max_length=TM_ATTRACTION_ID_MAX_LENGTH
    )
    # NULL, not "", for "unknown": many artists may lack one under the unique constraint.
    spotify_id = models.CharField("Spotify id", max_length=32, null=True, blank=True)  # noqa: DJ001
    spotify_match = models.CharField(
        max_length=16, choices=SpotifyMatch.choices, default=SpotifyMatch.UNRESOLVED, blank=True
    )
    slug = models.SlugField(max_length=120)
    name = models.CharField(max_length=300, blank=True)
    image_url = models.URLField(max_length=1000, blank=True)
    genres = models.JSONField(default=list, blank=True)
    shows_synced_at = models.DateTimeField(null=True, blank=True)
    catalog_synced_at = models.DateTimeField(null=True, blank=True)
    # When identity (name, images, genres, Spotify id) was last fetched: re-syncs fetch
    # it again only once it is older than RESYNC_IDENTITY_AFTER.
    identity_synced_at = models.DateTimeField(null=True, blank=True)
    # `rules.listing_digest` of what the last catalog decision was made from: a re-sync
    # finding the same listing keeps the catalog as it is.
    catalog_digest = models.CharField(max_length=64, blank=True, default="", db_default="")

    objects = ArtistQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["tm_attraction_id"], name="artist_unique_tm_attraction_id"
            ),
            models.UniqueConstraint(fields=["spotify_id"], name="artist_unique_spotify_id"),
            models.UniqueConstraint(fields=["slug"], name="artist_unique_slug"),
        ]
        indexes = [
            # The index lists artists by name and the recently imported first; name search
            # uses a trigram index on PostgreSQL (migration 0005).
            models.Index(fields=["name"], name="artist_name"),
            models.Index(fields=["-identity_synced_at", "-id"], name="artist_identity_synced_at"),
        ]

    def __str__(self) -> str:
        return self.name or self.tm_attraction_id

    def get_absolute_url(self) -> str:
        return reverse("artist-page", kwargs={"slug": self.slug})

    @property
    def is_public(self) -> bool:
        """Whether fans may see the artist's page (see `ArtistQuerySet.public`)."""
        return self.identity_synced_at is not None and bool(self.name)

    @property
    def is_imported(self) -> bool:
        """Whether an import has stored its shows or catalog: it has a page worth a link.
        Acts only seen on other artists' bills have a row but were never imported."""
        return self.shows_synced_at is not None or self.catalog_synced_at is not None


class AlbumType(models.TextChoices):
    ALBUM = "album", "Album"
    SINGLE = "single", "Single"
    COMPILATION = "compilation", "Compilation"


class Album(TimestampedModel):
    spotify_id = models.CharField("Spotify id", max_length=32)
    name = models.CharField(max_length=500)
    album_type = models.CharField(max_length=16, choices=AlbumType.choices)
    # Spotify sends YYYY, YYYY-MM or YYYY-MM-DD; kept as sent, with its precision.
    release_date = models.CharField(max_length=10, blank=True)
    release_date_precision = models.CharField(max_length=5, blank=True)
    total_tracks = models.PositiveIntegerField(default=0)
    image_url = models.URLField(max_length=1000, blank=True)

    class Meta:
        ordering = ["-release_date", "name"]
        constraints = [
            models.UniqueConstraint(fields=["spotify_id"], name="album_unique_spotify_id"),
        ]

    def __str__(self) -> str:
        return self.name


class Track(TimestampedModel):
    """A studio track; live material is never stored."""

    spotify_id = models.CharField("Spotify id", max_length=32)
    isrc = models.CharField("ISRC", max_length=15, blank=True, db_index=True)
    name = models.CharField(max_length=500)
    album = models.ForeignKey(Album, on_delete=models.PROTECT, related_name="tracks")
    duration_ms = models.PositiveIntegerField()
    popularity = models.PositiveSmallIntegerField(null=True, blank=True)
    disc_number = models.PositiveSmallIntegerField(default=1)
    track_number = models.PositiveSmallIntegerField(default=1)
    is_remix = models.BooleanField(default=False)
    # What this recording is of its song, from the markers in its name
    # (`catalog.rules.song_title`).
    version = models.CharField(
        "version", max_length=16, choices=VERSION_KIND_CHOICES, default=VersionKind.ORIGINAL.value
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["spotify_id"], name="track_unique_spotify_id"),
        ]

    def __str__(self) -> str:
        return self.name


class Song(TimestampedModel):
    """One of an artist's songs: the recordings (`ArtistTrack`) of one title, whatever
    their versions (demo, remaster, remix...). Keyed per artist by the normalised title
    (`catalog.rules.song_key`); written by `catalog.services` from `rules.group_songs`."""

    artist = models.ForeignKey(Artist, on_delete=models.CASCADE, related_name="songs")
    key = models.CharField(max_length=SONG_KEY_MAX_LENGTH)
    title = models.CharField(max_length=500)
    # The original studio version (`rules.main_recording_key`); null only while a
    # track it named is gone and the song is about to be rewritten.
    main_track = models.ForeignKey(
        "Track", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    recordings_count = models.PositiveIntegerField("versions", default=0)

    class Meta:
        ordering = ["key"]
        constraints = [
            models.UniqueConstraint(fields=["artist", "key"], name="song_unique_artist_key"),
        ]

    def __str__(self) -> str:
        return self.title


class ArtistTrack(TimestampedModel):
    """An artist's studio recording; one row per (artist, track), in one of its songs."""

    artist = models.ForeignKey(Artist, on_delete=models.CASCADE, related_name="artist_tracks")
    track = models.ForeignKey(Track, on_delete=models.CASCADE, related_name="artist_tracks")
    # RESTRICT: a song with recordings cannot be deleted on its own, only with its artist.
    song = models.ForeignKey(Song, on_delete=models.RESTRICT, related_name="recordings")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["artist", "track"], name="artist_track_unique_pair"),
        ]

    def __str__(self) -> str:
        return f"{self.artist}: {self.track}"


class SpotifyRelease(TimestampedModel):
    """An album or single as Spotify gave it, with each track's raw inputs to the
    studio-only rules: shared by every artist listing it, so a catalog re-sync fetches
    only new or changed releases and decides the whole catalog again from these rows.

    `tracks` holds one object per track, in Spotify's order: `spotify_id`, `name`,
    `duration_ms`, `disc_number`, `track_number`; `details` (whether ISRC and
    popularity were fetched) with `isrc` and `popularity`; `audio_features`
    (`measured`, `refused`, or null when never asked) with `liveness`. Written and read
    through `catalog.services.releases_upsert` and `catalog.selectors.releases_get`.
    """

    spotify_id = models.CharField("Spotify id", max_length=32)
    name = models.CharField(max_length=500)
    album_type = models.CharField(max_length=16, choices=AlbumType.choices)
    release_date = models.CharField(max_length=10, blank=True)
    release_date_precision = models.CharField(max_length=5, blank=True)
    total_tracks = models.PositiveIntegerField(default=0)
    image_url = models.URLField(max_length=1000, blank=True)
    tracks = models.JSONField(default=list, blank=True)
    # When this row last took anything fetched from Spotify (album or track details).
    fetched_at = models.DateTimeField()

    class Meta:
        ordering = ["-release_date", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["spotify_id"], name="spotify_release_unique_spotify_id"
            ),
        ]

    def __str__(self) -> str:
        return self.name


SPOTIFY_TRACK_ID = re.compile(r"^[0-9A-Za-z]{22}$")


def _clean_recording_key(override: TrackOverride | SongOverride) -> None:
    """Normalise a curator override's key, exactly one of a Spotify track id (that
    release) or an ISRC (the recording); raise ValidationError naming what is wrong."""
    override.spotify_id = override.spotify_id.strip()
    override.isrc = normalise_isrc(override.isrc)
    errors: dict[str, str] = {}
    if bool(override.spotify_id) == bool(override.isrc):
        errors["__all__"] = (
            "Give either a Spotify track id (this release) or an ISRC (the recording), not both."
            if override.spotify_id
            else "Give a Spotify track id or an ISRC."
        )
    if override.spotify_id and not SPOTIFY_TRACK_ID.fullmatch(override.spotify_id):
        errors["spotify_id"] = "A Spotify track id is 22 letters and digits."
    if override.isrc and not ISRC.fullmatch(override.isrc):
        errors["isrc"] = "An ISRC is 12 characters, e.g. USRC17607839."
    if errors:
        raise ValidationError(errors)


def _override_set(
    overrides: models.QuerySet,
    override: TrackOverride | SongOverride,
    updates: dict[str, Any],
    *,
    track_name: str,
    note: str,
    created_by: Any,
) -> tuple[Any, bool]:
    """Upsert a curator override on its key (validated by its `clean`, which normalises
    it): an override for the same key gets `updates` (and the name and note, when given);
    who first created it is kept. Returns (row, created)."""
    override.clean()  # raises ValidationError for a malformed key
    key = {"spotify_id": override.spotify_id} if override.spotify_id else {"isrc": override.isrc}
    updates = dict(updates)
    if track_name:
        updates["track_name"] = track_name[:500]
    if note:
        updates["note"] = note
    return overrides.update_or_create(
        artist_id=override.artist_id,
        **key,
        defaults=updates,
        create_defaults=updates | {"created_by": created_by},
    )


def _one_recording_key(model: str) -> list[models.BaseConstraint]:
    """The constraints of a curator override keyed by a track id or an ISRC, per artist."""
    return [
        models.UniqueConstraint(
            fields=["artist", "spotify_id"],
            condition=~Q(spotify_id=""),
            name=f"{model}_unique_spotify_id",
            violation_error_message="This artist already has an override for this track.",
        ),
        models.UniqueConstraint(
            fields=["artist", "isrc"],
            condition=~Q(isrc=""),
            name=f"{model}_unique_isrc",
            violation_error_message="This artist already has an override for this ISRC.",
        ),
        models.CheckConstraint(
            condition=(Q(spotify_id="") & ~Q(isrc="")) | (~Q(spotify_id="") & Q(isrc="")),
            name=f"{model}_one_key",
            violation_error_message="Give either a Spotify track id or an ISRC.",
        ),
    ]


class TrackOverrideQuerySet(models.QuerySet):
    def decisions_for(self, artist_id: int) -> dict[str, CuratorDecision]:
        """The artist's curator decisions keyed by Spotify track id or ISRC, as
        `catalog.rules.decide_studio_tracks` takes them."""
        rows = self.filter(artist_id=artist_id).values_list("spotify_id", "isrc", "decision")
        return {
            spotify_id or isrc: CuratorDecision(decision) for spotify_id, isrc, decision in rows
        }

    def decide(
        self,
        *,
        artist_id: int,
        decision: CuratorDecision,
        spotify_id: str = "",
        isrc: str = "",
        track_name: str = "",
        note: str = "",
        created_by: Any = None,
    ) -> tuple[TrackOverride, bool]:
        """Set the curator decision on one track or recording of an artist; (row, created).

        An existing override for the same key gets the new decision (and the
        name and note, when given); who first created it is kept.
        """
        override = TrackOverride(artist_id=artist_id, spotify_id=spotify_id, isrc=isrc)
        return _override_set(
            self,
            override,
            {"decision": CuratorDecision(decision).value},
            track_name=track_name,
            note=note,
            created_by=created_by,
        )


class TrackOverride(TimestampedModel):
    """A curator's standing decision on one of an artist's tracks; every later import
    of the artist applies it (see `catalog.rules.decide_studio_tracks`).

    Keyed by exactly one of: a Spotify track id (that release of the song) or an
    ISRC (the recording, on every release that carries it).
    """

    artist = models.ForeignKey(Artist, on_delete=models.CASCADE, related_name="track_overrides")
    spotify_id = models.CharField(
        "Spotify track id",
        max_length=32,
        blank=True,
        help_text="This release of the song only.",
    )
    isrc = models.CharField(
        "ISRC",
        max_length=15,
        blank=True,
        help_text="The recording, on every release that carries it (always keep then keeps "
        "each of them).",
    )
    decision = models.CharField(max_length=16, choices=TRACK_DECISION_CHOICES)
    # Tracks are named here because a dropped track is never stored as a Track row.
    track_name = models.CharField(max_length=500, blank=True)
    note = models.TextField(blank=True, help_text="Why, for the next curator.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )

    objects = TrackOverrideQuerySet.as_manager()

    class Meta:
        ordering = ["artist", "track_name", "spotify_id", "isrc"]
        constraints = [
            *_one_recording_key("track_override"),
            models.CheckConstraint(
                condition=Q(decision__in=[value for value, _ in TRACK_DECISION_CHOICES]),
                name="track_override_decision_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_decision_display()}: {self.track_name or self.key} ({self.artist})"

    @property
    def key(self) -> str:
        return self.spotify_id or self.isrc

    def clean(self) -> None:
        _clean_recording_key(self)


class SongOverrideQuerySet(models.QuerySet):
    def assignments_for(self, artist_id: int) -> dict[str, str]:
        """The artist's curator song assignments keyed by Spotify track id or ISRC, as
        `catalog.rules.group_songs` takes them."""
        rows = self.filter(artist_id=artist_id).values_list("spotify_id", "isrc", "song_title")
        return {spotify_id or isrc: title for spotify_id, isrc, title in rows}

    def assign(
        self,
        *,
        artist_id: int,
        song_title: str,
        spotify_id: str = "",
        isrc: str = "",
        track_name: str = "",
        note: str = "",
        created_by: Any = None,
    ) -> SongOverride:
        """Put one recording (by Spotify track id or ISRC) of an artist in the song titled
        `song_title` from now on; an override for the same key gets the new title (and
        the name and note, when given), its creator stays. Raises ValidationError for a
        blank title or a malformed key. The caller regroups the artist's songs
        (`catalog.services.songs_regroup`)."""
        override = SongOverride(
            artist_id=artist_id, spotify_id=spotify_id, isrc=isrc, song_title=song_title
        )
        assigned, _ = _override_set(
            self,
            override,
            {"song_title": " ".join(song_title.split())[:500]},
            track_name=track_name,
            note=note,
            created_by=created_by,
        )
        return assigned


class SongOverride(TimestampedModel):
    """A curator's standing decision on which song one of an artist's recordings is of:
    it moves the recording to the song titled `song_title`, or splits it off into a new
    song of that title. Every later import of the artist applies it
    (`catalog.rules.group_songs`); keyed like `TrackOverride`."""

    artist = models.ForeignKey(Artist, on_delete=models.CASCADE, related_name="song_overrides")
    spotify_id = models.CharField(
        "Spotify track id", max_length=32, blank=True, help_text="This release only."
    )
    isrc = models.CharField(
        "ISRC",
        max_length=15,
        blank=True,
        help_text="The recording, on every release that carries it.",
    )
    song_title = models.CharField(
        "song",
        max_length=500,
        help_text="The title of the song the recording is of: an existing song's title "
        "moves it there, a new title splits it off into a song of its own.",
    )
    # The recording's name when decided, for curators reading the list.
    track_name = models.CharField(max_length=500, blank=True)
    note = models.TextField(blank=True, help_text="Why, for the next curator.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )

    objects = SongOverrideQuerySet.as_manager()

    class Meta:
        ordering = ["artist", "song_title", "spotify_id", "isrc"]
        constraints = [
            *_one_recording_key("song_override"),
            models.CheckConstraint(
                condition=~Q(song_title=""), name="song_override_song_title_given"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.track_name or self.key} → {self.song_title} ({self.artist})"

    @property
    def key(self) -> str:
        return self.spotify_id or self.isrc

    def clean(self) -> None:
        self.song_title = " ".join(self.song_title.split())
        if not self.song_title:
            raise ValidationError({"song_title": "Give the title of the song."})
        _clean_recording_key(self)
