"""`python manage.py import_artist TM_ID [TM_ID ...]`: import artists.

By default the imports are queued on the django-q2 cluster (`manage.py
qcluster` must be running) and the command waits, showing one progress bar
per artist on a terminal (plain progress lines otherwise), until every run
has finished. A run no cluster has picked up after a few seconds
(`--cluster-hint-after`) gets a hint, once, on stderr: start a cluster, or run
it here with `--inline`. A run waiting for an upstream (its quota spent until a
given time) is not finished: the command says what it waits for and until when,
once each time that changes, and goes on following it. `--no-wait` returns after
the kickoff; `--inline` runs every phase in this process, without a cluster
(an artist's run already queued and not picked up by a cluster is taken off the
queue and run here; one a cluster runs is followed), and returns when a phase has
to wait (a running qcluster resumes it then); `--json` prints one JSON document
with every run's outcome instead, in the order the ids were given; `--full`
fetches the whole Spotify catalog again (a catalog is otherwise incremental: only
releases new or changed since the stored ones are fetched). Ctrl-C stops the
command, not the imports a cluster runs: it says in one line per artist what
state each is left in and exits 130 (an import running here is cancelled). The
exit status is non-zero if any import failed (or could not start); a run left
waiting is not a failure. Log lines below WARNING (django-q2's, httpx's, the
phases') show only with `-v 2`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import signal
import threading
import time
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any

from asgiref.sync import async_to_sync
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

from imports.models import ACTIVE_STATUSES, ImportPhase, ImportRun, ImportStatus
from imports.pipeline import run_import_async
from imports.progress import PhaseReporter
from imports.selectors import (
    import_run_get,
    import_run_report,
    import_run_summary,
    runs_with_events_after,
)
from imports.services import (
    InvalidAttractionId,
    StartedImport,
    import_run_cancel,
    import_run_create,
    queued_run_claim,
    start_import,
)
from theset.health import HealthCheckFailed, check_cluster
from theset.logs import info_logs_quieted

POLL_SECONDS = 0.25
# Look back a little: on PostgreSQL two writers may commit event ids out of order.
EVENT_ID_LOOKBACK = 100
# A run still queued this long after the command started following it gets the hint
# that no task cluster has picked it up.
CLUSTER_HINT_AFTER_SECONDS = 5.0
START_CLUSTER = "python manage.py qcluster"
# Exit status of a command stopped by Ctrl-C (128 + SIGINT), as shells report it.
INTERRUPTED_EXIT = 130
# Who an import run here and stopped by Ctrl-C was cancelled by (its error says so).
INTERRUPTED_BY = "Ctrl-C (import_artist --inline)"
# How long Ctrl-C waits for an import running here to stop at its next await.
STOP_GRACE_SECONDS = 30


@dataclass
class _Artist:
    """One id the command was given, in the order given."""

    tm_attraction_id: str
    kickoff: StartedImport | None = None
    error: str = ""  # could not start: what is wrong with the id
    here: bool = False  # run by this process (`--inline`)


def run_state(run: ImportRun) -> str:
    """A run's state in the words the command uses everywhere: queued, running, waiting
    (for what, until when), succeeded or failed."""
    if run.status == ImportStatus.QUEUED:
        return "queued (no task cluster has picked it up yet)"
    if run.status == ImportStatus.WAITING:
        if run.message.startswith("waiting for "):
            return run.message  # "waiting for Ticketmaster's daily quota until 14:05 UTC"
        return "waiting (parked for an upstream quota)"
    return ImportStatus(run.status).label.lower()


class Command(BaseCommand):
    help = "Import artists by Ticketmaster attraction id: identity, upcoming shows, studio catalog."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("tm_attraction_ids", nargs="+", metavar="TM_ID")
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument(
            "--inline",
            action="store_true",
            help="run every phase in this process, without the task cluster (also an "
            "artist's run already queued that no cluster has picked up)",
        )
        mode.add_argument(
            "--no-wait",
            action="store_true",
            help="queue the imports and return without waiting for them",
        )
        parser.add_argument(
            "--json",
            action="store_true",
            help="print the outcome as JSON, in the order the ids were given (no progress output)",
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
        parser.add_argument(
            "--cluster-hint-after",
            type=float,
            default=CLUSTER_HINT_AFTER_SECONDS,
            metavar="SECONDS",
            help="say (once, on stderr) that no task cluster has picked up a run still "
            "queued after this many seconds (default %(default)g)",
        )

    def handle(self, *args, tm_attraction_ids: list[str], **options) -> None:
        self.as_json = options["json"]
        self.verbosity = options["verbosity"]
        self.artists: list[_Artist] = []
        self.runner = _InlineRunner()
        with info_logs_quieted(verbosity=options["verbosity"]), _on_sigint(self.runner.on_sigint):
            try:
                self._import(tm_attraction_ids, options)
            except KeyboardInterrupt:
                self._stop_interrupted()
                raise SystemExit(INTERRUPTED_EXIT) from None

    def _import(self, tm_attraction_ids: list[str], options: dict[str, Any]) -> None:
        inline, no_wait = options["inline"], options["no_wait"]
        for tm_attraction_id in dict.fromkeys(tm_attraction_ids):  # each id once, in order
            artist = _Artist(tm_attraction_id)
            self.artists.append(artist)
            try:
                if inline:
                    artist.kickoff = import_run_create(
                        tm_attraction_id=tm_attraction_id, full_catalog=options["full"]
                    )
                else:
                    artist.kickoff = start_import(tm_attraction_id, full_catalog=options["full"])
            except InvalidAttractionId as exc:
                artist.error = str(exc)
                self._say_error(str(exc))
                continue
            self._say_kickoff(artist, inline=inline, no_wait=no_wait)

        started = {a.tm_attraction_id: a.kickoff for a in self.artists if a.kickoff}
        here = [a.kickoff.import_id for a in self.artists if a.here and a.kickoff]
        # Runs the inline runner is done with: over, or parked for a cluster to resume.
        ran_here: set[int] = set()
        inline_worker = None
        if here and self._shows_bars():
            # Bars need this thread free to draw them: the import runs beside it.
            inline_worker = threading.Thread(
                target=self.runner.run_in_thread, args=(here, ran_here), daemon=True
            )
            self.runner.worker = inline_worker
            inline_worker.start()
        elif here:
            self.runner.run_each(here, ran_here)
        if not no_wait:
            self._follow(
                started,
                timeout=options["timeout"],
                ran_here=ran_here,
                run_here=set(here),
                hint_after=options["cluster_hint_after"],
            )
        if inline_worker:
            inline_worker.join()

        results = [self._result(artist) for artist in self.artists]
        ok = _ok(no_wait=no_wait)
        failed = [r for r in results if r.get("status") not in ok]
        if self.as_json:
            self.stdout.write(json.dumps({"imports": results}, indent=2))
        elif not no_wait:
            self._say_outcomes()
        if failed:
            refused = sum(1 for r in failed if "error" in r and "status" not in r)
            reason = (
                f" ({refused} could not start: not a Ticketmaster attraction id)" if refused else ""
            )
            raise CommandError(f"{len(failed)} of {len(self.artists)} imports failed{reason}")

    def _result(self, artist: _Artist) -> dict[str, Any]:
        if artist.kickoff is None:
            return {"tm_attraction_id": artist.tm_attraction_id, "error": artist.error}
        return {"tm_attraction_id": artist.tm_attraction_id} | import_run_report(
            import_run_get(artist.kickoff.import_id)
        )

    # --- output

    def _shows_bars(self) -> bool:
        return not self.as_json and self.stdout.isatty()

    def _say(self, line: str) -> None:
        if not self.as_json:
            self.stdout.write(line)

    def _say_error(self, line: str) -> None:
        self.stderr.write(self.style.ERROR(line))

    def _say_kickoff(self, artist: _Artist, *, inline: bool, no_wait: bool) -> None:
        kickoff, tm_id = artist.kickoff, artist.tm_attraction_id
        if kickoff.created:
            artist.here = inline
            if not inline:
                self._say(f"{tm_id}: import #{kickoff.import_id} queued")
            return
        ours = any(a.here and a.kickoff.import_id == kickoff.import_id for a in self.artists)
        to_claim = inline and not ours
        if to_claim and queued_run_claim(run_id=kickoff.import_id):
            artist.here = True
            self._say(
                f"{tm_id}: import #{kickoff.import_id} was queued and no task cluster had "
                "picked it up: running it here"
            )
            return
        run = import_run_get(kickoff.import_id)
        following = "" if no_wait else "; following it"
        if to_claim and run.status == ImportStatus.QUEUED:
            # Not claimed, still queued: its task was taken a moment ago.
            self._say(
                f"{tm_id}: import #{run.pk} is being picked up by a task cluster (or another "
                f"`import_artist --inline`){following}"
            )
            return
        self._say(f"{tm_id}: import #{run.pk} is already {run_state(run)}{following}")

    def _say_outcomes(self) -> None:
        for artist in self.artists:
            if artist.kickoff is None:
                continue  # said at the kickoff
            tm_attraction_id = artist.tm_attraction_id
            run = import_run_get(artist.kickoff.import_id)
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

    def _cluster_hint(self, runs: list[ImportRun], by_run: dict[int, str], waited: float) -> str:
        """The one-time hint for runs no task cluster has picked up."""
        tm_ids = [by_run[run.pk] for run in runs]
        which = ", ".join(f"import #{run.pk} ({by_run[run.pk]})" for run in runs)
        verb = "is" if len(runs) == 1 else "are"
        try:
            seen = check_cluster()
        except HealthCheckFailed as exc:
            cluster = f"no task cluster has picked it up, and none seems to be running ({exc})"
        except Exception:  # a hint must not stop the command
            cluster = "no task cluster has picked it up"
        else:
            ago = seen.get("last_seen_seconds_ago")
            cluster = (
                f"no task cluster has picked it up yet (one was seen {ago:.0f} s ago: "
                "it may be busy with other tasks)"
            )
        return (
            f"{which} {verb} still queued after {waited:.0f} s: {cluster}. Start one with "
            f"`{START_CLUSTER}` (the import then goes on), or press Ctrl-C and run "
            f"`python manage.py import_artist --inline {' '.join(tm_ids)}` to run it in "
            "this process."
        )

    def _follow(
        self,
        started: dict[str, StartedImport],
        *,
        timeout: float,
        ran_here: set[int],
        run_here: set[int],
        hint_after: float,
    ) -> None:
        """Show each run's progress as it is written, until all have finished (or, for
        runs of the inline runner, until it is done with them)."""
        by_run = {k.import_id: tm_id for tm_id, k in started.items()}
        if not by_run:
            return

        def hint_on_stderr(runs: list[ImportRun], waited: float) -> None:
            self.stderr.write(self.style.WARNING(self._cluster_hint(runs, by_run, waited)))

        following = {
            "timeout": timeout,
            "ran_here": ran_here,
            "run_here": run_here,
            "hint_after": hint_after,
            "on_unclaimed": hint_on_stderr,
        }
        if self.as_json:
            _wait(by_run, on_event=lambda event, tm_id: None, **following)
            return
        if not self._shows_bars():
            _wait(by_run, on_event=self._print_event, **following)
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

            def hint_above_bars(runs: list[ImportRun], waited: float) -> None:
                # Through the bars' console: a line written past it would be drawn over.
                progress.console.print(
                    self._cluster_hint(runs, by_run, waited), markup=False, highlight=False
                )

            _wait(
                by_run,
                on_event=update,
                on_waiting=say_waiting,
                **(following | {"on_unclaimed": hint_above_bars}),
            )

    def _print_event(self, event, tm_id: str) -> None:
        self.stdout.write(
            f"{tm_id}: [{event.stage} {event.percent:3d}% | "
            f"run {event.overall_percent:3d}%] {event.message}"
        )

    def _stop_interrupted(self) -> None:
        """After Ctrl-C: stop the imports running here (cancelled: nothing else would run
        them), and say in one line per artist what state each run is left in."""
        self.runner.stop()
        lines = []
        for artist in self.artists:
            if artist.kickoff is None:
                continue
            run_id, tm_id = artist.kickoff.import_id, artist.tm_attraction_id
            run = import_run_get(run_id)
            if not run.is_active:
                continue
            if artist.here and run.status != ImportStatus.WAITING:
                with _quiet_unless(self.verbosity >= 2):  # the line below says it
                    _cancel_interrupted(run_id)
                lines.append(
                    f"{tm_id}: interrupted: import #{run_id} cancelled, it is failed now "
                    "(what it stored stays; importing the artist again starts a new run)"
                )
            elif run.status == ImportStatus.QUEUED:
                lines.append(
                    f"{tm_id}: stopped following import #{run_id}; it stays {run_state(run)}: "
                    f"a running task cluster (`{START_CLUSTER}`) picks it up"
                )
            elif run.status == ImportStatus.WAITING:
                lines.append(
                    f"{tm_id}: stopped following import #{run_id}; it is {run_state(run)}: "
                    "a running task cluster resumes it then"
                )
            else:
                lines.append(
                    f"{tm_id}: stopped following import #{run_id}; it is {run_state(run)} "
                    "and goes on in the task cluster"
                )
        for line in lines or ["interrupted"]:
            self.stderr.write(self.style.WARNING(line))


def _ok(*, no_wait: bool) -> set[str]:
    """The statuses a run may end the command in without it having failed."""
    if no_wait:
        return {*ACTIVE_STATUSES, ImportStatus.SUCCEEDED}
    # The inline runner returns when a phase parks, and following stops at the timeout
    # when every run left only waits: a cluster resumes them, nothing failed.
    return {ImportStatus.WAITING, ImportStatus.SUCCEEDED}


# --- Running imports here ------------------------------------------------------------


class _InlineRunner:
    """Runs imports in this process so that Ctrl-C stops them cleanly.

    A KeyboardInterrupt raised in the thread that runs an import would leave asgiref's
    event loop thread waiting forever for ORM calls that thread no longer runs (the
    process then hangs on exit). So the first Ctrl-C cancels the import's asyncio task
    instead: its phases stop at their next await and `run_each` raises
    KeyboardInterrupt once the loop is done. A Ctrl-C while no import runs in this
    thread (following, or the import runs in the bars' worker thread) raises
    KeyboardInterrupt at once, as usual; so does a second one."""

    def __init__(self) -> None:
        self.interrupted = threading.Event()
        self.worker: threading.Thread | None = None
        self._lock = threading.Lock()
        self._current: tuple[asyncio.AbstractEventLoop, asyncio.Task] | None = None
        self._runner: threading.Thread | None = None

    def run_each(self, run_ids: list[int], ran: set[int]) -> None:
        """Run each import here, adding its id to `ran` once the runner is done with it
        (finished, failed, or parked until an upstream answers again)."""
        self._runner = threading.current_thread()
        for run_id in run_ids:
            if self.interrupted.is_set():
                raise KeyboardInterrupt
            try:
                async_to_sync(self._run)(run_id)
            except asyncio.CancelledError:
                raise KeyboardInterrupt from None
            finally:
                ran.add(run_id)

    def run_in_thread(self, run_ids: list[int], ran: set[int]) -> None:
        try:
            self.run_each(run_ids, ran)
        except KeyboardInterrupt:
            pass  # the main thread says what was interrupted
        finally:
            connection.close()

    async def _run(self, run_id: int) -> None:
        with self._lock:
            self._current = (asyncio.get_running_loop(), asyncio.current_task())
        try:
            # Ctrl-C just before: the handler may not have seen this task to cancel it.
            if not self.interrupted.is_set():
                await run_import_async(run_id)
        finally:
            with self._lock:
                self._current = None

    def on_sigint(self, signum: int, frame: object) -> None:
        first = not self.interrupted.is_set()
        self.interrupted.set()
        with self._lock:
            current = self._current
        if first and current is not None:
            loop, task = current
            try:
                loop.call_soon_threadsafe(_cancel_until_done, task)
            except RuntimeError:  # the loop has just closed: the import is over
                pass
            else:
                if threading.current_thread() is self._runner:
                    return  # this thread runs the loop's ORM calls: let it finish them
        raise KeyboardInterrupt

    def stop(self) -> None:
        """After Ctrl-C: wait (a little) for an import running beside to stop."""
        self.interrupted.set()
        with self._lock:
            current = self._current
        if current is not None:
            loop, task = current
            with suppress(RuntimeError):  # the loop has just closed: the import is over
                loop.call_soon_threadsafe(_cancel_until_done, task)
        if self.worker is not None:
            self.worker.join(timeout=STOP_GRACE_SECONDS)


# How often a cancelled import is told again until it stops.
RECANCEL_SECONDS = 0.05


def _cancel_until_done(task: asyncio.Task) -> None:
    """Cancel `task` (on its loop), and again until it is done: a cancellation landing
    while the task awaits a `sync_to_async` call already running is swallowed (asgiref
    waits for the call and returns its result), so one is not enough."""
    if not task.done():
        task.cancel()
        task.get_loop().call_later(RECANCEL_SECONDS, _cancel_until_done, task)


@contextmanager
def _on_sigint(handler: Callable[[int, object], None]) -> Iterator[None]:
    """`handler` handles SIGINT meanwhile (only the main thread can set one)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


@contextmanager
def _quiet_unless(verbose: bool) -> Iterator[None]:
    """No log line below ERROR meanwhile, unless `verbose`."""
    previous = logging.root.manager.disable
    if not verbose:
        logging.disable(max(previous, logging.WARNING))
    try:
        yield
    finally:
        logging.disable(previous)


def _cancel_interrupted(run_id: int) -> None:
    """An import run here was stopped by Ctrl-C: it is cancelled, and its phases that
    were running are marked failed (nothing runs them any more)."""
    import_run_cancel(run_id=run_id, by=INTERRUPTED_BY)
    running = ImportPhase.objects.filter(run_id=run_id, status=ImportStatus.RUNNING)
    for phase in running.values_list("phase", flat=True):
        PhaseReporter(run_id=run_id, phase=phase).fail(f"cancelled by {INTERRUPTED_BY}")


# --- Following -----------------------------------------------------------------------


def _wait(
    by_run: dict[int, str],
    *,
    timeout: float,
    on_event,
    on_waiting=None,
    on_unclaimed: Callable[[list[ImportRun], float], None] | None = None,
    hint_after: float = CLUSTER_HINT_AFTER_SECONDS,
    ran_here: Collection[int] = (),
    run_here: Collection[int] = (),
) -> None:
    """Call `on_event(event, tm_id)` for each new progress event until every run is over
    or, for a run in `ran_here`, until the inline runner is done with it. A waiting run
    is not over: `on_waiting(run, tm_id)` is called when it starts waiting, and again
    only if what it waits for, or until when, changes. An event repeating its phase's
    last word (a parked phase saying again what it waits for, once the phase beside it
    has finished) is not passed on. Once, `hint_after` seconds in, `on_unclaimed(runs,
    seconds)` is called with the runs still queued that no cluster has picked up (runs
    of the inline runner, `run_here`, are not a cluster's)."""
    pending = dict(by_run)
    last_event_id = 0
    seen: set[int] = set()
    last_word: dict[tuple[int, str], tuple[int, str]] = {}  # (run, stage): (percent, message)
    waiting_said: dict[int, str] = {}
    started = time.monotonic()
    deadline = started + timeout
    hinted = on_unclaimed is None
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
        now = time.monotonic()
        if not hinted and now - started >= hint_after:
            hinted = True
            unclaimed = [
                run
                for run in runs
                if run.pk in pending
                and run.pk not in run_here
                and run.status == ImportStatus.QUEUED
            ]
            if unclaimed:
                on_unclaimed(unclaimed, now - started)
        if now > deadline:
            still = {run.pk: run for run in runs}
            if all(pk in still and still[pk].status == ImportStatus.WAITING for pk in pending):
                return  # waiting for an upstream is not failing: the cluster resumes them
            raise CommandError(
                f"not finished after {timeout:g} s (the imports go on): "
                + ", ".join(
                    f"{tm_id} (import #{pk} {run_state(still[pk]) if pk in still else 'gone'})"
                    for pk, tm_id in pending.items()
                )
            )
        time.sleep(POLL_SECONDS)
