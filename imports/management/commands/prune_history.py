"""`python manage.py prune_history [--dry-run] [--keep N]`: prune run history now.

The work the every-5-minutes schedule does, round after round until nothing is left:
runs older than each artist's last RUN_HISTORY_KEEP (or `--keep`) lose their progress
events and dropped-track rows; their row and phases stay. `--dry-run` counts what
would go and deletes nothing.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from imports.history import runs_history_prune


class Command(BaseCommand):
    help = "Prune the progress events and dropped tracks of old runs (--dry-run: only count)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="count, delete nothing")
        parser.add_argument(
            "--keep", type=int, default=None, help="runs kept whole per artist (RUN_HISTORY_KEEP)"
        )

    def handle(self, *args, dry_run: bool, keep: int | None, **options) -> None:
        if keep is not None and keep < 1:
            raise CommandError(f"--keep must be at least 1, not {keep}")
        if dry_run:
            self.stdout.write(runs_history_prune(keep=keep, dry_run=True).summary(dry_run=True))
            return
        while True:
            result = runs_history_prune(keep=keep)
            self.stdout.write(result.summary())
            if not result.more:
                return
