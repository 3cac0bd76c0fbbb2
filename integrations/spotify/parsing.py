"""Spotify answers into typed records (pure functions).

Strict: a catalog sync replaces the artist's catalog (tracks it does not see are
unlinked), so a track skipped for being unreadable would quietly remove a song.
Anything of another type than documented fails the phase, naming the field; only
documented nulls (an unknown id in a batch, a track without audio features) are
passed over, and images, which are only shown.
"""

from __future__ import annotations

import re
from typing import Any

from integrations.http.errors import MalformedAnswer
from integrations.http.images import best_image_url
from integrations.http.readers import (
    field_path,
    json_kind,
    read_int,
    read_list,
    read_number,
    read_object,
    read_optional_object,
    read_text,
)
from integrations.spotify.records import (
    SpotifyAlbumSummary,
    SpotifyArtist,
    SpotifyTrack,
    SpotifyTrackSummary,
)

# Spotify's ids are base-62; nothing that could change a URL path or split an `ids=`
# list ("/", "?", ",", "..") is accepted from an answer.
SPOTIFY_ID = re.compile(r"^[0-9A-Za-z_-]{1,32}$")
NAME_MAX_LENGTH = 500
ALBUM_TYPES = frozenset({"album", "single", "compilation"})
ALBUM_GROUPS = ALBUM_TYPES | {"appears_on"}
RELEASE_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
RELEASE_DATE_PRECISIONS = frozenset({"", "year", "month", "day"})
# Longer than any recording Spotify lists (its longest tracks run a few hours).
MAX_DURATION_MS = 24 * 60 * 60 * 1000
MAX_TRACK_POSITION = 32767  # disc and track numbers are small integers in the database
SPOTIFY_ARTIST_URL = re.compile(r"open\.spotify\.com/(?:intl-[A-Za-z-]+/)?artist/([0-9A-Za-z]{22})")


def parse_spotify_artist_id(url: str) -> str | None:
    """The artist id of an open.spotify.com artist URL (query strings allowed), else None."""
    match = SPOTIFY_ARTIST_URL.search(url or "")
    return match.group(1) if match else None


def _spotify_id(raw: dict[str, Any], where: str) -> str:
    value = raw.get("id")
    path = field_path(where, "id")
    if not isinstance(value, str) or not SPOTIFY_ID.fullmatch(value):
        raise MalformedAnswer(path, f"expected a Spotify id, got {json_kind(value)}")
    return value


def _choice(
    raw: dict[str, Any], name: str, where: str, choices: frozenset[str], default: str
) -> str:
    value = read_text(raw, name, where, max_length=32).lower() or default
    if value not in choices:
        raise MalformedAnswer(
            field_path(where, name), f"{value!r} is not one of {', '.join(sorted(choices))}"
        )
    return value


def _popularity(raw: dict[str, Any], where: str) -> int | None:
    return read_int(raw, "popularity", where, default=None, minimum=0, maximum=100)


def parse_artist(raw: Any, where: str = "artist") -> SpotifyArtist:
    raw = read_object(raw, where)
    genres = read_list(raw, "genres", where)
    for n, genre in enumerate(genres):
        if not isinstance(genre, str):
            path = field_path(field_path(where, "genres"), n)
            raise MalformedAnswer(path, f"expected a string, got {json_kind(genre)}")
    return SpotifyArtist(
        spotify_id=_spotify_id(raw, where),
        name=read_text(raw, "name", where, max_length=NAME_MAX_LENGTH),
        genres=tuple(genre.replace("\x00", "")[:100] for genre in genres),
        image_url=best_image_url(raw.get("images")),
        popularity=_popularity(raw, where),
    )


def parse_album_summary(raw: Any, where: str = "album") -> SpotifyAlbumSummary:
    raw = read_object(raw, where)
    album_type = _choice(raw, "album_type", where, ALBUM_TYPES, "album")
    release_date = read_text(raw, "release_date", where, max_length=11)
    if release_date and not RELEASE_DATE.fullmatch(release_date):
        raise MalformedAnswer(
            field_path(where, "release_date"),
            f"expected YYYY, YYYY-MM or YYYY-MM-DD, got {json_kind(release_date)}",
        )
    return SpotifyAlbumSummary(
        spotify_id=_spotify_id(raw, where),
        name=read_text(raw, "name", where, max_length=NAME_MAX_LENGTH),
        album_type=album_type,
        album_group=_choice(raw, "album_group", where, ALBUM_GROUPS, album_type),
        release_date=release_date,
        release_date_precision=_choice(
            raw, "release_date_precision", where, RELEASE_DATE_PRECISIONS, ""
        ),
        total_tracks=read_int(raw, "total_tracks", where, default=0, minimum=0, maximum=100_000),
        image_url=best_image_url(raw.get("images")),
    )


def parse_track_summary(
    raw: Any, album_spotify_id: str, where: str = "track"
) -> SpotifyTrackSummary:
    raw = read_object(raw, where)
    return SpotifyTrackSummary(
        spotify_id=_spotify_id(raw, where),
        name=read_text(raw, "name", where, max_length=NAME_MAX_LENGTH),
        duration_ms=read_int(raw, "duration_ms", where, minimum=1, maximum=MAX_DURATION_MS),
        disc_number=read_int(
            raw, "disc_number", where, default=1, minimum=1, maximum=MAX_TRACK_POSITION
        ),
        track_number=read_int(
            raw, "track_number", where, default=1, minimum=1, maximum=MAX_TRACK_POSITION
        ),
        album_spotify_id=album_spotify_id,
    )


def parse_track(raw: Any, where: str = "track") -> SpotifyTrack:
    raw = read_object(raw, where)
    external_ids = read_optional_object(raw, "external_ids", where)
    isrc = read_text(external_ids, "isrc", field_path(where, "external_ids"), max_length=64)
    isrc = isrc.upper() or None
    if isrc is not None and len(isrc) > 15:  # the column holds 15; an ISRC is 12
        isrc = None
    return SpotifyTrack(
        spotify_id=_spotify_id(raw, where),
        isrc=isrc,
        popularity=_popularity(raw, where),
    )


def parse_liveness(raw: Any, where: str) -> tuple[str, float | None]:
    """(track id, liveness) of one audio-features row."""
    raw = read_object(raw, where)
    return _spotify_id(raw, where), read_number(raw, "liveness", where, minimum=0, maximum=1)


def parse_token(raw: Any) -> tuple[str, float]:
    """(access token, lifetime in seconds) of a client-credentials answer."""
    raw = read_object(raw, "")
    token = raw.get("access_token")
    if not isinstance(token, str) or not token or not token.isascii() or not token.isprintable():
        raise MalformedAnswer("access_token", f"expected a token, got {json_kind(token)}")
    if any(c.isspace() for c in token):
        raise MalformedAnswer("access_token", "expected a token without spaces")
    lifetime = read_number(raw, "expires_in", "", minimum=1, maximum=10**7)
    return token, lifetime or 3600.0


def parse_paging(raw: Any, where: str) -> dict[str, Any]:
    """A paging object: `items` an array, `total` a count, `next` a URL or null."""
    paging = read_object(raw, where)
    read_list(paging, "items", where)
    read_int(paging, "total", where, default=None, minimum=0)
    if paging.get("next") is not None and not isinstance(paging["next"], str):
        raise MalformedAnswer(
            field_path(where, "next"), f"expected a URL or null, got {json_kind(paging['next'])}"
        )
    return paging
