"""Scenario files: the SANDBOX.md example loads; every mistake is named by file and path."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from imports.sandbox.scenario import load_scenario_file, parse_scenario
from imports.sandbox.world import ScenarioError, TrackTruth, build_world

SANDBOX_MD = Path(__file__).resolve().parents[3] / "shared" / "SANDBOX.md"

# The example of SANDBOX.md, kept here too so the suite runs without the shared folder.
EXAMPLE = {
    "artists": [
        {
            "tm_attraction_id": "K8vZ9171ob7",
            "name": "Example Band",
            "spotify_id": "0exampleSpotifyArtist01",
            "spotify_linked": True,
            "genres": ["Rock"],
            "albums": [
                {
                    "spotify_id": "0exampleAlbum000000001",
                    "name": "First Record",
                    "album_type": "album",
                    "release_date": "2019-05-17",
                    "tracks": [
                        {
                            "spotify_id": "0exampleTrack000000001",
                            "name": "Opening",
                            "isrc": "USAB11900001",
                            "duration_ms": 201000,
                            "popularity": 61,
                            "liveness": 0.11,
                        }
                    ],
                }
            ],
            "events": [
                {
                    "tm_event_id": "vvG1example0001",
                    "name": "Example Band",
                    "local_date": "2027-05-01",
                    "local_time": "20:00:00",
                    "status": "onsale",
                    "venue": {
                        "tm_venue_id": "KovZexample1",
                        "name": "Example Hall",
                        "city": "Austin",
                        "state_code": "TX",
                        "country_code": "US",
                        "latitude": "30.26",
                        "longitude": "-97.74",
                        "timezone": "America/Chicago",
                    },
                }
            ],
        }
    ]
}


def write(tmp_path: Path, data: object, name: str = "scenario.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


@pytest.mark.skipif(not SANDBOX_MD.exists(), reason="shared/SANDBOX.md not present")
def test_the_example_in_sandbox_md_loads(tmp_path: Path) -> None:
    text = SANDBOX_MD.read_text(encoding="utf-8")
    example = re.search(r"```json\n(.*?)```", text, re.DOTALL)
    assert example is not None
    path = tmp_path / "example.json"
    path.write_text(example.group(1), encoding="utf-8")

    assert load_scenario_file(path) == load_scenario_file(write(tmp_path, EXAMPLE))


def test_example_loads_into_records(tmp_path: Path) -> None:
    [artist] = load_scenario_file(write(tmp_path, EXAMPLE))

    assert (artist.tm_attraction_id, artist.name, artist.spotify_linked) == (
        "K8vZ9171ob7",
        "Example Band",
        True,
    )
    [album] = artist.albums
    assert album.group == "album"
    [track] = album.tracks
    assert (track.isrc, track.duration_ms, track.liveness, track.track_number) == (
        "USAB11900001",
        201000,
        0.11,
        1,
    )
    assert track.truth is TrackTruth.UNKNOWN
    [event] = artist.events
    assert event.venue is not None and event.venue.latitude == "30.26"
    # Absent timezone: the venue's, as Ticketmaster sends it.
    assert event.timezone == "America/Chicago"
    assert (event.date_tba, event.time_tba, event.listed_twice) == (False, False, False)


def test_optional_fields_may_be_null_or_absent() -> None:
    data = copy.deepcopy(EXAMPLE)
    artist = data["artists"][0]
    track = artist["albums"][0]["tracks"][0]
    track.update(isrc=None, liveness=None, truth="live_unmarked")
    artist["albums"][0].update(album_group="appears_on", available_markets=["US", "SE"])
    event = artist["events"][0]
    event.update(venue=None, local_time=None, local_date=None, status="canceled", timezone=None)
    artist["events"].append(
        {"tm_event_id": "vvG1example0002", "name": "Example Band", "local_date": "2027-06-01"}
    )

    [loaded] = parse_scenario(data, source="inline")

    loaded_track = loaded.albums[0].tracks[0]
    assert (loaded_track.isrc, loaded_track.liveness) == (None, None)
    assert loaded_track.truth is TrackTruth.LIVE_UNMARKED
    assert loaded.albums[0].group == "appears_on"
    first, second = loaded.events
    assert (first.venue, first.local_date, first.date_tba, first.time_tba) == (
        None,
        None,
        True,
        True,
    )
    assert first.timezone is None and first.status == "canceled"
    assert second.venue is None and second.local_time is None and second.time_tba


def with_change(change: Callable[[dict], None]) -> dict:
    data = copy.deepcopy(EXAMPLE)
    change(data)
    return data


def track0(data: dict) -> dict:
    return data["artists"][0]["albums"][0]["tracks"][0]


def rename(mapping: dict, old: str, new: str) -> None:
    mapping[new] = mapping.pop(old)


TRACK = "artists[0].albums[0].tracks[0]"
EVENT = "artists[0].events[0]"

INVALID = [
    pytest.param(
        lambda d: track0(d).update(mood="happy"),
        f"{TRACK}.mood: unknown field",
        id="unknown-field",
    ),
    pytest.param(
        lambda d: rename(track0(d), "duration_ms", "duration"),
        f"{TRACK}.duration: unknown field (did you mean 'duration_ms'?)",
        id="misspelled-field",
    ),
    pytest.param(
        lambda d: rename(d["artists"][0]["events"][0]["venue"], "latitude", "lattitude"),
        f"{EVENT}.venue.lattitude: unknown field (did you mean 'latitude'?)",
        id="misspelled-venue-field",
    ),
    pytest.param(
        lambda d: track0(d).update(duration_ms="201000"),
        f"{TRACK}.duration_ms: expected integer, got string '201000'",
        id="wrong-type-string-for-int",
    ),
    pytest.param(
        lambda d: d["artists"][0].update(spotify_linked="yes"),
        "artists[0].spotify_linked: expected boolean",
        id="wrong-type-string-for-bool",
    ),
    pytest.param(
        lambda d: d["artists"][0]["events"][0]["venue"].update(latitude=30.26),
        f"{EVENT}.venue.latitude: expected string or null, got number 30.26",
        id="wrong-type-number-for-coordinate",
    ),
    pytest.param(
        lambda d: d["artists"][0]["albums"][0].update(album_type="ep"),
        "artists[0].albums[0].album_type: 'ep' is not one of 'album', 'single', 'compilation'",
        id="bad-enum-album-type",
    ),
    pytest.param(
        lambda d: d["artists"][0]["albums"][0].update(album_group="appears-on"),
        "artists[0].albums[0].album_group: 'appears-on' is not one of",
        id="bad-enum-album-group",
    ),
    pytest.param(
        lambda d: d["artists"][0]["events"][0].update(status="soldout"),
        f"{EVENT}.status: 'soldout' is not one of",
        id="bad-enum-status",
    ),
    pytest.param(
        lambda d: track0(d).update(truth="live"),
        f"{TRACK}.truth: 'live' is not one of",
        id="bad-enum-truth",
    ),
    pytest.param(
        lambda d: track0(d).pop("spotify_id"),
        f"{TRACK}.spotify_id: missing required field",
        id="missing-required",
    ),
    pytest.param(
        lambda d: d.pop("artists"),
        "artists: missing required field",
        id="missing-artists",
    ),
    pytest.param(
        lambda d: d["artists"][0]["events"][0].update(local_date="2027-02-30"),
        f"{EVENT}.local_date: expected a date YYYY-MM-DD, got '2027-02-30'",
        id="impossible-date",
    ),
    pytest.param(
        lambda d: d["artists"][0]["events"][0].update(local_time="8pm"),
        f"{EVENT}.local_time: expected a time HH:MM:SS, got '8pm'",
        id="bad-time",
    ),
    pytest.param(
        lambda d: track0(d).update(isrc="US-AB1-19-00001"),
        f"{TRACK}.isrc: expected a 12-character ISRC",
        id="bad-isrc",
    ),
    pytest.param(
        lambda d: track0(d).update(popularity=101),
        f"{TRACK}.popularity: must be between 0 and 100, got 101",
        id="out-of-range",
    ),
    pytest.param(
        lambda d: d["artists"].append(copy.deepcopy(d["artists"][0])),
        "artists[1].tm_attraction_id: duplicate tm_attraction_id 'K8vZ9171ob7' "
        "(first at artists[0].tm_attraction_id)",
        id="duplicate-id",
    ),
    pytest.param(
        lambda d: d["artists"][0]["events"].append(
            {
                "tm_event_id": "vvG1example0002",
                "name": "x",
                "local_date": "2027-05-02",
                "venue": {"tm_venue_id": "KovZexample1", "name": "Another Hall"},
            }
        ),
        "artists[0].events[1].venue: venue 'KovZexample1' differs from the one at "
        "artists[0].events[0].venue",
        id="venue-described-twice",
    ),
]


@pytest.mark.parametrize(("change", "expected"), INVALID)
def test_invalid_scenario_names_file_and_field(
    tmp_path: Path, change: Callable[[dict], None], expected: str
) -> None:
    path = write(tmp_path, with_change(change))

    with pytest.raises(ScenarioError) as raised:
        load_scenario_file(path)

    assert f"{path}: {expected}" in str(raised.value)


def test_all_errors_are_reported_one_per_line() -> None:
    def two_mistakes(data: dict) -> None:
        track0(data).update(popularity="high")
        data["artists"][0]["albums"][0].update(album_type="ep")

    with pytest.raises(ScenarioError) as raised:
        parse_scenario(with_change(two_mistakes), source="two.json")

    lines = str(raised.value).splitlines()
    assert len(lines) == 2
    assert all(line.startswith("two.json: artists[0].albums[0].") for line in lines)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param('{"artists": [\n  {"name": "x",}\n]}', "line 2 column", id="trailing-comma"),
        pytest.param('{"artists": ', "line 1 column", id="truncated"),
        pytest.param("", "invalid JSON", id="empty-file"),
    ],
)
def test_malformed_json_names_file_and_position(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "broken.json"
    path.write_text(text, encoding="utf-8")

    with pytest.raises(ScenarioError, match=re.escape(f"{path}: ")) as raised:
        load_scenario_file(path)

    assert expected in str(raised.value)


def test_top_level_must_be_an_object() -> None:
    with pytest.raises(ScenarioError, match=r"^list\.json: \(top level\): expected object"):
        parse_scenario([EXAMPLE], source="list.json")


def test_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match=r"nowhere\.json: no such file"):
        load_scenario_file(tmp_path / "nowhere.json")


def test_world_mixes_a_file_with_builtins(tmp_path: Path) -> None:
    path = write(tmp_path, EXAMPLE)

    world = build_world(scenario_sources=[str(path), "sparse"], seed=1)

    assert [a.profile or a.name for a in world.artists] == ["Example Band", "sparse"]


def test_world_names_both_sources_of_a_duplicate(tmp_path: Path) -> None:
    first = write(tmp_path, EXAMPLE, "first.json")
    second = write(tmp_path, EXAMPLE, "second.json")

    with pytest.raises(ScenarioError) as raised:
        build_world(scenario_sources=[str(first), str(second)])

    message = str(raised.value)
    assert "K8vZ9171ob7" in message and str(first) in message and str(second) in message
