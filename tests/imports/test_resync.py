"""Scheduled re-sync: which artists are due, their shows in batches and their catalog or
identity through `start_import`, within the quota, and the dry run."""

import time
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_q.models import OrmQ, Schedule

from catalog.models import Artist
from imports.models import ImportRun, ImportStatus, ImportTrigger, ShowsBatch, ShowsSync
from imports.resync import shows_resync_round
from imports.rules import stale_parts
from imports.schedules import resync_stale_artists
from imports.services import artists_resync, start_import
from integrations.http.quota import QuotaObservation
from integrations.ticketmaster.client import quota_ledger
from tests.factories import make_artist
from theset.durations import parse_duration

NOW = timezone.now()
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


@pytest.mark.parametrize(
    ("catalog_age", "identity_age", "due"),
    [
        (None, None, ()),  # never synced: a failed import, not a stale one
        (2 * DAY, 2 * DAY, ()),
        (8 * DAY, 2 * DAY, ("catalog",)),
        (2 * DAY, 8 * DAY, ("identity",)),
        (8 * DAY, 8 * DAY, ("identity", "catalog")),
        (None, 8 * DAY, ("identity",)),  # no Spotify artist: identity only
        (8 * DAY, None, ("catalog",)),
        (7 * DAY, 7 * DAY, ()),  # at the cut-off: not older
    ],
)
def test_stale_parts(catalog_age, identity_age, due):
    """Shows are not a part of a re-sync run any more: they are re-synced in batches."""
    assert (
        stale_parts(
            catalog_synced_at=None if catalog_age is None else NOW - catalog_age,
            identity_synced_at=None if identity_age is None else NOW - identity_age,
            catalog_before=NOW - 7 * DAY,
            identity_before=NOW - 7 * DAY,
        )
        == due
    )


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("3600", 3600), ("90s", 90), ("30m", 1800), ("24h", 86400), ("7d", 604800), ("1.5h", 5400)],
)
def test_parse_duration(text, seconds):
    assert parse_duration(text).total_seconds() == seconds


@pytest.mark.parametrize("text", ["", "h", "24 hours", "-1h", "7w"])
def test_parse_duration_names_what_is_wrong(text):
    with pytest.raises(ValueError, match="is not a duration such as 90s, 30m, 24h or 7d"):
        parse_duration(text)


def synced(*, shows_age=None, catalog_age=None, identity_age=None, runs_age=None) -> Artist:
    def ago(age):
        return None if age is None else timezone.now() - age

    artist = make_artist(
        shows_synced_at=ago(shows_age),
        catalog_synced_at=ago(catalog_age),
        identity_synced_at=ago(identity_age),
    )
    if runs_age is not None:
        run = ImportRun.objects.create(artist=artist, status=ImportStatus.SUCCEEDED)
        ImportRun.objects.filter(pk=run.pk).update(created_at=timezone.now() - runs_age)
    return artist


@pytest.mark.django_db
def test_only_catalog_or_identity_stale_artists_are_reimported_the_stalest_first():
    fresh = synced(shows_age=HOUR, catalog_age=DAY, identity_age=DAY, runs_age=HOUR)
    # Stale shows alone are re-synced in batches, not by a re-import.
    shows_stale = synced(shows_age=30 * HOUR, catalog_age=DAY, identity_age=DAY, runs_age=30 * DAY)
    catalog_stale = synced(shows_age=2 * HOUR, catalog_age=9 * DAY, runs_age=8 * DAY)
    identity_stale = synced(
        shows_age=2 * HOUR, catalog_age=DAY, identity_age=8 * DAY, runs_age=8 * DAY
    )
    never = make_artist()  # its import never finished: not the re-sync's business

    queued = artists_resync()

    assert [(q.artist_id, q.stale) for q in queued] == [
        (catalog_stale.pk, ("catalog",)),
        (identity_stale.pk, ("identity",)),
    ]
    runs = ImportRun.objects.filter(status=ImportStatus.QUEUED)
    assert sorted(runs.values_list("artist_id", flat=True)) == sorted(
        [catalog_stale.pk, identity_stale.pk]
    )
    assert {run.trigger for run in runs} == {ImportTrigger.RESYNC}
    assert {q.import_id for q in queued} == set(runs.values_list("pk", flat=True))
    # One task runs the group of re-sync runs, naming them.
    [task] = [row.task for row in OrmQ.objects.all()]
    assert task["name"] == f"resync-runs-{min(q.import_id for q in queued)}"
    assert sorted(task["args"][0]) == sorted(q.import_id for q in queued)
    assert not ImportRun.objects.filter(
        artist__in=[fresh, shows_stale, never], status="queued"
    ).exists()


@pytest.mark.django_db
def test_an_artist_with_an_active_run_is_not_queued_again():
    artist = synced(shows_age=HOUR, catalog_age=9 * DAY, runs_age=30 * HOUR)
    active = start_import(artist.tm_attraction_id)
    assert artists_resync() == []
    assert ImportRun.objects.filter(artist=artist).exclude(pk=active.import_id).count() == 1
    assert OrmQ.objects.count() == 1


