"""Built-in profiles: deterministic, the promised sizes, every trap of SANDBOX.md present."""

from __future__ import annotations

import dataclasses
import datetime
import re
import unicodedata

import pytest

from sandbox import truth
from sandbox.profiles import (
    BUILTIN_ATTRACTION_IDS,
    BUILTIN_SPOTIFY_IDS,
    LIVE_ALBUM_FORMS,
    LIVE_TITLE_FORMS,
    NON_ENGLISH_VARIANT_FORMS,
    PROFILES,
    SONG_WORD_TITLES,
    SONG_WORD_VERSIONS,
    STUDIO_VARIANT_FORMS,
    STUDIO_WORD_TITLES,
    VenuePool,
    build_profile,
    decoy_spotify_artists,
    generate_artists,
)
from sandbox.world import (
    Album,
    Artist,
    ScenarioError,
    TrackTruth,
    build_world,
    parse_generate,
)

ANCHOR = datetime.date(2026, 6, 1)

SPOTIFY_ID = re.compile(r"[0-9A-Za-z]{22}")
ATTRACTION_ID = re.compile(r"K8v[0-9A-Za-z]{8}")
EVENT_ID = re.compile(r"[0-9A-Za-z_-]{13,21}")
VENUE_ID = re.compile(r"(KovZ[0-9A-Za-z]{6,8}|Z6r[0-9A-Za-z]{7,9})")
ISRC = re.compile(r"[A-Z]{2}[A-Z0-9]{3}[0-9]{7}")
DATE = re.compile(r"\d{4}(-\d{2}(-\d{2})?)?")
# An explicit live marker, as the forms in profiles.py write them. Used only to
# check that the generator's labels agree with its names.
LIVE_MARKER = re.compile(
    r"[(\[]live\b[^)\]]*[)\]]|\s-\s+live\b|\blive (at|in|from)\b", re.IGNORECASE
)


@pytest.fixture(scope="module")
def artists() -> dict[str, Artist]:
    return {name: build_profile(name, seed=7, anchor=ANCHOR) for name in PROFILES}


def tracks_of(artist: Artist) -> list:
    return [track for album in artist.albums for track in album.tracks]


# --- determinism --------------------------------------------------------------


@pytest.mark.parametrize("profile", PROFILES)
def test_same_seed_and_anchor_give_equal_artists(profile: str) -> None:
    assert build_profile(profile, seed=3, anchor=ANCHOR) == build_profile(
        profile, seed=3, anchor=ANCHOR
    )


@pytest.mark.parametrize("profile", PROFILES)
def test_different_seeds_give_different_content_same_builtin_ids(profile: str) -> None:
    first = build_profile(profile, seed=1, anchor=ANCHOR)
    second = build_profile(profile, seed=2, anchor=ANCHOR)

    assert first != second
    assert first.tm_attraction_id == second.tm_attraction_id == BUILTIN_ATTRACTION_IDS[profile]
    assert first.spotify_id == second.spotify_id == BUILTIN_SPOTIFY_IDS[profile]
    assert first.name == second.name


def test_events_follow_the_anchor() -> None:
    later = ANCHOR + datetime.timedelta(days=30)
    first = build_profile("mid", seed=1, anchor=ANCHOR)
    second = build_profile("mid", seed=1, anchor=later)

    assert first.albums == second.albums
    shifted = [
        (datetime.date.fromisoformat(e.local_date) + datetime.timedelta(days=30)).isoformat()
        for e in first.events
        if e.local_date
    ]
    assert shifted == [e.local_date for e in second.events if e.local_date]


def test_generation_uses_no_global_random_state() -> None:
    import random

    random.seed(1)
    first = build_profile("mid", seed=5, anchor=ANCHOR)
    random.seed(2)
    assert build_profile("mid", seed=5, anchor=ANCHOR) == first


# --- sizes --------------------------------------------------------------------


def test_sparse_has_no_shows_and_one_album(artists: dict[str, Artist]) -> None:
    sparse = artists["sparse"]
    assert sparse.events == []
    assert len(sparse.albums) == 1
    assert sparse.albums[0].tracks


