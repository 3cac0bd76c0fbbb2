"""Spotify accounts (client credentials) and Web API, served from a `World`.

Shapes and limits follow shared/UPSTREAM.md, including the 2026 development
mode table. Error texts it marks *unconfirmed* are collected at the top.

Ids: a known id is always accepted; an unknown id is "malformed" (400
`invalid id`) unless it is 22 base-62 characters, in which case it is simply
unknown (404 alone, `null` in a batch).
"""

from __future__ import annotations

import base64
import binascii
import math
import re
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode

from pyrate_limiter import Rate
from starlette.requests import Request
from starlette.responses import Response

from sandbox.common import SpotifyJSON, digest, digest_int, fold, parse_int
from sandbox.config import SandboxConfig
from sandbox.gateway import WindowLimiter
from sandbox.world import Album, Artist, Track, World

WINDOW_MS = 30_000  # Spotify's rolling rate-limit window
_ID_SHAPE = re.compile(r"[0-9A-Za-z]{22}")
ALBUM_GROUPS = ("album", "single", "appears_on", "compilation")  # Spotify's listing order
SEARCH_TYPES = ("album", "artist", "playlist", "track", "show", "episode", "audiobook")
MAX_ALBUM_IDS, MAX_TRACK_IDS, MAX_AUDIO_FEATURE_IDS = 20, 50, 100
ALBUM_TRACKS_PAGE = 50  # tracks embedded in a full album
MAX_SEARCH_OFFSET = 1000
# Fields a development-mode app no longer gets, per object type (UPSTREAM.md's table):
# on artists, albums (listed, full, or a track's album) and tracks (simplified or full).
DEVELOPMENT_REMOVED: dict[str, frozenset[str]] = {
    "artist": frozenset({"followers", "genres", "popularity"}),
    "album": frozenset({"available_markets", "label", "popularity"}),
    "track": frozenset({"available_markets", "linked_from", "popularity"}),
}
# Album artist of compilations the artist only appears on.
VARIOUS_ARTISTS = {"id": "0LyfQWJT6nXafLPZqxe9Of", "name": "Various Artists"}

# --- Error texts --------------------------------------------------------------
NO_TOKEN = "No token provided"
INVALID_TOKEN = "Invalid access token"
EXPIRED_TOKEN = "The access token expired"
BAD_AUTH_SCHEME = "Only valid bearer authentication supported"  # unconfirmed
NOT_FOUND = "non existing id"
INVALID_ID = "invalid id"  # unconfirmed
TOO_MANY_IDS = "too many ids requested"  # unconfirmed
INVALID_LIMIT = "Invalid limit"
INVALID_OFFSET = "Invalid offset"  # unconfirmed
INVALID_MARKET = "Invalid market code"  # unconfirmed
INVALID_GROUPS = "Invalid include_groups value"  # unconfirmed
NO_QUERY = "No search query"  # unconfirmed
MISSING_TYPE = "Missing parameter type"  # unconfirmed
BAD_TYPE = "Bad search type field"  # unconfirmed
FORBIDDEN = "Forbidden"
RATE_LIMITED = "API rate limit exceeded"  # unconfirmed (extended-quota apps)
FAULT_MESSAGES = {500: "Server error.", 502: "Bad gateway.", 503: "Service unavailable"}


def error(status: int, message: str, **extra: Any) -> Response:
    """Spotify's error envelope `{"error": {"status", "message"}}`."""
    return SpotifyJSON({"error": {"status": status, "message": message, **extra}}, status)


def _unauthorized(message: str) -> Response:
    response = error(401, message)
    response.headers["WWW-Authenticate"] = 'Bearer realm="spotify"'
    return response


def _oauth_error(code: str, description: str) -> Response:
    """The accounts service's flat OAuth error body."""
    return SpotifyJSON({"error": code, "error_description": description}, 400)


