"""`python manage.py import_artist TM_ID [TM_ID ...] --inline`: import artists in this process."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from imports.models import ImportStatus
from imports.pipeline import run_import
from imports.selectors import import_run_summary
from imports.services import InvalidAttractionId, import_run_create


class Command(BaseCommand):
    help = "Import artists by Ticketmaster attraction id: identity, upcoming shows, studio catalog."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("tm_attraction_ids", nargs="+", metavar="TM_ID")
        parser.add_argument(
            "--inline",
            action="store_true",
            help="run every phase in this process, without the task cluster",
        )

    def handle(self, *args, tm_attraction_ids: list[str], inline: bool, **options) -> None:
        if not inline:
            raise CommandError("only --inline is available yet: the task cluster is not wired up")
        failed = 0
        for tm_attraction_id in tm_attraction_ids:
            try:
                started = import_run_create(tm_attraction_id=tm_attraction_id)
            except InvalidAttractionId as exc:
                self.stderr.write(self.style.ERROR(str(exc)))
                failed += 1
                continue
            if not started.created:
                self.stderr.write(
                    self.style.ERROR(
                        f"{tm_attraction_id}: import #{started.import_id} is already running"
                    )
                )
                failed += 1
                continue
            run = run_import(started.import_id)
            line = f"{tm_attraction_id}: {import_run_summary(run)}"
            if run.status == ImportStatus.SUCCEEDED:
                self.stdout.write(self.style.SUCCESS(line))
            else:
                failed += 1
                self.stderr.write(self.style.ERROR(line))
        if failed:
            raise CommandError(f"{failed} of {len(tm_attraction_ids)} imports failed")
