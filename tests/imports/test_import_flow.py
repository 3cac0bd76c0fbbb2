"""Whole imports, inline, against the sandbox over HTTP: what is stored must be exactly
what the scenario implies (the sandbox's own truth labels, not our rules)."""

from __future__ import annotations

import io
import json
import math
from datetime import date, timedelta

import httpx
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from catalog.models import Album, Artist, ArtistTrack, Song, SpotifyRelease, Track
from imports.models import DroppedTrack, ImportRun, ImportStatus
from imports.pipeline import run_import
from imports.services import import_run_create
from sandbox import profiles, truth
from sandbox.scenario import parse_scenario
from sandbox.world import World, build_world
from shows.models import Show, Venue
from tests.factories import make_show

pytestmark = pytest.mark.django_db

CATALOG_TABLES = (SpotifyRelease, Artist, Venue, Show, Album, Track, Song, ArtistTrack)


def sandbox_artist(world, profile: str):
    tm_id = profiles.BUILTIN_ATTRACTION_IDS[profile]
    return next(a for a in world.artists if a.tm_attraction_id == tm_id)


def import_inline(tm_attraction_id: str) -> ImportRun:
    started = import_run_create(tm_attraction_id=tm_attraction_id)
    return run_import(started.import_id)


def row_counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in CATALOG_TABLES}


def stored_rows(artist_id: int) -> dict[str, set]:
    """Everything an import stores about an artist, as comparable values."""
    return {
        "shows": set(
            Show.objects.filter(bill__artist_id=artist_id).values_list(
                "tm_event_id", "venue__tm_venue_id", "local_date", "local_time", "status", "name"
            )
        ),
        "venues": set(
            Venue.objects.values_list("tm_venue_id", "name", "city", "latitude", "timezone")
        ),
        "tracks": set(
            Track.objects.filter(artist_tracks__artist_id=artist_id).values_list(
                "spotify_id", "isrc", "name", "album__spotify_id", "duration_ms", "is_remix"
            )
        ),
        "songs": set(
            Song.objects.filter(artist_id=artist_id).values_list(
                "key", "title", "main_track__spotify_id", "recordings_count"
            )
        ),
        "recordings": set(
            ArtistTrack.objects.filter(artist_id=artist_id).values_list(
                "track__spotify_id", "song__key", "track__version"
            )
        ),
    }


def stored_songs(artist_id: int) -> dict[str, set]:
    """The artist's stored songs: title -> its recordings, keyed as the oracle keys them."""
    return truth.songs_of(
        ArtistTrack.objects.filter(artist_id=artist_id).values_list(
            "song__title", "track__isrc", "track__name", "track__duration_ms"
        )
    )


def assert_stores_the_scenario(run: ImportRun, expected, *, audio_features: bool = True) -> None:
    assert run.status == ImportStatus.SUCCEEDED, run.error
    artist_id = run.artist_id
    shows = Show.objects.filter(bill__artist_id=artist_id)
    assert set(shows.values_list("tm_event_id", flat=True)) == truth.expected_upcoming_event_ids(
        expected
    )
    assert set(
        shows.exclude(venue=None).values_list("venue__tm_venue_id", flat=True)
    ) == truth.expected_venue_ids(expected)
    tracks = Track.objects.filter(artist_tracks__artist_id=artist_id)
    isrcs = [isrc for isrc in tracks.values_list("isrc", flat=True) if isrc]
    assert len(isrcs) == len(set(isrcs)), "one track per ISRC"
    assert set(isrcs) == truth.expected_studio_isrcs(expected, audio_features=audio_features)
    assert tracks.count() == truth.expected_studio_track_count(
        expected, audio_features=audio_features
    )
    assert stored_songs(artist_id) == truth.expected_songs(expected, audio_features=audio_features)


