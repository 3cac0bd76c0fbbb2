"""`python manage.py resync [--dry-run] [--limit N]`: re-sync stale artists now.

The same work the every-10-minutes schedule does: artists whose shows are older than
RESYNC_SHOWS_AFTER are queued in batches (one events query over several attraction ids),
and artists whose catalog is older than RESYNC_CATALOG_AFTER or whose identity is older
than RESYNC_IDENTITY_AFTER are re-imported through `start_import`, the stalest first.
`--dry-run` lists what would be queued and writes nothing.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandParser

from imports.resync import shows_resync_round
from imports.services import artists_resync
from imports.tasks import interleaved_resync_tasks


class Command(BaseCommand):
    help = "Re-sync artists whose shows, catalog or identity are stale (--dry-run: only list)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="list, queue nothing")
        parser.add_argument(
            "--limit",
            type=int,
            default=None,
            help="at most this many catalog/identity re-imports (default RESYNC_BATCH_SIZE)",
        )

    def handle(self, *args, dry_run: bool, limit: int | None, **options) -> None:
        verb = "would queue" if dry_run else "queued"
        with interleaved_resync_tasks():
            batches = shows_resync_round(dry_run=dry_run)
            planned = artists_resync(
                dry_run=dry_run,
                limit=limit,
                requests_planned=sum(batch.requests for batch in batches),
            )
        for batch in batches:
            name = "a shows batch" if batch.batch_id is None else f"shows batch {batch.batch_id}"
            self.stdout.write(
                f"{verb} {name}: {len(batch.attraction_ids)} artists, "
                f"~{batch.expected_events} events ({', '.join(batch.attraction_ids[:5])}"
                f"{', ...' if len(batch.attraction_ids) > 5 else ''})"
            )
        for item in planned:
            run = "" if item.import_id is None else f" as import {item.import_id}"
            self.stdout.write(
                f"{verb} {item.tm_attraction_id} {item.name or '(no name)'}: "
                f"stale {' and '.join(item.stale)}{run}"
            )
        artists = sum(len(batch.attraction_ids) for batch in batches)
        self.stdout.write(
            f"{artists} artists' shows in {len(batches)} batches and {len(planned)} "
            f"re-imports {'would be queued' if dry_run else 'queued'}"
        )
