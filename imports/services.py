"""Writes that start and track imports; every interface (API, admin, CLI) calls these."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db import IntegrityError, transaction

from catalog.services import artist_shell_upsert
from imports.models import ACTIVE_STATUSES, ImportRun, ImportStage
from imports.tasks import enqueue_phase

TM_ATTRACTION_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class InvalidAttractionId(ValueError):
    """The value given is not a Ticketmaster attraction id."""


@dataclass(frozen=True, slots=True)
class StartedImport:
    artist_id: int
    slug: str
    import_id: int
    created: bool  # False: an active run already existed and is returned instead


def validate_tm_attraction_id(value: object) -> str:
    """The id, stripped; raises `InvalidAttractionId` saying what is wrong with it."""
    if not isinstance(value, str):
        raise InvalidAttractionId(f"tm_attraction_id must be a string, not {type(value).__name__}")
    value = value.strip()
    if not TM_ATTRACTION_ID.fullmatch(value):
        shown = value if len(value) <= 70 else f"{value[:70]}…"
        raise InvalidAttractionId(
            f"tm_attraction_id {shown!r} is not a Ticketmaster attraction id "
            "(1 to 64 letters, digits, '-' or '_', e.g. 'K8vZ9171ob7')"
        )
    return value


def import_run_create(*, tm_attraction_id: str) -> StartedImport:
    """Create a queued run for the artist, or return its active run.

    "One active run per artist" is the database's unique constraint: of two
    kickoffs racing, one inserts and the other gets the winner's run.
    """
    tm_attraction_id = validate_tm_attraction_id(tm_attraction_id)
    artist = artist_shell_upsert(tm_attraction_id=tm_attraction_id)
    # The active run we collided with may finish before we read it: then try again.
    for _ in range(3):
        try:
            with transaction.atomic():
                run = ImportRun.objects.create(artist=artist)
            created = True
            break
        except IntegrityError:
            run = ImportRun.objects.filter(artist=artist, status__in=ACTIVE_STATUSES).first()
            created = False
            if run is not None:
                break
    else:
        raise RuntimeError(f"could not start or find an import of {tm_attraction_id}")
    return StartedImport(artist_id=artist.pk, slug=artist.slug, import_id=run.pk, created=created)


def start_import(tm_attraction_id: str) -> StartedImport:
    """The kickoff every interface uses: a run (new, or the artist's active one) and,
    for a new run, its identity phase queued on the cluster. No upstream call."""
    with transaction.atomic():
        started = import_run_create(tm_attraction_id=tm_attraction_id)
        if started.created:
            enqueue_phase(started.import_id, ImportStage.IDENTITY)
    return started
