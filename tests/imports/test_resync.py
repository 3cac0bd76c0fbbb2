"""Scheduled re-sync: which artists are due, through `start_import`, and the dry run."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_q.models import OrmQ, Schedule

from catalog.models import Artist
from imports.models import ImportRun, ImportStatus
from imports.rules import stale_parts
from imports.schedules import resync_stale_artists
from imports.services import artists_resync, start_import
from tests.factories import make_artist
from theset.durations import parse_duration

NOW = timezone.now()
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


@pytest.mark.parametrize(
    ("shows_age", "catalog_age", "due"),
    [
        (None, None, ()),  # never synced: a failed import, not a stale one
        (2 * HOUR, 2 * DAY, ()),
        (25 * HOUR, 2 * DAY, ("shows",)),
        (2 * HOUR, 8 * DAY, ("catalog",)),
        (25 * HOUR, 8 * DAY, ("shows", "catalog")),
        (25 * HOUR, None, ("shows",)),  # no Spotify artist: shows only
        (None, 8 * DAY, ("catalog",)),
    ],
)
def test_stale_parts(shows_age, catalog_age, due):
    assert (
        stale_parts(
            shows_synced_at=None if shows_age is None else NOW - shows_age,
            catalog_synced_at=None if catalog_age is None else NOW - catalog_age,
            shows_before=NOW - 24 * HOUR,
            catalog_before=NOW - 7 * DAY,
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


def synced(*, shows_age=None, catalog_age=None, runs_age=None) -> Artist:
    artist = make_artist(
        shows_synced_at=None if shows_age is None else timezone.now() - shows_age,
        catalog_synced_at=None if catalog_age is None else timezone.now() - catalog_age,
    )
    if runs_age is not None:
        run = ImportRun.objects.create(artist=artist, status=ImportStatus.SUCCEEDED)
        ImportRun.objects.filter(pk=run.pk).update(created_at=timezone.now() - runs_age)
    return artist


@pytest.mark.django_db
def test_only_stale_artists_are_queued_the_stalest_first():
    fresh = synced(shows_age=HOUR, catalog_age=DAY, runs_age=HOUR)
    shows_stale = synced(shows_age=30 * HOUR, catalog_age=DAY, runs_age=30 * HOUR)
    catalog_stale = synced(shows_age=2 * HOUR, catalog_age=9 * DAY, runs_age=2 * DAY)
    never = make_artist()  # its import never finished: not the re-sync's business

    queued = artists_resync()

    assert [(q.artist_id, q.stale) for q in queued] == [
        (catalog_stale.pk, ("catalog",)),
        (shows_stale.pk, ("shows",)),
    ]
    runs = ImportRun.objects.filter(status=ImportStatus.QUEUED)
    assert sorted(runs.values_list("artist_id", flat=True)) == sorted(
        [catalog_stale.pk, shows_stale.pk]
    )
    assert {q.import_id for q in queued} == set(runs.values_list("pk", flat=True))
    assert OrmQ.objects.count() == 2  # one identity task each
    assert not ImportRun.objects.filter(artist__in=[fresh, never], status="queued").exists()


@pytest.mark.django_db
def test_an_artist_with_an_active_run_is_not_queued_again():
    artist = synced(shows_age=30 * HOUR, catalog_age=DAY, runs_age=30 * HOUR)
    active = start_import(artist.tm_attraction_id)
    assert artists_resync() == []
    assert ImportRun.objects.filter(artist=artist).exclude(pk=active.import_id).count() == 1
    assert OrmQ.objects.count() == 1


@pytest.mark.django_db
def test_a_recent_run_holds_the_artist_back_even_if_it_failed():
    synced(shows_age=30 * HOUR, catalog_age=DAY, runs_age=HOUR)
    assert artists_resync() == []


@pytest.mark.django_db
def test_a_round_queues_at_most_the_batch_size(settings):
    settings.RESYNC_BATCH_SIZE = 2
    for age in (40, 30, 50):
        synced(shows_age=age * HOUR)
    queued = artists_resync()
    assert [q.stale for q in queued] == [("shows",), ("shows",)]
    assert ImportRun.objects.count() == 2
    # While those two are active the round is full; once they finished, the next
    # round takes the one left.
    assert artists_resync() == []
    ImportRun.objects.update(status=ImportStatus.SUCCEEDED)
    assert len(artists_resync()) == 1


@pytest.mark.django_db
def test_the_periods_come_from_settings(settings):
    settings.RESYNC_SHOWS_AFTER = 48 * HOUR
    synced(shows_age=30 * HOUR)
    assert artists_resync(dry_run=True) == []
    settings.RESYNC_SHOWS_AFTER = 12 * HOUR
    assert len(artists_resync(dry_run=True)) == 1


@pytest.mark.django_db
def test_a_dry_run_writes_nothing(capsys):
    artist = synced(shows_age=30 * HOUR, catalog_age=9 * DAY)
    artist.name = "Quiet Signal Club"
    artist.save()

    call_command("resync", "--dry-run")

    out = capsys.readouterr().out
    assert (
        f"would queue {artist.tm_attraction_id} Quiet Signal Club: stale shows and catalog" in out
    )
    assert "1 artists would be queued" in out
    assert ImportRun.objects.count() == 0
    assert OrmQ.objects.count() == 0


@pytest.mark.django_db
def test_the_command_queues_and_says_which_import(capsys):
    artist = synced(shows_age=30 * HOUR)
    call_command("resync")
    run = ImportRun.objects.get(artist=artist)
    assert f"as import {run.pk}" in capsys.readouterr().out


@pytest.mark.django_db
def test_the_schedule_runs_every_ten_minutes_and_reports():
    schedule = Schedule.objects.get(name="imports: re-sync stale artists")
    assert (schedule.func, schedule.schedule_type, schedule.minutes) == (
        "imports.schedules.resync_stale_artists",
        Schedule.MINUTES,
        10,
    )
    assert resync_stale_artists() == "nothing stale"
    synced(shows_age=30 * HOUR)
    assert resync_stale_artists() == "1 artists re-queued"


@pytest.mark.django_db
def test_the_most_overdue_part_decides_the_order_not_the_oldest_date():
    # Shows due an hour ago; its catalog is old but not due yet.
    barely = synced(shows_age=25 * HOUR, catalog_age=6 * DAY + 20 * HOUR)
    # Shows due two days ago.
    long_due = synced(shows_age=3 * DAY, catalog_age=DAY)
    assert [q.artist_id for q in artists_resync(dry_run=True)] == [long_due.pk, barely.pk]


@pytest.mark.django_db
def test_runs_already_active_take_their_share_of_the_round(settings):
    settings.RESYNC_BATCH_SIZE = 3
    for n in range(2):
        start_import(f"K8vZ917Bp{n:02d}")  # someone's imports, still queued
    for age in (40, 30, 50):
        synced(shows_age=age * HOUR)
    assert len(artists_resync()) == 1
    # A dry run lists what is due, whatever the queue holds.
    assert len(artists_resync(dry_run=True)) == 2
