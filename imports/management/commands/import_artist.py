"""`python manage.py import_artist TM_ID [TM_ID ...]`: import artists.

By default the imports are queued on the django-q2 cluster (`manage.py
qcluster` must be running) and the command waits, showing one progress bar
per artist on a terminal (plain progress lines otherwise), until every run
has finished. `--no-wait` returns after the kickoff; `--inline` runs every
phase in this process, without a cluster; `--json` prints one JSON document
with every run's outcome instead. The exit status is non-zero if any import
failed (or could not start).
"""

from __future__ import annotations

import json
import threading
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

from imports.models import ImportStatus
from imports.pipeline import run_import
from imports.selectors import (
    import_run_get,
    import_run_report,
    import_run_summary,
    runs_with_events_after,
)
from imports.services import InvalidAttractionId, StartedImport, import_run_create, start_import

POLL_SECONDS = 0.25
# Look back a little: on PostgreSQL two writers may commit event ids out of order.
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
            "--json", action="store_true", help="print the outcome as JSON (no progress output)"
        )
        parser.add_argument(
            "--timeout",
            type=float,
            default=3600,
            help="give up waiting after this many seconds (the imports go on)",
        )

    def handle(self, *args, tm_attraction_ids: list[str], **options) -> None:
        self.as_json = options["json"]
        results: dict[str, dict[str, Any]] = {}
        started: dict[str, StartedImport] = {}
        for tm_attraction_id in tm_attraction_ids:
            try:
                if options["inline"]:
                    kickoff = import_run_create(tm_attraction_id=tm_attraction_id)
                else:
                    kickoff = start_import(tm_attraction_id)
            except InvalidAttractionId as exc:
                results[tm_attraction_id] = {
                    "tm_attraction_id": tm_attraction_id,
                    "error": str(exc),
                }
                self._say_error(str(exc))
                continue
            started[tm_attraction_id] = kickoff
            if not kickoff.created:
                self._say(
                    f"{tm_attraction_id}: import #{kickoff.import_id} is already running; "
                    "following it"
                )
            elif not options["inline"]:
                self._say(f"{tm_attraction_id}: import #{kickoff.import_id} queued")

        inline_worker = None
        inline_runs = [k.import_id for k in started.values() if k.created and options["inline"]]
        if inline_runs and self._shows_bars():
            # Bars need this thread free to draw them: the import runs beside it.
            inline_worker = threading.Thread(target=_run_inline, args=(inline_runs,))
            inline_worker.start()
        elif inline_runs:
            for run_id in inline_runs:
                run_import(run_id)
        if not options["no_wait"]:
            self._follow(started, timeout=options["timeout"])
        if inline_worker:
            inline_worker.join()

        for tm_attraction_id, kickoff in started.items():
            results[tm_attraction_id] = {"tm_attraction_id": tm_attraction_id} | import_run_report(
                import_run_get(kickoff.import_id)
            )
        failed = [r for r in results.values() if r.get("status") not in _ok(options["no_wait"])]
        if self.as_json:
            self.stdout.write(json.dumps({"imports": list(results.values())}, indent=2))
        elif not options["no_wait"]:
            for tm_attraction_id, kickoff in started.items():
                run = import_run_get(kickoff.import_id)
                line = f"{tm_attraction_id}: {import_run_summary(run)}"
                if run.status == ImportStatus.SUCCEEDED:
                    self.stdout.write(self.style.SUCCESS(line))
                else:
                    self.stderr.write(self.style.ERROR(line))
        if failed:
            refused = sum(1 for r in failed if "error" in r and "status" not in r)
            reason = (
                f" ({refused} could not start: not a Ticketmaster attraction id)" if refused else ""
            )
            raise CommandError(f"{len(failed)} of {len(tm_attraction_ids)} imports failed{reason}")

    # --- output

    def _shows_bars(self) -> bool:
        return not self.as_json and self.stdout.isatty()

    def _say(self, line: str) -> None:
        if not self.as_json:
            self.stdout.write(line)

    def _say_error(self, line: str) -> None:
        self.stderr.write(self.style.ERROR(line))

    def _follow(self, started: dict[str, StartedImport], *, timeout: float) -> None:
        """Show each run's progress as it is written, until all have finished."""
        by_run = {k.import_id: tm_id for tm_id, k in started.items()}
        if not by_run:
            return
        if self.as_json:
            _wait(by_run, timeout=timeout, on_event=lambda event, tm_id: None)
            return
        if not self._shows_bars():
            _wait(by_run, timeout=timeout, on_event=self._print_event)
            return
        console = Console(file=self.stdout._out)
        columns = (
            TextColumn("{task.fields[tm_id]:<14}"),
            BarColumn(),
            TaskProgressColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.fields[stage]:<9} {task.description}"),
        )
        with Progress(*columns, console=console, transient=False) as progress:
            bars = {
                run_id: progress.add_task("queued", total=100, tm_id=tm_id, stage="")
                for run_id, tm_id in by_run.items()
            }

            def update(event, tm_id: str) -> None:
                progress.update(
                    bars[event.run_id],
                    completed=event.overall_percent,
                    description=event.message[:60],
                    stage=event.stage,
                )

            _wait(by_run, timeout=timeout, on_event=update)

    def _print_event(self, event, tm_id: str) -> None:
        self.stdout.write(
            f"{tm_id}: [{event.stage} {event.percent:3d}% | "
            f"run {event.overall_percent:3d}%] {event.message}"
        )


def _ok(no_wait: bool) -> set[str]:
    if no_wait:
        return {ImportStatus.QUEUED, ImportStatus.RUNNING, ImportStatus.SUCCEEDED}
    return {ImportStatus.SUCCEEDED}


def _run_inline(run_ids: list[int]) -> None:
    try:
        for run_id in run_ids:
            run_import(run_id)
    finally:
        connection.close()


def _wait(by_run: dict[int, str], *, timeout: float, on_event) -> None:
    """Call `on_event(event, tm_id)` for each new progress event until every run is over."""
    pending = dict(by_run)
    last_event_id = 0
    seen: set[int] = set()
    deadline = time.monotonic() + timeout
    while pending:
        runs, events = runs_with_events_after(list(pending), last_event_id - EVENT_ID_LOOKBACK)
        for event in events:
            if event.pk in seen:
                continue
            seen.add(event.pk)
            last_event_id = max(last_event_id, event.pk)
            on_event(event, by_run[event.run_id])
        for run in runs:
            if not run.is_active:
                pending.pop(run.pk, None)
        if not pending:
            return
        if time.monotonic() > deadline:
            raise CommandError(
                f"still running after {timeout:g} s: "
                + ", ".join(f"{tm_id} (import #{pk})" for pk, tm_id in pending.items())
            )
        time.sleep(POLL_SECONDS)
