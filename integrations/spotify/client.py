"""Spotify Web API: the endpoints we use, parsed into typed records.

Works with both kinds of Spotify app (shared/UPSTREAM.md): *extended quota*
(batch endpoints, page limit 50, popularity) and *development mode* (no
several-albums / several-tracks endpoints, page limit 10, no popularity).
With `SPOTIFY_APP_MODE=auto` the client starts as extended and switches for
good at the first refusal that only a development-mode app gets.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
from django.conf import settings

from integrations.http.client import UpstreamClient
from integrations.http.errors import UpstreamError
from integrations.http.quota import QuotaLedger
from integrations.http.ratelimit import RateLimiter, key_fingerprint
from integrations.http.readers import field_path, read_list, read_object
from integrations.http.stats import UpstreamStats
from integrations.spotify.errors import (
    AudioFeaturesUnavailable,
    classify_refusal,
    describe_error,
)
from integrations.spotify.parsing import (
    parse_album_summary,
    parse_artist,
    parse_liveness,
    parse_paging,
    parse_token,
    parse_track,
    parse_track_summary,
)
from integrations.spotify.records import (
    SpotifyAlbum,
    SpotifyAlbumSummary,
    SpotifyArtist,
    SpotifyTrack,
    SpotifyTrackSummary,
)

PROVIDER = "Spotify"
ALBUMS_PER_BATCH = 20
TRACKS_PER_BATCH = 50
AUDIO_FEATURES_PER_BATCH = 100
ALBUM_TRACKS_PAGE = 50
PAGE_LIMIT = {"extended": 50, "development": 10}
# Renew the token this long before Spotify says it expires.
TOKEN_EXPIRY_MARGIN_SECONDS = 60
T = TypeVar("T")


class AppMode:
    EXTENDED = "extended"
    DEVELOPMENT = "development"
    AUTO = "auto"


def batched(items: Sequence[str], size: int) -> Iterable[list[str]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


# --- Token ----------------------------------------------------------------------


@dataclass
class _Token:
    value: str
    expires_at: float  # time.monotonic()


# Cached per process and client id, so consecutive phases reuse one token.
_tokens: dict[tuple[str, str], _Token] = {}
# The kind of app `auto` mode found, per API base URL and client id, in this process:
# development once Spotify refused what only development apps are refused, extended
# once a batch endpoint answered.
_detected_modes: dict[tuple[str, str], str] = {}
# Apps whose audio-features requests Spotify has answered, in this process.
_audio_features_seen: set[tuple[str, str]] = set()


def forget_process_state() -> None:
    """Drop what this process has cached or learned about Spotify apps (tokens, app
    kinds, audio-features answers): for a change of credentials, and between tests."""
    _tokens.clear()
    _detected_modes.clear()
    _audio_features_seen.clear()


# --- The client -------------------------------------------------------------------


class SpotifyClient:
    """Spotify calls for one import phase. Use as `async with SpotifyClient.from_settings():`."""

    def __init__(
        self,
        upstream: UpstreamClient,
        *,
        accounts_url: str,
        client_id: str,
        client_secret: str,
        mode: str,
        market: str,
    ) -> None:
        if mode not in (AppMode.AUTO, AppMode.EXTENDED, AppMode.DEVELOPMENT):
            raise ValueError(
                f"SPOTIFY_APP_MODE must be auto, extended or development, not {mode!r}"
            )
        self._upstream = upstream
        self._accounts_url = accounts_url.rstrip("/")
        self._client_id = client_id
        self._client_secret = client_secret
        self._token_key = (self._accounts_url, key_fingerprint(client_id))
        self._token_lock = asyncio.Lock()
        self._configured_mode = mode
        # In auto mode: extended until Spotify refuses something only development
        # refuses; once seen, later clients of the same app start in development mode.
        self._mode_key = (upstream.base_url, key_fingerprint(client_id))
        if mode == AppMode.AUTO:
            mode_detected = _detected_modes.get(self._mode_key)
            self.mode = mode_detected or AppMode.EXTENDED
        else:
            self.mode = mode
        self.market = market

    @classmethod
    def from_settings(cls, *, transport: httpx.AsyncBaseTransport | None = None) -> SpotifyClient:
        client_id, client_secret = settings.SPOTIFY_CLIENT_ID, settings.SPOTIFY_CLIENT_SECRET
        if not client_id or not client_secret:
            raise UpstreamError(
                provider=PROVIDER,
                endpoint="configuration",
                status=None,
                detail="SPOTIFY_CLIENT_ID and SPOTIFY_CLIENT_SECRET must both be set",
            )
        rps = settings.SPOTIFY_RPS
        # Spotify counts per developer account, shared by its client ids: the client id
        # is the nearest name we have for it.
        name = f"spotify:{key_fingerprint(client_id)}"
        limiter = (
            RateLimiter(
                name=name,
                requests_per_second=rps,
                redis_url=settings.REDIS_URL,
            )
            if rps
            else None
        )
        upstream = UpstreamClient(
            provider=PROVIDER,
            base_url=settings.SPOTIFY_API_URL,
            rate_limiter=limiter,
            transport=transport,
            secrets=(client_id, client_secret),
            describe_error=describe_error,
            classify_refusal=classify_refusal,
            quota=QuotaLedger(name),
        )
        return cls(
            upstream,
            accounts_url=settings.SPOTIFY_ACCOUNTS_URL,
            client_id=client_id,
            client_secret=client_secret,
            mode=settings.SPOTIFY_APP_MODE,
            market=settings.SPOTIFY_MARKET,
        )

    @property
    def stats(self) -> UpstreamStats:
        return self._upstream.stats

    @property
    def page_limit(self) -> int:
        return PAGE_LIMIT[self.mode]

    async def __aenter__(self) -> SpotifyClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self._upstream.aclose()

    # --- token and requests

    async def _token(self) -> str:
        async with self._token_lock:
            token = _tokens.get(self._token_key)
            if token and token.expires_at > time.monotonic():
                return token.value
            body = await self._upstream.post_form_json(
                "token",
                f"{self._accounts_url}/api/token",
                data={"grant_type": "client_credentials"},
                auth=(self._client_id, self._client_secret),
            )
            with self._upstream.reading("token"):
                value, lifetime = parse_token(body)
            margin = min(TOKEN_EXPIRY_MARGIN_SECONDS, lifetime / 10)
            _tokens[self._token_key] = _Token(value, time.monotonic() + lifetime - margin)
            return value

    async def _get(self, endpoint: str, url: str, params: dict[str, Any] | None = None) -> Any:
        token = await self._token()
        try:
            return await self._upstream.get_json(
                endpoint, url, params=params, headers={"Authorization": f"Bearer {token}"}
            )
        except UpstreamError as exc:
            if exc.status != 401:
                raise
        # The token was revoked or expired early: renew it once and ask again.
        async with self._token_lock:
            if (cached := _tokens.get(self._token_key)) and cached.value == token:
                del _tokens[self._token_key]
        token = await self._token()
        return await self._upstream.get_json(
            endpoint, url, params=params, headers={"Authorization": f"Bearer {token}"}
        )

    @property
    def _mode_known(self) -> bool:
        return self._configured_mode != AppMode.AUTO or self._mode_key in _detected_modes

    async def _all_batches(
        self, fetch: Callable[[list[str]], Awaitable[T]], ids: Sequence[str], size: int
    ) -> list[T]:
        """Every batch of `ids` at once when the app's kind is known; otherwise the
        first alone (a development app's 403 costs one request) and then the rest."""
        batches = [list(batch) for batch in batched(ids, size)]
        if not batches:
            return []
        if self._mode_known:
            return list(await asyncio.gather(*(fetch(batch) for batch in batches)))
        first = await fetch(batches[0])
        _detected_modes[self._mode_key] = AppMode.EXTENDED
        return [first, *await asyncio.gather(*(fetch(batch) for batch in batches[1:]))]

    def _switch_to_development(self) -> bool:
        """In auto mode, a refusal only development apps get switches the mode for good."""
        if self._configured_mode != AppMode.AUTO or self.mode == AppMode.DEVELOPMENT:
            return False
        self.mode = _detected_modes[self._mode_key] = AppMode.DEVELOPMENT
        return True

    # --- endpoints

    async def search_artists(self, name: str, *, max_results: int = 50) -> list[SpotifyArtist]:
        """Artists whose names match the query, best first (up to `max_results`)."""
        found: list[SpotifyArtist] = []
        offset = 0
        while offset < max_results:
            body = await self._search_page(name, offset)
            with self._upstream.reading("search"):
                paging = parse_paging(read_object(body, "").get("artists") or {}, "artists")
                items = paging.get("items") or []
                found += [parse_artist(item, f"artists.items[{n}]") for n, item in enumerate(items)]
            offset += self.page_limit
            if len(items) < self.page_limit or not paging.get("next"):
                break
        return found

    async def _search_page(self, name: str, offset: int) -> dict[str, Any]:
        params = {"q": name, "type": "artist", "limit": self.page_limit, "offset": offset}
        try:
            return await self._get("search", "/v1/search", params)
        except UpstreamError as exc:
            if (
                exc.status == 400
                and "limit" in exc.detail.lower()
                and self._switch_to_development()
            ):
                return await self._search_page(name, offset)
            raise

    async def artist_albums(self, artist_id: str) -> list[SpotifyAlbumSummary]:
        """The artist's albums and singles in our market, each once.

        The first page gives `total`; the other pages are fetched at once. If
        `total` under-reports, paging goes on while pages come back full.
        """
        first = await self._artist_albums_page(artist_id, 0)
        limit = self.page_limit
        total = first.get("total") or 0
        pages = [first]
        offsets = range(limit, total, limit)
        pages += await asyncio.gather(*(self._artist_albums_page(artist_id, o) for o in offsets))
        offset = max([0, *offsets])
        while len(pages[-1].get("items") or []) == limit and pages[-1].get("next"):
            offset += limit
            pages.append(await self._artist_albums_page(artist_id, offset))
        albums: dict[str, SpotifyAlbumSummary] = {}
        with self._upstream.reading("artist albums"):
            for page in pages:
                offset = page.get("offset") if isinstance(page.get("offset"), int) else 0
                for n, item in enumerate(page.get("items") or []):
                    album = parse_album_summary(item, f"items[{n}] (offset {offset})")
                    albums.setdefault(album.spotify_id, album)
        return list(albums.values())

    async def _artist_albums_page(self, artist_id: str, offset: int) -> dict[str, Any]:
        params = {
            "include_groups": "album,single",
            "market": self.market,
            "limit": self.page_limit,
            "offset": offset,
        }
        try:
            body = await self._get("artist albums", f"/v1/artists/{artist_id}/albums", params)
        except UpstreamError as exc:
            if (
                exc.status == 400
                and "limit" in exc.detail.lower()
                and self._switch_to_development()
            ):
                return await self._artist_albums_page(artist_id, offset)
            raise
        with self._upstream.reading("artist albums"):
            return parse_paging(body, "")

    async def albums(
        self, album_ids: Sequence[str], *, track_counts: Mapping[str, int] | None = None
    ) -> list[SpotifyAlbum]:
        """Full albums with every track. An album object lists its first 50 tracks; the
        rest are paged. Given `track_counts` (each album's `total_tracks` from the
        artist's album list), those pages are fetched alongside the albums, not after."""
        early = {
            (album_id, offset): asyncio.ensure_future(self._album_tracks_page(album_id, offset))
            for album_id, count in (track_counts or {}).items()
            for offset in range(ALBUM_TRACKS_PAGE, count, ALBUM_TRACKS_PAGE)
        }
        try:
            endpoint, raws = await self._album_objects(album_ids)
            return list(
                await asyncio.gather(
                    *(
                        self._complete_album(endpoint, where, raw, early)
                        for where, raw in raws
                        if raw is not None  # a batch answers null for an unknown id
                    )
                )
            )
        finally:
            for task in early.values():  # pages the albums turned out not to need
                task.cancel()
            if early:
                await asyncio.gather(*early.values(), return_exceptions=True)

    async def _album_objects(self, album_ids: Sequence[str]) -> tuple[str, list[tuple[str, Any]]]:
        """The endpoint that answered and each album object with where it was in its
        answer (an album of a batch: `albums[3]`, one alone: the whole answer)."""
        if self.mode == AppMode.EXTENDED:
            try:
                pages = await self._all_batches(self._albums_batch, album_ids, ALBUMS_PER_BATCH)
            except UpstreamError as exc:
                if exc.status != 403 or not self._switch_to_development():
                    raise
            else:
                return "several albums", [
                    (f"albums[{n}]", raw) for page in pages for n, raw in enumerate(page)
                ]
        raws = await asyncio.gather(
            *(self._get("album", f"/v1/albums/{i}", {"market": self.market}) for i in album_ids)
        )
        return "album", [
            (f"album {album_id}", raw) for album_id, raw in zip(album_ids, raws, strict=True)
        ]

    async def _albums_batch(self, ids: list[str]) -> list[Any]:
        body = await self._get(
            "several albums", "/v1/albums", {"ids": ",".join(ids), "market": self.market}
        )
        with self._upstream.reading("several albums"):
            return read_list(read_object(body, ""), "albums", "", required=True)

    async def _album_tracks_page(self, album_id: str, offset: int) -> dict[str, Any]:
        params = {"limit": ALBUM_TRACKS_PAGE, "offset": offset, "market": self.market}
        body = await self._get("album tracks", f"/v1/albums/{album_id}/tracks", params)
        with self._upstream.reading("album tracks"):
            return parse_paging(body, f"album {album_id} tracks (offset {offset})")

    async def _complete_album(
        self,
        endpoint: str,
        where: str,
        raw: Any,
        early: dict[tuple[str, int], asyncio.Future],
    ) -> SpotifyAlbum:
        with self._upstream.reading(endpoint):
            summary = parse_album_summary(raw, where)
            # An album object carries its first page of tracks: without it the album's
            # songs would be lost without a word.
            paging = parse_paging(raw.get("tracks"), field_path(where, "tracks"))
        items = list(paging.get("items") or [])
        total = paging.get("total") or len(items)
        if paging.get("next") and total > len(items):
            offsets = range(len(items), total, ALBUM_TRACKS_PAGE)
            pages = await asyncio.gather(
                *(
                    early.pop((summary.spotify_id, offset), None)
                    or self._album_tracks_page(summary.spotify_id, offset)
                    for offset in offsets
                )
            )
            for page in pages:
                items += page.get("items") or []
        tracks: dict[str, SpotifyTrackSummary] = {}
        with self._upstream.reading(
            endpoint if len(items) <= ALBUM_TRACKS_PAGE else "album tracks"
        ):
            for n, item in enumerate(items):
                track_where = field_path(field_path(where, "tracks.items"), n)
                track = parse_track_summary(item, summary.spotify_id, track_where)
                tracks.setdefault(track.spotify_id, track)
        return SpotifyAlbum(summary=summary, tracks=tuple(tracks.values()))

    async def tracks(self, track_ids: Sequence[str]) -> list[SpotifyTrack]:
        """ISRC and popularity of each known track (unknown ids are left out)."""
        if self.mode == AppMode.EXTENDED:
            try:
                pages = await self._all_batches(self._tracks_batch, track_ids, TRACKS_PER_BATCH)
            except UpstreamError as exc:
                if exc.status != 403 or not self._switch_to_development():
                    raise
            else:
                return [track for page in pages for track in page]
        raws = await asyncio.gather(
            *(self._get("track", f"/v1/tracks/{i}", {"market": self.market}) for i in track_ids)
        )
        with self._upstream.reading("track"):
            return [parse_track(raw, f"track {i}") for i, raw in zip(track_ids, raws, strict=True)]

    async def _audio_features_batch(self, ids: list[str]) -> list[tuple[str, float | None]]:
        body = await self._get("audio features", "/v1/audio-features", {"ids": ",".join(ids)})
        with self._upstream.reading("audio features"):
            rows = read_list(read_object(body, ""), "audio_features", "", required=True)
            return [
                parse_liveness(row, f"audio_features[{n}]")
                for n, row in enumerate(rows)
                if row is not None  # no features for this track: it is kept
            ]

    async def _tracks_batch(self, ids: list[str]) -> list[SpotifyTrack]:
        body = await self._get(
            "several tracks", "/v1/tracks", {"ids": ",".join(ids), "market": self.market}
        )
        with self._upstream.reading("several tracks"):
            raws = read_list(read_object(body, ""), "tracks", "", required=True)
            return [
                parse_track(raw, f"tracks[{n}]")
                for n, raw in enumerate(raws)
                if raw is not None  # an unknown id
            ]

    async def liveness(self, track_ids: Sequence[str]) -> dict[str, float | None]:
        """Liveness per track id (None where Spotify has no features for a track).

        Raises `AudioFeaturesUnavailable` when Spotify refuses audio features (403).
        """
        batches = [list(batch) for batch in batched(track_ids, AUDIO_FEATURES_PER_BATCH)]
        if not batches:
            return {}
        try:
            if self._mode_key in _audio_features_seen:
                pages = list(await asyncio.gather(*map(self._audio_features_batch, batches)))
            else:
                # One batch first: when Spotify refuses this app, it refuses every batch.
                pages = [await self._audio_features_batch(batches[0])]
                _audio_features_seen.add(self._mode_key)
                pages += await asyncio.gather(*map(self._audio_features_batch, batches[1:]))
        except UpstreamError as exc:
            if exc.status == 403:
                _audio_features_seen.discard(self._mode_key)
                raise AudioFeaturesUnavailable(str(exc)) from None
            raise
        liveness: dict[str, float | None] = dict.fromkeys(track_ids)
        for page in pages:
            for track_id, value in page:
                if track_id in liveness:
                    liveness[track_id] = value
        return liveness
