"""Bounded run history: which runs of an artist lose their events and dropped tracks
(a table of cases), the pruner (batches, budget, active runs, idempotent), its
schedule, command, run page and API."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_q.models import Schedule, Task

from imports.history import RunHistoryRow, runs_history_prune, runs_to_prune
from imports.models import DroppedTrack, ImportEvent, ImportPhase, ImportRun, ImportStatus
from imports.phases import PhaseName, RunStage
from imports.schedules import prune_run_history
from tests.factories import make_artist

ROOT = Path(__file__).resolve().parents[2]
T0 = datetime(2026, 1, 1, tzinfo=timezone.get_fixed_timezone(0))
S, R, F, Q, W = "succeeded", "running", "failed", "queued", "waiting"

# --- The decision ------------------------------------------------------------------------


def rows(*statuses: str, pruned: tuple[int, ...] = ()) -> list[RunHistoryRow]:
    """Runs 1, 2, 3... created a day apart, oldest first, with these statuses."""
    return [
        RunHistoryRow(n, status, T0 + timedelta(days=n), pruned=n in pruned)
        for n, status in enumerate(statuses, start=1)
    ]


@pytest.mark.parametrize(
    ("runs", "keep", "pruned"),
    [
        pytest.param([], 5, [], id="no-runs"),
        pytest.param(rows(S, S, S), 5, [], id="fewer-than-keep"),
        pytest.param(rows(S, S, S, S, S), 5, [], id="exactly-keep"),
        pytest.param(rows(S, F, S, S, S, S, S), 5, [1, 2], id="older-than-keep-go-oldest-first"),
        pytest.param(rows(S, S, S), 1, [1, 2], id="keep-one"),
        pytest.param(rows(S, S, S, S, S, R), 5, [1], id="active-run-counts-among-the-kept"),
        pytest.param(rows(S, S, Q), 1, [1, 2], id="queued-newest-is-the-one-kept"),
        pytest.param(rows(W, S, S), 1, [2], id="active-older-than-keep-never-pruned"),
        pytest.param(rows(R, F, S, S), 2, [2], id="only-the-finished-older-ones"),
        pytest.param(rows(S, S, S, S, pruned=(1,)), 2, [2], id="already-pruned-left-alone"),
        pytest.param(rows(S, S, S, pruned=(3,)), 2, [1], id="pruned-runs-still-count-as-newer"),
        pytest.param(list(reversed(rows(S, S, S))), 2, [1], id="order-of-the-input-is-irrelevant"),
    ],
)
def test_which_runs_of_an_artist_are_pruned(runs, keep, pruned):
    assert runs_to_prune(runs, keep=keep) == pruned


def test_runs_created_at_the_same_instant_rank_by_id():
    same = [RunHistoryRow(n, S, T0) for n in (3, 1, 2)]
    assert runs_to_prune(same, keep=2) == [1]


def test_keeping_no_run_is_refused():
    with pytest.raises(ValueError, match="at least 1"):
        runs_to_prune(rows(S), keep=0)


# --- The pruner --------------------------------------------------------------------------

_spotify_ids = itertools.count(1)


def finished_run(
    artist,
    *,
    days_ago: float,
    status: str = ImportStatus.SUCCEEDED,
    events: int = 3,
    dropped: int = 2,
) -> ImportRun:
    """A run created `days_ago`, with phases, counters, its progress events and dropped
    tracks, as an import leaves them."""
    created = timezone.now() - timedelta(days=days_ago)
    run = ImportRun.objects.create(
        artist=artist,
        status=status,
        stage=RunStage.DONE if status == ImportStatus.SUCCEEDED else RunStage.CATALOG,
        percent=100,
        counters={"shows": 12, "tracks_kept": 40},
        drop_counts={"live_title": dropped} if dropped else {},
        warnings=["a warning"],
        error="" if status != ImportStatus.FAILED else "it broke",
        started_at=created,
        finished_at=created + timedelta(minutes=2) if status in (S, F) else None,
    )
    ImportRun.objects.filter(pk=run.pk).update(created_at=created)
    ImportPhase.objects.create(run=run, phase=PhaseName.IDENTITY, status=status, percent=100)
    ImportEvent.objects.bulk_create(
        ImportEvent(
            run=run,
            stage=RunStage.CATALOG,
            status=ImportStatus.RUNNING,
            percent=n,
            message=f"step {n}",
        )
        for n in range(events)
    )
    DroppedTrack.objects.bulk_create(
        DroppedTrack(
            run=run,
            spotify_id=f"{next(_spotify_ids):022d}",
            name="Song (Live)",
            reason="live_title",
        )
        for _ in range(dropped)
    )
    return run


def history_of(run: ImportRun) -> tuple[int, int]:
    return (
        ImportEvent.objects.filter(run=run).count(),
        DroppedTrack.objects.filter(run=run).count(),
    )


def artist_with_runs(count: int, **fields) -> tuple[object, list[ImportRun]]:
    """An artist with `count` finished runs a day apart, the newest last."""
    artist = make_artist()
    return artist, [finished_run(artist, days_ago=count - n, **fields) for n in range(count)]


@pytest.mark.django_db
def test_the_last_runs_of_each_artist_keep_their_history_older_ones_only_their_row():
    artist, runs = artist_with_runs(7, events=4, dropped=3)
    before = {run.pk: run for run in ImportRun.objects.filter(artist=artist)}

    result = runs_history_prune(keep=5)

    old, kept = runs[:2], runs[2:]
    assert sorted(result.runs) == [run.pk for run in old]
    assert (result.events, result.dropped_tracks, result.more) == (8, 6, False)
    assert [history_of(run) for run in old] == [(0, 0), (0, 0)]
    assert [history_of(run) for run in kept] == [(4, 3)] * 5
    for run in old:
        after = ImportRun.objects.get(pk=run.pk)
        assert after.history_pruned_at is not None
        # Status, timings, counters, drop counts, warnings and phases stay as they were.
        for name in ("status", "created_at", "started_at", "finished_at", "error", "warnings"):
            assert getattr(after, name) == getattr(before[run.pk], name), name
        assert (after.counters, after.drop_counts) == (
            {"shows": 12, "tracks_kept": 40},
            {"live_title": 3},
        )
        assert ImportPhase.objects.filter(run=run).count() == 1
    assert not ImportRun.objects.filter(
        pk__in=[r.pk for r in kept], history_pruned_at__isnull=False
    )
    assert ImportRun.objects.filter(artist=artist).count() == 7


@pytest.mark.django_db
def test_run_history_keep_is_the_default(settings):
    settings.RUN_HISTORY_KEEP = 2
    _, runs = artist_with_runs(4)
    assert sorted(runs_history_prune().runs) == [runs[0].pk, runs[1].pk]


@pytest.mark.django_db
def test_an_active_run_is_never_pruned_even_older_than_the_kept_ones():
    artist, runs = artist_with_runs(4)
    # An active run created before four newer ones: the one-active constraint makes it
    # unlikely, but its log is still being written.
    waiting = finished_run(artist, days_ago=30, status=ImportStatus.WAITING, events=5, dropped=1)
    assert runs_history_prune(keep=2).runs == [runs[0].pk, runs[1].pk]
    assert history_of(waiting) == (5, 1)
    assert ImportRun.objects.get(pk=waiting.pk).history_pruned_at is None


@pytest.mark.django_db
def test_an_active_run_counts_among_the_kept_ones():
    artist, runs = artist_with_runs(3)
    running = finished_run(artist, days_ago=0, status=ImportStatus.RUNNING)
    assert runs_history_prune(keep=2).runs == [runs[0].pk, runs[1].pk]
    assert history_of(running) == (3, 2)
    assert history_of(runs[2]) == (3, 2)


@pytest.mark.django_db
def test_other_artists_are_untouched():
    _, busy = artist_with_runs(4)
    _, quiet = artist_with_runs(2)
    assert runs_history_prune(keep=2).runs == [busy[0].pk, busy[1].pk]
    assert [history_of(run) for run in quiet] == [(3, 2), (3, 2)]


@pytest.mark.django_db
def test_a_second_round_prunes_nothing():
    artist_with_runs(4)
    first = runs_history_prune(keep=1)
    assert len(first.runs) == 3
    second = runs_history_prune(keep=1)
    assert (second.runs, second.rows, second.more) == ([], 0, False)
    assert second.summary() == "nothing to prune"


@pytest.mark.django_db
def test_a_small_budget_drains_the_backlog_over_several_rounds_each_bounded():
    _, runs = artist_with_runs(6, events=7, dropped=4)  # 5 runs of 11 rows to prune
    rounds = []
    while True:
        result = runs_history_prune(keep=1, budget_rows=15, batch_rows=4)
        rounds.append(result)
        assert result.rows <= 15
        if not result.more:
            break
    assert len(rounds) == 4  # 55 rows, 15 a round
    assert sum(r.rows for r in rounds) == 55
    assert [r.more for r in rounds] == [True, True, True, False]
    assert sorted(itertools.chain.from_iterable(r.runs for r in rounds)) == [
        run.pk for run in runs[:5]
    ]
    assert [history_of(run) for run in runs] == [(0, 0)] * 5 + [(7, 4)]
    assert ImportRun.objects.filter(history_pruned_at__isnull=False).count() == 5
    assert runs_history_prune(keep=1).rows == 0


@pytest.mark.django_db
def test_rows_are_deleted_by_primary_key_in_bounded_statements():
    artist_with_runs(3, events=10, dropped=0)
    with CaptureQueriesContext(connection) as queries:
        result = runs_history_prune(keep=1, batch_rows=4)
    assert result.events == 20
    deletes = [q["sql"] for q in queries if q["sql"].startswith("DELETE")]
    assert len(deletes) == 5  # 4 + 4 + 4 + 4 + 4
    assert all('"id" IN' in sql for sql in deletes), deletes


@pytest.mark.django_db
def test_a_round_stops_when_its_time_is_up():
    artist_with_runs(3)
    result = runs_history_prune(keep=1, budget_seconds=0)
    assert (result.rows, result.more) == (0, True)
    assert runs_history_prune(keep=1).rows == 10


@pytest.mark.django_db
def test_a_run_whose_budget_ended_inside_it_is_finished_and_marked_next_round():
    _, runs = artist_with_runs(2, events=5, dropped=0)
    first = runs_history_prune(keep=1, budget_rows=3)
    assert (first.runs, first.events, first.more) == ([], 3, True)
    assert ImportRun.objects.get(pk=runs[0].pk).history_pruned_at is None
    second = runs_history_prune(keep=1, budget_rows=3)
    assert (second.runs, second.events, second.more) == ([runs[0].pk], 2, False)


@pytest.mark.django_db
def test_a_dry_run_counts_and_deletes_nothing():
    _, runs = artist_with_runs(3, events=4, dropped=1)
    result = runs_history_prune(keep=1, dry_run=True)
    assert (result.runs, result.events, result.dropped_tracks) == ([runs[0].pk, runs[1].pk], 8, 2)
    assert result.summary(dry_run=True) == "would prune 2 runs (8 events, 2 dropped tracks)"
    assert ImportEvent.objects.count() == 12
    assert not ImportRun.objects.filter(history_pruned_at__isnull=False).exists()


# --- Schedule, command, settings -----------------------------------------------------------


@pytest.mark.django_db
def test_the_pruner_is_scheduled_every_five_minutes_and_reports(settings):
    schedule = Schedule.objects.get(name="imports: prune run history")
    assert (schedule.func, schedule.schedule_type, schedule.minutes, schedule.repeats) == (
        "imports.schedules.prune_run_history",
        Schedule.MINUTES,
        5,
        -1,
    )
    assert prune_run_history() == "nothing to prune"
    settings.RUN_HISTORY_KEEP = 1
    artist_with_runs(2)
    assert prune_run_history() == "pruned 1 runs (3 events, 2 dropped tracks)"


@pytest.mark.django_db
def test_the_command_drains_and_the_dry_run_only_counts(capsys, settings):
    settings.RUN_HISTORY_PRUNE_BUDGET_ROWS = 4
    _, runs = artist_with_runs(3)
    call_command("prune_history", "--keep", "1", "--dry-run")
    assert capsys.readouterr().out == "would prune 2 runs (6 events, 4 dropped tracks)\n"
    assert ImportEvent.objects.count() == 9
    call_command("prune_history", "--keep", "1")
    # Four rows a round: both runs' events, then their dropped tracks, then they are marked.
    assert capsys.readouterr().out.splitlines() == [
        "pruned 0 runs (4 events, 0 dropped tracks); more left",
        "pruned 0 runs (2 events, 2 dropped tracks); more left",
        "pruned 2 runs (0 events, 2 dropped tracks)",
    ]
    assert [history_of(run) for run in runs] == [(0, 0), (0, 0), (3, 2)]
    with pytest.raises(CommandError, match="at least 1"):
        call_command("prune_history", "--keep", "0")


@pytest.mark.parametrize("value", ["0", "-1"])
def test_run_history_keep_below_one_is_refused(value, tmp_path):
    env = os.environ | {
        "RUN_HISTORY_KEEP": value,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'keep.sqlite3'}",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert (
        f"RUN_HISTORY_KEEP must be at least 1 (the latest run keeps its history), not {value}"
        in (result.stderr)
    )


# --- What staff and clients see ------------------------------------------------------------


@pytest.mark.django_db
def test_the_run_page_says_the_history_was_pruned(admin_client, settings):
    settings.RUN_HISTORY_KEEP = 1
    _, (old, new) = artist_with_runs(2)
    runs_history_prune()
    page = admin_client.get(reverse("admin:imports_importrun_change", args=[old.pk]))
    content = page.content.decode()
    assert 'id="import-run-history-pruned"' in content
    assert "only each artist's\n    last 1 runs keep their progress log" in content
    assert "list pruned" in content  # drop counts stay, the list is gone
    assert 'id="import-run-dropped-tracks"' not in content
    kept = admin_client.get(reverse("admin:imports_importrun_change", args=[new.pk]))
    kept_content = kept.content.decode()
    assert 'id="import-run-history-pruned"' not in kept_content
    assert 'id="import-run-dropped-tracks"' in kept_content


@pytest.mark.django_db
def test_the_api_says_when_a_run_was_pruned(client):
    _, (old, new) = artist_with_runs(2)
    runs_history_prune(keep=1)
    pruned_at = ImportRun.objects.get(pk=old.pk).history_pruned_at
    body = client.get(f"/api/imports/{old.pk}").json()
    # The API writes times to the millisecond.
    assert abs(datetime.fromisoformat(body["history_pruned_at"]) - pruned_at) < timedelta(
        milliseconds=1
    )
    assert client.get(f"/api/imports/{new.pk}").json()["history_pruned_at"] is None


def _task(name: str, *, success: bool, stopped: datetime) -> Task:
    return Task.objects.create(
        id=name,
        name=name,
        func="imports.tasks.identity_task",
        started=stopped - timedelta(seconds=1),
        stopped=stopped,
        success=success,
    )


@pytest.mark.django_db
def test_the_task_queue_keeps_its_newest_successes_and_every_failure(settings):
    """django-q2 prunes no results per task (that locked and loaded every kept result
    after each task); the history prune keeps the newest Q_SUCCESS_KEEP successes."""
    assert settings.Q_CLUSTER["save_limit"] == 0
    settings.Q_SUCCESS_KEEP = 3
    at = timezone.now()
    for n in range(5):
        _task(f"ok{n}", success=True, stopped=at + timedelta(seconds=n))
    _task("ok-tie", success=True, stopped=at + timedelta(seconds=2))  # as new as ok2
    _task("failed", success=False, stopped=at - timedelta(days=30))
    assert prune_run_history() == "nothing to prune; 3 task results pruned"
    # Ties broken by id, newest first: ok2 is kept over ok-tie ("ok2" > "ok-tie").
    assert sorted(Task.objects.values_list("name", flat=True)) == ["failed", "ok2", "ok3", "ok4"]
    assert prune_run_history() == "nothing to prune"
