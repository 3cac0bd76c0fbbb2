"""The catalog phase: the artist's studio-only songs from Spotify.

The artist's album list is fetched every time; album details only for releases
not stored yet or listed differently (`rules.releases_to_fetch`), and every
fetched release is stored whole (`SpotifyRelease`, shared by every artist
listing it). Album and track names are judged first, so live material costs no
track or audio-features requests; then details (ISRC, popularity) and liveness
for the rest, unless stored; then `rules.decide_studio_tracks` decides every
track again and the kept ones are stored.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from asgiref.sync import sync_to_async

from catalog import rules, selectors, services
from integrations.spotify.client import SpotifyClient
from integrations.spotify.errors import AudioFeaturesUnavailable
from integrations.spotify.records import SpotifyAlbum, SpotifyTrack
from theset.text import count_noun

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
    tracks_kept: int = 0  # recordings: the kept studio tracks
    songs: int = 0
    links_removed: int = 0
    # Incremental work: releases whose details were fetched vs taken from storage, and
    # the tracks whose details or audio features were asked for.
    albums_fetched: int = 0
    albums_reused: int = 0
    track_details_fetched: int = 0
    audio_features_fetched: int = 0
    drop_counts: dict[str, int] = field(default_factory=dict)
    keep_counts: dict[str, int] = field(default_factory=dict)
    dropped: list[DroppedTrackInfo] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def counters(self) -> dict[str, Any]:
        return {
            "albums": self.albums,
            "albums_fetched": self.albums_fetched,
            "albums_reused": self.albums_reused,
            "track_details_fetched": self.track_details_fetched,
            "audio_features_fetched": self.audio_features_fetched,
            "raw_tracks": self.raw_tracks,
            "tracks_kept": self.tracks_kept,
            "songs": self.songs,
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
    full: bool = False,
) -> CatalogSyncResult:
    """Fetch, judge and store the artist's studio catalog; explain every drop.

    Incremental unless `full`: only releases not stored yet (or listed differently
    from the stored ones) are fetched, and only the tracks that need details or audio
    features and have none stored; then the whole catalog is decided again from the
    stored releases, so the rows are those a full import would write. `full` fetches
    everything again and refreshes the stored releases (e.g. popularity).
    """
    curator_decisions = curator_decisions or {}
    listing = await client.artist_albums(spotify_artist_id)
    listed_ids = list(dict.fromkeys(album.spotify_id for album in listing))
    stored = await sync_to_async(selectors.releases_get)(spotify_ids=listed_ids)
    to_fetch = listed_ids if full else rules.releases_to_fetch(listing, stored)
    found = count_noun(len(listed_ids), "album or single", "albums and singles")
    await report(10, f"{found} found, {len(to_fetch)} to fetch", None)

    fetching_ids = set(to_fetch)
    fetched = await client.albums(
        to_fetch,
        track_counts={
            album.spotify_id: album.total_tracks
            for album in listing
            if album.spotify_id in fetching_ids
        },
    )
    fresh = {
        album.summary.spotify_id: _release_of(album, stored.get(album.summary.spotify_id))
        for album in fetched
    }
    if fresh:
        # Stored at once: a phase that parks before the end does not fetch them again.
        await sync_to_async(services.releases_upsert)(releases=list(fresh.values()))
    # In listing order; an album Spotify no longer answers for is left out, as in a full
    # import.
    releases = [
        release
        for album_id in listed_ids
        if (release := fresh.get(album_id) if album_id in fetching_ids else stored[album_id])
    ]
    listed = [(release, track) for release in releases for track in release.tracks]
    await report(
        40,
        f"{count_noun(len(listed), 'track')} on {count_noun(len(releases), 'release')} "
        f"({len(fresh)} fetched, {len(releases) - len(fresh)} stored)",
        None,
    )

    curator = rules.CuratorNeeds.of(curator_decisions)
    needed = [
        track.spotify_id
        for release, track in listed
        if rules.details_needed(
            spotify_id=track.spotify_id,
            track_name=track.name,
            album_name=release.name,
            curator=curator,
        )
    ]
    known = {} if full else {track.spotify_id: track for _, track in listed}
    details_ids = rules.details_to_fetch(
        needed, [track_id for track_id, track in known.items() if track.details]
    )
    features_plan = rules.audio_features_plan(
        needed,
        {
            track_id: track.audio_features
            for track_id, track in known.items()
            if track.audio_features
        },
    )

    # Details and audio features of the same tracks, side by side: neither needs the other.
    async def fetch_liveness() -> dict[str, float | None] | None:
        try:
            return await client.liveness(features_plan.fetch)
        except AudioFeaturesUnavailable:
            return None

    # A task group: if one fails, the other is cancelled rather than left running;
    # the first failure is raised as itself (an UpstreamError names the upstream).
    try:
        async with asyncio.TaskGroup() as group:
            fetching = group.create_task(client.tracks(details_ids))
            measuring = group.create_task(fetch_liveness())
    except BaseExceptionGroup as failed:
        raise failed.exceptions[0] from None
    details = {track.spotify_id: track for track in fetching.result()}
    liveness = measuring.result()
    features_available = features_plan.available and liveness is not None
    warnings: list[str] = []
    if not features_available:
        warnings.append(AUDIO_FEATURES_FALLBACK)
    await report(
        80,
        f"details of {count_noun(len(details_ids), 'track')} and audio features of "
        f"{count_noun(len(features_plan.fetch), 'track')} fetched",
        None,
    )

    releases, changed = _with_fetched(
        releases,
        details=details,
        details_asked=set(details_ids),
        liveness=liveness,
        features_asked=set(features_plan.fetch),
    )
    if changed:
        await sync_to_async(services.releases_upsert)(releases=changed)

    needed_ids = set(needed)
    raw_tracks = []
    by_key = {}
    for release, track in ((r, t) for r in releases for t in r.tracks):
        # Only what a full import would know: details and liveness of the tracks that
        # need them (another artist's overrides may have stored more).
        is_needed = track.spotify_id in needed_ids
        raw_tracks.append(
            rules.RawTrack(
                spotify_id=track.spotify_id,
                name=track.name,
                duration_ms=track.duration_ms,
                isrc=track.isrc if is_needed else None,
                popularity=track.popularity if is_needed else None,
                album_spotify_id=release.spotify_id,
                album_name=release.name,
                album_type=release.album_type,
                release_date=release.release_date,
                liveness=track.liveness if is_needed and features_available else None,
            )
        )
        by_key[(release.spotify_id, track.spotify_id)] = track
    decision = rules.decide_studio_tracks(
        raw_tracks,
        audio_features_available=features_available,
        curator_decisions=curator_decisions,
    )
    studio_tracks = []
    dropped = []
    for raw, verdict in zip(raw_tracks, decision.decisions, strict=True):
        track = by_key[(raw.album_spotify_id, raw.spotify_id)]
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
        artist_id=artist_id,
        albums=[release.summary for release in releases],
        tracks=studio_tracks,
        listing_digest=rules.listing_digest(listing, curator_decisions),
    )
    return CatalogSyncResult(
        spotify_app_mode=client.mode,
        albums=written.albums,
        raw_tracks=len(raw_tracks),
        tracks_kept=written.tracks,
        songs=written.songs,
        links_removed=written.links_removed,
        albums_fetched=len(fresh),
        albums_reused=len(releases) - len(fresh),
        track_details_fetched=len(details_ids),
        audio_features_fetched=len(features_plan.fetch),
        drop_counts=decision.drop_counts,
        keep_counts=decision.keep_counts,
        dropped=dropped,
        warnings=warnings,
    )


def _release_of(album: SpotifyAlbum, previous: services.Release | None) -> services.Release:
    """A freshly fetched album as a release; what was fetched about its tracks before
    (details, audio features) is kept for the tracks it still lists."""
    before = {track.spotify_id: track for track in previous.tracks} if previous else {}
    tracks = []
    for listed in album.tracks:
        as_listed = {
            "name": listed.name,
            "duration_ms": listed.duration_ms,
            "disc_number": listed.disc_number,
            "track_number": listed.track_number,
        }
        known = before.get(listed.spotify_id)
        tracks.append(
            replace(known, **as_listed)
            if known
            else services.ReleaseTrack(spotify_id=listed.spotify_id, **as_listed)
        )
    summary = album.summary
    return services.Release(
        spotify_id=summary.spotify_id,
        name=summary.name,
        album_type=summary.album_type,
        release_date=summary.release_date,
        release_date_precision=summary.release_date_precision,
        total_tracks=summary.total_tracks,
        image_url=summary.image_url,
        tracks=tuple(tracks),
    )


def _with_fetched(
    releases: list[services.Release],
    *,
    details: Mapping[str, SpotifyTrack],
    details_asked: set[str],
    liveness: Mapping[str, float | None] | None,
    features_asked: set[str],
) -> tuple[list[services.Release], list[services.Release]]:
    """The releases with what was just fetched about their tracks, and those of them
    that changed (to store). A track asked for and not answered has no ISRC or
    popularity, as in a full import; `liveness` None means audio features were refused."""
    updated: list[services.Release] = []
    changed: list[services.Release] = []
    for release in releases:
        tracks = []
        for track in release.tracks:
            changes: dict[str, Any] = {}
            if track.spotify_id in details_asked:
                found = details.get(track.spotify_id)
                changes["details"] = True
                changes["isrc"] = found.isrc if found else None
                changes["popularity"] = found.popularity if found else None
            if track.spotify_id in features_asked:
                refused = liveness is None
                changes["audio_features"] = (
                    rules.AudioFeatures.REFUSED if refused else rules.AudioFeatures.MEASURED
                )
                changes["liveness"] = None if refused else liveness.get(track.spotify_id)
            tracks.append(replace(track, **changes) if changes else track)
        new = replace(release, tracks=tuple(tracks))
        updated.append(new)
        if new != release:
            changed.append(new)
    return updated, changed
