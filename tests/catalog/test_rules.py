"""Studio-only catalog rules: live markers, remixes, titles, one version per recording."""

# Unicode dashes, curly apostrophes and fullwidth letters are what these cases test.
# ruff: noqa: RUF001

from dataclasses import replace
from itertools import permutations
from typing import Any

import pytest

from catalog.rules import (
    CatalogDecision,
    CuratorDecision,
    DropReason,
    KeepReason,
    RawTrack,
    TrackDecision,
    decide_studio_tracks,
    has_live_marker,
    is_remix,
    normalise_title,
    pick_spotify_artist,
    release_preference_key,
)

STUDIO_TRACK = RawTrack(
    spotify_id="0studio",
    name="Golden Rivers",
    duration_ms=215_000,
    isrc="USSB12000001",
    popularity=50,
    album_spotify_id="album1",
    album_name="Paper Lanterns",
    album_type="album",
    release_date="2020-05-01",
    liveness=0.1,
)


def make_track(spotify_id: str, **changes: Any) -> RawTrack:
    return replace(STUDIO_TRACK, spotify_id=spotify_id, **changes)


def reasons_by_id(result: CatalogDecision) -> dict[str, DropReason | KeepReason]:
    return {decision.spotify_id: decision.reason for decision in result.decisions}


# --- Live markers ---------------------------------------------------------------------------

LIVE_TITLES = [
    "Love Reign O'er Me (Live)",
    "Paranoid Android [Live]",
    "Heroes (Live at Wembley 1986)",
    "Creep (Live in Berlin)",
    "Hurt (Live from the BBC)",
    "Everlong (Live on Letterman)",
    "Hey Jude - Live",
    "Jumpin' Jack Flash - Live at Madison Square Garden",
    "Something - Live / Remastered 2011",
    "Wonderwall - Live Version",
    "Layla (Live Version)",
    "Blackbird (Live Acoustic)",
    "Hallelujah (Acoustic Live)",
    "Heroes – Live",
    "Creep — Live at the Fillmore",
    "Paint It Black (2011 Remaster - Live)",
    "Hotel California (Recorded Live at the Forum)",
    "Song 2 (Live!)",
    "Born to Run (Live 1985)",
    "Verdammt lang her (Live-Mitschnitt)",
    "Where Did You Sleep Last Night (MTV Unplugged)",
    "About a Girl (Unplugged)",
    "Whole Lotta Love (BBC Session)",
    "Teenage Kicks - Peel Session",
    "Ceremony - Radio Session",
    "Dancing Barefoot (Live Session)",
    "Yellow (Live on Tour)",
    "Mañana (En Vivo)",
    "Corazón Espinado - En Vivo",
    "Garota de Ipanema (Ao Vivo)",
    "Entre dos aguas (En Directo)",
    "夜明けの歌 (ライブ)",
    # Sandbox LIVE_TITLE_FORMS, on its trap and non-ASCII titles.
    "Live Wire (Live)",
    "Alive [Live]",
    "Radio Ga Ga - Live",
    "Tour de France (Live Version)",
    "Live and Let Die - Live at Wembley",
    "Session Man - Live in München",
    "Live Forever - Live from Reykjavík",
    "Oliver's Army - Live / Remastered 2011",
    "Sól (Live at the Royal Albert Hall)",
]

STUDIO_TITLES = [
    # Sandbox STUDIO_WORD_TITLES.
    "Live Wire",
    "Live and Let Die",
    "Alive",
    "Live Forever",
    "Radio Ga Ga",
    "Tour de France",
    "Session Man",
    "Deliver",
    "Oliver's Army",
    "Livewire",
    "Radioactive",
    "Tourniquet",
    # More studio songs with live/radio/tour/session words.
    "Live Like You Were Dying",
    "I Live for You",
    "Live to Tell",
    "Long Live Rock 'n' Roll",
    "Livin' on a Prayer",
    "Video Killed the Radio Star",
    "Olive",
    "Delivery",
    "Live Through This",
    "Bohemian Rhapsody - Radio Edit",
    "Live and Let Die - 2018 Remaster",
    'James Bond Theme (From "Live and Let Die")',
    "Satisfaction (I Live for You)",
    "Wonderwall (Live Forever)",
    "Let Me Live - 2011 Remaster",
    "Hjartað hamast (bamm bamm bamm)",
    "Ça plane pour moi",
    "ライブ",
    # Sandbox STUDIO_VARIANT_FORMS.
    "Live Wire - Radio Edit",
    "Alive - Demo",
    "Live Forever (Demo)",
    "Radio Ga Ga - Instrumental",
    "Tour de France - Alternate Take",
    "Session Man - Early Version",
    "Deliver - Acoustic",
    "Livewire - Single Version",
]

