"""`python manage.py resync [--dry-run] [--limit N]`: re-import stale artists now.

The same work the every-10-minutes schedule does: artists whose shows are older
than RESYNC_SHOWS_AFTER or whose catalog is older than RESYNC_CATALOG_AFTER are
queued through `start_import`, the stalest first. `--dry-run` lists what would be
queued and writes nothing.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandParser

from imports.services import artists_resync


class Command(BaseCommand):
    help = "Re-import artists whose shows or catalog are stale (--dry-run: only list them)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="list, queue nothing")
        parser.add_argument(
            "--limit", type=int, default=None, help="at most this many (default RESYNC_BATCH_SIZE)"
        )

    def handle(self, *args, dry_run: bool, limit: int | None, **options) -> None:
        planned = artists_resync(dry_run=dry_run, limit=limit)
        verb = "would queue" if dry_run else "queued"
        for item in planned:
            run = "" if item.import_id is None else f" as import {item.import_id}"
            self.stdout.write(
                f"{verb} {item.tm_attraction_id} {item.name or '(no name)'}: "
                f"stale {' and '.join(item.stale)}{run}"
            )
        self.stdout.write(f"{len(planned)} artists {'would be queued' if dry_run else 'queued'}")
