"""Scenario files: the SANDBOX.md example loads; every mistake is named by file and path."""

from __future__ import annotations

import copy
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from sandbox.management.commands import sandbox_upstream
from sandbox.scenario import load_scenario_file, parse_scenario
from sandbox.world import ScenarioError, TrackTruth, build_world

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
    assert track.song is None
    [event] = artist.events
    assert event.venue is not None and event.venue.latitude == "30.26"
    # Absent timezone: the venue's, as Ticketmaster sends it.
    assert event.timezone == "America/Chicago"
    assert (event.date_tba, event.time_tba, event.listed_twice) == (False, False, False)


def test_optional_fields_may_be_null_or_absent() -> None:
    data = copy.deepcopy(EXAMPLE)
    artist = data["artists"][0]
    track = artist["albums"][0]["tracks"][0]
    track.update(isrc=None, liveness=None, truth="live_unmarked", song="Opening")
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
    assert loaded_track.song == "Opening"
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


# --- Wrong types, every kind of field -------------------------------------------------

ARTIST = "artists[0]"
ALBUM = "artists[0].albums[0]"
VENUE = f"{EVENT}.venue"


def artist0(data: dict) -> dict:
    return data["artists"][0]


def album0(data: dict) -> dict:
    return data["artists"][0]["albums"][0]


def event0(data: dict) -> dict:
    return data["artists"][0]["events"][0]


def venue0(data: dict) -> dict:
    return data["artists"][0]["events"][0]["venue"]


def setting(pick: Callable[[dict], dict], **fields: object) -> Callable[[dict], None]:
    return lambda data: pick(data).update(fields)


