"""Request economy: the fewest requests an import of one sandbox artist can make, per
endpoint, computed from the sandbox's own world (pages needed, full batches)."""

from __future__ import annotations

import datetime
import math

# The page and batch sizes of the real APIs (UPSTREAM.md), as the importer uses them.
TM_EVENTS_PAGE = 200
ARTIST_ALBUMS_PAGE = 50
ALBUMS_BATCH = 20
ALBUM_TRACKS_EMBEDDED = 50
TRACKS_BATCH = 50
AUDIO_FEATURES_BATCH = 100


def minimum_requests(artist, *, today: datetime.date, market: str = "US") -> dict[str, int]:
    """Per sandbox endpoint name. Track details and audio features are needed only for
    tracks whose album and track names do not already rule them out (the importer's
    `name_drop_reason`); everything else is pages and full batches."""
    from catalog.rules import name_drop_reason

    upcoming = [
        e for e in artist.events if e.local_date is None or e.local_date >= today.isoformat()
    ]
    albums = [
        a for a in artist.albums if a.group in ("album", "single") and market in a.available_markets
    ]
    detailed = {
        track.spotify_id
        for album in albums
        for track in album.tracks
        if name_drop_reason(track.name, album.name) is None
    }
    minimum = {
        "tm.attraction": 1,
        "tm.events": max(1, math.ceil(len(upcoming) / TM_EVENTS_PAGE)),
        "accounts.token": 1,
        "spotify.search": 0 if artist.spotify_linked else 1,
        "spotify.artist_albums": max(1, math.ceil(len(albums) / ARTIST_ALBUMS_PAGE)),
        "spotify.albums_batch": math.ceil(len(albums) / ALBUMS_BATCH),
        "spotify.album_tracks": sum(
            math.ceil(max(0, len(a.tracks) - ALBUM_TRACKS_EMBEDDED) / ALBUM_TRACKS_EMBEDDED)
            for a in albums
        ),
        "spotify.tracks_batch": math.ceil(len(detailed) / TRACKS_BATCH),
        "spotify.audio_features": math.ceil(len(detailed) / AUDIO_FEATURES_BATCH),
    }
    return {endpoint: n for endpoint, n in minimum.items() if n}


def economy(issued: dict[str, int], minimum: dict[str, int]) -> dict:
    """Issued against minimum per endpoint (the token counts once per worker process,
    so it is left out of the ratio), and the overall ratio."""
    endpoints = sorted(set(issued) | set(minimum))
    rows = {e: {"issued": issued.get(e, 0), "minimum": minimum.get(e, 0)} for e in endpoints}
    counted = [e for e in endpoints if e != "accounts.token"]
    total_issued = sum(rows[e]["issued"] for e in counted)
    total_minimum = sum(rows[e]["minimum"] for e in counted)
    return {
        "endpoints": rows,
        "issued": total_issued,
        "minimum": total_minimum,
        "ratio": round(total_issued / total_minimum, 3) if total_minimum else None,
    }
