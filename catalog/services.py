"""Writes for artists and their studio catalog: bulk upserts on the natural keys."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from catalog.models import (
    Album,
    Artist,
    ArtistTrack,
    Song,
    SongOverride,
    SpotifyMatch,
    SpotifyRelease,
    Track,
)
from catalog.rules import AudioFeatures, Recording, SongGroup, group_songs
from integrations.spotify.records import SpotifyAlbumSummary
from theset.bulk import bulk_upsert, row_of
from theset.models import in_key_order

BATCH_SIZE = 500
ALBUM_UPDATE_FIELDS = [
    "name",
    "album_type",
    "release_date",
    "release_date_precision",
    "total_tracks",
    "image_url",
    "updated_at",
]
TRACK_UPDATE_FIELDS = [
    "isrc",
    "name",
    "album",
    "duration_ms",
    "popularity",
    "disc_number",
    "track_number",
    "is_remix",
    "version",
    "updated_at",
]
SONG_UPDATE_FIELDS = ["title", "main_track", "recordings_count", "updated_at"]
# The rows bulk_upsert writes: the key and what an upsert updates (updated_at: now).
ALBUM_FIELDS = ["spotify_id", *(name for name in ALBUM_UPDATE_FIELDS if name != "updated_at")]
TRACK_FIELDS = ["spotify_id", *(name for name in TRACK_UPDATE_FIELDS if name != "updated_at")]
SONG_FIELDS = ["key", *(name for name in SONG_UPDATE_FIELDS if name != "updated_at")]


def _album_columns(album: SpotifyAlbumSummary | Release) -> dict[str, Any]:
    """An album's own columns (`ALBUM_FIELDS`), as its album row and its release row
    both store them."""
    return {name: getattr(album, name) for name in ALBUM_FIELDS}


RELEASE_UPDATE_FIELDS = [
    "name",
    "album_type",
    "release_date",
    "release_date_precision",
    "total_tracks",
    "image_url",
    "tracks",
    "fetched_at",
    "updated_at",
]


@dataclass(frozen=True, slots=True)
class ReleaseTrack:
    """One track of a stored release: as the album lists it, plus what was fetched
    about it (details: ISRC and popularity; audio features: liveness), if anything."""

    spotify_id: str
    name: str
    duration_ms: int
    disc_number: int
    track_number: int
    details: bool = False
    isrc: str | None = None
    popularity: int | None = None
    audio_features: AudioFeatures | None = None
    liveness: float | None = None

    def as_json(self) -> dict[str, Any]:
        # Field by field: dataclasses.asdict deep-copies, a cost over thousands of tracks.
        return {
            "spotify_id": self.spotify_id,
            "name": self.name,
            "duration_ms": self.duration_ms,
            "disc_number": self.disc_number,
            "track_number": self.track_number,
            "details": self.details,
            "isrc": self.isrc,
            "popularity": self.popularity,
            "audio_features": self.audio_features.value if self.audio_features else None,
            "liveness": self.liveness,
        }

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> ReleaseTrack:
        features = value.get("audio_features")
        return cls(**(value | {"audio_features": AudioFeatures(features) if features else None}))


@dataclass(frozen=True, slots=True)
class Release:
    """A release (album or single) as stored in `SpotifyRelease`: its summary fields and
    its tracks in Spotify's order."""

    spotify_id: str
    name: str
    album_type: str
    release_date: str
    release_date_precision: str
    total_tracks: int
    image_url: str
    tracks: tuple[ReleaseTrack, ...]

    @property
    def summary(self) -> SpotifyAlbumSummary:
        return SpotifyAlbumSummary(
            spotify_id=self.spotify_id,
            name=self.name,
            album_type=self.album_type,
            album_group=self.album_type,
            release_date=self.release_date,
            release_date_precision=self.release_date_precision,
            total_tracks=self.total_tracks,
            image_url=self.image_url,
        )


@dataclass(frozen=True, slots=True)
class StudioTrack:
    """A track the studio-only rules kept, with everything we store about it."""

    spotify_id: str
    name: str
    isrc: str | None
    album_spotify_id: str
    duration_ms: int
    popularity: int | None
    disc_number: int
    track_number: int
    is_remix: bool


@dataclass(frozen=True, slots=True)
class CatalogWritten:
    albums: int
    tracks: int
    links_added: int
    links_removed: int
    songs: int = 0


