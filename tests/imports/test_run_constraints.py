"""At most one active (queued or running) run per artist, decided by the database."""

import pytest
from django.db import IntegrityError, transaction

from imports.models import AppendOnlyError, ImportEvent, ImportRun, ImportStatus
from imports.phases import RunStage
from tests.factories import make_artist

pytestmark = pytest.mark.django_db

ACTIVE = [ImportStatus.QUEUED, ImportStatus.RUNNING]
FINISHED = [ImportStatus.SUCCEEDED, ImportStatus.FAILED]


@pytest.mark.parametrize("first", ACTIVE, ids=str)
@pytest.mark.parametrize("second", ACTIVE, ids=str)
def test_second_active_run_for_same_artist_is_refused(first, second):
    artist = make_artist()
    ImportRun.objects.create(artist=artist, status=first)
    with pytest.raises(IntegrityError), transaction.atomic():
        ImportRun.objects.create(artist=artist, status=second)
    assert ImportRun.objects.filter(artist=artist).count() == 1


@pytest.mark.parametrize("finished", FINISHED, ids=str)
def test_new_run_is_accepted_after_the_first_finished(finished):
    artist = make_artist()
    ImportRun.objects.create(artist=artist, status=finished)
    ImportRun.objects.create(artist=artist, status=ImportStatus.QUEUED)
    assert ImportRun.objects.filter(artist=artist).count() == 2


def test_finishing_a_run_frees_the_slot_via_queryset_update():
    artist = make_artist()
    run = ImportRun.objects.create(artist=artist, status=ImportStatus.RUNNING)
    ImportRun.objects.filter(pk=run.pk).update(status=ImportStatus.SUCCEEDED)
    ImportRun.objects.create(artist=artist)
    assert ImportRun.objects.filter(artist=artist, status=ImportStatus.QUEUED).count() == 1


def test_active_runs_of_different_artists_coexist():
    ImportRun.objects.create(artist=make_artist())
    ImportRun.objects.create(artist=make_artist())
    assert ImportRun.objects.filter(status=ImportStatus.QUEUED).count() == 2


def test_percent_above_100_is_refused():
    with pytest.raises(IntegrityError), transaction.atomic():
        ImportRun.objects.create(artist=make_artist(), percent=101)


def test_progress_events_are_append_only():
    run = ImportRun.objects.create(artist=make_artist())
    event = ImportEvent.objects.create(
        run=run, stage=RunStage.IDENTITY, status=ImportStatus.RUNNING, percent=5, message="x"
    )
    event.message = "rewritten"
    with pytest.raises(AppendOnlyError):
        event.save()
    assert ImportEvent.objects.get(pk=event.pk).message == "x"