def test_mid_sizes(artists: dict[str, Artist]) -> None:
    sizes = truth.artist_sizes(artists["mid"])
    assert sizes["events"] == 150
    assert 250 <= sizes["raw_tracks"] <= 350


def test_prolific_sizes(artists: dict[str, Artist]) -> None:
    prolific = artists["prolific"]
    sizes = truth.artist_sizes(prolific)
    assert sizes["events"] >= 1_200
    assert sizes["raw_tracks"] >= 2_500
    assert sizes["releases"] >= 150
    assert {album.album_type for album in prolific.albums} == {"album", "single", "compilation"}
    last = max(e.local_date for e in prolific.events if e.local_date)
    assert datetime.date.fromisoformat(last) - ANCHOR > datetime.timedelta(days=500)


@pytest.mark.parametrize("profile", PROFILES)
def test_all_events_are_upcoming(artists: dict[str, Artist], profile: str) -> None:
    for event in artists[profile].events:
        assert event.local_date is None or event.local_date > ANCHOR.isoformat()


# --- traps --------------------------------------------------------------------

# Minimum count of each trap kind (truth.trap_counts) in mid and prolific.
TRAP_MINIMUMS: dict[str, dict[str, int]] = {
    "mid": {
        "live_albums": 2,
        "live_album_forms": 2,
        "live_album_tracks_low_liveness": 2,
        "live_title_tracks": 9,
        "live_title_forms": len(LIVE_TITLE_FORMS),
        "live_unmarked_tracks": 5,
        "shared_isrcs": 30,
        "shared_isrc_popularity_ties": 1,
        "shared_isrc_rerelease_more_popular": 1,
        "studio_word_titles": len(STUDIO_WORD_TITLES),
        "song_word_titles": len(SONG_WORD_TITLES),
        "song_word_versions": len(SONG_WORD_TITLES),
        "variant_forms": len(STUDIO_VARIANT_FORMS),
        "non_english_version_forms": len(NON_ENGLISH_VARIANT_FORMS),
        "remixes": 5,
        "tracks_without_isrc": 4,
        "no_isrc_rereleases": 1,
        "null_audio_features": 3,
        "albums_over_50_tracks": 1,
        "non_ascii_album_names": 1,
        "non_ascii_track_names": 4,
        "events_without_venue": 2,
        "events_date_tba": 1,
        "events_time_tba": 1,
        "events_listed_twice": 2,
        "events_without_timezone": 20,
        "events_cancelled": 2,
        "events_canceled": 1,
        "events_postponed": 1,
        "events_rescheduled": 1,
        "events_offsale": 1,
        "dates_with_several_shows": 2,
        "venues_city_whitespace": 1,
        "venues_without_location": 1,
        "non_ascii_venue_names": 1,
    },
    "prolific": {
        "live_albums": 20,
        "live_album_forms": len(LIVE_ALBUM_FORMS),
        "live_album_tracks_low_liveness": 10,
        "live_title_tracks": 50,
        "live_title_forms": len(LIVE_TITLE_FORMS),
        "live_unmarked_tracks": 30,
        "shared_isrcs": 200,
        "shared_isrc_popularity_ties": 10,
        "shared_isrc_rerelease_more_popular": 10,
        "studio_word_titles": len(STUDIO_WORD_TITLES),
        "song_word_titles": len(SONG_WORD_TITLES),
        "song_word_versions": len(SONG_WORD_TITLES),
        "variant_forms": len(STUDIO_VARIANT_FORMS),
        "non_english_version_forms": len(NON_ENGLISH_VARIANT_FORMS),
        "remixes": 30,
        "tracks_without_isrc": 20,
        "no_isrc_rereleases": 5,
        "null_audio_features": 10,
        "albums_over_50_tracks": 5,
        "non_ascii_album_names": 1,
        "non_ascii_track_names": 10,
        "events_without_venue": 20,
        "events_date_tba": 10,
        "events_time_tba": 20,
        "events_listed_twice": 20,
        "events_without_timezone": 200,
        "events_cancelled": 20,
        "events_canceled": 5,
        "events_postponed": 10,
        "events_rescheduled": 10,
        "events_offsale": 10,
        "dates_with_several_shows": 50,
        "venues_city_whitespace": 1,
        "venues_without_location": 1,
        "non_ascii_venue_names": 1,
    },
}