@pytest.mark.django_db
def test_a_recent_run_holds_the_artist_back_even_if_it_failed():
    synced(catalog_age=9 * DAY, identity_age=9 * DAY, runs_age=HOUR)
    assert artists_resync() == []


@pytest.mark.django_db
def test_a_round_queues_at_most_the_batch_size(settings):
    settings.RESYNC_BATCH_SIZE = 2
    for age in (10, 9, 11):
        synced(catalog_age=age * DAY)
    queued = artists_resync()
    assert [q.stale for q in queued] == [("catalog",), ("catalog",)]
    assert ImportRun.objects.count() == 2
    # While those two are active the round is full; once they finished, the next
    # round takes the one left.
    assert artists_resync() == []
    ImportRun.objects.update(status=ImportStatus.SUCCEEDED)
    assert len(artists_resync()) == 1


@pytest.mark.django_db
@pytest.mark.parametrize("setting", ["RESYNC_CATALOG_AFTER", "RESYNC_IDENTITY_AFTER"])
def test_the_periods_come_from_settings(settings, setting):
    part = {"RESYNC_CATALOG_AFTER": "catalog_age", "RESYNC_IDENTITY_AFTER": "identity_age"}
    synced(shows_age=HOUR, **{part[setting]: 9 * DAY})
    setattr(settings, setting, 10 * DAY)
    assert artists_resync(dry_run=True) == []
    setattr(settings, setting, 8 * DAY)
    assert len(artists_resync(dry_run=True)) == 1


@pytest.mark.django_db
def test_shows_stale_artists_are_batched_not_reimported(settings):
    settings.RESYNC_SHOWS_AFTER = 24 * HOUR
    shows_stale = synced(shows_age=30 * HOUR, catalog_age=DAY, identity_age=DAY)
    synced(shows_age=2 * HOUR, catalog_age=DAY, identity_age=DAY)
    [batch] = shows_resync_round()
    assert batch.attraction_ids == (shows_stale.tm_attraction_id,)
    assert artists_resync() == []
    assert ShowsSync.objects.get().artist == shows_stale


@pytest.mark.django_db
def test_a_dry_run_writes_nothing(capsys):
    both = synced(shows_age=30 * HOUR, catalog_age=9 * DAY, identity_age=8 * DAY)
    Artist.objects.filter(pk=both.pk).update(name="Quiet Signal Club")
    shows_only = synced(shows_age=30 * HOUR, catalog_age=DAY)

    call_command("resync", "--dry-run")

    out = capsys.readouterr().out
    ids = sorted([both.tm_attraction_id, shows_only.tm_attraction_id])
    assert f"would queue a shows batch: 2 artists, ~0 events ({', '.join(ids)})" in out
    assert (
        f"would queue {both.tm_attraction_id} Quiet Signal Club: stale identity and catalog" in out
    )
    assert "2 artists' shows in 1 batches and 1 re-imports would be queued" in out
    assert ImportRun.objects.count() == 0
    assert not ShowsBatch.objects.exists() and not ShowsSync.objects.exists()
    assert OrmQ.objects.count() == 0


@pytest.mark.django_db
def test_a_dry_run_lists_at_most_five_ids_of_a_batch(capsys):
    for _ in range(7):
        synced(shows_age=30 * HOUR)
    call_command("resync", "--dry-run")
    out = capsys.readouterr().out
    assert "would queue a shows batch: 7 artists, ~0 events (" in out
    assert ", ...)" in out


@pytest.mark.django_db
def test_the_command_queues_and_says_which_batch_and_import(capsys):
    shows_stale = synced(shows_age=30 * HOUR)
    catalog_stale = synced(catalog_age=9 * DAY)
    call_command("resync")
    out = capsys.readouterr().out
    batch = ShowsBatch.objects.get()
    run = ImportRun.objects.get(artist=catalog_stale)
    assert (
        f"queued shows batch {batch.pk}: 1 artists, ~0 events ({shows_stale.tm_attraction_id})"
        in out
    )
    assert f"as import {run.pk}" in out
    assert "1 artists' shows in 1 batches and 1 re-imports queued" in out
    assert OrmQ.objects.count() == 2  # the batch's task and the run's identity task


@pytest.mark.django_db
def test_the_command_limit_caps_the_reimports():
    for age in (9, 10, 11):
        synced(catalog_age=age * DAY)
    call_command("resync", "--limit", "2")
    assert ImportRun.objects.count() == 2