@dataclass(slots=True)
class _Catalog:
    """Lookups by Spotify id and the markets known, built from one state of the world."""

    artists: dict[str, Artist] = field(default_factory=dict)
    albums: dict[str, Album] = field(default_factory=dict)
    album_owners: dict[str, list[Artist]] = field(default_factory=dict)
    artist_albums: dict[str, list[Album]] = field(default_factory=dict)
    tracks: dict[str, tuple[Track, Album]] = field(default_factory=dict)
    # Valid `market` values: the configured ones and every market an album is sold in.
    markets: frozenset[str] = frozenset()

    @classmethod
    def of(cls, world: World, markets: Iterable[str]) -> _Catalog:
        catalog = cls()
        for artist in [*world.artists, *world.decoy_spotify_artists]:
            if not artist.spotify_id or artist.spotify_id in catalog.artists:
                continue
            catalog.artists[artist.spotify_id] = artist
            catalog.artist_albums[artist.spotify_id] = list(artist.albums)
            for album in artist.albums:
                catalog.albums.setdefault(album.spotify_id, album)
                owners = catalog.album_owners.setdefault(album.spotify_id, [])
                if all(o is not artist for o in owners):
                    owners.append(artist)
                for track in album.tracks:
                    catalog.tracks.setdefault(track.spotify_id, (track, album))
        catalog.markets = frozenset(markets).union(
            m for album in catalog.albums.values() for m in album.available_markets
        )
        return catalog