LIVE_ALBUMS = [
    "Live at Leeds",
    "Live in Tokyo",
    "Live from Austin, TX",
    "Live on Stage",
    "Live",
    "Live!",
    "Live 1975–85",
    "Bruce Springsteen & The E Street Band Live 1975–85",
    "The Beatles: Live at the BBC",
    "MTV Unplugged in New York",
    "Unplugged",
    "BBC Sessions",
    "The Peel Sessions",
    "Greatest Hits (Live)",
    "The Eras Tour Live",
    "Acústico MTV (Ao Vivo)",
    "En Vivo!",
    "ライブ・アット・武道館",
    # Sandbox LIVE_ALBUM_FORMS.
    "Live at the Royal Albert Hall",
    "Live in München",
    "Live from Reykjavík",
    "Golden Rivers (Live)",
    "Golden Rivers [Live]",
    "Wembley - Live",
    "Live in Paris (Live)",
    "Golden Rivers (Live at Budokan)",
]

STUDIO_ALBUMS = [
    "Live Through This",
    "Alive",
    "Long Live",
    "Live Forever",
    "Live and Let Die",
    "Live Wire (Deluxe Edition)",
    "Radio Ga Ga (2011 Remaster)",
    "The Basement Sessions",
    "The Sun Sessions",
    "Sessions",
    "Radio K.A.O.S.",
    "Tourist",
    "Anthology 1990–2020",
    "Golden Rivers (Remixes)",
    "Nacht über München",
]


@pytest.mark.parametrize("title", LIVE_TITLES, ids=str)
def test_live_title_is_detected(title):
    assert has_live_marker(title)


@pytest.mark.parametrize("title", STUDIO_TITLES, ids=str)
def test_studio_title_is_not_live(title):
    assert not has_live_marker(title)


@pytest.mark.parametrize("album_name", LIVE_ALBUMS, ids=str)
def test_live_album_name_is_detected(album_name):
    assert has_live_marker(album_name, album=True)


@pytest.mark.parametrize("album_name", STUDIO_ALBUMS, ids=str)
def test_studio_album_name_is_not_live(album_name):
    assert not has_live_marker(album_name, album=True)


@pytest.mark.parametrize(
    "title", ["Live at Leeds", "Live in the Moment", "Live"], ids=["at", "in", "bare"]
)
def test_album_shapes_do_not_apply_to_track_titles(title):
    assert has_live_marker(title, album=True)
    assert not has_live_marker(title)


# --- Remixes --------------------------------------------------------------------------------

REMIX_TITLES = [
    ("Golden Rivers (Remix)", True),
    ("Golden Rivers - Remix", True),
    ("Titanium (Alesso Remix)", True),
    ("Titanium - Alesso Remix", True),
    ("Golden Rivers [Señor Búho Remix]", True),
    ("Golden Rivers (Remixed by Kōji Ōta)", True),
    ("Blue Monday (Club Mix)", True),
    ("Golden Rivers - Club Mix", True),
    ("Sandstorm - Extended Mix", True),
    ("Golden Rivers (Dub Mix)", True),
    ("Golden Rivers (feat. Noémie) [Remix]", True),
    ("Golden Rivers – Lumen Drift Remix", True),
    ("Golden Rivers - Radio Edit", False),
    ("Golden Rivers - Remastered 2009", False),
    ("Mixed Emotions", False),
    ("Mix Tape", False),
    ("Come Together - 2019 Mix", False),
    ("Please Please Me - Mono Mix", False),
    ("Strobe (Original Mix)", False),
    ("Golden Rivers (Live)", False),
]


