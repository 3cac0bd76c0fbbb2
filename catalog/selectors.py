"""Reads about artists and their studio catalog."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from django.db.models import Case, Count, F, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Coalesce, Lower

from catalog.models import Artist, Song, SpotifyRelease, Track
from catalog.rules import VersionKind, main_recording_key
from catalog.services import Release, ReleaseTrack


def artist_get(*, id_or_slug: str) -> Artist:
    """The artist `id_or_slug` names: all (ASCII) digits are its database id and nothing
    else; other text is its slug, else its Ticketmaster attraction id (case-sensitive, as
    imported). Raises `Artist.DoesNotExist` saying what was looked for."""
    artist = None
    if id_or_slug.isascii() and id_or_slug.isdigit():
        artist = Artist.objects.filter(pk=int(id_or_slug)).first()
    elif id_or_slug:
        artist = (
            Artist.objects.filter(slug=id_or_slug).first()
            or Artist.objects.filter(tm_attraction_id=id_or_slug).first()
        )
    if artist is None:
        raise Artist.DoesNotExist(f"No artist with id, slug or Ticketmaster id {id_or_slug!r}")
    return artist


def artists_search(*, query: str = "", public_only: bool = True) -> QuerySet[Artist]:
    """Artists whose name contains `query` (ignoring case; every artist for ""), those
    whose name starts with it first, then by name. On PostgreSQL a trigram index on the
    upper-cased name serves the search (catalog migration 0005)."""
    artists = Artist.objects.public() if public_only else Artist.objects.all()
    query = query.strip()
    if not query:
        return artists.order_by("name", "pk")
    return (
        artists.filter(name__icontains=query)
        .annotate(starts=Case(When(name__istartswith=query, then=Value(0)), default=Value(1)))
        .order_by("starts", "name", "pk")
    )


def artists_recently_imported(*, limit: int) -> list[Artist]:
    """The public artists most recently named by an import, newest first."""
    return list(Artist.objects.public().order_by("-identity_synced_at", "-id")[:limit])


def studio_tracks(*, artist_id: int) -> QuerySet[Track]:
    """The artist's studio recordings with their albums (one query), by name, ignoring
    case."""
    return (
        Track.objects.filter(artist_tracks__artist_id=artist_id)
        .select_related("album")
        .order_by(Lower("name"), "album__name", "pk")
    )


@dataclass(frozen=True, slots=True)
class SongTotals:
    """How many songs an artist has, and how many studio recordings they are made of."""

    songs: int
    recordings: int


def artist_songs(*, artist_id: int, query: str = "") -> QuerySet[Song]:
    """The artist's songs by title ignoring case (then key, id), with their main
    recording and its album (one query); only those whose title contains `query`
    (ignoring case) when one is given."""
    songs = Song.objects.filter(artist_id=artist_id)
    query = query.strip()
    if query:
        songs = songs.filter(title__icontains=query)
    return songs.select_related("main_track__album").order_by(Lower("title"), "key", "pk")


def artist_song_totals(*, artist_id: int) -> SongTotals:
    """The artist's song and studio recording counts (one query)."""
    totals = Song.objects.filter(artist_id=artist_id).aggregate(
        songs=Count("pk"), recordings=Coalesce(Sum("recordings_count"), 0)
    )
    return SongTotals(songs=totals["songs"], recordings=totals["recordings"])


def song_recordings(*, song_ids: Collection[int]) -> dict[int, list[Track]]:
    """The recordings of each of the songs `song_ids`, by song id, with their albums (one
    query, whatever the number of songs): each song's main recording first, then the
    others in the order the main one is chosen by (`rules.main_recording_key`). Each
    track carries `is_main`: whether it is its song's main recording."""
    tracks = (
        Track.objects.filter(artist_tracks__song_id__in=list(song_ids))
        .select_related("album")
        .annotate(
            song_id=F("artist_tracks__song_id"),
            is_main=Q(pk=F("artist_tracks__song__main_track_id")),
        )
        .order_by()  # sorted below, by the rules' order
    )
    recordings: dict[int, list[Track]] = {song_id: [] for song_id in song_ids}
    for track in sorted(tracks, key=_main_first):
        recordings[track.song_id].append(track)
    return recordings


def _main_first(track: Track) -> tuple[bool, tuple]:
    return (
        not track.is_main,
        main_recording_key(
            kind=VersionKind(track.version),
            album_type=track.album.album_type,
            release_date=track.album.release_date,
            spotify_id=track.spotify_id,
        ),
    )


def releases_get(*, spotify_ids: Collection[str]) -> dict[str, Release]:
    """The stored releases among `spotify_ids`, by Spotify id (one query)."""
    rows = SpotifyRelease.objects.filter(spotify_id__in=list(spotify_ids)).values_list(
        "spotify_id",
        "name",
        "album_type",
        "release_date",
        "release_date_precision",
        "total_tracks",
        "image_url",
        "tracks",
    )
    return {
        row[0]: Release(*row[:7], tracks=tuple(ReleaseTrack.from_json(t) for t in row[7]))
        for row in rows
    }