@pytest.mark.parametrize("profile", ["sparse", "mid", "prolific"])
def test_inline_import_stores_every_event_each_venue_once_and_the_studio_set(
    world, sandbox, profile
):
    expected = sandbox_artist(world, profile)
    with sandbox():
        run = import_inline(expected.tm_attraction_id)
    assert_stores_the_scenario(run, expected)
    assert Venue.objects.count() == len(truth.expected_venue_ids(expected))
    artist = Artist.objects.get(pk=run.artist_id)
    assert artist.name == expected.name
    assert artist.spotify_id == expected.spotify_id
    assert artist.spotify_match == ("external_link" if expected.spotify_linked else "name_search")
    assert artist.shows_synced_at and artist.catalog_synced_at
    dropped = DroppedTrack.objects.filter(run=run).count()
    assert sum(run.drop_counts.values()) == dropped
    assert dropped > 0 or profile == "sparse"  # one plain album: nothing to drop


def test_running_an_import_twice_adds_zero_rows_and_keeps_the_slug(world, sandbox):
    expected = sandbox_artist(world, "prolific")
    with sandbox():
        first = import_inline(expected.tm_attraction_id)
        counts, rows = row_counts(), stored_rows(first.artist_id)
        second = import_inline(expected.tm_attraction_id)
    assert second.status == ImportStatus.SUCCEEDED, second.error
    assert row_counts() == counts
    assert stored_rows(second.artist_id) == rows
    assert second.artist.slug == first.artist.slug == "the-velvet-rovers"
    assert second.counters["shows_removed_upstream"] == 0


@pytest.mark.parametrize("seed", [1, 2])
def test_ten_percent_faults_store_exactly_the_fault_free_rows(world, sandbox, seed):
    expected = sandbox_artist(world, "prolific")
    with sandbox(fault_rate=0.1, seed=seed) as stats:
        run = import_inline(expected.tm_attraction_id)
        faults = stats()["faults"]
    assert faults > 0, "the sandbox must actually have failed some requests"
    assert_stores_the_scenario(run, expected)
    retries = run.counters["ticketmaster_requests"]["retries"]
    retries += run.counters["spotify_requests"]["retries"]
    assert retries >= faults


def test_forbidden_audio_features_fall_back_to_name_rules_and_say_so(world, sandbox):
    expected = sandbox_artist(world, "prolific")
    with sandbox(audio_features="forbidden"):
        run = import_inline(expected.tm_attraction_id)
    assert_stores_the_scenario(run, expected, audio_features=False)
    assert any("audio features" in warning for warning in run.warnings)
    assert "liveness" not in run.drop_counts


def test_development_mode_app_imports_the_same_studio_songs_and_records_the_mode(
    world, sandbox, settings
):
    settings.SPOTIFY_APP_MODE = "auto"
    expected = sandbox_artist(world, "prolific")
    with sandbox(spotify_app="development"):
        run = import_inline(expected.tm_attraction_id)
    # Development apps get no audio features either: names decide live versions.
    assert_stores_the_scenario(run, expected, audio_features=False)
    assert run.spotify_app_mode == "development"
    assert not Track.objects.exclude(popularity=None).exists()


def test_an_unknown_attraction_fails_readably_and_writes_nothing_but_the_run(sandbox):
    with sandbox():
        run = import_inline("K8vZ917NoSuchId")
    assert run.status == ImportStatus.FAILED
    assert run.error.startswith(
        "Ticketmaster has no attraction with id K8vZ917NoSuchId "
        "(its attraction details answered HTTP 404: DIS1004"
    )
    assert "apikey" not in run.error and "sandbox-key" not in run.error
    assert {name: n for name, n in row_counts().items() if name != "Artist"} == {
        "SpotifyRelease": 0,
        "Venue": 0,
        "Show": 0,
        "Album": 0,
        "Track": 0,
        "ArtistTrack": 0,
        "Song": 0,
    }
    # The run's artist row is the bare shell the kickoff made: no name, nothing else.
    assert Artist.objects.get().name == ""


