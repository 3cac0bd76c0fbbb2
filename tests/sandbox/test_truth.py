"""The oracle: what a correct importer keeps, from truth labels rather than name rules."""

from __future__ import annotations

import datetime

import pytest

from sandbox import truth
from sandbox.profiles import build_profile
from sandbox.world import Album, Artist, Event, Track, TrackTruth, Venue

ANCHOR = datetime.date(2026, 6, 1)


def track(
    spotify_id: str, name: str, truth_label: TrackTruth, song: str, **fields: object
) -> Track:
    return Track(
        spotify_id=spotify_id,
        name=name,
        duration_ms=fields.pop("duration_ms", 200_200),  # type: ignore[arg-type]
        truth=truth_label,
        song=song,
        **fields,  # type: ignore[arg-type]
    )


STUDIO, LIVE_ALBUM, LIVE_TITLE, UNMARKED = (
    TrackTruth.STUDIO,
    TrackTruth.LIVE_ALBUM,
    TrackTruth.LIVE_TITLE,
    TrackTruth.LIVE_UNMARKED,
)


@pytest.fixture
def small() -> Artist:
    """One of each case, small enough to count by hand."""
    studio = Album(
        "alb1",
        "First",
        "album",
        "2019",
        [
            track("t1", "Opening", STUDIO, "Opening", isrc="USAAA1900001"),
            track("t2", "Live Wire", STUDIO, "Live Wire", isrc="USAAA1900002"),
            track("t3", "Untagged", STUDIO, "Untagged", isrc=None, duration_ms=180_100),
            track("t4", "Closing", UNMARKED, "Closing", isrc="USAAA1900003", liveness=0.93),
        ],
    )
    deluxe = Album(
        "alb2",
        "First (Deluxe Edition)",
        "album",
        "2021",
        [
            track("t5", "Opening", STUDIO, "Opening", isrc="USAAA1900001"),
            track("t6", "untagged ", STUDIO, "Untagged", isrc=None, duration_ms=180_400),
            track("t7", "Opening - Live", LIVE_TITLE, "Opening", isrc="USAAA2100004"),
        ],
    )
    live = Album(
        "alb3",
        "Live in Oslo",
        "album",
        "2022",
        [track("t8", "Opening", LIVE_ALBUM, "Opening", isrc="X")],
    )
    single = Album(
        "alb4",
        "Opening",
        "single",
        "2019",
        [
            track("t9", "Opening (Remix)", STUDIO, "Opening", isrc="USAAA1900005", is_remix=True),
            track("t11", "Untagged (Demo)", STUDIO, "Untagged", isrc=None, duration_ms=150_000),
        ],
    )
    hits = Album(
        "alb5",
        "Greatest Hits",
        "compilation",
        "2024",
        [track("t10", "New", STUDIO, "New", isrc="NEW")],
    )
    hall = Venue("KovZ0000001", "Hall")
    events = [
        Event("e1", "Show", "2026-06-02", venue=hall),
        Event("e2", "Show", "2026-06-03", venue=hall, status="cancelled", listed_twice=True),
        Event("e3", "Show", None, date_tba=True, time_tba=True),
        Event("e4", "Show", "2026-05-01", venue=Venue("KovZ0000002", "Old Hall")),
    ]
    return Artist(
        "K8vZ9170000", "Small", albums=[studio, deluxe, live, single, hits], events=events
    )


def test_studio_isrcs_keep_studio_and_remixes_drop_live(small: Artist) -> None:
    assert truth.expected_studio_isrcs(small) == {"USAAA1900001", "USAAA1900002", "USAAA1900005"}


def test_without_audio_features_unmarked_live_counts_as_kept(small: Artist) -> None:
    assert truth.expected_studio_isrcs(small, audio_features=False) == {
        "USAAA1900001",
        "USAAA1900002",
        "USAAA1900003",
        "USAAA1900005",
    }


def test_compilations_count_only_when_asked_for(small: Artist) -> None:
    isrcs = truth.expected_studio_isrcs(small, include_groups=("album", "single", "compilation"))
    assert "NEW" in isrcs


def test_track_count_dedupes_no_isrc_tracks_by_title_and_second(small: Artist) -> None:
    # Three ISRCs, "Untagged" (twice, same second, title differs in case/space) and
    # its demo, also without ISRC.
    assert truth.expected_studio_track_count(small) == 5
    assert truth.expected_studio_track_count(small, audio_features=False) == 6


