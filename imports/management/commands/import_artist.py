"""`python manage.py import_artist TM_ID [TM_ID ...]`: import artists.

By default the imports are queued on the django-q2 cluster (`manage.py
qcluster` must be running) and the command waits, showing one progress bar
per artist on a terminal (plain progress lines otherwise), until every run
has finished. A run waiting for an upstream (its quota spent until a given time)
is not finished: the command says what it waits for and until when, once each
time that changes, and goes on following it. `--no-wait` returns after the
kickoff; `--inline` runs every phase in this process, without a cluster, and
returns when a phase has to wait (a running qcluster resumes it then); `--json`
prints one JSON document with every run's outcome instead; `--full` fetches the
whole Spotify catalog again (a catalog is otherwise incremental: only releases new
or changed since the stored ones are fetched). The exit status is
non-zero if any import failed (or could not start); a run left waiting is not a
failure.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Collection
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

from imports.models import ACTIVE_STATUSES, ImportStatus
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
            "--full",
            action="store_true",
            help="fetch the whole Spotify catalog again (every release, track details and "
            "audio features), not only releases new or changed since the last import",
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
                    kickoff = import_run_create(
                        tm_attraction_id=tm_attraction_id, full_catalog=options["full"]
                    )
                else:
                    kickoff = start_import(tm_attraction_id, full_catalog=options["full"])
            except InvalidAttractionId as exc:
                results[tm_attraction_id] = {
                    "tm_attraction_id": tm_attraction_id,
                    "error": str(exc),
                }
                self._say_error(str(exc))
                continue
            started[tm_attraction_id] = kickoff
            if not kickoff.created:
                status = ImportStatus(import_run_get(kickoff.import_id).status).label.lower()
                self._say(
                    f"{tm_attraction_id}: import #{kickoff.import_id} is already {status}; "
                    "following it"
                )
            elif not options["inline"]:
                self._say(f"{tm_attraction_id}: import #{kickoff.import_id} queued")

        inline_worker = None
        inline_runs = [k.import_id for k in started.values() if k.created and options["inline"]]
        # Runs the inline runner is done with: over, or parked for a cluster to resume.
        ran_here: set[int] = set()
        if inline_runs and self._shows_bars():
            # Bars need this thread free to draw them: the import runs beside it.
            inline_worker = threading.Thread(target=_run_inline, args=(inline_runs, ran_here))
            inline_worker.start()
        elif inline_runs:
            _run_each(inline_runs, ran_here)
        if not options["no_wait"]:
            self._follow(started, timeout=options["timeout"], ran_here=ran_here)
        if inline_worker:
            inline_worker.join()

        for tm_attraction_id, kickoff in started.items():
            results[tm_attraction_id] = {"tm_attraction_id": tm_attraction_id} | import_run_report(
                import_run_get(kickoff.import_id)
            )
        ok = _ok(no_wait=options["no_wait"])
        failed = [r for r in results.values() if r.get("status") not in ok]
        if self.as_json:
            self.stdout.write(json.dumps({"imports": list(results.values())}, indent=2))
        elif not options["no_wait"]:
            for tm_attraction_id, kickoff in started.items():
                run = import_run_get(kickoff.import_id)
                if run.status == ImportStatus.WAITING:
                    # Parked, not failed: the cluster picks it up at the time it waits for.
                    self.stdout.write(
                        self.style.WARNING(
                            f"{tm_attraction_id}: import #{run.pk} is {run.message}; "
                            "a running qcluster (manage.py qcluster) resumes it then"
                        )
                    )
                    continue
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

    def _follow(
        self, started: dict[str, StartedImport], *, timeout: float, ran_here: set[int]
    ) -> None:
        """Show each run's progress as it is written, until all have finished (or, for
        runs of the inline runner, until it is done with them)."""
        by_run = {k.import_id: tm_id for tm_id, k in started.items()}
        if not by_run:
            return
        if self.as_json:
            _wait(by_run, timeout=timeout, on_event=lambda event, tm_id: None, ran_here=ran_here)
            return
        if not self._shows_bars():
            _wait(by_run, timeout=timeout, on_event=self._print_event, ran_here=ran_here)
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

            def say_waiting(run, tm_id: str) -> None:
                # Above the bars, in full: a bar's description is cut short.
                progress.console.print(f"{tm_id}: {run.message}", markup=False, highlight=False)

            _wait(
                by_run,
                timeout=timeout,
                on_event=update,
                on_waiting=say_waiting,
                ran_here=ran_here,
            )

    def _print_event(self, event, tm_id: str) -> None:
        self.stdout.write(
            f"{tm_id}: [{event.stage} {event.percent:3d}% | "
            f"run {event.overall_percent:3d}%] {event.message}"
        )


def _ok(*, no_wait: bool) -> set[str]:
    """The statuses a run may end the command in without it having failed."""
    if no_wait:
        return {*ACTIVE_STATUSES, ImportStatus.SUCCEEDED}
    # The inline runner returns when a phase parks, and following stops at the timeout
    # when every run left only waits: a cluster resumes them, nothing failed.
    return {ImportStatus.WAITING, ImportStatus.SUCCEEDED}


def _run_each(run_ids: list[int], ran: set[int]) -> None:
    """Run each import here, adding its id to `ran` once the runner is done with it
    (finished, failed, or parked until an upstream answers again)."""
    for run_id in run_ids:
        try:
            run_import(run_id)
        finally:
            ran.add(run_id)


def _run_inline(run_ids: list[int], ran: set[int]) -> None:
    try:
        _run_each(run_ids, ran)
    finally:
        connection.close()


def _wait(
    by_run: dict[int, str],
    *,
    timeout: float,
    on_event,
    on_waiting=None,
    ran_here: Collection[int] = (),
) -> None:
    """Call `on_event(event, tm_id)` for each new progress event until every run is over
    or, for a run in `ran_here`, until the inline runner is done with it. A waiting run
    is not over: `on_waiting(run, tm_id)` is called when it starts waiting, and again
    only if what it waits for, or until when, changes. An event repeating its phase's
    last word (a parked phase saying again what it waits for, once the phase beside it
    has finished) is not passed on."""
    pending = dict(by_run)
    last_event_id = 0
    seen: set[int] = set()
    last_word: dict[tuple[int, str], tuple[int, str]] = {}  # (run, stage): (percent, message)
    waiting_said: dict[int, str] = {}
    deadline = time.monotonic() + timeout
    while pending:
        # Read before the runs: a run the runner was done with has all its writes committed.
        done_here = set(ran_here)
        runs, events = runs_with_events_after(list(pending), last_event_id - EVENT_ID_LOOKBACK)
        for event in events:
            if event.pk in seen:
                continue
            seen.add(event.pk)
            last_event_id = max(last_event_id, event.pk)
            word = (event.percent, event.message)
            if last_word.get((event.run_id, event.stage)) == word:
                continue
            last_word[(event.run_id, event.stage)] = word
            on_event(event, by_run[event.run_id])
        for run in runs:
            if run.status != ImportStatus.WAITING:
                waiting_said.pop(run.pk, None)
            elif on_waiting is not None and waiting_said.get(run.pk) != run.message:
                waiting_said[run.pk] = run.message
                on_waiting(run, by_run[run.pk])
            if not run.is_active or run.pk in done_here:
                pending.pop(run.pk, None)
        if not pending:
            return
        if time.monotonic() > deadline:
            still = {run.pk: run for run in runs}
            if all(pk in still and still[pk].status == ImportStatus.WAITING for pk in pending):
                return  # waiting for an upstream is not failing: the cluster resumes them
            raise CommandError(
                f"not finished after {timeout:g} s (the imports go on): "
                + ", ".join(
                    f"{tm_id} (import #{pk} {_still_doing(still.get(pk))})"
                    for pk, tm_id in pending.items()
                )
            )
        time.sleep(POLL_SECONDS)


def _still_doing(run) -> str:
    if run is not None and run.status == ImportStatus.WAITING:
        return run.message
    return "running" if run is None else str(run.status)
