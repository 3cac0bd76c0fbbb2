"""The oracle: what a correct importer stores for a sandbox artist.

Computed from the generator's `truth` and `song` labels, never from name rules,
so a test comparing an importer against it checks the importer's rules rather
than repeating them. Scenario tracks without a `truth` label cannot be judged,
nor grouped into songs without a `song` label.
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from collections import Counter
from collections.abc import Collection, Iterable, Iterator
from typing import TypeAlias

from sandbox.profiles import (
    LIVE_ALBUM_FORMS,
    LIVE_TITLE_FORMS,
    NON_ENGLISH_VARIANT_FORMS,
    SONG_WORD_TITLES,
    STUDIO_VARIANT_FORMS,
    STUDIO_WORD_TITLES,
)
from sandbox.world import Album, Artist, Track, TrackTruth, World

# The groups a correct importer asks artist albums for (ARCHITECTURE.md):
# compilations and appears-on releases are not part of the catalog.
IMPORTED_GROUPS: tuple[str, ...] = ("album", "single")

# One recording as a correct importer tells recordings apart: its ISRC, or for a track
# without one, its normalised title and duration in whole seconds.
RecordingKey: TypeAlias = str | tuple[str, int]


def normalise_title(title: str) -> str:
    """A title compared for sameness: NFKC, case-folded, whitespace collapsed."""
    return " ".join(unicodedata.normalize("NFKC", title).casefold().split())


def duration_seconds(duration_ms: int) -> int:
    """The duration in whole seconds, half a second rounding up."""
    return (duration_ms + 500) // 1000


def recording_key(track: Track) -> RecordingKey:
    """The recording `track` is a copy of: its ISRC, else (normalised title, seconds)."""
    if track.isrc is not None:
        return track.isrc
    return (normalise_title(track.name), duration_seconds(track.duration_ms))


def songs_of(
    recordings: Iterable[tuple[str, str | None, str, int]],
) -> dict[str, set[RecordingKey]]:
    """Songs as an importer stored them, keyed as `expected_songs` keys them: from
    (song title, ISRC or "" / None, track name, duration in ms) per stored recording, the
    song title -> its recording keys. Compare it with `expected_songs`."""
    songs: dict[str, set[RecordingKey]] = {}
    for title, isrc, name, duration_ms in recordings:
        key = isrc or (normalise_title(name), duration_seconds(duration_ms))
        songs.setdefault(title, set()).add(key)
    return songs


def _imported_tracks(
    artist: Artist, include_groups: Collection[str], market: str | None
) -> Iterator[Track]:
    for album in artist.albums:
        if album.group in include_groups and (market is None or market in album.available_markets):
            yield from album.tracks


def _is_kept(track: Track, *, audio_features: bool) -> bool:
    """Whether a correct importer keeps `track`, going by its truth label."""
    if track.truth is TrackTruth.UNKNOWN:
        raise ValueError(f"track {track.spotify_id} ({track.name!r}) has no truth label")
    if track.truth is TrackTruth.LIVE_UNMARKED:
        # Only liveness tells these apart; without audio features they look studio.
        return not audio_features
    return track.truth is TrackTruth.STUDIO


def _kept_tracks(
    artist: Artist, *, audio_features: bool, include_groups: Collection[str], market: str | None
) -> list[Track]:
    return [
        track
        for track in _imported_tracks(artist, include_groups, market)
        if _is_kept(track, audio_features=audio_features)
    ]


def expected_studio_isrcs(
    artist: Artist,
    *,
    audio_features: bool = True,
    include_groups: Collection[str] = IMPORTED_GROUPS,
    market: str | None = None,
) -> set[str]:
    """ISRCs of the tracks a correct importer keeps for `artist`.

    `audio_features=False` (features refused) keeps unmarked live versions,
    which nothing else can detect. Only releases in `include_groups` count, and with
    `market` only those sold there (as artist albums lists them when asked with it).
    Raises ValueError when a counted track has no truth label.
    """
    kept = _kept_tracks(
        artist, audio_features=audio_features, include_groups=include_groups, market=market
    )
    return {track.isrc for track in kept if track.isrc is not None}


def expected_studio_track_count(
    artist: Artist,
    *,
    audio_features: bool = True,
    include_groups: Collection[str] = IMPORTED_GROUPS,
    market: str | None = None,
) -> int:
    """How many distinct recordings a correct importer stores for `artist`.

    Distinct ISRCs, plus distinct (normalised title, duration in seconds)
    among kept tracks without ISRC (`recording_key`). Arguments as for
    `expected_studio_isrcs`.
    """
    kept = _kept_tracks(
        artist, audio_features=audio_features, include_groups=include_groups, market=market
    )
    return len({recording_key(track) for track in kept})


def expected_songs(
    artist: Artist,
    *,
    audio_features: bool = True,
    include_groups: Collection[str] = IMPORTED_GROUPS,
    market: str | None = None,
) -> dict[str, set[RecordingKey]]:
    """Song title -> the recordings (`recording_key`) a correct importer keeps for it.

    The kept recordings are those of `expected_studio_track_count`, grouped by
    the song each track is labelled a recording of (`Track.song`): "Alive",
    "Alive - Demo" and "Alive (Neon Cartel Remix)" under "Alive". Arguments as
    for `expected_studio_isrcs`. Raises ValueError naming the track when a kept
    track has no truth label or no song label.
    """
    kept = _kept_tracks(
        artist, audio_features=audio_features, include_groups=include_groups, market=market
    )
    songs: dict[str, set[RecordingKey]] = {}
    for track in kept:
        if track.song is None:
            raise ValueError(f"track {track.spotify_id} ({track.name!r}) has no song label")
        songs.setdefault(track.song, set()).add(recording_key(track))
    return songs


def expected_song_count(
    artist: Artist,
    *,
    audio_features: bool = True,
    include_groups: Collection[str] = IMPORTED_GROUPS,
    market: str | None = None,
) -> int:
    """How many songs a correct importer stores for `artist` (`expected_songs`)."""
    return len(
        expected_songs(
            artist, audio_features=audio_features, include_groups=include_groups, market=market
        )
    )


def expected_upcoming_event_ids(artist: Artist, *, today: datetime.date | None = None) -> set[str]:
    """Ids of the events a correct importer stores: every status, with or without venue.

    Events whose date is to be announced count (Ticketmaster only returns
    them with `includeTBA`, not by default when a date range is sent). With
    `today`, events dated before it are left out; without, all events count
    (the built-in profiles have only upcoming ones).
    """
    return {
        event.tm_event_id
        for event in artist.events
        if today is None
        or event.local_date is None
        or datetime.date.fromisoformat(event.local_date) >= today
    }


def expected_venue_ids(artist: Artist, *, today: datetime.date | None = None) -> set[str]:
    """Ids of the venues of the events in `expected_upcoming_event_ids`."""
    upcoming = expected_upcoming_event_ids(artist, today=today)
    return {
        event.venue.tm_venue_id
        for event in artist.events
        if event.venue is not None and event.tm_event_id in upcoming
    }


def expected_bills(world: World) -> dict[str, list[str]]:
    """Event id -> the attraction ids on its bill, in the order Ticketmaster serves them
    in `_embedded.attractions`: every artist listing the event, in world order."""
    bills: dict[str, list[str]] = {}
    for artist in world.artists:
        for event in artist.events:
            bill = bills.setdefault(event.tm_event_id, [])
            if artist.tm_attraction_id not in bill:
                bill.append(artist.tm_attraction_id)
    return bills


def expected_artist_show_links(world: World) -> int:
    """How many (artist, event) pairs the world has: one per act on each event's bill."""
    return sum(len({event.tm_event_id for event in artist.events}) for artist in world.artists)


