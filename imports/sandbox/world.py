"""The data the sandbox serves: artists with their events, venues, albums and tracks.

Scenario files and the built-in profiles both produce a `World`; the HTTP app
only reads it. Every record also carries the truth the generator intended
(`TrackTruth`), so tests can compute what a correct importer must store
without re-using the importer's own rules.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class TrackTruth(enum.StrEnum):
    """What a track really is, as the generator or scenario author intended."""

    STUDIO = "studio"  # a studio recording: the importer must keep one track per song
    LIVE_ALBUM = "live_album"  # on a live album (album name says so)
    LIVE_TITLE = "live_title"  # "live" marker in the track title
    LIVE_UNMARKED = "live_unmarked"  # live, no marker in any name: only liveness > 0.8 tells
    UNKNOWN = "unknown"  # scenario file tracks: no label given


@dataclass(slots=True)
class Venue:
    tm_venue_id: str
    name: str
    city: str | None = None
    state: str | None = None
    state_code: str | None = None
    country: str | None = None
    country_code: str | None = None
    postal_code: str | None = None
    address_line1: str | None = None
    timezone: str | None = None
    latitude: str | None = None  # strings, as Ticketmaster sends them
    longitude: str | None = None


@dataclass(slots=True)
class Event:
    tm_event_id: str
    name: str
    local_date: str | None  # YYYY-MM-DD, None when the date is TBA
    local_time: str | None = None  # HH:MM:SS, None when the time is TBA
    status: str = "onsale"  # onsale|offsale|cancelled|canceled|postponed|rescheduled
    venue: Venue | None = None
    timezone: str | None = None
    date_tba: bool = False
    time_tba: bool = False
    # Listed twice by the events search (as Ticketmaster does across pages).
    listed_twice: bool = False


@dataclass(slots=True)
class Track:
    spotify_id: str
    name: str
    duration_ms: int
    isrc: str | None = None
    popularity: int = 50
    liveness: float | None = 0.1  # None: audio features answer null for this track
    explicit: bool = False
    disc_number: int = 1
    track_number: int = 1
    truth: TrackTruth = TrackTruth.UNKNOWN
    is_remix: bool = False


@dataclass(slots=True)
class Album:
    spotify_id: str
    name: str
    album_type: str  # album|single|compilation
    release_date: str  # YYYY, YYYY-MM or YYYY-MM-DD
    tracks: list[Track] = field(default_factory=list)
    album_group: str | None = None  # defaults to album_type
    available_markets: list[str] = field(default_factory=lambda: ["US"])
    label: str = "Sandbox Records"
    popularity: int = 50

    @property
    def group(self) -> str:
        return self.album_group or self.album_type

    @property
    def release_date_precision(self) -> str:
        return {4: "year", 7: "month"}.get(len(self.release_date), "day")


@dataclass(slots=True)
class Artist:
    tm_attraction_id: str
    name: str
    spotify_id: str | None = None
    spotify_linked: bool = True  # False: no Spotify link in the attraction's externalLinks
    genres: list[str] = field(default_factory=list)
    popularity: int = 50
    followers: int = 1000
    albums: list[Album] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    profile: str | None = None  # built-in profile it was generated from, if any


@dataclass(slots=True)
class World:
    """Everything the sandbox serves, with lookup indexes built once."""

    artists: list[Artist] = field(default_factory=list)
    # Spotify artists that exist only to be found (or not) by search, e.g. tribute bands.
    decoy_spotify_artists: list[Artist] = field(default_factory=list)