class Spotify:
    """Accounts token endpoint, Web API handlers, and the gateway hooks."""

    credential_params: frozenset[str] = frozenset()

    def __init__(
        self,
        world: World,
        config: SandboxConfig,
        record_batch: Callable[[str, int], None] = lambda endpoint, n: None,
    ) -> None:
        self.config = config
        self.dev = config.development_mode
        self.record_batch = record_batch
        limit = config.spotify_window_limit
        self.limiter = WindowLimiter([Rate(limit, WINDOW_MS)] if limit else [])
        self.tokens: dict[str, tuple[str, float]] = {}  # token -> (client id, monotonic expiry)
        self.reindex(world)

    def reindex(self, world: World) -> None:
        """Build the lookups from `world`: at start, and again after it changed
        (`sandbox.advance`). One assignment swaps them, so a request never sees
        lookups half rebuilt."""
        self.catalog = _Catalog.of(world, self.config.markets)

    # --- accounts ------------------------------------------------------------

    async def token(self, request: Request) -> Response:
        """`POST /api/token` with client credentials (Basic auth or form fields)."""
        form = dict(parse_qsl((await request.body()).decode("utf-8", "replace")))
        client_id, secret = form.get("client_id"), form.get("client_secret")
        scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "basic":
            try:
                decoded = base64.b64decode(encoded.strip(), validate=True).decode()
            except (binascii.Error, UnicodeDecodeError):
                return _oauth_error("invalid_client", "Invalid client")
            client_id, _, secret = decoded.partition(":")
        if not client_id or not secret:
            return _oauth_error("invalid_client", "Invalid client")
        expected_id, expected_secret = (
            self.config.spotify_client_id,
            self.config.spotify_client_secret,
        )
        if expected_id is not None and client_id != expected_id:
            return _oauth_error("invalid_client", "Invalid client")
        if expected_secret is not None and secret != expected_secret:
            return _oauth_error("invalid_client", "Invalid client secret")
        grant_type = form.get("grant_type")
        if not grant_type:
            return _oauth_error("unsupported_grant_type", "grant_type parameter is missing")
        if grant_type != "client_credentials":
            return _oauth_error(
                "unsupported_grant_type",
                "grant_type must be client_credentials, authorization_code or refresh_token",
            )
        ttl = self.config.token_ttl_seconds
        access_token = "BQ" + secrets.token_urlsafe(78)
        self.tokens[access_token] = (client_id, time.monotonic() + ttl)
        return SpotifyJSON(
            {"access_token": access_token, "token_type": "Bearer", "expires_in": math.ceil(ttl)}
        )

    # --- gateway hooks ---------------------------------------------------------

    def authenticate(self, request: Request) -> str | Response:
        """The app (client id) the Bearer token was issued to, or Spotify's refusal."""
        header = request.headers.get("authorization")
        if not header:
            return _unauthorized(NO_TOKEN)
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return error(400, BAD_AUTH_SCHEME)
        issued = self.tokens.get(token.strip())
        if issued is None:
            return _unauthorized(INVALID_TOKEN)
        client_id, expires_at = issued
        if time.monotonic() >= expires_at:
            return _unauthorized(EXPIRED_TOKEN)
        return client_id

    def throttle(self, identity: str, endpoint: str, at_ms: int) -> Response | None:
        """429 with `Retry-After` (seconds) over the app's rolling 30 s window.

        The Retry-After is the wait until the window has room, or the configured
        `spotify_retry_after_seconds`. Either way the app is then held: every request
        is refused until that many seconds have passed (later 429s ask for what is
        left of them): a client that retries early is refused, one that waits is not.
        A development-mode app's 429 is the quota one (`"reason": "QUOTA_EXCEEDED"`):
        `--spotify-app development` with a `--spotify-rps` a test can exhaust.
        """
        refusal = self.limiter.admit(identity, at_ms)
        if refusal is None:
            return None
        retry_after = max(1, math.ceil(refusal.wait_ms / 1000))
        if not refusal.held:  # a new refusal: its Retry-After holds the app until then
            retry_after = self.config.spotify_retry_after_seconds or retry_after
            self.limiter.hold(identity, retry_after * 1000)
        if self.dev:
            response = error(429, "Too many requests", reason="QUOTA_EXCEEDED")
        else:
            response = error(429, RATE_LIMITED)
        response.headers["Retry-After"] = str(retry_after)
        return response

    def reset_limits(self) -> None:
        """Forget every app's window."""
        self.limiter.reset()

    def fault(self, status: int) -> Response:
        """A Spotify-style 5xx."""
        return error(status, FAULT_MESSAGES[status])

    def decorate(self, response: Response, identity: str) -> None:
        """Spotify adds nothing to successful answers."""

    # --- request helpers -------------------------------------------------------

    @staticmethod
    def _api(request: Request) -> str:
        """Absolute base of the Web API as the client reached it (hrefs are absolute)."""
        return str(request.base_url).rstrip("/") + "/v1"

    def _market(self, request: Request) -> tuple[str | None, Response | None]:
        market = request.query_params.get("market")
        if market is None:
            return None, None
        if market not in self.catalog.markets:
            return None, error(400, INVALID_MARKET)
        return market, None

    def _window(
        self, request: Request, default: int, maximum: int, max_offset: int | None = None
    ) -> tuple[int, int] | Response:
        """(limit, offset) within Spotify's bounds, else its 400."""
        params = request.query_params
        limit = parse_int(params.get("limit"), default)
        if limit is None or not 1 <= limit <= maximum:
            return error(400, INVALID_LIMIT)
        offset = parse_int(params.get("offset"), 0)
        if offset is None or offset < 0 or (max_offset is not None and offset > max_offset):
            return error(400, INVALID_OFFSET)
        return limit, offset

    def _ids(self, request: Request, endpoint: str, maximum: int) -> list[str] | Response:
        """The `ids` list (order and repeats kept), or the 400 Spotify gives."""
        raw = request.query_params.get("ids", "")
        ids = raw.split(",") if raw else []
        self.record_batch(endpoint, len(ids))
        if not ids:
            return error(400, INVALID_ID)
        if len(ids) > maximum:
            return error(400, TOO_MANY_IDS)
        if any(not self._well_formed(i) for i in ids):
            return error(400, INVALID_ID)
        return ids

    def _well_formed(self, spotify_id: str) -> bool:
        return (
            bool(_ID_SHAPE.fullmatch(spotify_id))
            or spotify_id in self.catalog.artists
            or (spotify_id in self.catalog.albums or spotify_id in self.catalog.tracks)
        )

    def _lookup_error(self, spotify_id: str) -> Response:
        """400 for a malformed id, 404 for an unknown one."""
        if not self._well_formed(spotify_id):
            return error(400, INVALID_ID)
        return error(404, NOT_FOUND)

    # --- objects ----------------------------------------------------------------

    @staticmethod
    def _images(kind: str, spotify_id: str) -> list[dict[str, Any]]:
        key = digest("spotify-image", kind, spotify_id)[:40]
        return [
            {
                "url": f"https://i.scdn.co/image/ab67616d0000{size:04x}{key}",
                "height": size,
                "width": size,
            }
            for size in (640, 300, 64)
        ]

    @staticmethod
    def _simple_artist(api: str, spotify_id: str, name: str) -> dict[str, Any]:
        return {
            "external_urls": {"spotify": f"https://open.spotify.com/artist/{spotify_id}"},
            "href": f"{api}/artists/{spotify_id}",
            "id": spotify_id,
            "name": name,
            "type": "artist",
            "uri": f"spotify:artist:{spotify_id}",
        }

    def _artist(self, api: str, artist: Artist) -> dict[str, Any]:
        assert artist.spotify_id is not None
        sid = artist.spotify_id
        body: dict[str, Any] = {
            "external_urls": {"spotify": f"https://open.spotify.com/artist/{sid}"},
            "followers": {"href": None, "total": artist.followers},
            "genres": [g.lower() for g in artist.genres],
            "href": f"{api}/artists/{sid}",
            "id": sid,
            "images": self._images("artist", sid),
            "name": artist.name,
            "popularity": artist.popularity,
            "type": "artist",
            "uri": f"spotify:artist:{sid}",
        }
        return self._for_app(body)

    def _for_app(self, body: dict[str, Any]) -> dict[str, Any]:
        """`body` without the fields development mode removed from its object type."""
        if self.dev:
            for name in DEVELOPMENT_REMOVED[body["type"]]:
                body.pop(name, None)
        return body

    def _album_artists(self, api: str, album: Album) -> list[dict[str, Any]]:
        if album.group == "appears_on":
            return [self._simple_artist(api, VARIOUS_ARTISTS["id"], VARIOUS_ARTISTS["name"])]
        return self._track_artists(api, album)

    def _track_artists(self, api: str, album: Album) -> list[dict[str, Any]]:
        owners = self.catalog.album_owners.get(album.spotify_id, [])
        return [self._simple_artist(api, a.spotify_id or "", a.name) for a in owners]

    def _simple_album(self, api: str, album: Album, *, group: bool = False) -> dict[str, Any]:
        aid = album.spotify_id
        body: dict[str, Any] = {
            "album_type": album.album_type,
            "total_tracks": len(album.tracks),
            "available_markets": list(album.available_markets),
            "external_urls": {"spotify": f"https://open.spotify.com/album/{aid}"},
            "href": f"{api}/albums/{aid}",
            "id": aid,
            "images": self._images("album", aid),
            "name": album.name,
            "release_date": album.release_date,
            "release_date_precision": album.release_date_precision,
            "type": "album",
            "uri": f"spotify:album:{aid}",
            "artists": self._album_artists(api, album),
        }
        if group:
            body["album_group"] = album.group
        return self._for_app(body)

    def _simple_track(self, api: str, track: Track, album: Album) -> dict[str, Any]:
        tid = track.spotify_id
        body: dict[str, Any] = {
            "artists": self._track_artists(api, album),
            "available_markets": list(album.available_markets),
            "disc_number": track.disc_number,
            "duration_ms": track.duration_ms,
            "explicit": track.explicit,
            "external_urls": {"spotify": f"https://open.spotify.com/track/{tid}"},
            "href": f"{api}/tracks/{tid}",
            "id": tid,
            "name": track.name,
            "preview_url": None,
            "track_number": track.track_number,
            "type": "track",
            "uri": f"spotify:track:{tid}",
            "is_local": False,
        }
        return self._for_app(body)

    def _track(self, api: str, track: Track, album: Album) -> dict[str, Any]:
        body = self._simple_track(api, track, album)
        body["album"] = self._simple_album(api, album)
        body["external_ids"] = {"isrc": track.isrc} if track.isrc else {}
        body["popularity"] = track.popularity
        return self._for_app(body)

    def _album(self, api: str, album: Album) -> dict[str, Any]:
        aid = album.spotify_id
        body = self._simple_album(api, album)
        items = [self._simple_track(api, t, album) for t in album.tracks[:ALBUM_TRACKS_PAGE]]
        body["tracks"] = _paging(
            f"{api}/albums/{aid}/tracks", items, len(album.tracks), 0, ALBUM_TRACKS_PAGE
        )
        year = album.release_date[:4]
        body["copyrights"] = [
            {"text": f"© {year} {album.label}", "type": "C"},
            {"text": f"℗ {year} {album.label}", "type": "P"},
        ]
        body["external_ids"] = {"upc": f"{digest_int('upc', aid) % 10**12:012d}"}
        body["genres"] = []
        body["label"] = album.label
        body["popularity"] = album.popularity
        return self._for_app(body)

    def _audio_features(self, api: str, track: Track) -> dict[str, Any] | None:
        if track.liveness is None:
            return None
        tid = track.spotify_id

        def unit(name: str) -> float:
            return round(digest_int("af", name, tid) % 10_000 / 10_000, 4)

        return {
            "acousticness": unit("acousticness"),
            "analysis_url": f"{api}/audio-analysis/{tid}",
            "danceability": unit("danceability"),
            "duration_ms": track.duration_ms,
            "energy": unit("energy"),
            "id": tid,
            "instrumentalness": round(unit("instrumentalness") / 10, 4),
            "key": digest_int("af-key", tid) % 12,
            "liveness": track.liveness,
            "loudness": round(-2 - unit("loudness") * 14, 3),
            "mode": digest_int("af-mode", tid) % 2,
            "speechiness": round(unit("speechiness") / 5, 4),
            "tempo": round(70 + unit("tempo") * 110, 3),
            "time_signature": 4 if unit("ts") < 0.9 else 3,
            "track_href": f"{api}/tracks/{tid}",
            "type": "audio_features",
            "uri": f"spotify:track:{tid}",
            "valence": unit("valence"),
        }

    # --- handlers ---------------------------------------------------------------

    def artist(self, request: Request) -> Response:
        """`GET /v1/artists/{id}`."""
        artist_id = request.path_params["id"]
        artist = self.catalog.artists.get(artist_id)
        if artist is None:
            return self._lookup_error(artist_id)
        return SpotifyJSON(self._artist(self._api(request), artist))

    def artist_albums(self, request: Request) -> Response:
        """`GET /v1/artists/{id}/albums`: each album once; with `market`, only those sold there.

        Without `market` an album's regional releases (own ids and markets) are
        listed too, as they are separate albums.
        """
        artist_id = request.path_params["id"]
        if artist_id not in self.catalog.artists:
            return self._lookup_error(artist_id)
        params = request.query_params
        raw_groups = params.get("include_groups")
        groups = [g.strip() for g in raw_groups.split(",")] if raw_groups else list(ALBUM_GROUPS)
        if any(g not in ALBUM_GROUPS for g in groups):
            return error(400, INVALID_GROUPS)
        market, refusal = self._market(request)
        if refusal is not None:
            return refusal
        window = self._window(request, *((5, 10) if self.dev else (20, 50)))
        if isinstance(window, Response):
            return window
        limit, offset = window
        albums = [a for a in self.catalog.artist_albums[artist_id] if a.group in groups]
        albums.sort(key=lambda a: a.release_date, reverse=True)
        albums.sort(key=lambda a: ALBUM_GROUPS.index(a.group))
        listed: set[str] = set()
        listing = []
        for album in albums:
            if album.spotify_id in listed:
                continue
            if market is None or market in album.available_markets:
                listed.add(album.spotify_id)
                listing.append(album)
        api = self._api(request)
        items = [self._simple_album(api, a, group=True) for a in listing[offset : offset + limit]]
        extra = [("include_groups", ",".join(groups))] if raw_groups else []
        if market:
            extra.append(("market", market))
        url = f"{api}/artists/{artist_id}/albums"
        return SpotifyJSON(_paging(url, items, len(listing), offset, limit, extra))

    def albums(self, request: Request) -> Response:
        """`GET /v1/albums?ids=` (removed in development mode)."""
        return self._batch(
            request, "spotify.albums_batch", MAX_ALBUM_IDS, "albums", self.catalog.albums,
            self._album,
        )  # fmt: skip

    def _batch(
        self,
        request: Request,
        endpoint: str,
        max_ids: int,
        key: str,
        table: dict[str, Any],
        render: Callable[..., dict[str, Any]],
    ) -> Response:
        """A several-items endpoint: gone in development mode, at most `max_ids` ids,
        `null` in place of an unknown one, answers in the order asked."""
        if self.dev:
            return error(403, FORBIDDEN)
        ids = self._ids(request, endpoint, max_ids)
        if isinstance(ids, Response):
            return ids
        _, refusal = self._market(request)
        if refusal is not None:
            return refusal
        api = self._api(request)
        found = [table.get(i) for i in ids]
        return SpotifyJSON({key: [render(api, item) if item else None for item in found]})

    def album(self, request: Request) -> Response:
        """`GET /v1/albums/{id}`: full album with its first 50 tracks."""
        album_id = request.path_params["id"]
        album = self.catalog.albums.get(album_id)
        if album is None:
            return self._lookup_error(album_id)
        _, refusal = self._market(request)
        if refusal is not None:
            return refusal
        return SpotifyJSON(self._album(self._api(request), album))

    def album_tracks(self, request: Request) -> Response:
        """`GET /v1/albums/{id}/tracks` (limit <= 50 in both modes)."""
        album_id = request.path_params["id"]
        album = self.catalog.albums.get(album_id)
        if album is None:
            return self._lookup_error(album_id)
        market, refusal = self._market(request)
        if refusal is not None:
            return refusal
        window = self._window(request, 20, 50)
        if isinstance(window, Response):
            return window
        limit, offset = window
        api = self._api(request)
        items = [self._simple_track(api, t, album) for t in album.tracks[offset : offset + limit]]
        extra = [("market", market)] if market else []
        url = f"{api}/albums/{album_id}/tracks"
        return SpotifyJSON(_paging(url, items, len(album.tracks), offset, limit, extra))

    def tracks(self, request: Request) -> Response:
        """`GET /v1/tracks?ids=` (removed in development mode)."""
        return self._batch(
            request, "spotify.tracks_batch", MAX_TRACK_IDS, "tracks", self.catalog.tracks,
            lambda api, found: self._track(api, *found),
        )  # fmt: skip

    def track(self, request: Request) -> Response:
        """`GET /v1/tracks/{id}`: full track with ISRC."""
        track_id = request.path_params["id"]
        found = self.catalog.tracks.get(track_id)
        if found is None:
            return self._lookup_error(track_id)
        _, refusal = self._market(request)
        if refusal is not None:
            return refusal
        return SpotifyJSON(self._track(self._api(request), *found))

    def audio_features(self, request: Request) -> Response:
        """`GET /v1/audio-features?ids=`: 403 with a bare status for newer or dev apps."""
        if self.dev or self.config.audio_features == "forbidden":
            return SpotifyJSON({"error": {"status": 403}}, 403)
        ids = self._ids(request, "spotify.audio_features", MAX_AUDIO_FEATURE_IDS)
        if isinstance(ids, Response):
            return ids
        api = self._api(request)
        features = []
        for spotify_id in ids:
            found = self.catalog.tracks.get(spotify_id)
            features.append(self._audio_features(api, found[0]) if found else None)
        return SpotifyJSON({"audio_features": features})

    def search(self, request: Request) -> Response:
        """`GET /v1/search?type=artist&q=`: artists whose names contain the query."""
        params = request.query_params
        query = params.get("q", "")
        if not query.strip():
            return error(400, NO_QUERY)
        raw_types = params.get("type")
        if not raw_types:
            return error(400, MISSING_TYPE)
        types = [t.strip() for t in raw_types.split(",")]
        if any(t not in SEARCH_TYPES for t in types):
            return error(400, f"{BAD_TYPE} {raw_types}")
        window = self._window(request, *((5, 10) if self.dev else (20, 50)), MAX_SEARCH_OFFSET)
        if isinstance(window, Response):
            return window
        limit, offset = window
        api = self._api(request)
        extra = [("query", query), ("type", raw_types)]
        body: dict[str, Any] = {}
        for kind in types:
            matches = self._search_artists(query) if kind == "artist" else []
            items = [self._artist(api, a) for a in matches[offset : offset + limit]]
            body[kind + "s"] = _paging(f"{api}/search", items, len(matches), offset, limit, extra)
        return SpotifyJSON(body)

    def _search_artists(self, query: str) -> list[Artist]:
        """Exact names first, then prefixes, then other containing names; popular first."""
        # Field filters (artist:"Name") narrow the real search; here they just unwrap.
        needle = fold(re.sub(r"\b(artist|genre|year|tag):", "", query).replace('"', "")).strip()
        ranked = []
        for position, artist in enumerate(self.catalog.artists.values()):
            name = fold(artist.name)
            if needle in name:
                rank = 0 if name == needle else 1 if name.startswith(needle) else 2
                ranked.append((rank, -artist.popularity, position, artist))
        ranked.sort(key=lambda r: r[:3])
        return [r[3] for r in ranked]


def _paging(
    url: str,
    items: list[Any],
    total: int,
    offset: int,
    limit: int,
    extra: Iterable[tuple[str, str]] = (),
) -> dict[str, Any]:
    """Spotify's paging object with absolute href/next/previous."""
    extra = list(extra)

    def href(at: int) -> str:
        query = urlencode([("offset", at), ("limit", limit), *extra], safe=",:", quote_via=quote)
        return f"{url}?{query}"

    return {
        "href": href(offset),
        "items": items,
        "limit": limit,
        "next": href(offset + limit) if offset + limit < total else None,
        "offset": offset,
        "previous": href(max(0, offset - limit)) if offset > 0 else None,
        "total": total,
    }