@pytest.mark.parametrize(
    ("title", "expected"), REMIX_TITLES, ids=[title for title, _ in REMIX_TITLES]
)
def test_is_remix(title, expected):
    assert is_remix(title) is expected


# --- Titles ---------------------------------------------------------------------------------

NORMALISED_TITLES = [
    ("Ça Plane Pour Moi", "ca plane pour moi"),
    ("  Hjartað   hamast (bamm bamm bamm) ", "hjartað hamast bamm bamm bamm"),
    ("Don’t Stop Me Now", "dont stop me now"),
    ("Don't Stop Me Now", "dont stop me now"),
    ("Live–Wire", "live wire"),
    ("Live—Wire", "live wire"),
    ("Live-Wire", "live wire"),
    ("HELLO,   World!!!", "hello world"),
    ("Mañana", "manana"),
    ("Tōkyō Rain", "tokyo rain"),
    ("Smörgåsbord", "smorgasbord"),
    ("Größenwahn", "grossenwahn"),
    ("ＬＩＶＥ ＷＩＲＥ", "live wire"),
    ("ライブ", "ライブ"),
    ("夜明けの歌", "夜明けの歌"),
    # Plain ASCII takes a shorter way to the same form.
    ("Rock`n_Roll  (Take 2)", "rockn roll take 2"),
    ("", ""),
]


@pytest.mark.parametrize(
    ("title", "expected"), NORMALISED_TITLES, ids=[title for title, _ in NORMALISED_TITLES]
)
def test_normalise_title(title, expected):
    assert normalise_title(title) == expected


def test_normalise_title_keeps_marks_outside_latin_script():
    # ライブ is "live", ライフ is "life": stripping the voicing mark would merge them.
    assert normalise_title("ライブ") != normalise_title("ライフ")


# --- One version per recording --------------------------------------------------------------

# (id, candidates, expected winner): one ISRC, ties broken step by step.
PREFERENCE_CASES = [
    (
        "popularity wins over album type and date",
        [
            make_track("a", popularity=40, album_type="album", release_date="1990"),
            make_track("b", popularity=70, album_type="compilation", release_date="2010"),
            make_track("c", popularity=55, album_type="single", release_date="2000"),
        ],
        "b",
    ),
    (
        "popularity tied: album over single over compilation",
        [
            make_track("a", popularity=60, album_type="compilation", release_date="1990"),
            make_track("b", popularity=60, album_type="single", release_date="1991"),
            make_track("c", popularity=60, album_type="album", release_date="2005"),
        ],
        "c",
    ),
    (
        "same type: single over compilation",
        [
            make_track("a", popularity=60, album_type="compilation", release_date="1990"),
            make_track("b", popularity=60, album_type="single", release_date="2001"),
        ],
        "b",
    ),
    (
        "same type: earliest release, year-only pads to January 1st",
        [
            make_track("a", release_date="1999-06-01"),
            make_track("b", release_date="1999"),
            make_track("c", release_date="2000-01-01"),
        ],
        "b",
    ),
    (
        "same type: earliest release, month precision",
        [
            make_track("a", release_date="1999-06"),
            make_track("b", release_date="1999-05-31"),
        ],
        "b",
    ),
    (
        "unknown release date loses",
        [
            make_track("a", release_date="0000"),
            make_track("b", release_date="2021-03-04"),
        ],
        "b",
    ),
    (
        "everything tied: smallest Spotify id",
        [make_track("7xQ"), make_track("3aZ"), make_track("5bB")],
        "3aZ",
    ),
    (
        "popularity missing on one version: ignored for the whole group",
        [
            make_track("a", popularity=None, album_type="album", release_date="2001"),
            make_track("b", popularity=95, album_type="single", release_date="2000"),
            make_track("c", popularity=90, album_type="compilation", release_date="1999"),
        ],
        "a",
    ),
    (
        "popularity missing everywhere: album type decides",
        [
            make_track("a", popularity=None, album_type="single"),
            make_track("b", popularity=None, album_type="album"),
        ],
        "b",
    ),
]


