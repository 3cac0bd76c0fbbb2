"""The sandbox upstream as one ASGI app: Ticketmaster, Spotify and `/_sandbox/*`.

`build_app(world, config)` indexes the world and returns a Starlette app
that serves it over real HTTP (uvicorn, see the `sandbox_upstream` command)
or in-process (`sandbox.transport`); `POST /_sandbox/advance` changes the
world (`sandbox.advance`) and indexes it again. Endpoint names used in the
statistics:

- `tm.events`, `tm.event`, `tm.attraction`, `tm.attractions_search`, `tm.venue`
- `accounts.token`
- `spotify.artist`, `spotify.artist_albums`, `spotify.albums_batch`,
  `spotify.album`, `spotify.album_tracks`, `spotify.tracks_batch`,
  `spotify.track`, `spotify.audio_features`, `spotify.search`

See `gateway` for the order of checks and the fault policy, `ticketmaster`
for how dates and TBA events are filtered.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from sandbox import truth
from sandbox.advance import AdvanceError, advance_world
from sandbox.config import SandboxConfig
from sandbox.gateway import Endpoint, Gateway, Handler
from sandbox.spotify import Spotify
from sandbox.spotify import error as spotify_error
from sandbox.ticketmaster import Ticketmaster
from sandbox.world import World


def build_app(world: World, config: SandboxConfig) -> Starlette:
    """An ASGI app serving `world` as Ticketmaster + Spotify, configured by `config`."""
    gateway = Gateway(config)
    tm = Ticketmaster(world, config)
    sp = Spotify(
        world,
        config,
        record_batch=lambda endpoint, n: gateway.stats.batch_ids[endpoint].append(n),
    )
    gateway.on_reset(tm.reset_limits)
    gateway.on_reset(sp.reset_limits)

    def route(path: str, name: str, provider: Ticketmaster | Spotify, handler: Handler) -> Route:
        return Route(path, gateway.asgi(Endpoint(name, provider, handler)), methods=["GET"])

    discovery = "/discovery/v2"
    routes: list[BaseRoute] = []
    # Discovery answers with and without the ".json" suffix; the suffixed form first,
    # as `{id}` would otherwise swallow ".json".
    for suffix in (".json", ""):
        routes += [
            route(f"{discovery}/events{suffix}", "tm.events", tm, tm.events_search),
            route(f"{discovery}/events/{{id}}{suffix}", "tm.event", tm, tm.event_detail),
            route(
                f"{discovery}/attractions{suffix}",
                "tm.attractions_search",
                tm,
                tm.attraction_search,
            ),
            route(
                f"{discovery}/attractions/{{id}}{suffix}",
                "tm.attraction",
                tm,
                tm.attraction_detail,
            ),
            route(f"{discovery}/venues/{{id}}{suffix}", "tm.venue", tm, tm.venue_detail),
        ]
    routes += [
        Route(
            "/api/token",
            gateway.asgi(Endpoint("accounts.token", None, sp.token, can_fault=False)),
            methods=["POST"],
        ),
        route("/v1/artists/{id}", "spotify.artist", sp, sp.artist),
        route("/v1/artists/{id}/albums", "spotify.artist_albums", sp, sp.artist_albums),
        route("/v1/albums", "spotify.albums_batch", sp, sp.albums),
        route("/v1/albums/{id}", "spotify.album", sp, sp.album),
        route("/v1/albums/{id}/tracks", "spotify.album_tracks", sp, sp.album_tracks),
        route("/v1/tracks", "spotify.tracks_batch", sp, sp.tracks),
        route("/v1/tracks/{id}", "spotify.track", sp, sp.track),
        route("/v1/audio-features", "spotify.audio_features", sp, sp.audio_features),
        route("/v1/search", "spotify.search", sp, sp.search),
    ]

    async def stats(request: Request) -> Response:
        """`GET /_sandbox/stats`."""
        return JSONResponse(gateway.stats.snapshot())

    async def reset(request: Request) -> Response:
        """`POST /_sandbox/reset`: clear stats, rate-limit windows and fault sequences
        (not the world: an advance stays)."""
        gateway.reset()
        return JSONResponse({"reset": True})

    # Rebuilt after each advance: replaced whole, never changed in place.
    artists_body = _artists_body(world)
    advances = 0

    async def artists(request: Request) -> Response:
        """`GET /_sandbox/artists`: the loaded artists, their ids and sizes."""
        return JSONResponse(
            {"artists": artists_body, "advances": advances, "config": _public_config(config)}
        )

    async def advance(request: Request) -> Response:
        """`POST /_sandbox/advance`: change the world as time does, then index it again.

        Nothing awaits between the change and the new indexes, so no request is
        answered from a changed world with old indexes.
        """
        nonlocal artists_body, advances
        raw = await request.body()
        try:
            body = json.loads(raw) if raw.strip() else {}
        except (ValueError, RecursionError) as exc:
            problem = AdvanceError("(body)", f"invalid JSON ({exc})")
            return JSONResponse(problem.body(), status_code=400)
        try:
            changes = advance_world(world, body)
        except AdvanceError as problem:
            return JSONResponse(problem.body(), status_code=400)
        tm.reindex(world)
        sp.reindex(world)
        artists_body = _artists_body(world)
        advances += 1
        return JSONResponse(changes)

    routes += [
        Route("/_sandbox/stats", stats, methods=["GET"]),
        Route("/_sandbox/reset", reset, methods=["POST"]),
        Route("/_sandbox/artists", artists, methods=["GET"]),
        Route("/_sandbox/advance", advance, methods=["POST"]),
    ]

    async def not_found(request: Request, exc: Exception) -> Response:
        """Unknown paths answer in the style of the provider whose prefix they carry."""
        gateway.stats.requests["unknown"] += 1
        status = exc.status_code if isinstance(exc, HTTPException) else 404
        gateway.stats.record_response("unknown", status)
        if request.url.path.startswith("/v1/"):
            return spotify_error(status, "Service not found")
        return JSONResponse({"error": {"status": status, "path": request.url.path}}, status)

    app = Starlette(routes=routes, exception_handlers={404: not_found, 405: not_found})
    app.state.gateway = gateway  # for tests that want to look inside
    return app


def _artists_body(world: World) -> list[dict[str, Any]]:
    """The artists of `world` with their ids and sizes, as `/_sandbox/artists` lists them."""
    return [
        {
            "tm_attraction_id": artist.tm_attraction_id,
            "spotify_id": artist.spotify_id,
            "name": artist.name,
            "profile": artist.profile,
            "spotify_linked": artist.spotify_linked,
            "sizes": truth.artist_sizes(artist),
        }
        for artist in world.artists
    ]


def _public_config(config: SandboxConfig) -> dict[str, Any]:
    """The behaviour switches in force (no credentials)."""
    return {
        "latency_ms": config.latency_ms,
        "jitter_ms": config.jitter_ms,
        "tm_rps": config.tm_rps,
        "tm_daily_quota": config.tm_daily_quota,
        "tm_quota_window_seconds": config.tm_quota_window_seconds,
        "spotify_rps": config.spotify_rps,
        "spotify_retry_after_seconds": config.spotify_retry_after_seconds,
        "fault_rate": config.fault_rate,
        "seed": config.seed,
        "audio_features": config.audio_features,
        "spotify_app": config.spotify_app,
        "token_ttl_seconds": config.token_ttl_seconds,
    }
