"""How the sandbox upstream behaves: address, latency, rate limits, faults, Spotify app mode.

One frozen dataclass, validated on construction, so a bad command-line value
fails before the server starts instead of as odd behaviour mid-run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

AUDIO_FEATURES_MODES = ("on", "forbidden")
SPOTIFY_APP_MODES = ("extended", "development")

# Markets the Spotify `market` parameter accepts besides every market an album
# in the world is sold in (a subset of Spotify's list; enough for realistic calls).
DEFAULT_MARKETS: tuple[str, ...] = (
    "AR", "AT", "AU", "BE", "BR", "CA", "CH", "CL", "CO", "CZ", "DE", "DK", "ES", "FI",
    "FR", "GB", "IE", "IN", "IT", "JP", "KR", "MX", "NL", "NO", "NZ", "PL", "PT", "SE",
    "US", "ZA",
)  # fmt: skip

_MARKET_CODE = re.compile(r"[A-Z]{2}")


@dataclass(frozen=True, slots=True)
class SandboxConfig:
    """Settings of one sandbox server; every field has the documented default.

    Rates of 0 mean unlimited. Credentials left at None accept any non-empty
    key / client, as the sandbox is meant to run with no real keys.
    """

    host: str = "127.0.0.1"
    port: int = 8765
    latency_ms: float = 0.0
    jitter_ms: float = 0.0
    # Ticketmaster: requests per second per API key (live limit 5; 0 = unlimited), and
    # per quota window (live 5000 a day; raise it for load tests rather than turning it
    # off). The window is a day live; a few seconds lets a test watch the quota reset.
    tm_rps: int = 5
    tm_daily_quota: int = 5000
    tm_quota_window_seconds: float = 86_400.0
    # Spotify: the limit is a rolling 30 s window per app of spotify_rps * 30 requests.
    spotify_rps: float = 0.0
    # The Retry-After its 429s ask for; None = the real wait until the window has room.
    spotify_retry_after_seconds: int | None = None
    fault_rate: float = 0.0
    seed: int = 0
    audio_features: str = "on"
    spotify_app: str = "extended"
    token_ttl_seconds: float = 3600.0
    markets: tuple[str, ...] = field(default=DEFAULT_MARKETS)
    tm_api_key: str | None = None
    spotify_client_id: str | None = None
    spotify_client_secret: str | None = None

    def __post_init__(self) -> None:
        """Reject values the server could not honour, naming the offending setting."""
        problems: list[str] = []
        if not self.host:
            problems.append("host must not be empty")
        if not 0 <= self.port <= 65535:
            problems.append(f"port must be 0..65535, got {self.port}")
        for name in ("latency_ms", "jitter_ms", "spotify_rps"):
            if getattr(self, name) < 0:
                problems.append(f"{name} must be >= 0, got {getattr(self, name)}")
        for name, minimum in (("tm_rps", 0), ("tm_daily_quota", 1)):
            value = getattr(self, name)
            if not isinstance(value, int) or value < minimum:
                problems.append(f"{name} must be an integer >= {minimum}, got {value!r}")
        if not 0 < self.tm_quota_window_seconds < float("inf"):
            problems.append(
                f"tm_quota_window_seconds must be > 0, got {self.tm_quota_window_seconds}"
            )
        retry_after = self.spotify_retry_after_seconds
        if retry_after is not None and (
            not isinstance(retry_after, int) or isinstance(retry_after, bool) or retry_after < 1
        ):
            problems.append(
                "spotify_retry_after_seconds must be None (the real wait) or an integer >= 1, "
                f"got {retry_after!r}"
            )
        if self.jitter_ms > self.latency_ms:
            # Jitter is applied as +/-, so a larger jitter would ask for negative sleeps.
            problems.append(
                f"jitter_ms ({self.jitter_ms}) must not exceed latency_ms ({self.latency_ms})"
            )
        if self.spotify_rps and self.spotify_rps * 30 < 1:
            problems.append(
                f"spotify_rps must allow at least one request per 30 s, got {self.spotify_rps}"
            )
        if not 0.0 <= self.fault_rate <= 1.0:
            problems.append(f"fault_rate must be between 0 and 1, got {self.fault_rate}")
        if self.audio_features not in AUDIO_FEATURES_MODES:
            problems.append(
                f"audio_features must be one of {', '.join(AUDIO_FEATURES_MODES)}, "
                f"got {self.audio_features!r}"
            )
        if self.spotify_app not in SPOTIFY_APP_MODES:
            problems.append(
                f"spotify_app must be one of {', '.join(SPOTIFY_APP_MODES)}, "
                f"got {self.spotify_app!r}"
            )
        if self.token_ttl_seconds <= 0:
            problems.append(f"token_ttl_seconds must be > 0, got {self.token_ttl_seconds}")
        bad_markets = [m for m in self.markets if not _MARKET_CODE.fullmatch(m)]
        if bad_markets:
            problems.append(f"markets must be ISO 3166-1 alpha-2 codes, got {bad_markets}")
        for name in ("tm_api_key", "spotify_client_id", "spotify_client_secret"):
            if getattr(self, name) == "":
                problems.append(f"{name} must be None (accept any) or non-empty")
        if problems:
            raise ValueError("invalid sandbox config: " + "; ".join(problems))

    @property
    def development_mode(self) -> bool:
        """True when the Spotify app behaves like a 2026 development-mode app."""
        return self.spotify_app == "development"

    @property
    def tm_quota_window_ms(self) -> int:
        """Length of one Ticketmaster quota window in milliseconds (at least 1)."""
        return max(1, round(self.tm_quota_window_seconds * 1000))

    @property
    def spotify_window_limit(self) -> int:
        """Requests one Spotify app may make per rolling 30 s window (0 = unlimited)."""
        return round(self.spotify_rps * 30)