@pytest.mark.parametrize(
    ("candidates", "winner"),
    [(candidates, winner) for _, candidates, winner in PREFERENCE_CASES],
    ids=[case_id for case_id, _, _ in PREFERENCE_CASES],
)
def test_isrc_duplicates_keep_the_preferred_version_in_every_input_order(candidates, winner):
    outcomes = set()
    for ordering in permutations(candidates):
        result = decide_studio_tracks(ordering, audio_features_available=True)
        assert [d.spotify_id for d in result.decisions] == [t.spotify_id for t in ordering]
        outcomes.add(frozenset((d.spotify_id, d.reason, d.duplicate_of) for d in result.decisions))
    assert len(outcomes) == 1
    result = decide_studio_tracks(candidates, audio_features_available=True)
    assert result.kept == (winner,)
    for decision in result.decisions:
        if decision.spotify_id != winner:
            assert decision.reason is DropReason.DUPLICATE_ISRC
            assert decision.duplicate_of == winner


def test_release_preference_key_sorts_best_version_first():
    versions = [
        make_track("d", popularity=10),
        make_track("c", popularity=80, album_type="compilation"),
        make_track("b", popularity=80, album_type="album", release_date="2001"),
        make_track("a", popularity=80, album_type="album", release_date="2001"),
    ]
    assert [t.spotify_id for t in sorted(versions, key=release_preference_key)] == [
        "a",
        "b",
        "c",
        "d",
    ]


def test_isrc_is_compared_case_and_space_insensitively():
    result = decide_studio_tracks(
        [
            make_track("a", isrc=" ussb12000001 ", popularity=20),
            make_track("b", isrc="USSB12000001", popularity=30),
        ],
        audio_features_available=True,
    )
    assert reasons_by_id(result) == {"a": DropReason.DUPLICATE_ISRC, "b": KeepReason.STUDIO}


# (id, durations in ms, same song?)
DURATION_CASES = [
    ("identical", 215_000, 215_000, True),
    ("0.4 s apart rounds to the same second", 215_000, 215_400, True),
    ("0.4 s apart across the half second", 214_600, 215_000, True),
    ("2 s apart", 215_000, 217_000, False),
]


@pytest.mark.parametrize(
    ("first_ms", "second_ms", "same_song"),
    [case[1:] for case in DURATION_CASES],
    ids=[case[0] for case in DURATION_CASES],
)
def test_tracks_without_isrc_dedupe_by_title_and_rounded_duration(first_ms, second_ms, same_song):
    result = decide_studio_tracks(
        [
            make_track("b", isrc=None, name="Ça plane pour moi", duration_ms=first_ms),
            make_track("a", isrc=None, name="Ca Plane Pour Moi!", duration_ms=second_ms),
        ],
        audio_features_available=True,
    )
    if same_song:
        assert reasons_by_id(result) == {"a": KeepReason.STUDIO, "b": DropReason.DUPLICATE_TITLE}
        assert result.decisions[0].duplicate_of == "a"
    else:
        assert result.kept == ("b", "a")


def test_tracks_without_isrc_are_not_deduped_against_tracks_with_isrc():
    result = decide_studio_tracks(
        [
            make_track("a", isrc="USSB12000001"),
            make_track("b", isrc=None),
            make_track("c", isrc=""),
        ],
        audio_features_available=True,
    )
    assert reasons_by_id(result) == {
        "a": KeepReason.STUDIO,
        "b": KeepReason.STUDIO,
        "c": DropReason.DUPLICATE_TITLE,
    }


# --- Liveness and the 403 fallback ----------------------------------------------------------