@pytest.mark.parametrize(
    ("profile", "trap", "minimum"),
    [
        pytest.param(profile, trap, minimum, id=f"{profile}-{trap}")
        for profile, minimums in TRAP_MINIMUMS.items()
        for trap, minimum in minimums.items()
    ],
)
@pytest.mark.parametrize("seed", [0, 7, 12345])
def test_trap_is_present(profile: str, trap: str, minimum: int, seed: int) -> None:
    counts = truth.trap_counts(_cached(profile, seed))
    assert counts[trap] >= minimum, counts


_CACHE: dict[tuple[str, int], Artist] = {}


def _cached(profile: str, seed: int) -> Artist:
    key = (profile, seed)
    if key not in _CACHE:
        _CACHE[key] = build_profile(profile, seed=seed, anchor=ANCHOR)
    return _CACHE[key]


def test_about_one_event_in_five_has_no_timezone(artists: dict[str, Artist]) -> None:
    events = artists["prolific"].events
    share = sum(e.timezone is None for e in events) / len(events)
    assert 0.15 <= share <= 0.25


@pytest.mark.parametrize("profile", ["mid", "prolific"])
def test_truth_labels_agree_with_names_and_liveness(
    artists: dict[str, Artist], profile: str
) -> None:
    for album in artists[profile].albums:
        album_live = bool(LIVE_MARKER.search(album.name))
        for track in album.tracks:
            title_live = bool(LIVE_MARKER.search(track.name))
            where = f"{album.name!r} / {track.name!r}"
            if track.truth is TrackTruth.LIVE_ALBUM:
                assert album_live, where
                assert track.liveness is not None, where
            elif track.truth is TrackTruth.LIVE_TITLE:
                assert title_live and not album_live, where
            elif track.truth is TrackTruth.LIVE_UNMARKED:
                assert not title_live and not album_live, where
                assert track.liveness is not None and track.liveness > 0.8, where
            else:
                assert track.truth is TrackTruth.STUDIO, where
                assert not title_live and not album_live, where
                assert track.liveness is None or track.liveness <= 0.8, where


@pytest.mark.parametrize("profile", ["mid", "prolific"])
def test_most_live_album_tracks_sound_live(artists: dict[str, Artist], profile: str) -> None:
    live = [t for t in tracks_of(artists[profile]) if t.truth is TrackTruth.LIVE_ALBUM]
    high = sum(t.liveness is not None and t.liveness > 0.8 for t in live)
    assert high / len(live) > 0.75


@pytest.mark.parametrize("profile", ["mid", "prolific"])
def test_remixes_are_studio_with_their_own_isrc(artists: dict[str, Artist], profile: str) -> None:
    tracks = tracks_of(artists[profile])
    remixes = [t for t in tracks if t.is_remix]
    remix_isrcs = {t.isrc for t in remixes}
    assert all(t.truth is TrackTruth.STUDIO and t.isrc for t in remixes)
    assert not remix_isrcs & {t.isrc for t in tracks if not t.is_remix}


@pytest.mark.parametrize("profile", ["mid", "prolific"])
def test_shared_isrcs_are_studio_copies_of_one_song(
    artists: dict[str, Artist], profile: str
) -> None:
    by_isrc: dict[str, set] = {}
    for track in tracks_of(artists[profile]):
        if track.isrc:
            by_isrc.setdefault(track.isrc, set()).add((track.truth, track.duration_ms))
    for isrc, versions in by_isrc.items():
        truths = {t for t, _ in versions}
        assert len(truths) == 1, isrc
        if len(versions) > 1:
            assert truths == {TrackTruth.STUDIO}, isrc
            assert len({duration for _, duration in versions}) == 1, isrc


