"""`manage.py sandbox_upstream`: serve the sandbox Ticketmaster + Spotify over HTTP."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from sandbox.app import build_app
from sandbox.config import AUDIO_FEATURES_MODES, SPOTIFY_APP_MODES, SandboxConfig
from sandbox.server import serve_forever
from sandbox.world import build_world, parse_generate


class Command(BaseCommand):
    help = (
        "Serve the sandbox upstream (an offline Ticketmaster Discovery v2 + Spotify) "
        "on one port; see shared/SANDBOX.md."
    )
    requires_system_checks: list[str] = []  # needs no database or app checks
    requires_migrations_checks = False

    def add_arguments(self, parser: CommandParser) -> None:
        defaults = SandboxConfig()
        parser.add_argument("--host", default=defaults.host)
        parser.add_argument("--port", type=int, default=defaults.port, help="0 = a free port")
        parser.add_argument(
            "--scenario",
            action="append",
            default=[],
            metavar="FILE_OR_PROFILE",
            help="scenario JSON file or built-in profile (sparse, mid, prolific); repeatable; "
            "none = the three built-ins",
        )
        parser.add_argument(
            "--generate",
            action="append",
            default=[],
            metavar="PROFILE:N",
            help="add N generated artists of PROFILE, e.g. mid:100; repeatable",
        )
        parser.add_argument("--latency-ms", type=float, default=defaults.latency_ms)
        parser.add_argument("--jitter-ms", type=float, default=defaults.jitter_ms)
        parser.add_argument(
            "--tm-rps", type=int, default=defaults.tm_rps, help="per key; 0 = unlimited"
        )
        parser.add_argument(
            "--tm-daily-quota",
            type=int,
            default=defaults.tm_daily_quota,
            help="requests per key per quota window (live 5000 a day)",
        )
        parser.add_argument(
            "--tm-quota-window",
            type=float,
            default=defaults.tm_quota_window_seconds,
            metavar="SECONDS",
            help="the quota window: opens at a key's first request and resets all at once "
            "(default 86400, a day; a few seconds lets a test watch the reset)",
        )
        parser.add_argument(
            "--spotify-rps",
            type=float,
            default=defaults.spotify_rps,
            help="per app, over a rolling 30 s window; 0 = unlimited",
        )
        parser.add_argument(
            "--spotify-retry-after",
            type=int,
            default=defaults.spotify_retry_after_seconds,
            metavar="SECONDS",
            help="the Retry-After of Spotify's 429s, e.g. 3600 as live sometimes asks; "
            "the app is refused until it has passed (default: the wait until the window "
            "has room)",
        )
        parser.add_argument("--fault-rate", type=float, default=defaults.fault_rate)
        parser.add_argument("--seed", type=int, default=defaults.seed)
        parser.add_argument(
            "--audio-features", choices=AUDIO_FEATURES_MODES, default=defaults.audio_features
        )
        parser.add_argument(
            "--spotify-app", choices=SPOTIFY_APP_MODES, default=defaults.spotify_app
        )
        parser.add_argument("--token-ttl-seconds", type=float, default=defaults.token_ttl_seconds)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            config = SandboxConfig(
                host=options["host"],
                port=options["port"],
                latency_ms=options["latency_ms"],
                jitter_ms=options["jitter_ms"],
                tm_rps=options["tm_rps"],
                tm_daily_quota=options["tm_daily_quota"],
                tm_quota_window_seconds=options["tm_quota_window"],
                spotify_rps=options["spotify_rps"],
                spotify_retry_after_seconds=options["spotify_retry_after"],
                fault_rate=options["fault_rate"],
                seed=options["seed"],
                audio_features=options["audio_features"],
                spotify_app=options["spotify_app"],
                token_ttl_seconds=options["token_ttl_seconds"],
            )
            generate = [parse_generate(value) for value in options["generate"]]
            world = build_world(
                scenario_sources=options["scenario"], generate=generate, seed=config.seed
            )
        except ValueError as error:  # ScenarioError is one; so are bad config values
            raise CommandError(str(error)) from None
        app = build_app(world, config)

        def announce(base_url: str) -> None:
            self.stdout.write(
                f"Sandbox upstream on {base_url} ({len(world.artists)} artists)\n"
                "Point the importer at it with:\n"
                f"  export TICKETMASTER_BASE_URL={base_url}\n"
                f"  export SPOTIFY_API_URL={base_url}\n"
                f"  export SPOTIFY_ACCOUNTS_URL={base_url}\n"
                "  export TICKETMASTER_API_KEY=sandbox SPOTIFY_CLIENT_ID=sandbox "
                "SPOTIFY_CLIENT_SECRET=sandbox\n"
                f"Stats: {base_url}/_sandbox/stats  Artists: {base_url}/_sandbox/artists"
            )
            self.stdout.flush()

        serve_forever(app, config.host, config.port, announce)