WRONG = [
    # the top level and the artists list
    (lambda d: d.update(artists={"x": 1}), "artists: expected array, got object"),
    (lambda d: d["artists"].append("Example Band"), "artists[1]: expected object, got string"),
    (
        lambda d: d["artists"].append([EXAMPLE["artists"][0]]),
        "artists[1]: expected object, got array",
    ),
    # artist: ids, text, booleans, integers, lists
    (
        setting(artist0, tm_attraction_id=8917),
        f"{ARTIST}.tm_attraction_id: expected string, got number 8917",
    ),
    (
        setting(artist0, tm_attraction_id="K" * 65),
        f"{ARTIST}.tm_attraction_id: expected a Ticketmaster id of 1 to 64",
    ),
    (
        setting(artist0, tm_attraction_id="../etc"),
        f"{ARTIST}.tm_attraction_id: expected a Ticketmaster id",
    ),
    (setting(artist0, name=["Example Band"]), f"{ARTIST}.name: expected string, got array"),
    (setting(artist0, name=""), f"{ARTIST}.name: must not be empty"),
    (setting(artist0, name=None), f"{ARTIST}.name: expected string, got null"),
    (setting(artist0, spotify_id=5), f"{ARTIST}.spotify_id: expected string or null, got number 5"),
    (
        setting(artist0, spotify_id="0" * 33),
        f"{ARTIST}.spotify_id: expected a base-62 Spotify id of 1 to 32",
    ),
    (
        setting(artist0, spotify_linked=1),
        f"{ARTIST}.spotify_linked: expected boolean, got number 1",
    ),
    (setting(artist0, genres="Rock"), f"{ARTIST}.genres: expected array, got string 'Rock'"),
    (
        setting(artist0, genres=[{"name": "Rock"}]),
        f"{ARTIST}.genres[0]: expected string, got object",
    ),
    (setting(artist0, popularity=-1), f"{ARTIST}.popularity: must be between 0 and 100, got -1"),
    (setting(artist0, popularity="50"), f"{ARTIST}.popularity: expected integer, got string '50'"),
    (setting(artist0, followers=1.5), f"{ARTIST}.followers: expected integer, got number 1.5"),
    (setting(artist0, followers=-1), f"{ARTIST}.followers: must be between 0 and"),
    (
        setting(artist0, followers=2**60),
        f"{ARTIST}.followers: must be between 0 and 9007199254740991",
    ),
    (setting(artist0, albums={"spotify_id": "x"}), f"{ARTIST}.albums: expected array, got object"),
    (setting(artist0, events="none"), f"{ARTIST}.events: expected array, got string 'none'"),
    # album
    (setting(album0, spotify_id=None), f"{ALBUM}.spotify_id: expected string, got null"),
    (setting(album0, name=7), f"{ALBUM}.name: expected string, got number 7"),
    (setting(album0, album_type=["album"]), f"{ALBUM}.album_type: ['album'] is not one of"),
    (setting(album0, album_group=None), f"{ALBUM}.album_group: None is not one of"),
    (setting(album0, release_date=2019), f"{ALBUM}.release_date: expected string, got number 2019"),
    (
        setting(album0, release_date="2019-13"),
        f"{ALBUM}.release_date: expected a release date YYYY",
    ),
    (
        setting(album0, release_date="2019-02-29"),
        f"{ALBUM}.release_date: expected a release date that exists, got '2019-02-29'",
    ),
    (
        setting(album0, release_date="17 May 2019"),
        f"{ALBUM}.release_date: expected a release date YYYY",
    ),
    (setting(album0, tracks={}), f"{ALBUM}.tracks: expected array, got object"),
    (setting(album0, tracks=[["Opening"]]), f"{ALBUM}.tracks[0]: expected object, got array"),
    (
        setting(album0, available_markets="US"),
        f"{ALBUM}.available_markets: expected array, got string",
    ),
    (
        setting(album0, available_markets=["usa"]),
        f"{ALBUM}.available_markets[0]: expected a two-letter market code",
    ),
    (setting(album0, label=None), f"{ALBUM}.label: expected string, got null"),
    (setting(album0, popularity=50.5), f"{ALBUM}.popularity: expected integer, got number 50.5"),
    # track
    (setting(track0, duration_ms=0), f"{TRACK}.duration_ms: must be between 1 and 86400000, got 0"),
    (
        setting(track0, duration_ms=-201000),
        f"{TRACK}.duration_ms: must be between 1 and 86400000, got -201000",
    ),
    (
        setting(track0, duration_ms=201000.5),
        f"{TRACK}.duration_ms: expected integer, got number 201000.5",
    ),
    (setting(track0, duration_ms=10**12), f"{TRACK}.duration_ms: must be between 1 and 86400000"),
    (setting(track0, duration_ms=1e300), f"{TRACK}.duration_ms: must be between 1 and 86400000"),
    (setting(track0, duration_ms=True), f"{TRACK}.duration_ms: expected integer, got boolean True"),
    (setting(track0, isrc=12), f"{TRACK}.isrc: expected string or null, got number 12"),
    (setting(track0, liveness=1.5), f"{TRACK}.liveness: must be between 0 and 1, got 1.5"),
    (setting(track0, liveness=-0.1), f"{TRACK}.liveness: must be between 0 and 1, got -0.1"),
    (
        setting(track0, liveness="0.5"),
        f"{TRACK}.liveness: expected number or null, got string '0.5'",
    ),
    (
        setting(track0, liveness=float("nan")),
        f"{TRACK}.liveness: expected a finite number, got nan",
    ),
    (setting(track0, explicit="no"), f"{TRACK}.explicit: expected boolean, got string 'no'"),
    (setting(track0, disc_number=0), f"{TRACK}.disc_number: must be between 1 and 1000, got 0"),
    (setting(track0, track_number=-3), f"{TRACK}.track_number: must be between 1 and 1000, got -3"),
    (setting(track0, truth=None), f"{TRACK}.truth: None is not one of"),
    (setting(track0, is_remix=1), f"{TRACK}.is_remix: expected boolean, got number 1"),
    (setting(track0, song=""), f"{TRACK}.song: must not be empty"),
    (setting(track0, song="x" * 501), f"{TRACK}.song: must be at most 500 characters long"),
    (setting(track0, song=None), f"{TRACK}.song: expected string, got null"),
    (setting(track0, song=["Opening"]), f"{TRACK}.song: expected string, got array"),
    (setting(track0, name="Open\ud800ing"), f"{TRACK}.name: text with a lone surrogate"),
    # event
    (
        setting(event0, tm_event_id=["vvG1example0001"]),
        f"{EVENT}.tm_event_id: expected string, got array",
    ),
    (setting(event0, name=None), f"{EVENT}.name: expected string, got null"),
    (
        setting(event0, local_date=20270501),
        f"{EVENT}.local_date: expected string or null, got number",
    ),
    (setting(event0, local_date="01/05/2027"), f"{EVENT}.local_date: expected a date YYYY-MM-DD"),
    (setting(event0, local_date="2027-13-01"), f"{EVENT}.local_date: expected a date YYYY-MM-DD"),
    (setting(event0, local_time="20:00"), f"{EVENT}.local_time: expected a time HH:MM:SS"),
    (setting(event0, local_time=2000), f"{EVENT}.local_time: expected string or null, got number"),
    (setting(event0, status=None), f"{EVENT}.status: None is not one of"),
    (setting(event0, venue=[]), f"{EVENT}.venue: expected object or null, got array"),
    (setting(event0, venue="Example Hall"), f"{EVENT}.venue: expected object or null, got string"),
    (setting(event0, timezone=5), f"{EVENT}.timezone: expected string or null, got number 5"),
    (setting(event0, date_tba="true"), f"{EVENT}.date_tba: expected boolean, got string 'true'"),
    (setting(event0, listed_twice=None), f"{EVENT}.listed_twice: expected boolean, got null"),
    # venue
    (setting(venue0, tm_venue_id=""), f"{VENUE}.tm_venue_id: expected a Ticketmaster id"),
    (setting(venue0, name=3), f"{VENUE}.name: expected string, got number 3"),
    (setting(venue0, city=["Austin"]), f"{VENUE}.city: expected string or null, got array"),
    (
        setting(venue0, country_code="usa"),
        f"{VENUE}.country_code: expected a two-letter country code",
    ),
    (setting(venue0, latitude="91"), f"{VENUE}.latitude: expected a latitude from -90 to 90"),
    (
        setting(venue0, longitude="-180.5"),
        f"{VENUE}.longitude: expected a longitude from -180 to 180",
    ),
    (setting(venue0, longitude="NaN"), f"{VENUE}.longitude: expected a longitude from -180 to 180"),
    (
        setting(venue0, postal_code=78701),
        f"{VENUE}.postal_code: expected string or null, got number",
    ),
    (
        setting(venue0, address_line1={}),
        f"{VENUE}.address_line1: expected string or null, got object",
    ),
]