def _by_spotify_id(item) -> str:
    return item.spotify_id


# Words other apps route next to artists' ids and slugs ("/api/artists/<word>"), given by
# their AppConfig.ready(): an artist whose slug is one of them could not be reached.
_route_words: set[str] = set()


def artist_slugs_reserve(*, words: Iterable[str]) -> None:
    """Keep new artist slugs off `words`: such an artist gets the suffixed slug instead."""
    _route_words.update(words)


def artist_shell_slug(tm_attraction_id: str) -> str:
    """The slug of an artist whose name is not known yet (ids differ by case, slugs can't)."""
    digest = hashlib.sha256(tm_attraction_id.encode()).hexdigest()[:6]
    return f"tm-{slugify(tm_attraction_id)[:90].lower()}-{digest}"


def artist_shell_upsert(*, tm_attraction_id: str) -> Artist:
    """The artist row for an attraction id, created empty if new (one query either way)."""
    Artist.objects.bulk_create(
        [Artist(tm_attraction_id=tm_attraction_id, slug=artist_shell_slug(tm_attraction_id))],
        ignore_conflicts=True,
    )
    return Artist.objects.get(tm_attraction_id=tm_attraction_id)


def artists_billed_upsert(*, acts: Iterable[tuple[str, str]]) -> dict[str, int]:
    """Artist rows for the acts on shows' bills, given as (attraction id, name); return
    {attraction id: primary key} for all of them.

    An act never seen before gets a row with its id, its name and the shell slug; it is
    not queued (staff import it when they want its page). A known act's row is left as
    it is (identity names it), except that one still without a name takes the bill's.
    One insert in key order (the deadlock rule) that locks no existing row; naming, when
    there is any, locks the nameless rows in key order too.
    """
    names: dict[str, str] = {}
    for tm_attraction_id, name in acts:
        names[tm_attraction_id] = names.get(tm_attraction_id) or name
    if not names:
        return {}
    known = set(
        Artist.objects.filter(tm_attraction_id__in=list(names)).values_list(
            "tm_attraction_id", flat=True
        )
    )
    Artist.objects.bulk_create(
        [
            Artist(tm_attraction_id=tm_id, name=names[tm_id], slug=artist_shell_slug(tm_id))
            for tm_id in sorted(names)
            if tm_id not in known
        ],
        batch_size=BATCH_SIZE,
        ignore_conflicts=True,
    )
    rows = Artist.objects.filter(tm_attraction_id__in=list(names)).values_list(
        "tm_attraction_id", "pk", "name"
    )
    ids = {}
    to_name = []
    for tm_id, pk, name in rows:
        ids[tm_id] = pk
        if not name and names[tm_id]:
            to_name.append(tm_id)
    if to_name:
        nameless = (
            # NO KEY: new bill rows take KEY SHARE locks on their artists as they go.
            Artist.objects.select_for_update(no_key=True)
            .filter(tm_attraction_id__in=to_name, name="")
            .order_by(in_key_order("tm_attraction_id"))
            .values_list("pk", "tm_attraction_id")
        )
        for pk, tm_id in list(nameless):
            Artist.objects.filter(pk=pk).update(name=names[tm_id])
    return ids


def artist_identity_update(
    *,
    artist_id: int,
    name: str,
    image_url: str,
    genres: Sequence[str],
    spotify_id: str | None,
    spotify_match: SpotifyMatch,
) -> Artist:
    """Store what identity found. The slug is set once, from the name, and then never
    changes (pages and API clients link to it); a clash gets the attraction id appended.
    """
    artist = Artist.objects.get(pk=artist_id)
    artist.name = name
    artist.image_url = image_url
    artist.genres = list(genres)
    artist.spotify_match = spotify_match
    if spotify_id and Artist.objects.filter(spotify_id=spotify_id).exclude(pk=artist_id).exists():
        # Two attractions for one Spotify artist: the id stays with the first one.
        spotify_id = None
    artist.spotify_id = spotify_id
    artist.identity_synced_at = timezone.now()
    fields = [
        "name",
        "image_url",
        "genres",
        "spotify_id",
        "spotify_match",
        "identity_synced_at",
        "updated_at",
    ]
    if artist.slug == artist_shell_slug(artist.tm_attraction_id) and slugify(name):
        preferred = slugify(name)[:100]
        suffixed = f"{preferred}-{slugify(artist.tm_attraction_id).lower()}"
        # An all-digit slug ("311", "1349") would read as an artist id in the API's URLs,
        # and a reserved one as another app's route (`artist_slugs_reserve`).
        clashes_with_a_route = preferred.isdigit() or preferred in _route_words
        for slug in (suffixed,) if clashes_with_a_route else (preferred, suffixed):
            try:
                with transaction.atomic():
                    Artist.objects.filter(pk=artist_id).update(slug=slug)
                artist.slug = slug
                break
            except IntegrityError:
                continue
    artist.save(update_fields=fields)
    return artist