@pytest.mark.parametrize("profile", ["mid", "prolific"])
def test_rereleases_without_isrc_keep_title_and_second(
    artists: dict[str, Artist], profile: str
) -> None:
    without = [t for t in tracks_of(artists[profile]) if t.isrc is None]
    assert all(t.truth is TrackTruth.STUDIO for t in without)
    by_title: dict[str, set[int]] = {}
    for track in without:
        by_title.setdefault(track.name, set()).add(track.duration_ms // 1000)
    assert any(len([t for t in without if t.name == name]) > 1 for name in by_title)
    # Floor and round agree: every copy of a title falls in one second.
    assert all(len(seconds) == 1 for seconds in by_title.values())
    assert all(100 <= t.duration_ms % 1000 <= 400 for t in without)


@pytest.mark.parametrize("profile", ["mid", "prolific"])
def test_non_ascii_names(artists: dict[str, Artist], profile: str) -> None:
    assert not artists[profile].name.isascii()


def test_albums_have_one_to_four_markets_including_us(artists: dict[str, Artist]) -> None:
    for artist in artists.values():
        regional = regional_originals(artist)
        for album in artist.albums:
            # A regional release is the one kind of album not sold in the US.
            assert ("US" in album.available_markets) != (album.spotify_id in regional)
            assert 1 <= len(album.available_markets) <= 4
            assert len(set(album.available_markets)) == len(album.available_markets)


def test_mid_must_be_found_by_search_prolific_is_linked(artists: dict[str, Artist]) -> None:
    assert artists["mid"].spotify_linked is False
    assert artists["prolific"].spotify_linked is True


# --- ids ----------------------------------------------------------------------


@pytest.mark.parametrize("profile", PROFILES)
def test_ids_are_well_formed_and_unique(artists: dict[str, Artist], profile: str) -> None:
    artist = artists[profile]
    assert ATTRACTION_ID.fullmatch(artist.tm_attraction_id)
    assert SPOTIFY_ID.fullmatch(artist.spotify_id or "")
    spotify_ids = [artist.spotify_id]
    for album in artist.albums:
        assert DATE.fullmatch(album.release_date)
        spotify_ids.append(album.spotify_id)
        for track in album.tracks:
            spotify_ids.append(track.spotify_id)
            assert track.isrc is None or ISRC.fullmatch(track.isrc)
    assert all(SPOTIFY_ID.fullmatch(i or "") for i in spotify_ids)
    assert len(set(spotify_ids)) == len(spotify_ids)
    event_ids = [event.tm_event_id for event in artist.events]
    assert all(EVENT_ID.fullmatch(i) for i in event_ids)
    assert len(set(event_ids)) == len(event_ids)
    for event in artist.events:
        if event.venue:
            assert VENUE_ID.fullmatch(event.venue.tm_venue_id)
            assert event.venue.timezone


def test_venue_pool_coordinates_are_strings_or_absent() -> None:
    pool = VenuePool.build(seed=3)
    ids = [venue.tm_venue_id for venue in pool.venues]
    assert len(set(ids)) == len(ids)
    for venue in pool.venues:
        assert (venue.latitude is None) == (venue.longitude is None)
        if venue.latitude is not None:
            float(venue.latitude), float(venue.longitude)  # type: ignore[arg-type]
            assert isinstance(venue.latitude, str)


# --- generated artists ----------------------------------------------------------


def test_generated_artists_are_distinct_and_share_venues() -> None:
    generated = generate_artists("mid", 30, seed=4, anchor=ANCHOR)

    assert len({a.tm_attraction_id for a in generated}) == 30
    assert len({a.spotify_id for a in generated}) == 30
    assert len({a.name for a in generated}) == 30
    assert not {a.tm_attraction_id for a in generated} & set(BUILTIN_ATTRACTION_IDS.values())
    venue_sets = [{e.venue.tm_venue_id for e in a.events if e.venue} for a in generated]
    assert venue_sets[0] & venue_sets[1]
    event_ids = [e.tm_event_id for a in generated for e in a.events]
    assert len(set(event_ids)) == len(event_ids)
    track_ids = [t.spotify_id for a in generated for t in tracks_of(a)]
    assert len(set(track_ids)) == len(track_ids)
    isrcs = {a.tm_attraction_id: {t.isrc for t in tracks_of(a) if t.isrc} for a in generated}
    assert not isrcs[generated[0].tm_attraction_id] & isrcs[generated[1].tm_attraction_id]
    assert any(not a.spotify_linked for a in generated)


def test_generated_artist_matches_build_profile_with_index() -> None:
    generated = generate_artists("sparse", 3, seed=4, anchor=ANCHOR, start=5)
    assert generated[1] == build_profile("sparse", seed=4, anchor=ANCHOR, index=6)


def test_decoys_resemble_but_never_equal_the_name(artists: dict[str, Artist]) -> None:
    mid = artists["mid"]
    decoys = decoy_spotify_artists(mid, seed=7)
    names = {d.name for d in decoys}
    assert mid.name not in names
    assert {f"{mid.name} Tribute", mid.name.upper(), "Cafe Lumiere"} <= names
    assert any(d.popularity > mid.popularity for d in decoys)


# --- world and --generate ---------------------------------------------------------


def test_world_defaults_to_the_three_builtins_with_decoys_for_unlinked() -> None:
    world = build_world(seed=1, anchor=ANCHOR)
    # The built-ins, then the support acts on mid's and prolific's bills.
    assert [a.profile for a in world.artists] == [*PROFILES, *["support"] * 5]
    assert world.decoy_spotify_artists
    assert all(d.tm_attraction_id == "" for d in world.decoy_spotify_artists)


def test_world_numbers_repeated_generate_profiles_on() -> None:
    world = build_world(
        scenario_sources=["sparse"], generate=[("sparse", 2), ("sparse", 3)], anchor=ANCHOR
    )
    ids = [a.tm_attraction_id for a in world.artists]
    assert len(ids) == 6
    assert len(set(ids)) == 6


def test_world_refuses_a_source_given_twice() -> None:
    with pytest.raises(ScenarioError, match=r"duplicate tm_attraction_id .* in mid and in mid"):
        build_world(scenario_sources=["mid", "mid"], anchor=ANCHOR)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("mid:100", ("mid", 100)), ("prolific:1", ("prolific", 1)), (" sparse:2 ", ("sparse", 2))],
)
def test_parse_generate(value: str, expected: tuple[str, int]) -> None:
    assert parse_generate(value) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        pytest.param("mid", "expected PROFILE:COUNT", id="no-count"),
        pytest.param("mid:", "expected PROFILE:COUNT", id="empty-count"),
        pytest.param("mid:ten", "expected PROFILE:COUNT", id="non-numeric"),
        pytest.param("mid:-1", "expected PROFILE:COUNT", id="negative"),
        pytest.param("huge:10", "unknown profile 'huge'", id="unknown-profile"),
        pytest.param("mid:0", "count must be between 1", id="zero"),
        pytest.param("mid:99999", "count must be between 1", id="too-many"),
    ],
)
def test_parse_generate_refuses(value: str, message: str) -> None:
    with pytest.raises(ScenarioError, match=message):
        parse_generate(value)


