"""The data the sandbox serves: artists with their events, venues, albums and tracks.

Scenario files and the built-in profiles both produce a `World`; the HTTP app
only reads it. Every record also carries the truth the generator intended
(`TrackTruth`, and each track's song), so tests can compute what a correct
importer must store without re-using the importer's own rules.
"""

from __future__ import annotations

import datetime
import enum
import re
from collections.abc import Sequence
from dataclasses import dataclass, field


class ScenarioError(ValueError):
    """A scenario source cannot be loaded; the message names the source and the field."""


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
    # The title of the song this is a recording of, as the generator or scenario author
    # intended ("Alive" for "Alive - Demo"); None: not labelled. Never served.
    song: str | None = None


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
    """Everything the sandbox serves; the HTTP app builds its lookup indexes from it, and
    again after `sandbox.advance` changed it."""

    artists: list[Artist] = field(default_factory=list)
    # Spotify artists that exist only to be found (or not) by search, e.g. tribute bands.
    # They have no attraction id (empty string), no releases and no events.
    decoy_spotify_artists: list[Artist] = field(default_factory=list)
    # The world's today: generated event dates count from it, and so do the dates an
    # advance gives new events. None for a world put together by hand.
    anchor: datetime.date | None = None


_GENERATE_PATTERN = re.compile(r"(?P<profile>[a-z]+):(?P<count>[0-9]+)")


def parse_generate(value: str) -> tuple[str, int]:
    """Parse a `--generate` value such as "mid:100" into ("mid", 100).

    Raises ScenarioError, saying what is expected, for anything else: an
    unknown profile, a missing or non-numeric count, a count of zero.
    """
    from sandbox.profiles import MAX_GENERATED_PER_PROFILE, PROFILES

    expected = f"expected PROFILE:COUNT with PROFILE one of {', '.join(PROFILES)}, e.g. mid:100"
    match = _GENERATE_PATTERN.fullmatch(value.strip())
    if match is None:
        raise ScenarioError(f"--generate {value!r}: {expected}")
    profile, count = match["profile"], int(match["count"])
    if profile not in PROFILES:
        raise ScenarioError(f"--generate {value!r}: unknown profile {profile!r}; {expected}")
    if not 1 <= count <= MAX_GENERATED_PER_PROFILE:
        raise ScenarioError(
            f"--generate {value!r}: count must be between 1 and {MAX_GENERATED_PER_PROFILE}"
        )
    return profile, count


def build_world(
    *,
    scenario_sources: Sequence[str] = (),
    generate: Sequence[tuple[str, int]] = (),
    seed: int = 0,
    anchor: datetime.date | None = None,
) -> World:
    """The world the sandbox serves, from scenario sources and generated artists.

    Each source is a built-in profile name (`sparse`, `mid`, `prolific`) or
    the path of a scenario JSON file; with no sources the three built-ins are
    loaded. `generate` adds (profile, count) generated artists; repeating a
    profile continues its numbering, so ids stay distinct. Built-in and
    generated artists share one venue pool and their event dates count from
    `anchor` (default: today's UTC date), and share events as Ticketmaster
    does (`profiles.lineups`: support acts, appended after every other
    artist, co-headlined runs, festivals). Unlinked built-in and generated
    artists get decoy Spotify artists with similar names.

    Raises ScenarioError for a bad scenario file and for an id used twice
    (attraction, Spotify artist, album, track or event), naming both sources.
    """
    # Both modules build on the records above, so they are imported here.
    from sandbox.profiles import (
        PROFILES,
        VenuePool,
        add_lineups,
        build_profile,
        decoy_spotify_artists,
        generate_artists,
    )
    from sandbox.scenario import load_scenario_file

    anchor = anchor or datetime.datetime.now(datetime.UTC).date()
    pool = VenuePool.build(seed=seed)
    sources: list[tuple[str, list[Artist]]] = []
    for source in scenario_sources or PROFILES:
        if source in PROFILES:
            artist = build_profile(source, seed=seed, anchor=anchor, venue_pool=pool)
            sources.append((source, [artist]))
        else:
            sources.append((source, load_scenario_file(source)))
    next_index: dict[str, int] = {}
    for profile, count in generate:
        start = next_index.get(profile, 0)
        next_index[profile] = start + count
        artists = generate_artists(
            profile, count, seed=seed, anchor=anchor, start=start, venue_pool=pool
        )
        sources.append((f"--generate {profile}:{count}", artists))
    _check_unique_ids(sources)

    artists = [artist for _, source_artists in sources for artist in source_artists]
    # Bills list their acts in world order: support acts come after every headliner.
    support_acts = add_lineups(artists, seed=seed, anchor=anchor, venue_pool=pool)
    if support_acts:
        _check_unique_ids([*sources, ("the support acts", support_acts)])
        artists += support_acts
    # A decoy must not carry the name of another real artist: search would
    # then find two exact matches for that artist.
    real_names = {artist.name.casefold() for artist in artists}
    decoys = [
        decoy
        for artist in artists
        if artist.profile is not None and not artist.spotify_linked
        for decoy in decoy_spotify_artists(artist, seed=seed)
        if decoy.name.casefold() not in real_names - {artist.name.casefold()}
    ]
    return World(artists=artists, decoy_spotify_artists=decoys, anchor=anchor)


