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

from theset.upstream import RateLimiter, UpstreamClient, UpstreamError, key_fingerprint

PROVIDER = "Spotify"
ALBUMS_PER_BATCH = 20
T = TypeVar("T")

TRACKS_PER_BATCH = 50
AUDIO_FEATURES_PER_BATCH = 100
ALBUM_TRACKS_PAGE = 50
PAGE_LIMIT = {"extended": 50, "development": 10}
# Renew the token this long before Spotify says it expires.
TOKEN_EXPIRY_MARGIN_SECONDS = 60


class AppMode:
    EXTENDED = "extended"
    DEVELOPMENT = "development"
    AUTO = "auto"


class AudioFeaturesUnavailable(Exception):
    """Spotify refuses audio features to this app (403): fall back to the name rules."""


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


# --- Parsing (pure) -----------------------------------------------------------


def _image(images: Any) -> str:
    images = [i for i in images or [] if isinstance(i, dict) and i.get("url")]
    return max(images, key=lambda i: i.get("width") or 0)["url"] if images else ""


def parse_artist(raw: dict[str, Any]) -> SpotifyArtist:
    return SpotifyArtist(
        spotify_id=raw["id"],
        name=raw.get("name") or "",
        genres=tuple(raw.get("genres") or ()),
        image_url=_image(raw.get("images")),
        popularity=raw.get("popularity"),
    )


def parse_album_summary(raw: dict[str, Any]) -> SpotifyAlbumSummary:
    return SpotifyAlbumSummary(
        spotify_id=raw["id"],
        name=raw.get("name") or "",
        album_type=(raw.get("album_type") or "album").lower(),
        album_group=(raw.get("album_group") or raw.get("album_type") or "album").lower(),
        release_date=raw.get("release_date") or "",
        release_date_precision=raw.get("release_date_precision") or "",
        total_tracks=int(raw.get("total_tracks") or 0),
        image_url=_image(raw.get("images")),
    )


def parse_track_summary(raw: dict[str, Any], album_spotify_id: str) -> SpotifyTrackSummary:
    return SpotifyTrackSummary(
        spotify_id=raw["id"],
        name=raw.get("name") or "",
        duration_ms=int(raw.get("duration_ms") or 0),
        disc_number=int(raw.get("disc_number") or 1),
        track_number=int(raw.get("track_number") or 1),
        album_spotify_id=album_spotify_id,
    )


