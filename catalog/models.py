"""Artists and their studio catalog (Spotify albums and tracks)."""

from django.db import models

from theset.models import TimestampedModel


class SpotifyMatch(models.TextChoices):
    """How the artist's Spotify id was found."""

    UNRESOLVED = "", "Not resolved yet"
    EXTERNAL_LINK = "external_link", "Ticketmaster external link"
    NAME_SEARCH = "name_search", "Spotify search, exact name"
    NOT_FOUND = "not_found", "No Spotify artist"


class Artist(TimestampedModel):
    tm_attraction_id = models.CharField("Ticketmaster attraction id", max_length=64)
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

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["tm_attraction_id"], name="artist_unique_tm_attraction_id"
            ),
            models.UniqueConstraint(fields=["spotify_id"], name="artist_unique_spotify_id"),
            models.UniqueConstraint(fields=["slug"], name="artist_unique_slug"),
        ]

    def __str__(self) -> str:
        return self.name or self.tm_attraction_id


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

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["spotify_id"], name="track_unique_spotify_id"),
        ]

    def __str__(self) -> str:
        return self.name


class ArtistTrack(TimestampedModel):
    """An artist's studio song; one row per (artist, track)."""

    artist = models.ForeignKey(Artist, on_delete=models.CASCADE, related_name="artist_tracks")
    track = models.ForeignKey(Track, on_delete=models.CASCADE, related_name="artist_tracks")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["artist", "track"], name="artist_track_unique_pair"),
        ]

    def __str__(self) -> str:
        return f"{self.artist}: {self.track}"
