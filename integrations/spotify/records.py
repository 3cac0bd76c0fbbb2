"""Spotify's answers as typed records: what the client returns and services store."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SpotifyArtist:
    spotify_id: str
    name: str
    genres: tuple[str, ...]
    image_url: str
    popularity: int | None


@dataclass(frozen=True, slots=True)
class SpotifyAlbumSummary:
    spotify_id: str
    name: str
    album_type: str
    album_group: str
    release_date: str
    release_date_precision: str
    total_tracks: int
    image_url: str


@dataclass(frozen=True, slots=True)
class SpotifyTrackSummary:
    spotify_id: str
    name: str
    duration_ms: int
    disc_number: int
    track_number: int
    album_spotify_id: str


@dataclass(frozen=True, slots=True)
class SpotifyAlbum:
    summary: SpotifyAlbumSummary
    tracks: tuple[SpotifyTrackSummary, ...]


@dataclass(frozen=True, slots=True)
class SpotifyTrack:
    spotify_id: str
    isrc: str | None
    popularity: int | None