@pytest.mark.django_db
def test_the_schedule_runs_every_ten_minutes_and_reports():
    # What the data migration creates (a transactional test run earlier on this worker
    # may have flushed the row the migration made).
    from importlib import import_module

    from django.apps import apps

    Schedule.objects.filter(name="imports: re-sync stale artists").delete()
    import_module("imports.migrations.0004_resync_schedule").create_schedule(apps, None)
    schedule = Schedule.objects.get(name="imports: re-sync stale artists")
    assert (schedule.func, schedule.schedule_type, schedule.minutes) == (
        "imports.schedules.resync_stale_artists",
        Schedule.MINUTES,
        10,
    )
    assert resync_stale_artists() == "nothing stale"
    synced(shows_age=30 * HOUR)
    synced(shows_age=30 * HOUR)
    assert resync_stale_artists() == "2 artists' shows in 1 batches"
    assert resync_stale_artists() == "nothing stale"  # those are in a batch already
    synced(catalog_age=9 * DAY)
    assert resync_stale_artists() == "1 artists re-queued"
    synced(shows_age=30 * HOUR, catalog_age=9 * DAY)
    assert resync_stale_artists() == "1 artists' shows in 1 batches, 1 artists re-queued"


@pytest.mark.django_db
def test_the_most_overdue_part_decides_the_order_not_the_oldest_date(settings):
    settings.RESYNC_IDENTITY_AFTER = DAY
    # Identity due an hour ago; its catalog is old but not due yet.
    barely = synced(identity_age=25 * HOUR, catalog_age=6 * DAY + 20 * HOUR)
    # Identity due two days ago.
    long_due = synced(identity_age=3 * DAY, catalog_age=DAY)
    assert [q.artist_id for q in artists_resync(dry_run=True)] == [long_due.pk, barely.pk]


@pytest.mark.django_db
def test_runs_already_active_take_their_share_of_the_round(settings):
    settings.RESYNC_BATCH_SIZE = 3
    for n in range(2):
        start_import(f"K8vZ917Bp{n:02d}")  # someone's imports, still queued
    for age in (10, 9, 11):
        synced(catalog_age=age * DAY)
    assert len(artists_resync()) == 1
    # A dry run lists what is due, whatever the queue holds.
    assert len(artists_resync(dry_run=True)) == 2


def ledger_knows(settings, *, limit: int, available: int) -> None:
    """The Ticketmaster quota ledger has seen an answer: `available` of `limit` left."""
    settings.TICKETMASTER_API_KEY = "sandbox-key"
    quota_ledger().observe(
        QuotaObservation(limit=limit, available=available, reset_at=time.time() + 3600)
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("available", "queued"),
    [
        pytest.param(None, 3, id="quota not known"),
        pytest.param(100, 3, id="plenty"),
        pytest.param(22, 2, id="2 above the reserve of 20"),
        pytest.param(20, 0, id="at the reserve"),
        pytest.param(5, 0, id="in the reserve"),
    ],
)
def test_reimports_spend_no_more_than_is_left_above_the_reserve(settings, available, queued):
    """A re-import run spends one Ticketmaster request at the most (its stale identity)."""
    settings.RESYNC_QUOTA_RESERVE = 0.2
    if available is not None:
        ledger_knows(settings, limit=100, available=available)
    for age in (10, 9, 11):
        synced(catalog_age=age * DAY, identity_age=age * DAY)
    assert len(artists_resync()) == queued


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("available", "batches"),
    [
        pytest.param(None, 3, id="quota not known"),
        pytest.param(23, 3, id="one request each above the reserve"),
        pytest.param(22, 2, id="2 above the reserve"),
        pytest.param(20, 0, id="at the reserve"),
    ],
)
def test_shows_batches_spend_no_more_than_is_left_above_the_reserve(settings, available, batches):
    settings.RESYNC_QUOTA_RESERVE = 0.2
    settings.RESYNC_SHOWS_BATCH_ARTISTS = 1
    if available is not None:
        ledger_knows(settings, limit=100, available=available)
    for _ in range(3):
        synced(shows_age=30 * HOUR)
    assert len(shows_resync_round()) == batches
    assert ShowsBatch.objects.count() == batches


@pytest.mark.django_db
@pytest.mark.parametrize("command", [False, True], ids=["schedule", "command"])
def test_a_round_pays_for_its_batches_before_its_reimports(settings, command):
    """2 requests above the reserve: the shows batch takes 1, so 1 re-import is left."""
    settings.RESYNC_QUOTA_RESERVE = 0.2
    ledger_knows(settings, limit=100, available=22)
    synced(shows_age=30 * HOUR)
    for age in (9, 10):
        synced(shows_age=HOUR, identity_age=age * DAY)
    if command:
        call_command("resync")
    else:
        assert resync_stale_artists() == "1 artists' shows in 1 batches, 1 artists re-queued"
    assert ShowsBatch.objects.count() == 1
    assert ImportRun.objects.count() == 1


def test_a_rounds_tasks_are_queued_interleaved_batches_and_run_groups():
    from imports.tasks import interleaved_resync_tasks, send_resync_task

    sent = []
    with interleaved_resync_tasks():
        for name in ("batch 1", "batch 2", "batch 3"):
            send_resync_task("shows", lambda name=name: sent.append(name))
        send_resync_task("runs", lambda: sent.append("runs 1"))
        assert sent == []  # held until the round is planned
    assert sent == ["batch 1", "runs 1", "batch 2", "batch 3"]
