"""The phase registry, table-driven: the flow every part of imports reads."""

import inspect

import pytest
from django.utils.module_loading import import_string

from catalog.models import SpotifyMatch
from imports import tasks
from imports.phases import (
    FIRST_PHASE,
    LAST_PHASE,
    PHASES,
    PhaseName,
    RunStage,
    is_ready,
    next_phases,
    parse_phase_task_name,
    phase_get,
    phase_task_name,
    phases_still_needed,
)
from imports.pipeline import SPOTIFY_MATCH_WORDS
from imports.progress import overall_percent


def test_the_phases_in_flow_order():
    assert [phase.name for phase in PHASES] == ["identity", "shows", "catalog", "finalize"]
    assert (FIRST_PHASE.name, LAST_PHASE.name) == ("identity", "finalize")


def test_every_phase_comes_after_all_it_waits_for():
    seen: set[str] = set()
    for phase in PHASES:
        assert set(phase.waits_for) <= seen, phase.name
        seen.add(phase.name)


@pytest.mark.parametrize(
    ("name", "waits_for", "next_names", "weight"),
    [
        pytest.param("identity", (), ("shows", "catalog"), 10, id="identity"),
        pytest.param("shows", ("identity",), ("finalize",), 40, id="shows"),
        pytest.param("catalog", ("identity",), ("finalize",), 45, id="catalog"),
        pytest.param("finalize", ("shows", "catalog"), (), 5, id="finalize"),
    ],
)
def test_each_phase(name, waits_for, next_names, weight):
    phase = phase_get(name)
    assert phase.name == name
    assert phase.waits_for == waits_for
    assert tuple(p.name for p in phase.next) == next_names
    assert tuple(p.name for p in next_phases(name)) == next_names
    assert phase.weight == weight


def test_the_weights_share_the_run_percent_range():
    assert sum(phase.weight for phase in PHASES) == 100
    assert all(phase.weight > 0 for phase in PHASES)
    assert overall_percent({}) == 0
    assert overall_percent({phase.name: 100 for phase in PHASES}) == 100


@pytest.mark.parametrize(
    ("phase_percents", "overall"),
    [
        pytest.param({"identity": 50}, 5, id="identity-half"),
        pytest.param({"identity": 100}, 10, id="identity-done"),
        pytest.param({"identity": 100, "shows": 100}, 50, id="shows-done"),
        pytest.param({"identity": 100, "catalog": 100}, 55, id="catalog-done"),
        pytest.param({"identity": 100, "shows": 100, "catalog": 100}, 95, id="before-finalize"),
    ],
)
def test_the_run_percent_weighs_each_phase(phase_percents, overall):
    assert overall_percent(phase_percents) == overall


@pytest.mark.parametrize(
    ("name", "succeeded", "ready"),
    [
        ("identity", (), True),
        ("shows", (), False),
        ("shows", ("identity",), True),
        ("catalog", ("identity",), True),
        ("finalize", ("identity",), False),
        ("finalize", ("identity", "shows"), False),
        ("finalize", ("identity", "catalog"), False),
        ("finalize", ("identity", "shows", "catalog"), True),
    ],
)
def test_a_phase_is_ready_once_all_it_waits_for_succeeded(name, succeeded, ready):
    assert is_ready(name, succeeded) is ready


@pytest.mark.parametrize(
    ("succeeded", "needed"),
    [
        ((), ("identity",)),
        (("identity",), ("shows", "catalog")),
        (("identity", "catalog"), ("shows",)),
        (("identity", "shows", "catalog"), ("finalize",)),
        (("identity", "shows", "catalog", "finalize"), ()),
        # Out of order: identity runs again (its worker died before the broker had the
        # task acknowledged) after shows and catalog succeeded. Identity comes first;
        # nothing after it counts as done until it has succeeded again.
        (("shows", "catalog"), ("identity",)),
        (("shows", "catalog", "finalize"), ("identity",)),
        (("identity", "finalize"), ("shows", "catalog")),
        (("identity", "shows", "finalize"), ("catalog",)),
    ],
)
def test_the_phases_still_needed(succeeded, needed):
    assert phases_still_needed(succeeded) == needed


def test_an_unknown_phase_is_a_key_error():
    with pytest.raises(KeyError, match="no import phase called 'encore'"):
        phase_get("encore")


@pytest.mark.parametrize("phase", PHASES, ids=lambda phase: phase.name)
def test_each_phase_names_a_function_and_has_a_task(phase):
    function = import_string(phase.function)
    assert "run_id" in inspect.signature(function).parameters
    task = tasks.phase_task_function(phase.name)
    assert task == f"imports.tasks.{phase.name}_task"
    assert callable(getattr(tasks, task.rsplit(".", 1)[1]))


@pytest.mark.parametrize(
    ("task_name", "parsed"),
    [
        ("import-7-identity", (7, "identity")),
        ("import-12-finalize", (12, "finalize")),
        ("import-7-encore", None),
        ("import-x-shows", None),
        ("someone-elses-task", None),
        ("", None),
    ],
)
def test_queued_task_names(task_name, parsed):
    assert parse_phase_task_name(task_name) == parsed


@pytest.mark.parametrize("phase", PHASES, ids=lambda phase: phase.name)
def test_a_task_name_reads_back(phase):
    assert parse_phase_task_name(phase_task_name(42, phase.name)) == (42, phase.name)


def test_a_run_stage_is_queued_one_of_the_phases_or_done():
    assert RunStage.values == ["queued", *PhaseName.values, "done"]
    for phase in PhaseName:
        assert RunStage(phase).label == phase.label


@pytest.mark.parametrize("match", list(SpotifyMatch))
def test_the_identity_message_says_where_the_spotify_id_came_from_in_english(match):
    words = SPOTIFY_MATCH_WORDS[match]
    assert "spotify" in words.lower()
    assert words.count("Spotify") + words.count("spotify") == 1  # not "Spotify spotify …"
    assert match.label.lower() not in words  # not a label lower-cased
