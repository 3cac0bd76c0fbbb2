"""Small helpers shared by the Ticketmaster and Spotify imitations."""

from __future__ import annotations

import hashlib
import unicodedata
from typing import Any

import orjson
from starlette.responses import JSONResponse


class _FastJSON(JSONResponse):
    """Compact JSON rendered by orjson: the sandbox stands in for servers on other
    machines, so its own CPU should take as little as it can from the importer's."""

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


class TicketmasterJSON(_FastJSON):
    """JSON with the content type Ticketmaster sends (no space before charset)."""

    media_type = "application/json;charset=utf-8"


class SpotifyJSON(_FastJSON):
    """JSON with the content type Spotify sends."""

    media_type = "application/json; charset=utf-8"


def fold(text: str) -> str:
    """Case- and accent-insensitive form of `text`, as both providers' searches match."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def digest(*parts: Any) -> str:
    """A stable hex digest of `parts`: derived fields stay the same across runs."""
    return hashlib.sha256("\x1f".join(map(str, parts)).encode()).hexdigest()


def digest_int(*parts: Any) -> int:
    """A stable non-negative integer derived from `parts`."""
    return int(digest(*parts)[:12], 16)


def parse_int(value: str | None, default: int) -> int | None:
    """`value` as an int (`default` when absent); None when it is not an integer."""
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        return None