# (id, liveness, features available, expected reason)
LIVENESS_CASES = [
    ("high liveness drops", 0.95, True, DropReason.LIVENESS),
    ("just above threshold drops", 0.81, True, DropReason.LIVENESS),
    ("at threshold keeps", 0.8, True, KeepReason.STUDIO),
    ("low liveness keeps", 0.1, True, KeepReason.STUDIO),
    ("null feature row keeps", None, True, KeepReason.STUDIO),
    ("403 fallback ignores liveness", 0.95, False, KeepReason.STUDIO),
    ("403 fallback with no liveness keeps", None, False, KeepReason.STUDIO),
]


@pytest.mark.parametrize(
    ("liveness", "audio_features_available", "expected"),
    [case[1:] for case in LIVENESS_CASES],
    ids=[case[0] for case in LIVENESS_CASES],
)
def test_liveness_drops_only_with_audio_features(liveness, audio_features_available, expected):
    result = decide_studio_tracks(
        [make_track("a", liveness=liveness)], audio_features_available=audio_features_available
    )
    assert result.decisions[0].reason is expected


def test_liveness_threshold_is_configurable():
    track = make_track("a", liveness=0.7)
    assert decide_studio_tracks(
        [track], audio_features_available=True, liveness_threshold=0.6
    ).drop_counts == {"liveness": 1}
    assert decide_studio_tracks([track], audio_features_available=True).kept == ("a",)


def test_403_fallback_still_applies_name_rules():
    result = decide_studio_tracks(
        [
            make_track("a", album_name="Live at Leeds", isrc="GB0000000001"),
            make_track("b", name="Golden Rivers (Live)", isrc="GB0000000002"),
            make_track("c", liveness=0.99, isrc="GB0000000003"),
        ],
        audio_features_available=False,
    )
    assert result.drop_counts == {"live_album": 1, "live_title": 1}
    assert result.kept == ("c",)


# --- Name rules in the decision -------------------------------------------------------------

# (id, album name, track title, album type, expected reason)
NAME_CASES = [
    ("live album", "Live at Leeds", "Golden Rivers", "album", DropReason.LIVE_ALBUM),
    ("live album wins over live title", "Live in Tokyo", "Golden Rivers (Live)", "album",
     DropReason.LIVE_ALBUM),
    ("live title on studio album", "Paper Lanterns", "Golden Rivers - Live", "album",
     DropReason.LIVE_TITLE),
    ("single named after its studio song", "Live in the Moment", "Live in the Moment",
     "single", KeepReason.STUDIO),
    ("live single b-side", "Live Forever", "Live Forever (Live)", "single",
     DropReason.LIVE_TITLE),
    ("album named after a trap song", "Live and Let Die", "Live and Let Die", "album",
     KeepReason.STUDIO),
    ("remix single album", "Golden Rivers (Remixes)", "Golden Rivers", "single",
     KeepReason.STUDIO),
]  # fmt: skip


@pytest.mark.parametrize(
    ("album_name", "name", "album_type", "expected"),
    [case[1:] for case in NAME_CASES],
    ids=[case[0] for case in NAME_CASES],
)
def test_name_rules_in_decision(album_name, name, album_type, expected):
    track = make_track("a", album_name=album_name, name=name, album_type=album_type)
    result = decide_studio_tracks([track], audio_features_available=True)
    assert result.decisions[0].reason is expected
    assert result.decisions[0].is_remix is False


def test_live_album_track_with_studio_liveness_is_still_dropped():
    track = make_track("a", album_name="Live from Reykjavík", liveness=0.2)
    result = decide_studio_tracks([track], audio_features_available=True)
    assert result.decisions[0].reason is DropReason.LIVE_ALBUM


def test_live_version_does_not_count_as_a_duplicate_of_the_studio_version():
    result = decide_studio_tracks(
        [
            make_track("studio", popularity=10),
            make_track("live", name="Golden Rivers (Live)", popularity=90),
        ],
        audio_features_available=True,
    )
    assert reasons_by_id(result) == {"studio": KeepReason.STUDIO, "live": DropReason.LIVE_TITLE}
    assert result.decisions[1].duplicate_of is None


