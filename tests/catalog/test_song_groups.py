"""Songs of an artist: recordings grouped by the song their titles read as, the main one
first, and the curators' assignments (`catalog.rules.group_songs`)."""

from __future__ import annotations

import pytest

from catalog.rules import SONG_KEY_MAX_LENGTH, Recording, VersionKind, group_songs

K = VersionKind


def rec(spotify_id: str, name: str, *, isrc: str = "", album_type="album", date="2001-05-01"):
    return Recording(spotify_id, name, isrc, album_type, date)


def shape(groups):
    return {group.title: [spotify_id for spotify_id, _ in group.recordings] for group in groups}


GROUPS = [
    pytest.param(
        [
            rec("e", "Alive (Neon Cartel Remix)"),
            rec("d", "Alive - Remastered 2011", date="2011"),
            rec("c", "Alive - Early Version"),
            rec("b", "Alive (Demo)", date="1999"),
            rec("a", "Alive"),
        ],
        {"Alive": ["a", "c", "b", "e", "d"]},
        id="five-versions-one-song-original-first",
    ),
    pytest.param(
        [rec("a", "Alive"), rec("b", "Alive Again"), rec("c", "Live Wire")],
        {"Alive": ["a"], "Alive Again": ["b"], "Live Wire": ["c"]},
        id="distinct-titles-distinct-songs",
    ),
    pytest.param(
        [rec("s", "Heart", album_type="single", date="2000"), rec("a", "Heart", date="2001")],
        {"Heart": ["a", "s"]},
        id="album-over-earlier-single",
    ),
    pytest.param(
        [
            rec("c", "Heart", album_type="compilation", date="1990"),
            rec("s", "Heart", album_type="single"),
        ],
        {"Heart": ["s", "c"]},
        id="single-over-compilation",
    ),
    pytest.param(
        [rec("b", "Heart", date="2003"), rec("a", "Heart", date="2003-01-02")],
        {"Heart": ["b", "a"]},
        id="a-year-alone-is-its-first-day",
    ),
    pytest.param(
        [rec("z", "Heart", date="2003"), rec("y", "Heart", date="2003")],
        {"Heart": ["y", "z"]},
        id="full-tie-smallest-spotify-id",
    ),
    pytest.param(
        [rec("d", "Heart - Demo", date="1990"), rec("r", "Heart - Radio Edit", date="1991")],
        {"Heart": ["d", "r"]},
        id="no-original-then-earliest-of-the-rest",
    ),
    pytest.param(
        [rec("m", "Heart [Mono]", date="1990"), rec("d", "Heart - Demo", date="1980")],
        {"Heart": ["m", "d"]},
        id="mono-counts-as-the-studio-take-before-a-demo",
    ),
    pytest.param(
        [rec("b", "DON'T STOP"), rec("a", "Dont Stop (feat. Noémie)")],
        {"Dont Stop": ["a", "b"]},
        id="case-apostrophes-and-credits-share-a-key-title-from-main",
    ),
    pytest.param(
        [rec("a", "!!!"), rec("b", "!!! - Demo")],
        {"!!!": ["a", "b"]},
        id="punctuation-only-title-keeps-its-own-key",
    ),
    pytest.param(
        [rec("a", "Demolition Man"), rec("b", "Demolition Man - Demo")],
        {"Demolition Man": ["a", "b"]},
        id="version-word-inside-the-title-stays",
    ),
]


@pytest.mark.parametrize(("recordings", "expected"), GROUPS)
def test_recordings_group_into_songs_main_first(recordings, expected):
    assert shape(group_songs(recordings)) == expected


def test_songs_come_in_key_order_with_each_recordings_kind():
    groups = group_songs([rec("b", "Zebra - Acoustic"), rec("a", "apple"), rec("c", "Zebra")])
    assert [group.key for group in groups] == ["apple", "zebra"]
    assert groups[1].recordings == (("c", K.ORIGINAL), ("b", K.ACOUSTIC))
    assert groups[1].main == "c"


ASSIGNED = [
    pytest.param(
        {"b": "Alive Again"},
        {"Alive": ["a", "c"], "Alive Again": ["b"], "Heart of Glass": ["x"]},
        id="split-off-by-track-id",
    ),
    pytest.param(
        {"USAAA0000002": "Alive Again"},
        {"Alive": ["a", "c"], "Alive Again": ["b"], "Heart of Glass": ["x"]},
        id="split-off-by-isrc",
    ),
    pytest.param(
        {"x": "Alive"},
        {"Alive": ["a", "b", "x", "c"]},
        id="moved-into-an-existing-song-kind-from-its-name",
    ),
    pytest.param(
        {"b": "Alive Again", "USAAA0000002": "Alive"},
        {"Alive": ["a", "c"], "Alive Again": ["b"], "Heart of Glass": ["x"]},
        id="track-id-wins-over-isrc",
    ),
    pytest.param(
        {"a": "  Alive   (1999 take) "},
        {"Alive": ["b", "c"], "Alive (1999 take)": ["a"], "Heart of Glass": ["x"]},
        id="assigned-title-spaces-collapsed",
    ),
    pytest.param(
        {"a": "   "},
        {"Alive": ["a", "b", "c"], "Heart of Glass": ["x"]},
        id="blank-assignment-ignored",
    ),
]


@pytest.mark.parametrize(("assignments", "expected"), ASSIGNED)
def test_curator_assignments_move_or_split_recordings(assignments, expected):
    recordings = [
        rec("a", "Alive", isrc="USAAA0000001"),
        rec("b", "Alive - Alternate Take", isrc="USAAA0000002"),
        rec("c", "Alive (Remix)", isrc="USAAA0000003", date="2000"),
        rec("x", "Heart of Glass - Demo", isrc="USAAA0000009", date="1980"),
    ]
    assert shape(group_songs(recordings, assignments)) == expected


def test_the_title_of_a_song_made_by_an_assignment_is_the_assigned_one():
    groups = group_songs([rec("a", "alive - demo")], {"a": "Alive (Demo Tape)"})
    assert [(group.title, group.key, group.recordings) for group in groups] == [
        ("Alive (Demo Tape)", "alive demo tape", (("a", K.DEMO),))
    ]


def test_grouping_does_not_depend_on_input_order():
    recordings = [rec(f"t{n}", title) for n, title in enumerate(["B", "A - Demo", "A", "b (Mono)"])]
    assert group_songs(recordings) == group_songs(list(reversed(recordings)))


def test_a_key_never_outgrows_its_column():
    title = ("Straße " * 71).strip()
    (group,) = group_songs([rec("a", title), rec("b", f"{title} (Remastered)")])
    assert len(group.key) == SONG_KEY_MAX_LENGTH and group.key.startswith("strasse strasse")
    assert group.title == title and [kind for _, kind in group.recordings] == [
        K.ORIGINAL,
        K.REMASTER,
    ]