def artist_sizes(artist: Artist) -> dict[str, int]:
    """`events`, `distinct_venues`, `releases` and `raw_tracks` of `artist`, as served."""
    return {
        "events": len({event.tm_event_id for event in artist.events}),
        "distinct_venues": len(
            {event.venue.tm_venue_id for event in artist.events if event.venue is not None}
        ),
        "releases": len(artist.albums),
        "raw_tracks": sum(len(album.tracks) for album in artist.albums),
    }


def _is_live_album(album: Album) -> bool:
    return bool(album.tracks) and all(t.truth is TrackTruth.LIVE_ALBUM for t in album.tracks)


def _form_matches(form: str, text: str) -> bool:
    """Whether `text` has the shape of an entry of a *_FORMS tuple (fields as wildcards)."""
    pattern = re.escape(form)
    for field in ("t", "p", "place", "artist", "guest", "remixer", "year"):
        pattern = pattern.replace(re.escape("{" + field + "}"), ".+")
    return re.fullmatch(pattern, text) is not None


def trap_counts(artist: Artist) -> dict[str, int]:
    """How many of each trap `artist` carries, by kind (for tests and reports).

    Catalog kinds count tracks unless named after albums; event kinds count
    events; venue kinds count distinct venues.
    """
    tracks = [track for album in artist.albums for track in album.tracks]
    # Per ISRC: (not on an album, release date, popularity) of each copy; the
    # smallest is the original (the earliest album copy), to find groups where
    # a re-release ties or beats it. ISO date prefixes compare as strings.
    copies: dict[str, list[tuple[bool, str, int]]] = {}
    for album in artist.albums:
        for track in album.tracks:
            if track.isrc:
                copy = (album.group != "album", album.release_date, track.popularity)
                copies.setdefault(track.isrc, []).append(copy)
    shared = [group for group in copies.values() if len(group) > 1]
    by_truth = Counter(track.truth for track in tracks)
    no_isrc_copies = Counter(
        (normalise_title(t.name), duration_seconds(t.duration_ms)) for t in tracks if not t.isrc
    )
    live_titles = [t.name for t in tracks if t.truth is TrackTruth.LIVE_TITLE]
    # Versions: studio recordings of a song with their own ISRC, not the song's own.
    own_isrcs = {t.isrc for t in tracks if t.isrc and t.name == t.song}
    versions = [
        t
        for t in tracks
        if t.truth is TrackTruth.STUDIO
        and t.isrc
        and t.isrc not in own_isrcs
        and t.song is not None
        and t.name != t.song
    ]
    variant_names = [t.name for t in versions if not t.is_remix]
    live_album_names = [album.name for album in artist.albums if _is_live_album(album)]
    venues = {event.venue.tm_venue_id: event.venue for event in artist.events if event.venue}
    dates = Counter(event.local_date for event in artist.events if event.local_date)
    statuses = Counter(event.status for event in artist.events)
    return {
        "live_albums": len(live_album_names),
        "live_album_forms": sum(
            any(_form_matches(form, name) for name in live_album_names) for form in LIVE_ALBUM_FORMS
        ),
        "live_album_tracks": by_truth[TrackTruth.LIVE_ALBUM],
        "live_album_tracks_low_liveness": sum(
            t.truth is TrackTruth.LIVE_ALBUM and t.liveness is not None and t.liveness <= 0.8
            for t in tracks
        ),
        "live_title_tracks": by_truth[TrackTruth.LIVE_TITLE],
        "live_title_forms": sum(
            any(_form_matches(form, name) for name in live_titles) for form in LIVE_TITLE_FORMS
        ),
        "live_unmarked_tracks": by_truth[TrackTruth.LIVE_UNMARKED],
        "shared_isrcs": len(shared),
        "shared_isrc_popularity_ties": sum(
            [p for *_, p in group].count(max(p for *_, p in group)) > 1 for group in shared
        ),
        "shared_isrc_rerelease_more_popular": sum(
            max(p for *_, p in group) > min(group)[2] for group in shared
        ),
        "studio_word_titles": sum(
            t.truth is TrackTruth.STUDIO and t.name in STUDIO_WORD_TITLES for t in tracks
        ),
        "song_word_titles": len(
            {t.name for t in tracks if t.truth is TrackTruth.STUDIO and t.name in SONG_WORD_TITLES}
        ),
        "song_word_versions": len({t.song for t in versions if t.song in SONG_WORD_TITLES}),
        "variant_forms": sum(
            any(_form_matches(form, name) for name in variant_names)
            for form in STUDIO_VARIANT_FORMS
        ),
        "non_english_version_forms": sum(
            any(_form_matches(form, name) for name in variant_names)
            for form in NON_ENGLISH_VARIANT_FORMS
        ),
        "remixes": sum(t.is_remix for t in tracks),
        "tracks_without_isrc": sum(t.isrc is None for t in tracks),
        "no_isrc_rereleases": sum(count > 1 for count in no_isrc_copies.values()),
        "null_audio_features": sum(t.liveness is None for t in tracks),
        "albums_over_50_tracks": sum(len(album.tracks) > 50 for album in artist.albums),
        "non_ascii_album_names": sum(not album.name.isascii() for album in artist.albums),
        "non_ascii_track_names": sum(not t.name.isascii() for t in tracks),
        "events_without_venue": sum(event.venue is None for event in artist.events),
        "events_date_tba": sum(event.date_tba for event in artist.events),
        "events_time_tba": sum(event.time_tba and not event.date_tba for event in artist.events),
        "events_listed_twice": sum(event.listed_twice for event in artist.events),
        "events_without_timezone": sum(event.timezone is None for event in artist.events),
        "events_cancelled": statuses["cancelled"],
        "events_canceled": statuses["canceled"],
        "events_postponed": statuses["postponed"],
        "events_rescheduled": statuses["rescheduled"],
        "events_offsale": statuses["offsale"],
        "dates_with_several_shows": sum(count > 1 for count in dates.values()),
        "venues_city_whitespace": sum(
            v.city is not None and v.city != v.city.strip() for v in venues.values()
        ),
        "venues_without_location": sum(v.latitude is None for v in venues.values()),
        "non_ascii_venue_names": sum(not v.name.isascii() for v in venues.values()),
    }