# --- regional releases ------------------------------------------------------------


def _recordings(album: Album) -> list[tuple]:
    """What a regional release shares with its original, track by track."""
    return [
        (t.isrc, t.name, t.duration_ms, t.truth, t.liveness, t.disc_number, t.track_number)
        for t in album.tracks
    ]


def regional_originals(artist: Artist) -> dict[str, Album]:
    """Regional release id -> its original: an album sold in the US with the same
    name and recordings, whose markets do not overlap the regional release's."""
    originals = {}
    for album in artist.albums:
        twins = [
            other
            for other in artist.albums
            if other is not album
            and "US" in other.available_markets
            and "US" not in album.available_markets
            and other.name == album.name
            and _recordings(other) == _recordings(album)
        ]
        if twins:
            [originals[album.spotify_id]] = twins
    return originals


@pytest.mark.parametrize(
    ("profile", "expected"),
    [("sparse", 0), ("mid", 1), ("prolific", 4)],
)
@pytest.mark.parametrize("seed", [0, 7, 12345])
def test_regional_releases_per_profile(profile: str, expected: int, seed: int) -> None:
    artist = _cached(profile, seed)
    regional = regional_originals(artist)
    assert len(regional) == expected
    # Every album outside the US is a regional release of a studio album.
    assert {a.spotify_id for a in artist.albums if "US" not in a.available_markets} == set(regional)
    for album in artist.albums:
        if album.spotify_id in regional:
            original = regional[album.spotify_id]
            assert original.group == album.group == "album"
            assert not set(album.available_markets) & set(original.available_markets)
            assert album.release_date[:4] > original.release_date[:4]  # original stays earliest
            assert not {t.spotify_id for t in album.tracks} & {
                t.spotify_id for t in original.tracks
            }
            for copy, track in zip(album.tracks, original.tracks, strict=True):
                assert copy.popularity < track.popularity