def _case_id(expected: str) -> str:
    field, _, problem = expected.partition(": ")
    return f"{field.split('.')[-1]}-{re.sub(r'[^a-z0-9]+', '-', problem.lower())[:30]}"


@pytest.mark.parametrize(
    ("change", "expected"), [pytest.param(c, e, id=_case_id(e)) for c, e in WRONG]
)
def test_every_kind_of_field_refuses_a_wrong_value_naming_file_and_field(
    tmp_path: Path, change: Callable[[dict], None], expected: str
) -> None:
    data = with_change(change)
    path = tmp_path / "scenario.json"
    # ensure_ascii: a lone surrogate is written as the escape a hand-written file holds.
    path.write_text(json.dumps(data, allow_nan=True), encoding="ascii")

    with pytest.raises(ScenarioError) as from_file:
        load_scenario_file(path)
    with pytest.raises(ScenarioError) as from_data:
        parse_scenario(data, source="inline.json")

    assert f"{path}: {expected}" in str(from_file.value)
    assert f"inline.json: {expected}" in str(from_data.value)
    assert len(str(from_file.value)) < 2_000, "a long value is quoted in full"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            json.dumps(EXAMPLE).replace('"liveness": 0.11', '"liveness": NaN'),
            f"{TRACK}.liveness: expected a finite number, got nan",
            id="NaN-literal",
        ),
        pytest.param(
            json.dumps(EXAMPLE).replace('"duration_ms": 201000', '"duration_ms": 1e999'),
            f"{TRACK}.duration_ms: expected integer, got number inf",
            id="overflowing-number",
        ),
        pytest.param("[" * 100_000 + "]" * 100_000, "invalid JSON (nested too deeply)", id="deep"),
        pytest.param("\ufeff{}", "line 1 column 1: invalid JSON", id="byte-order-mark"),
    ],
)
def test_json_a_scenario_cannot_serve_is_refused(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "odd.json"
    path.write_text(text, encoding="utf-8")

    with pytest.raises(ScenarioError) as raised:
        load_scenario_file(path)

    assert f"{path}: {expected}" in str(raised.value)


def test_a_file_that_is_not_utf8_or_not_a_file_is_named(tmp_path: Path) -> None:
    latin1 = tmp_path / "latin1.json"
    latin1.write_bytes('{"artists": [{"name": "Mot\xf6rhead"}]}'.encode("latin-1"))

    with pytest.raises(ScenarioError, match=rf"^{re.escape(str(latin1))}: cannot read: 'utf-8'"):
        load_scenario_file(latin1)
    with pytest.raises(ScenarioError, match=rf"^{re.escape(str(tmp_path))}: cannot read"):
        load_scenario_file(tmp_path)
    with pytest.raises(ScenarioError, match=r"^'bad\\x00name.json': cannot read"):
        load_scenario_file("bad\x00name.json")


# --- The command --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        pytest.param(
            setting(track0, duration_ms="3:20"),
            f"{TRACK}.duration_ms: expected integer",
            id="string-for-int",
        ),
        pytest.param(
            setting(event0, venue=[]),
            f"{EVENT}.venue: expected object or null, got array",
            id="list-for-object",
        ),
        pytest.param(
            setting(album0, release_date="2019-02-29"),
            f"{ALBUM}.release_date: expected a release date that exists",
            id="bad-date",
        ),
        pytest.param(
            setting(track0, popularity=-1),
            f"{TRACK}.popularity: must be between 0 and 100",
            id="negative",
        ),
    ],
)
def test_sandbox_command_refuses_a_bad_scenario_naming_file_and_field(
    tmp_path: Path, change: Callable[[dict], None], expected: str, monkeypatch
) -> None:
    path = write(tmp_path, with_change(change))

    def serve_forever(*args, **kwargs):
        raise AssertionError("the bad scenario was accepted and the sandbox started")

    monkeypatch.setattr(sandbox_upstream, "serve_forever", serve_forever)

    with pytest.raises(CommandError) as raised:
        call_command("sandbox_upstream", "--port", "0", "--scenario", str(path))

    assert f"{path}: {expected}" in str(raised.value)