def _check_unique_ids(sources: Sequence[tuple[str, Sequence[Artist]]]) -> None:
    """Raise ScenarioError naming both sources when an id is used by two of them.

    Within one scenario file the parser already refuses duplicates; a source
    given twice is reported like any other pair. A shared event (one `Event`
    object listed by several artists, as a scenario file's shared events and
    the built-in lineups are) is one event, whichever sources list it.
    """
    seen: dict[tuple[str, str], int] = {}
    events: dict[str, tuple[Event, int]] = {}

    def claim(kind: str, value: str | None, position: int) -> None:
        if value is None:
            return
        first = seen.setdefault((kind, value), position)
        if first != position:
            raise ScenarioError(
                f"duplicate {kind} {value!r} in {sources[first][0]} and in {sources[position][0]}"
            )

    for position, (_, artists) in enumerate(sources):
        for artist in artists:
            claim("tm_attraction_id", artist.tm_attraction_id, position)
            claim("artist spotify_id", artist.spotify_id, position)
            for album in artist.albums:
                claim("album spotify_id", album.spotify_id, position)
                for track in album.tracks:
                    claim("track spotify_id", track.spotify_id, position)
            for event in artist.events:
                first_event, first = events.setdefault(event.tm_event_id, (event, position))
                if first_event is not event and first != position:
                    raise ScenarioError(
                        f"duplicate tm_event_id {event.tm_event_id!r} "
                        f"in {sources[first][0]} and in {sources[position][0]}"
                    )


def check_ids_unique(world: World) -> None:
    """Raise ScenarioError naming the id when two records of `world` carry one id.

    The whole-world form of the check `build_world` makes per source, for a world
    that changed after it was built (`sandbox.advance`): an attraction id, Spotify
    artist, album or track id, or event id belongs to one record. A shared event
    is one `Event` object listed by several artists, so it is one record.
    """
    owners: dict[tuple[str, str], object] = {}

    def claim(kind: str, value: str | None, record: object) -> None:
        if not value:
            return
        owner = owners.setdefault((kind, value), record)
        if owner is not record:
            raise ScenarioError(f"duplicate {kind} {value!r} in the world")

    for artist in world.artists:
        claim("tm_attraction_id", artist.tm_attraction_id, artist)
    for artist in [*world.artists, *world.decoy_spotify_artists]:
        claim("artist spotify_id", artist.spotify_id, artist)
        for album in artist.albums:
            claim("album spotify_id", album.spotify_id, album)
            for track in album.tracks:
                claim("track spotify_id", track.spotify_id, track)
        for event in artist.events:
            claim("tm_event_id", event.tm_event_id, event)