def test_regional_releases_cover_several_regions(artists: dict[str, Artist]) -> None:
    prolific = artists["prolific"]
    markets = {
        tuple(a.available_markets)
        for a in prolific.albums
        if a.spotify_id in regional_originals(prolific)
    }
    assert ("JP",) in markets and len(markets) == 4


def test_generated_artists_have_regional_releases() -> None:
    for profile, expected in (("sparse", 0), ("mid", 1), ("prolific", 4)):
        for artist in generate_artists(profile, 2, seed=4, anchor=ANCHOR):
            assert len(regional_originals(artist)) == expected, (profile, artist.name)


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("audio_features", [True, False])
def test_regional_releases_leave_the_oracle_unchanged(profile: str, audio_features: bool) -> None:
    """What a correct importer keeps is the same whether it sees regional releases or not."""
    artist = _cached(profile, 0)
    in_us = dataclasses.replace(
        artist, albums=[a for a in artist.albums if "US" in a.available_markets]
    )
    for count in (
        truth.expected_studio_isrcs,
        truth.expected_studio_track_count,
        truth.expected_songs,
    ):
        assert count(artist, audio_features=audio_features) == count(
            in_us, audio_features=audio_features
        )


# --- songs ------------------------------------------------------------------------


def song_spelling(title: str) -> str:
    """A song title as a loose reader compares it: lower case, Latin accents, apostrophes
    and punctuation off, spaces collapsed ("Ça ira!" and "ca ira" are one)."""
    kept, base = [], ""
    for char in unicodedata.normalize("NFKD", title):
        if not unicodedata.combining(char):
            base = char
        elif base.isascii():
            continue  # an accent on a Latin letter
        kept.append(char)
    text = unicodedata.normalize("NFC", "".join(kept)).casefold()
    text = re.sub(r"[\W_]+", " ", re.sub("['\u2019]", "", text))
    return " ".join(text.split())


def kept_tracks(artist: Artist, *, audio_features: bool) -> list:
    """The tracks of imported releases whose truth a correct importer keeps."""
    kept = {TrackTruth.STUDIO} | (set() if audio_features else {TrackTruth.LIVE_UNMARKED})
    return [
        track
        for album in artist.albums
        if album.group in truth.IMPORTED_GROUPS
        for track in album.tracks
        if track.truth in kept
    ]