def test_unlabelled_tracks_cannot_be_judged(small: Artist) -> None:
    small.albums[0].tracks[0].truth = TrackTruth.UNKNOWN
    with pytest.raises(ValueError, match="no truth label"):
        truth.expected_studio_isrcs(small)


def test_songs_group_the_kept_recordings_by_their_song_label(small: Artist) -> None:
    songs = {
        "Opening": {"USAAA1900001", "USAAA1900005"},  # the original and its remix
        "Live Wire": {"USAAA1900002"},
        "Untagged": {("untagged", 180), ("untagged (demo)", 150)},
    }
    assert truth.expected_songs(small) == songs
    assert truth.expected_song_count(small) == 3
    # Without audio features the unmarked live take is kept, as a song of its own here.
    assert truth.expected_songs(small, audio_features=False) == {
        **songs,
        "Closing": {"USAAA1900003"},
    }
    with_compilations = ("album", "single", "compilation")
    assert truth.expected_songs(small, include_groups=with_compilations)["New"] == {"NEW"}
    assert truth.expected_songs(small, market="JP") == {}


def test_a_kept_track_without_song_label_cannot_be_grouped(small: Artist) -> None:
    small.albums[3].tracks[0].song = None
    with pytest.raises(ValueError, match=r"track t9 \('Opening \(Remix\)'\) has no song label"):
        truth.expected_songs(small)
    # Only kept tracks need one: the live album's take is not.
    small.albums[3].tracks[0].song = "Opening"
    small.albums[2].tracks[0].song = None
    assert truth.expected_song_count(small) == 3


def test_recording_key_is_the_isrc_else_title_and_second(small: Artist) -> None:
    opening, _, untagged, _ = small.albums[0].tracks
    assert truth.recording_key(opening) == "USAAA1900001"
    assert truth.recording_key(untagged) == ("untagged", 180)


def test_upcoming_events_keep_every_status_and_tba(small: Artist) -> None:
    assert truth.expected_upcoming_event_ids(small) == {"e1", "e2", "e3", "e4"}
    today = datetime.date(2026, 6, 1)
    assert truth.expected_upcoming_event_ids(small, today=today) == {"e1", "e2", "e3"}
    assert truth.expected_venue_ids(small, today=today) == {"KovZ0000001"}
    assert truth.expected_venue_ids(small) == {"KovZ0000001", "KovZ0000002"}


def test_artist_sizes(small: Artist) -> None:
    assert truth.artist_sizes(small) == {
        "events": 4,
        "distinct_venues": 2,
        "releases": 5,
        "raw_tracks": 11,
    }


@pytest.mark.parametrize("profile", ["mid", "prolific"])
def test_profiles_oracle_is_consistent(profile: str) -> None:
    artist = build_profile(profile, seed=2, anchor=ANCHOR)

    with_features = truth.expected_studio_isrcs(artist)
    without_features = truth.expected_studio_isrcs(artist, audio_features=False)
    count = truth.expected_studio_track_count(artist)

    assert with_features < without_features
    assert len(with_features) < count < truth.artist_sizes(artist)["raw_tracks"]
    assert truth.expected_upcoming_event_ids(artist) == {e.tm_event_id for e in artist.events}
    assert truth.expected_upcoming_event_ids(artist, today=ANCHOR) == {
        e.tm_event_id for e in artist.events
    }
    assert truth.expected_venue_ids(artist) == {
        e.venue.tm_venue_id for e in artist.events if e.venue
    }


def test_sparse_keeps_its_whole_album() -> None:
    sparse = build_profile("sparse", seed=2, anchor=ANCHOR)
    assert truth.expected_studio_track_count(sparse) == len(sparse.albums[0].tracks)
    assert truth.expected_upcoming_event_ids(sparse) == set()


@pytest.mark.parametrize(
    ("title", "normalised"),
    [
        ("Opening", "opening"),
        ("  Two   Words ", "two words"),
        ("\uff23af\u00e9", "caf\u00e9"),  # a fullwidth C, which NFKC folds
    ],
)
def test_normalise_title(title: str, normalised: str) -> None:
    assert truth.normalise_title(title) == normalised


@pytest.mark.parametrize(("ms", "seconds"), [(200_499, 200), (200_500, 201), (0, 0)])
def test_duration_seconds_rounds_half_up(ms: int, seconds: int) -> None:
    assert truth.duration_seconds(ms) == seconds