def test_the_prolific_import_makes_no_more_requests_than_needed(world, sandbox):
    expected = sandbox_artist(world, "prolific")
    with sandbox() as stats:
        run = import_inline(expected.tm_attraction_id)
        served = stats()
    assert run.status == ImportStatus.SUCCEEDED, run.error
    assert served["repeated_total"] == 0, served["repeated"]
    listed = len(truth.expected_upcoming_event_ids(expected)) + sum(
        1 for e in expected.events if e.listed_twice
    )
    # One page per 200 listed events, plus at most one overlapping page per extra window.
    assert served["requests"]["tm.events"] <= math.ceil(listed / 200) + 1
    for endpoint, size in [
        ("spotify.albums_batch", 20),
        ("spotify.tracks_batch", 50),
        ("spotify.audio_features", 100),
    ]:
        batches = served["batch_ids"][endpoint]
        # Batches run concurrently, so the one short batch may arrive at any point.
        assert len(batches) == math.ceil(sum(batches) / size), f"{endpoint}: {batches}"
    assert served["requests"]["accounts.token"] == 1


def test_command_prints_a_summary_and_fails_for_an_unknown_id(world, sandbox, capsys):
    expected = sandbox_artist(world, "mid")
    with sandbox():
        call_command("import_artist", expected.tm_attraction_id, "--inline")
        out = capsys.readouterr().out
        shows = len(truth.expected_upcoming_event_ids(expected))
        assert f"{expected.tm_attraction_id}: {expected.name} | {shows} shows" in out
        songs, recordings = Song.objects.count(), ArtistTrack.objects.count()
        assert f" | {songs} songs | {recordings} studio recordings | dropped: duplicate_isrc" in out
        with pytest.raises(CommandError, match="1 of 2 imports failed"):
            call_command("import_artist", expected.tm_attraction_id, "K8vZ917NoSuchId", "--inline")
    assert "K8vZ917NoSuchId: failed: Ticketmaster has no attraction with id K8vZ917NoSuchId" in (
        capsys.readouterr().err
    )


def test_command_refuses_a_malformed_id_clearly(capsys):
    with pytest.raises(CommandError):
        call_command("import_artist", "not an id!", "--inline")
    assert "'not an id!' is not a Ticketmaster attraction id" in capsys.readouterr().err


def scenario_world(**artist_fields) -> World:
    artist = {
        "tm_attraction_id": "K8vZ917Solo1",
        "name": "Nobody On Spotify",
        "spotify_id": None,
        "spotify_linked": False,
        "albums": [],
        "events": [
            {
                "tm_event_id": f"vvG1solo{n:08d}",
                "name": "Nobody On Spotify",
                "local_date": (date.today() + timedelta(days=10 + n)).isoformat(),
                "local_time": "20:00:00",
                "venue": {"tm_venue_id": f"KovZsolo{n:03d}", "name": f"Hall {n}", "city": "Austin"},
            }
            for n in range(3)
        ],
    }
    return World(artists=parse_scenario({"artists": [artist | artist_fields]}, source="test"))


def test_an_artist_without_spotify_still_gets_its_shows(sandbox):
    with sandbox(serve=scenario_world()):
        run = import_inline("K8vZ917Solo1")
    assert run.status == ImportStatus.SUCCEEDED, run.error
    assert Show.objects.filter(bill__artist_id=run.artist_id).count() == 3
    assert run.artist.spotify_match == "not_found"
    assert run.artist.spotify_id is None
    assert "no Spotify artist: catalog not imported" in run.warnings
    assert Track.objects.count() == 0