@pytest.mark.parametrize("seed", [0, 7])
def test_every_generated_track_is_labelled_with_its_song(seed: int) -> None:
    world = build_world(
        scenario_sources=["sparse", "mid"], generate=[("mid", 2)], seed=seed, anchor=ANCHOR
    )
    artists = [*world.artists, _cached("prolific", seed)]
    assert {a.profile for a in artists} == {*PROFILES, "support"}
    for artist in artists:
        for album in artist.albums:
            for track in album.tracks:
                where = (artist.name, album.name, track.name)
                assert track.song, where
                # Its own title, or the song's title with a version marker after it.
                assert track.name == track.song or track.name.startswith(f"{track.song} "), where


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("audio_features", [True, False])
def test_songs_hold_exactly_the_kept_recordings(profile: str, audio_features: bool) -> None:
    artist = _cached(profile, 0)
    songs = truth.expected_songs(artist, audio_features=audio_features)
    keys = [key for recordings in songs.values() for key in recordings]
    without_isrc = {
        (truth.normalise_title(t.name), truth.duration_seconds(t.duration_ms))
        for t in kept_tracks(artist, audio_features=audio_features)
        if t.isrc is None
    }

    assert len(keys) == len(set(keys))  # no recording under two songs
    assert set(keys) == truth.expected_studio_isrcs(artist, audio_features=audio_features) | (
        without_isrc
    )
    assert len(keys) == truth.expected_studio_track_count(artist, audio_features=audio_features)
    assert len(songs) == truth.expected_song_count(artist, audio_features=audio_features)
    if profile != "sparse":
        assert max(len(recordings) for recordings in songs.values()) > 2
        assert len(without_isrc) > 0


# README ("The sandbox upstream") quotes them for seed 0: recordings kept, songs, and
# the most recordings of one song.
SEED_0_SONGS = {"sparse": (9, 9, 1), "mid": (159, 114, 4), "prolific": (743, 442, 7)}


@pytest.mark.parametrize("profile", PROFILES)
def test_seed_0_song_figures_are_the_readmes(profile: str) -> None:
    artist = _cached(profile, 0)
    songs = truth.expected_songs(artist)
    assert (
        truth.expected_studio_track_count(artist),
        len(songs),
        max(len(recordings) for recordings in songs.values()),
    ) == SEED_0_SONGS[profile]


@pytest.mark.parametrize("profile", PROFILES)
def test_every_copy_of_a_recording_has_its_song(profile: str) -> None:
    songs_of: dict[object, set[str | None]] = {}
    for track in tracks_of(_cached(profile, 0)):
        songs_of.setdefault(truth.recording_key(track), set()).add(track.song)
    assert all(len(songs) == 1 for songs in songs_of.values())


@pytest.mark.parametrize("profile", PROFILES)
def test_every_song_has_a_recording_named_as_the_song(profile: str) -> None:
    artist = _cached(profile, 0)
    kept = kept_tracks(artist, audio_features=True)
    for song, recordings in truth.expected_songs(artist).items():
        originals = [t for t in kept if t.song == song and t.name == song]
        assert originals, song
        assert {truth.recording_key(t) for t in originals} <= recordings, song


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("seed", [0, 7, 12345])
def test_no_two_songs_share_a_title_in_any_spelling(profile: str, seed: int) -> None:
    songs = {track.song for track in tracks_of(_cached(profile, seed))}
    spellings: dict[str, set[str | None]] = {}
    for song in songs:
        spellings.setdefault(song_spelling(song or ""), set()).add(song)
    assert [same for same in spellings.values() if len(same) > 1] == []
    assert len(spellings) == len(songs)


@pytest.mark.parametrize(
    ("title", "spelling"),
    [("Ça ira!", "ca ira"), ("Oliver's Army", "olivers army"), ("東京の雨", "東京の雨")],
)
def test_song_spelling(title: str, spelling: str) -> None:
    assert song_spelling(title) == spelling


@pytest.mark.parametrize("profile", ["mid", "prolific"])
def test_songs_with_version_words_in_their_titles_group_their_versions(profile: str) -> None:
    artist = _cached(profile, 0)
    songs = truth.expected_songs(artist)
    tracks = tracks_of(artist)
    for title, form in SONG_WORD_VERSIONS.items():
        # "Acoustic Girl - Acoustic" is a recording of "Acoustic Girl".
        versions = [t for t in tracks if t.name == form.format(t=title) and t.song == title]
        assert versions, title
        assert {truth.recording_key(t) for t in versions} < songs[title], title