def releases_upsert(*, releases: Sequence[Release]) -> int:
    """Store these releases as fetched now (one row per album, shared by every artist
    listing it; a release given twice counts once, the last given). Returns the rows
    written."""
    by_id = {release.spotify_id: release for release in releases}
    now = timezone.now()
    fields = ["spotify_id", *(name for name in RELEASE_UPDATE_FIELDS if name != "updated_at")]
    rows = [
        row_of(
            fields,
            **_album_columns(release),
            tracks=[track.as_json() for track in release.tracks],
            fetched_at=now,
        )
        # Key order: syncs of artists sharing releases lock them in the same order.
        for release in sorted(by_id.values(), key=_by_spotify_id)
    ]
    bulk_upsert(
        SpotifyRelease,
        rows,
        fields=fields,
        unique_fields=["spotify_id"],
        update_fields=RELEASE_UPDATE_FIELDS,
    )
    return len(rows)


def catalog_upsert(
    *,
    artist_id: int,
    albums: Sequence[SpotifyAlbumSummary],
    tracks: Sequence[StudioTrack],
    listing_digest: str = "",
) -> CatalogWritten:
    """Make the artist's studio catalog exactly `tracks`, in one transaction.

    Albums holding at least one kept track and the tracks are upserted; links
    to tracks no longer kept are removed (the tracks themselves stay, other
    artists may link them).
    """
    kept_album_ids = {track.album_spotify_id for track in tracks}
    album_rows = [
        row_of(ALBUM_FIELDS, **_album_columns(album))
        # Key order: imports of artists sharing albums lock them in the same order.
        for album in sorted({a.spotify_id: a for a in albums}.values(), key=_by_spotify_id)
        if album.spotify_id in kept_album_ids
    ]
    kept = sorted({track.spotify_id: track for track in tracks}.values(), key=_by_spotify_id)
    album_of = {album.spotify_id: album for album in albums}
    recordings = [
        Recording(
            spotify_id=track.spotify_id,
            name=track.name,
            isrc=track.isrc or "",
            album_type=album_of[track.album_spotify_id].album_type,
            release_date=album_of[track.album_spotify_id].release_date,
        )
        for track in kept
    ]
    with transaction.atomic():
        _artist_lock(artist_id)
        groups = group_songs(recordings, SongOverride.objects.assignments_for(artist_id))
        version_of = {spotify_id: kind for group in groups for spotify_id, kind in group.recordings}
        bulk_upsert(
            Album,
            album_rows,
            fields=ALBUM_FIELDS,
            unique_fields=["spotify_id"],
            update_fields=ALBUM_UPDATE_FIELDS,
        )
        album_pks = dict(
            Album.objects.filter(spotify_id__in=kept_album_ids).values_list("spotify_id", "pk")
        )
        bulk_upsert(
            Track,
            [
                row_of(
                    TRACK_FIELDS,
                    spotify_id=track.spotify_id,
                    isrc=track.isrc or "",
                    name=track.name,
                    album=album_pks[track.album_spotify_id],
                    duration_ms=track.duration_ms,
                    popularity=track.popularity,
                    disc_number=track.disc_number,
                    track_number=track.track_number,
                    is_remix=track.is_remix,
                    version=version_of[track.spotify_id].value,
                )
                for track in kept
            ],
            fields=TRACK_FIELDS,
            unique_fields=["spotify_id"],
            update_fields=TRACK_UPDATE_FIELDS,
        )
        linked, track_pks = _songs_write(artist_id=artist_id, groups=groups)
        links_removed, _ = ArtistTrack.objects.filter(
            artist_id=artist_id, track_id__in=linked - track_pks
        ).delete()
        _songs_without_recordings_delete(artist_id=artist_id)
        Artist.objects.filter(pk=artist_id).update(
            catalog_synced_at=timezone.now(), catalog_digest=listing_digest
        )
    return CatalogWritten(
        albums=len(album_rows),
        tracks=len(kept),
        links_added=len(track_pks - linked),
        links_removed=links_removed,
        songs=len(groups),
    )