def test_is_remix_is_set_on_kept_and_dropped_tracks():
    result = decide_studio_tracks(
        [
            make_track("a", name="Golden Rivers (Lumen Drift Remix)", isrc="GB0000000001"),
            make_track("b", name="Golden Rivers - Club Mix", isrc="GB0000000001", popularity=1),
            make_track("c", name="Golden Rivers", isrc="GB0000000002"),
        ],
        audio_features_available=True,
    )
    assert [(d.reason, d.is_remix) for d in result.decisions] == [
        (KeepReason.STUDIO, True),
        (DropReason.DUPLICATE_ISRC, True),
        (KeepReason.STUDIO, False),
    ]


# --- Curator overrides ----------------------------------------------------------------------


def test_curator_drop_overrides_a_studio_track():
    result = decide_studio_tracks(
        [make_track("a")],
        audio_features_available=True,
        curator_decisions={"a": CuratorDecision.ALWAYS_DROP},
    )
    assert result.decisions[0].reason is DropReason.CURATOR_DROP


@pytest.mark.parametrize(
    "changes",
    [
        {"album_name": "Live at Leeds"},
        {"name": "Golden Rivers (Live)"},
        {"liveness": 0.99},
    ],
    ids=["live album", "live title", "high liveness"],
)
def test_curator_keep_overrides_every_live_rule(changes):
    result = decide_studio_tracks(
        [make_track("a", **changes)],
        audio_features_available=True,
        curator_decisions={"a": CuratorDecision.ALWAYS_KEEP},
    )
    assert result.decisions[0].reason is KeepReason.CURATOR_KEEP
    assert result.keep_counts == {"curator_keep": 1}


def test_curator_keep_wins_its_isrc_group_in_every_input_order():
    tracks = [
        make_track("popular", popularity=90),
        make_track("chosen", popularity=10, album_type="compilation"),
        make_track("other", popularity=50),
    ]
    for ordering in permutations(tracks):
        result = decide_studio_tracks(
            ordering,
            audio_features_available=True,
            curator_decisions={"chosen": CuratorDecision.ALWAYS_KEEP},
        )
        assert reasons_by_id(result) == {
            "popular": DropReason.DUPLICATE_ISRC,
            "chosen": KeepReason.CURATOR_KEEP,
            "other": DropReason.DUPLICATE_ISRC,
        }
        assert {d.duplicate_of for d in result.decisions if not d.keep} == {"chosen"}


def test_curator_keep_wins_its_title_group():
    result = decide_studio_tracks(
        [make_track("a", isrc=None), make_track("b", isrc=None)],
        audio_features_available=True,
        curator_decisions={"b": CuratorDecision.ALWAYS_KEEP},
    )
    assert reasons_by_id(result) == {"a": DropReason.DUPLICATE_TITLE, "b": KeepReason.CURATOR_KEEP}


def test_curator_drop_of_best_version_lets_the_next_best_survive():
    result = decide_studio_tracks(
        [make_track("best", popularity=90), make_track("next", popularity=40)],
        audio_features_available=True,
        curator_decisions={"best": CuratorDecision.ALWAYS_DROP},
    )
    assert reasons_by_id(result) == {"best": DropReason.CURATOR_DROP, "next": KeepReason.STUDIO}
    assert result.decisions[1].duplicate_of is None


def test_curator_decision_by_isrc_applies_to_every_version():
    result = decide_studio_tracks(
        [
            make_track("a", popularity=90),
            make_track("b", popularity=10),
            make_track("c", isrc=None),
        ],
        audio_features_available=True,
        curator_decisions={" ussb12000001": CuratorDecision.ALWAYS_KEEP},
    )
    assert reasons_by_id(result) == {
        "a": KeepReason.CURATOR_KEEP,
        "b": KeepReason.CURATOR_KEEP,
        "c": KeepReason.STUDIO,
    }


def test_curator_decision_by_spotify_id_beats_one_by_isrc():
    result = decide_studio_tracks(
        [make_track("a"), make_track("b", popularity=10)],
        audio_features_available=True,
        curator_decisions={
            "USSB12000001": CuratorDecision.ALWAYS_DROP,
            "b": CuratorDecision.ALWAYS_KEEP,
        },
    )
    assert reasons_by_id(result) == {"a": DropReason.CURATOR_DROP, "b": KeepReason.CURATOR_KEEP}