def test_sandbox_command_line_exits_non_zero_without_a_traceback(tmp_path: Path) -> None:
    """The real command line: exit status 1, one line per problem, no traceback (and
    no server started: the command returns at once)."""
    data = with_change(setting(track0, duration_ms=-1, liveness="high"))
    path = write(tmp_path, data)
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'unused.sqlite3'}"}

    result = subprocess.run(
        [sys.executable, "manage.py", "sandbox_upstream", "--port", "0", "--scenario", str(path)],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert f"{path}: {TRACK}.duration_ms: must be between 1 and 86400000, got -1" in result.stderr
    assert f"{path}: {TRACK}.liveness: expected number or null, got string 'high'" in result.stderr
    assert "Sandbox upstream on" not in result.stdout


# --- Shared events --------------------------------------------------------------

SHARED = "G5vXyz123abc"


def shared_event(**fields: object) -> dict:
    return {
        "tm_event_id": SHARED,
        "name": "Headliner & Guest",
        "local_date": "2027-05-01",
        **fields,
    }


def two_artists(first_events: list[dict], second_events: list[dict]) -> dict:
    """The example's artist, then a second artist, with the given events."""
    data = copy.deepcopy(EXAMPLE)
    data["artists"][0]["events"] = first_events
    second = {"tm_attraction_id": "K8vZ9171gst", "name": "Guest", "events": second_events}
    data["artists"].append(second)
    return data


def test_an_event_listed_under_two_artists_is_one_event_merged_from_both() -> None:
    venue = EXAMPLE["artists"][0]["events"][0]["venue"]
    first = shared_event(local_time="20:00:00")
    second = shared_event(venue=venue, status="offsale")

    band, guest = parse_scenario(two_artists([first], [second]), source="shared.json")

    [event] = band.events
    assert guest.events == [event] and guest.events[0] is event
    # A field given in only one listing applies to the event.
    assert (event.local_time, event.status, event.time_tba) == ("20:00:00", "offsale", False)
    assert event.venue is not None and event.venue.tm_venue_id == venue["tm_venue_id"]
    assert event.timezone == venue["timezone"]


def test_a_shared_event_is_not_a_duplicate_for_the_world(tmp_path: Path) -> None:
    path = write(tmp_path, two_artists([shared_event()], [shared_event()]))

    world = build_world(scenario_sources=[str(path), "sparse"], seed=1)

    band, guest = world.artists[:2]
    assert band.events[0] is guest.events[0]


SHARED_CONFLICTS = [
    pytest.param({"local_time": "20:00:00"}, {"local_time": "21:00:00"}, "local_time", id="time"),
    pytest.param({"local_time": "20:00:00"}, {"local_time": None}, "local_time", id="time-null"),
    pytest.param({}, {"name": "Guest"}, "name", id="name"),
    pytest.param({}, {"local_date": "2027-05-02"}, "local_date", id="date"),
    pytest.param({"status": "onsale"}, {"status": "cancelled"}, "status", id="status"),
    pytest.param({"listed_twice": True}, {"listed_twice": False}, "listed_twice", id="twice"),
    pytest.param(
        {"venue": {"tm_venue_id": "KovZexample1", "name": "Example Hall"}},
        {"venue": {"tm_venue_id": "KovZexample2", "name": "Other Hall"}},
        "venue",
        id="venue",
    ),
    pytest.param(
        {"venue": {"tm_venue_id": "KovZexample1", "name": "Example Hall"}},
        {"venue": None},
        "venue",
        id="venue-null",
    ),
]


@pytest.mark.parametrize(("first", "second", "field"), SHARED_CONFLICTS)
def test_a_field_given_twice_must_agree_and_the_error_names_both_places(
    first: dict, second: dict, field: str
) -> None:
    earlier = {"tm_event_id": "vvG1other0001", "name": "x", "local_date": "2027-01-01"}
    data = two_artists(
        [earlier, earlier | {"tm_event_id": "vvG1other0002"}, shared_event(**first)],
        [shared_event(**second)],
    )

    with pytest.raises(ScenarioError) as raised:
        parse_scenario(data, source="shared.json")

    assert str(raised.value) == (
        f"shared.json: artists[1].events[0].{field}: differs from "
        f"artists[0].events[2].{field} for event {SHARED!r} (one event, one description)"
    )


def test_a_third_listing_is_compared_with_the_first_place_a_field_was_given() -> None:
    data = two_artists([shared_event()], [shared_event(local_time="20:00:00")])
    third = {"tm_attraction_id": "K8vZ9171trd", "name": "Third"}
    data["artists"].append(third | {"events": [shared_event(local_time="21:00:00")]})

    with pytest.raises(ScenarioError) as raised:
        parse_scenario(data, source="three.json")

    assert str(raised.value) == (
        "three.json: artists[2].events[0].local_time: differs from "
        f"artists[1].events[0].local_time for event {SHARED!r} (one event, one description)"
    )


def test_one_artist_listing_an_event_twice_is_refused() -> None:
    data = two_artists([shared_event(), shared_event()], [shared_event()])

    with pytest.raises(ScenarioError) as raised:
        parse_scenario(data, source="twice.json")

    assert str(raised.value) == (
        f"twice.json: artists[0].events[1].tm_event_id: duplicate tm_event_id {SHARED!r} "
        "(first at artists[0].events[0].tm_event_id)"
    )


def test_an_event_in_two_files_is_refused_naming_both(tmp_path: Path) -> None:
    band = copy.deepcopy(EXAMPLE)
    band["artists"][0]["events"] = [shared_event()]
    guest = {"artists": [{"tm_attraction_id": "K8vZ9171gst", "name": "Guest"}]}
    guest["artists"][0]["events"] = [shared_event()]
    first, second = write(tmp_path, band, "band.json"), write(tmp_path, guest, "guest.json")

    with pytest.raises(ScenarioError) as raised:
        build_world(scenario_sources=[str(first), str(second)])

    assert str(raised.value) == f"duplicate tm_event_id {SHARED!r} in {first} and in {second}"