def test_shows_gone_upstream_are_marked_and_counted_not_deleted(sandbox):
    with sandbox(serve=scenario_world()):
        first = import_inline("K8vZ917Solo1")
        cancelled_quietly = make_show(
            tm_event_id="vvG1solo99999999",
            artist_id=first.artist_id,
            local_date=date.today() + timedelta(days=30),
        )
        past = make_show(
            tm_event_id="vvG1solo88888888",
            artist_id=first.artist_id,
            local_date=date.today() - timedelta(days=30),
        )
        second = import_inline("K8vZ917Solo1")
    assert second.counters["shows_removed_upstream"] == 1
    cancelled_quietly.refresh_from_db()
    past.refresh_from_db()
    assert cancelled_quietly.removed_upstream_at is not None
    assert past.removed_upstream_at is None  # past shows leave the listing naturally
    assert (
        Show.objects.filter(bill__artist_id=first.artist_id, removed_upstream_at=None).count() == 4
    )


def test_command_json_output_and_exit_status(world, sandbox, capsys):
    mid = sandbox_artist(world, "mid")
    with sandbox():
        call_command("import_artist", mid.tm_attraction_id, "--inline", "--json")
        report = json.loads(capsys.readouterr().out)
        with pytest.raises(CommandError, match="2 of 3 imports failed"):
            call_command(
                "import_artist",
                mid.tm_attraction_id,
                "K8vZ917NoSuchId",
                "bad id!",
                "--inline",
                "--json",
            )
        failing = json.loads(capsys.readouterr().out)
    (first,) = report["imports"]
    assert first["status"] == "succeeded"
    assert first["counters"]["shows"] == len(truth.expected_upcoming_event_ids(mid))
    assert set(first["phases"]) == {"identity", "shows", "catalog", "finalize"}
    by_id = {entry["tm_attraction_id"]: entry for entry in failing["imports"]}
    assert by_id[mid.tm_attraction_id]["status"] == "succeeded"
    assert by_id["K8vZ917NoSuchId"]["status"] == "failed"
    assert "HTTP 404" in by_id["K8vZ917NoSuchId"]["error"]
    assert "is not a Ticketmaster attraction id" in by_id["bad id!"]["error"]


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.django_db(transaction=True)
def test_command_draws_a_progress_bar_per_artist_on_a_terminal(world, sandbox):
    mid = sandbox_artist(world, "mid")
    sparse = sandbox_artist(world, "sparse")
    out = Terminal()
    with sandbox():
        call_command(
            "import_artist", mid.tm_attraction_id, sparse.tm_attraction_id, "--inline", stdout=out
        )
    text = out.getvalue()
    assert "━" in text and "100%" in text  # rich's bar, filled
    shows = len(truth.expected_upcoming_event_ids(mid))
    assert f"{mid.tm_attraction_id}: {mid.name} | {shows} shows" in text
    assert f"{sparse.tm_attraction_id}: {sparse.name} | 0 shows" in text


def test_a_remaster_released_later_adds_a_recording_to_its_song_not_a_song(sandbox, settings):
    world = build_world(scenario_sources=["mid"])
    expected = sandbox_artist(world, "mid")
    with sandbox(serve=world, tm_rps=0):
        first = import_inline(expected.tm_attraction_id)
        before = stored_songs(first.artist_id)
        answer = httpx.post(
            f"{settings.TICKETMASTER_BASE_URL}/_sandbox/advance",
            json={
                "seed": 7,
                "release": [{"tm_attraction_id": expected.tm_attraction_id, "kind": "remaster"}],
            },
        )
        assert answer.status_code == 200, answer.text
        (released,) = answer.json()["albums_released"]
        (remaster,) = released["tracks"]
        second = import_inline(expected.tm_attraction_id)
    assert second.status == ImportStatus.SUCCEEDED, second.error
    after = stored_songs(second.artist_id)
    assert set(after) == set(before), "no song added or lost"
    grown = {
        title: after[title] - before[title] for title in after if after[title] != before[title]
    }
    assert grown == {remaster["song"]: {remaster["isrc"]}}
    assert after == truth.expected_songs(expected)  # the advanced world's oracle
    assert second.counters["songs"] == first.counters["songs"]
    assert second.counters["tracks_kept"] == first.counters["tracks_kept"] + 1