def test_curator_decisions_accept_plain_string_values():
    # Overrides read back from a CharField arrive as plain strings.
    stored: dict[str, Any] = {"a": "always_drop"}
    result = decide_studio_tracks(
        [make_track("a")], audio_features_available=True, curator_decisions=stored
    )
    assert result.drop_counts == {"curator_drop": 1}


# --- The whole catalog ----------------------------------------------------------------------


def test_catalog_counts_every_reason_in_input_order():
    tracks = [
        make_track("studio", isrc="GB0000000001"),
        make_track("live-album", isrc="GB0000000002", album_name="MTV Unplugged in New York"),
        make_track("live-title", isrc="GB0000000003", name="Golden Rivers - Peel Session"),
        make_track("live-unmarked", isrc="GB0000000004", liveness=0.93),
        make_track("isrc-copy", isrc="GB0000000001", album_type="compilation"),
        make_track("no-isrc", isrc=None, name="Sól"),
        make_track("no-isrc-copy", isrc=None, name="sol", album_type="single"),
        make_track("curated-out", isrc="GB0000000005"),
        make_track("curated-in", isrc="GB0000000006", name="Sól (Live)"),
        make_track("null-features", isrc="GB0000000007", liveness=None),
    ]
    result = decide_studio_tracks(
        tracks,
        audio_features_available=True,
        curator_decisions={
            "curated-out": CuratorDecision.ALWAYS_DROP,
            "curated-in": CuratorDecision.ALWAYS_KEEP,
        },
    )
    assert [d.spotify_id for d in result.decisions] == [t.spotify_id for t in tracks]
    assert result.kept == ("studio", "no-isrc", "curated-in", "null-features")
    assert result.drop_counts == {
        "live_album": 1,
        "live_title": 1,
        "liveness": 1,
        "duplicate_isrc": 1,
        "duplicate_title": 1,
        "curator_drop": 1,
    }
    assert result.keep_counts == {"studio": 3, "curator_keep": 1}
    assert [d.duplicate_of for d in result.decisions if d.duplicate_of] == ["studio", "no-isrc"]


def test_empty_catalog():
    result = decide_studio_tracks([], audio_features_available=False)
    assert result == CatalogDecision(decisions=())
    assert (result.kept, result.drop_counts, result.keep_counts) == ((), {}, {})


def test_track_decision_refuses_a_keep_flag_contradicting_its_reason():
    with pytest.raises(ValueError, match="contradicts"):
        TrackDecision(spotify_id="a", keep=True, reason=DropReason.LIVENESS, is_remix=False)


@pytest.mark.parametrize(
    ("name", "candidates", "expected"),
    [
        ("Example Band", [("a" * 22, "Example Band")], "a" * 22),
        (
            "Example Band",
            [("t" * 22, "Example Band Tribute"), ("a" * 22, "Example Band")],
            "a" * 22,
        ),
        (
            "Example Band",
            [("t" * 22, "Example Band Tribute"), ("s" * 22, "The Example Bands")],
            None,
        ),
        ("Example Band", [("c" * 22, "EXAMPLE  BAND")], "c" * 22),
        ("Example Band", [("c" * 22, "example band"), ("d" * 22, "EXAMPLE BAND")], None),
        ("Example Band", [("c" * 22, "example band"), ("a" * 22, "Example Band")], "a" * 22),
        ("Sigur Rós", [("r" * 22, "Sigur Ros")], None),
        ("Sigur Rós", [("r" * 22, "Sigur Ros"), ("s" * 22, "Sigur Rós")], "s" * 22),
        ("Björk", [], None),
    ],
    ids=[
        "exact",
        "exact-after-decoy",
        "only-decoys",
        "case-and-spacing",
        "two-loose-matches-ambiguous",
        "exact-beats-loose",
        "accents-count",
        "accented-exact",
        "no-results",
    ],
)
def test_pick_spotify_artist_matches_names_strictly(name, candidates, expected):
    assert pick_spotify_artist(name, candidates) == expected
