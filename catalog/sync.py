"""The catalog phase: the artist's studio-only songs from Spotify.

Album and track names are judged first, so live material costs no track or
audio-features requests; then details (ISRC, popularity) and liveness for the
rest; then `rules.decide_studio_tracks` decides every track and the kept ones
are stored.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from asgiref.sync import sync_to_async

from catalog import rules, services
from catalog.models import ISRC
from integrations.spotify.client import SpotifyClient
from integrations.spotify.errors import AudioFeaturesUnavailable

# How a phase reports progress: await report(percent, message, counters or None). The
# shows phase takes the same callable.
Report = Callable[[int, str, dict[str, Any] | None], Awaitable[Any]]

AUDIO_FEATURES_FALLBACK = (
    "Spotify refused audio features (403): live versions were judged by their names only"
)


@dataclass(frozen=True, slots=True)
class DroppedTrackInfo:
    spotify_id: str
    name: str
    album_name: str
    isrc: str
    reason: str
    duplicate_of: str


@dataclass(slots=True)
class CatalogSyncResult:
    spotify_app_mode: str
    albums: int = 0
    raw_tracks: int = 0
    tracks_kept: int = 0
    links_removed: int = 0
    drop_counts: dict[str, int] = field(default_factory=dict)
    keep_counts: dict[str, int] = field(default_factory=dict)
    dropped: list[DroppedTrackInfo] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def counters(self) -> dict[str, Any]:
        return {
            "albums": self.albums,
            "raw_tracks": self.raw_tracks,
            "tracks_kept": self.tracks_kept,
            "tracks_unlinked": self.links_removed,
            **{f"kept_{reason}": count for reason, count in self.keep_counts.items()},
        }


async def sync_catalog(
    *,
    artist_id: int,
    spotify_artist_id: str,
    client: SpotifyClient,
    report: Report,
    curator_decisions: Mapping[str, rules.CuratorDecision] | None = None,
) -> CatalogSyncResult:
    """Fetch, judge and store the artist's studio catalog; explain every drop."""
    curator_decisions = curator_decisions or {}
    summaries = await client.artist_albums(spotify_artist_id)
    await report(10, f"{len(summaries)} albums and singles found", None)

    albums = await client.albums(
        [summary.spotify_id for summary in summaries],
        track_counts={summary.spotify_id: summary.total_tracks for summary in summaries},
    )
    listed = [(album, track) for album in albums for track in album.tracks]
    await report(40, f"{len(listed)} tracks on {len(albums)} releases", None)

    # A track kept by ISRC is only recognised once its details give the ISRC, so such
    # an override costs the details of the tracks the names alone would drop.
    keeps_by_isrc = any(
        decision == rules.CuratorDecision.ALWAYS_KEEP and ISRC.fullmatch(rules.normalise_isrc(key))
        for key, decision in curator_decisions.items()
    )

    def judged_by_name_only(album_name: str, track_name: str, spotify_id: str) -> bool:
        if keeps_by_isrc or spotify_id in curator_decisions:
            return False
        return rules.name_drop_reason(track_name, album_name) is not None

    need_details = [
        track.spotify_id
        for album, track in listed
        if not judged_by_name_only(album.summary.name, track.name, track.spotify_id)
    ]
    # Details and audio features of the same tracks, side by side: neither needs the other.
    warnings: list[str] = []

    async def fetch_liveness() -> dict[str, float | None] | None:
        try:
            return await client.liveness(need_details)
        except AudioFeaturesUnavailable:
            return None

    # A task group: if one fails, the other is cancelled rather than left running;
    # the first failure is raised as itself (an UpstreamError names the upstream).
    try:
        async with asyncio.TaskGroup() as group:
            fetching = group.create_task(client.tracks(need_details))
            measuring = group.create_task(fetch_liveness())
    except BaseExceptionGroup as failed:
        raise failed.exceptions[0] from None
    fetched, liveness_or_none = fetching.result(), measuring.result()
    details = {track.spotify_id: track for track in fetched}
    features_available = liveness_or_none is not None
    liveness = liveness_or_none or {}
    if not features_available:
        warnings.append(AUDIO_FEATURES_FALLBACK)
    await report(80, f"details and audio features of {len(details)} tracks fetched", None)

    raw_tracks = [
        rules.RawTrack(
            spotify_id=track.spotify_id,
            name=track.name,
            duration_ms=track.duration_ms,
            isrc=details[track.spotify_id].isrc if track.spotify_id in details else None,
            popularity=(
                details[track.spotify_id].popularity if track.spotify_id in details else None
            ),
            album_spotify_id=album.summary.spotify_id,
            album_name=album.summary.name,
            album_type=album.summary.album_type,
            release_date=album.summary.release_date,
            liveness=liveness.get(track.spotify_id),
        )
        for album, track in listed
    ]
    decision = rules.decide_studio_tracks(
        raw_tracks,
        audio_features_available=features_available,
        curator_decisions=curator_decisions,
    )
    by_id = {(album.summary.spotify_id, track.spotify_id): track for album, track in listed}
    studio_tracks = []
    dropped = []
    for raw, verdict in zip(raw_tracks, decision.decisions, strict=True):
        track = by_id[(raw.album_spotify_id, raw.spotify_id)]
        if verdict.keep:
            studio_tracks.append(
                services.StudioTrack(
                    spotify_id=raw.spotify_id,
                    name=raw.name,
                    isrc=raw.isrc,
                    album_spotify_id=raw.album_spotify_id,
                    duration_ms=raw.duration_ms,
                    popularity=raw.popularity,
                    disc_number=track.disc_number,
                    track_number=track.track_number,
                    is_remix=verdict.is_remix,
                )
            )
        else:
            dropped.append(
                DroppedTrackInfo(
                    spotify_id=raw.spotify_id,
                    name=raw.name,
                    album_name=raw.album_name,
                    isrc=raw.isrc or "",
                    reason=str(verdict.reason),
                    duplicate_of=verdict.duplicate_of or "",
                )
            )
    written = await sync_to_async(services.catalog_upsert)(
        artist_id=artist_id, albums=[album.summary for album in albums], tracks=studio_tracks
    )
    return CatalogSyncResult(
        spotify_app_mode=client.mode,
        albums=written.albums,
        raw_tracks=len(raw_tracks),
        tracks_kept=written.tracks,
        links_removed=written.links_removed,
        drop_counts=decision.drop_counts,
        keep_counts=decision.keep_counts,
        dropped=dropped,
        warnings=warnings,
    )