def _artist_lock(artist_id: int) -> None:
    """Lock the artist's row for this transaction, first: its catalog writes and a
    curator's regroup of its songs then take turns, each reading what the other
    committed. NO KEY: shows' bills keep taking KEY SHARE locks on it meanwhile."""
    Artist.objects.select_for_update(no_key=True).filter(pk=artist_id).exists()


def _songs_write(*, artist_id: int, groups: Sequence[SongGroup]) -> tuple[set[int], set[int]]:
    """Write the artist's songs (`rules.group_songs`; their tracks' rows exist): the new
    or changed songs upserted on (artist, key) in key order, then the new or changed
    links to the tracks upserted with their songs, in track order; unchanged rows are
    not written again. Returns the primary keys of the tracks linked before and now.
    Songs left without recordings are the caller's to delete, once it removed the links
    it drops."""
    track_pks = dict(
        Track.objects.filter(
            spotify_id__in=[spotify_id for group in groups for spotify_id, _ in group.recordings]
        ).values_list("spotify_id", "pk")
    )
    stored = {
        key: (pk, values)
        for key, pk, *values in Song.objects.filter(artist_id=artist_id).values_list(
            "key", "pk", "title", "main_track_id", "recordings_count"
        )
    }
    songs = [
        row_of(
            SONG_FIELDS,
            key=group.key,
            title=group.title[:500],
            main_track=track_pks[group.main],
            recordings_count=len(group.recordings),
        )
        for group in groups  # in key order
    ]
    changed = [
        (artist_id, *song)
        for song in songs
        if stored.get(song[0], (None, None))[1] != list(song[1:])
    ]
    bulk_upsert(
        Song,
        changed,
        fields=["artist_id", *SONG_FIELDS],
        unique_fields=["artist", "key"],
        update_fields=SONG_UPDATE_FIELDS,
    )
    song_pks = {key: pk for key, (pk, _) in stored.items()}
    if changed:
        song_pks = dict(Song.objects.filter(artist_id=artist_id).values_list("key", "pk"))
    song_of_track = {
        track_pks[spotify_id]: song_pks[group.key]
        for group in groups
        for spotify_id, _ in group.recordings
    }
    linked = dict(
        ArtistTrack.objects.filter(artist_id=artist_id).values_list("track_id", "song_id")
    )
    bulk_upsert(
        ArtistTrack,
        [
            (artist_id, track_pk, song_id)
            for track_pk, song_id in sorted(song_of_track.items())
            if linked.get(track_pk) != song_id
        ],
        fields=["artist_id", "track_id", "song_id"],
        unique_fields=["artist", "track"],
        update_fields=["song", "updated_at"],
    )
    return set(linked), set(song_of_track)


def _songs_without_recordings_delete(*, artist_id: int) -> int:
    deleted, _ = Song.objects.filter(artist_id=artist_id, recordings__isnull=True).delete()
    return deleted


def songs_regroup(*, artist_id: int) -> int:
    """Put the artist's stored recordings in their songs again, e.g. after a curator
    moved one (`SongOverride`); no upstream is asked. Returns the number of songs."""
    with transaction.atomic():
        _artist_lock(artist_id)
        rows = (
            ArtistTrack.objects.filter(artist_id=artist_id)
            .order_by("track__spotify_id")
            .values_list(
                "track__spotify_id",
                "track__name",
                "track__isrc",
                "track__album__album_type",
                "track__album__release_date",
            )
        )
        groups = group_songs(
            [Recording(*row) for row in rows], SongOverride.objects.assignments_for(artist_id)
        )
        _songs_write(artist_id=artist_id, groups=groups)
        _songs_without_recordings_delete(artist_id=artist_id)
    return len(groups)


def artist_catalog_kept(*, artist_id: int) -> None:
    """A re-sync found the catalog's listing unchanged: it is as fresh as if decided now."""
    Artist.objects.filter(pk=artist_id).update(catalog_synced_at=timezone.now())
