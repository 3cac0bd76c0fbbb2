"""`python manage.py import_artist TM_ID [TM_ID ...]`: import artists.

By default the imports are queued on the django-q2 cluster (`manage.py
qcluster` must be running) and the command waits, printing progress lines,
until every run has finished. `--no-wait` returns after the kickoff;
`--inline` runs every phase in this process, without a cluster.
"""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError, CommandParser

from imports.models import ImportStatus
from imports.pipeline import run_import
from imports.selectors import import_run_get, import_run_summary, runs_with_events_after
from imports.services import InvalidAttractionId, StartedImport, import_run_create, start_import

POLL_SECONDS = 0.5
EVENT_ID_LOOKBACK = 100


class Command(BaseCommand):
    help = "Import artists by Ticketmaster attraction id: identity, upcoming shows, studio catalog."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("tm_attraction_ids", nargs="+", metavar="TM_ID")
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument(
            "--inline",
            action="store_true",
            help="run every phase in this process, without the task cluster",
        )
        mode.add_argument(
            "--no-wait",
            action="store_true",
            help="queue the imports and return without waiting for them",
        )
        parser.add_argument(
            "--timeout",
            type=float,
            default=3600,
            help="give up waiting after this many seconds (the imports go on)",
        )

    def handle(self, *args, tm_attraction_ids: list[str], **options) -> None:
        started: dict[str, StartedImport] = {}
        failed = 0
        for tm_attraction_id in tm_attraction_ids:
            try:
                if options["inline"]:
                    started[tm_attraction_id] = import_run_create(tm_attraction_id=tm_attraction_id)
                else:
                    started[tm_attraction_id] = start_import(tm_attraction_id)
            except InvalidAttractionId as exc:
                self.stderr.write(self.style.ERROR(str(exc)))
                failed += 1
                continue
            kickoff = started[tm_attraction_id]
            if not kickoff.created:
                self.stdout.write(
                    f"{tm_attraction_id}: import #{kickoff.import_id} is already running; "
                    "following it"
                )
            elif not options["inline"]:
                self.stdout.write(f"{tm_attraction_id}: import #{kickoff.import_id} queued")

        if options["no_wait"]:
            started = {}
        if options["inline"]:
            for kickoff in started.values():
                if kickoff.created:
                    run_import(kickoff.import_id)
        self._follow(started, timeout=options["timeout"])

        failed += self._summarise(started)
        if failed:
            raise CommandError(f"{failed} of {len(tm_attraction_ids)} imports failed")

    def _follow(self, started: dict[str, StartedImport], *, timeout: float) -> None:
        """Print each run's progress events as they are written, until all have finished."""
        by_run = {
            k.import_id: tm_id
            for tm_id, k in started.items()
            if import_run_get(k.import_id).is_active
        }
        last_event_id = 0
        printed: set[int] = set()
        deadline = time.monotonic() + timeout
        while by_run:
            # Look back a little: on PostgreSQL two writers may commit ids out of order.
            runs, events = runs_with_events_after(list(by_run), last_event_id - EVENT_ID_LOOKBACK)
            for event in events:
                if event.pk in printed or event.run_id not in by_run:
                    continue
                printed.add(event.pk)
                last_event_id = max(last_event_id, event.pk)
                self.stdout.write(
                    f"{by_run[event.run_id]}: [{event.stage} {event.percent:3d}% | "
                    f"run {event.overall_percent:3d}%] {event.message}"
                )
            for run in runs:
                if not run.is_active:
                    by_run.pop(run.pk)
            if not by_run:
                break
            if time.monotonic() > deadline:
                raise CommandError(
                    f"still running after {timeout:g} s: "
                    + ", ".join(f"{tm_id} (import #{pk})" for pk, tm_id in by_run.items())
                )
            time.sleep(POLL_SECONDS)

    def _summarise(self, started: dict[str, StartedImport]) -> int:
        failed = 0
        for tm_attraction_id, kickoff in started.items():
            run = import_run_get(kickoff.import_id)
            line = f"{tm_attraction_id}: {import_run_summary(run)}"
            if run.status == ImportStatus.SUCCEEDED:
                self.stdout.write(self.style.SUCCESS(line))
            else:
                failed += 1
                self.stderr.write(self.style.ERROR(line))
        return failed