def parse_track(raw: dict[str, Any]) -> SpotifyTrack:
    isrc = (raw.get("external_ids") or {}).get("isrc")
    return SpotifyTrack(
        spotify_id=raw["id"],
        isrc=isrc.strip().upper() if isinstance(isrc, str) and isrc.strip() else None,
        popularity=raw.get("popularity"),
    )


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
        limiter = (
            RateLimiter(
                name=f"spotify:{key_fingerprint(client_id)}",
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
    def stats(self):
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
            lifetime = float(body.get("expires_in") or 3600)
            margin = min(TOKEN_EXPIRY_MARGIN_SECONDS, lifetime / 10)
            _tokens[self._token_key] = _Token(
                body["access_token"], time.monotonic() + lifetime - margin
            )
            return body["access_token"]

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

    async def artist(self, spotify_id: str) -> SpotifyArtist:
        return parse_artist(await self._get("artist", f"/v1/artists/{spotify_id}"))

    async def search_artists(self, name: str, *, max_results: int = 50) -> list[SpotifyArtist]:
        """Artists whose names match the query, best first (up to `max_results`)."""
        found: list[SpotifyArtist] = []
        offset = 0
        while offset < max_results:
            body = await self._search_page(name, offset)
            paging = body.get("artists") or {}
            items = [item for item in paging.get("items") or [] if item]
            found += [parse_artist(item) for item in items]
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
        total = int(first.get("total") or 0)
        pages = [first]
        offsets = range(limit, total, limit)
        pages += await asyncio.gather(*(self._artist_albums_page(artist_id, o) for o in offsets))
        offset = max([0, *offsets])
        while len(pages[-1].get("items") or []) == limit and pages[-1].get("next"):
            offset += limit
            pages.append(await self._artist_albums_page(artist_id, offset))
        albums: dict[str, SpotifyAlbumSummary] = {}
        for page in pages:
            for item in page.get("items") or []:
                if item and item.get("id") and item["id"] not in albums:
                    albums[item["id"]] = parse_album_summary(item)
        return list(albums.values())

    async def _artist_albums_page(self, artist_id: str, offset: int) -> dict[str, Any]:
        params = {
            "include_groups": "album,single",
            "market": self.market,
            "limit": self.page_limit,
            "offset": offset,
        }
        try:
            return await self._get("artist albums", f"/v1/artists/{artist_id}/albums", params)
        except UpstreamError as exc:
            if (
                exc.status == 400
                and "limit" in exc.detail.lower()
                and self._switch_to_development()
            ):
                return await self._artist_albums_page(artist_id, offset)
            raise

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
            raws = await self._album_objects(album_ids)
            return list(
                await asyncio.gather(*(self._complete_album(raw, early) for raw in raws if raw))
            )
        finally:
            for task in early.values():  # pages the albums turned out not to need
                task.cancel()
            if early:
                await asyncio.gather(*early.values(), return_exceptions=True)

    async def _album_objects(self, album_ids: Sequence[str]) -> list[dict[str, Any] | None]:
        if self.mode == AppMode.EXTENDED:
            try:
                pages = await self._all_batches(self._albums_batch, album_ids, ALBUMS_PER_BATCH)
            except UpstreamError as exc:
                if exc.status != 403 or not self._switch_to_development():
                    raise
            else:
                return [raw for page in pages for raw in page]
        return list(
            await asyncio.gather(
                *(self._get("album", f"/v1/albums/{i}", {"market": self.market}) for i in album_ids)
            )
        )

    async def _albums_batch(self, ids: list[str]) -> list[dict[str, Any] | None]:
        body = await self._get(
            "several albums", "/v1/albums", {"ids": ",".join(ids), "market": self.market}
        )
        return body.get("albums") or []

    async def _album_tracks_page(self, album_id: str, offset: int) -> dict[str, Any]:
        params = {"limit": ALBUM_TRACKS_PAGE, "offset": offset, "market": self.market}
        return await self._get("album tracks", f"/v1/albums/{album_id}/tracks", params)

    async def _complete_album(
        self, raw: dict[str, Any], early: dict[tuple[str, int], asyncio.Future]
    ) -> SpotifyAlbum:
        summary = parse_album_summary(raw)
        paging = raw.get("tracks") or {}
        items = list(paging.get("items") or [])
        total = int(paging.get("total") or len(items))
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
        tracks = {}
        for item in items:
            if item and item.get("id") and item["id"] not in tracks:
                tracks[item["id"]] = parse_track_summary(item, summary.spotify_id)
        return SpotifyAlbum(summary=summary, tracks=tuple(tracks.values()))

    async def tracks(self, track_ids: Sequence[str]) -> list[SpotifyTrack]:
        """ISRC and popularity of each known track (unknown ids are left out)."""
        raws: list[dict[str, Any] | None] = []
        if self.mode == AppMode.EXTENDED:
            try:
                pages = await self._all_batches(self._tracks_batch, track_ids, TRACKS_PER_BATCH)
            except UpstreamError as exc:
                if exc.status != 403 or not self._switch_to_development():
                    raise
            else:
                raws = [raw for page in pages for raw in page]
        if self.mode == AppMode.DEVELOPMENT:
            raws = list(
                await asyncio.gather(
                    *(
                        self._get("track", f"/v1/tracks/{i}", {"market": self.market})
                        for i in track_ids
                    )
                )
            )
        return [parse_track(raw) for raw in raws if raw]

    async def _audio_features_batch(self, ids: list[str]) -> dict[str, Any]:
        return await self._get("audio features", "/v1/audio-features", {"ids": ",".join(ids)})

    async def _tracks_batch(self, ids: list[str]) -> list[dict[str, Any] | None]:
        body = await self._get(
            "several tracks", "/v1/tracks", {"ids": ",".join(ids), "market": self.market}
        )
        return body.get("tracks") or []

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
            for features in page.get("audio_features") or []:
                if features and features.get("id") in liveness:
                    liveness[features["id"]] = features.get("liveness")
        return liveness
