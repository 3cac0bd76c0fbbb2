"""Live progress streams under load: N clients watching one run over server-sent events
on ONE uvicorn process (`theset.asgi`, as `manage.py serve` runs it), for N = 100, 1,000
and 5,000. Per N:

- database connections the web process holds, the most seen while its streams are open
  (PostgreSQL: pg_stat_activity rows with its PGAPPNAME; SQLite: its open descriptors
  of the database's -wal file, one per open connection);
- memory per stream: the web process's resident set (VmRSS) once all N are open, minus
  before, over N;
- event latency: from just before this process writes a progress event (the real
  PhaseReporter) until the LAST of the N clients has it; median and max over --events.

Then the run is finalized: every stream must get `end` and be closed by the server.

The clients are httpx.AsyncClient streams in this process (opened in batches, each once
the previous one has its replay), so at thousands of streams part of the latency is this
process reading them on the same two cores as the server. A web process holding more
than --give-up-above connections (one per stream) stops the opening there and skips the
larger rounds: on PostgreSQL it would take the server's max_connections from everyone.

    .venv/bin/python bench/streams.py [--streams 100 1000 5000] [--events 10]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/theset_bench \\
        REDIS_URL=redis://127.0.0.1:6379/14 .venv/bin/python bench/streams.py
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import resource
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from common import PROJECT, record, setup_scratch_django

# What the web process may hold however many streams are open: streams wait on the
# process's one relay, not on a connection each.
CONNECTIONS_TARGET = 5
BATCH = 100
SAMPLE_EVERY_SECONDS = 0.2


# --- The web process ---------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def web_process(application_name: str) -> Iterator[tuple[subprocess.Popen, str]]:
    """uvicorn serving `theset.asgi` on the bench database, in a session of its own; its
    database connections carry `application_name` (PGAPPNAME)."""
    import httpx

    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "PGAPPNAME": application_name}
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "theset.asgi:application", "--host", "127.0.0.1",
         "--port", str(port), "--no-access-log", "--log-level", "warning"],
        cwd=PROJECT, env=env, start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base_url}/admin/login/", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("the web process did not start")
            time.sleep(0.1)
        yield process, base_url
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


class Sampler(threading.Thread):
    """`sample()` every SAMPLE_EVERY_SECONDS until stopped; the largest value seen, and
    `tripped` once a value is above `trip_above`."""

    def __init__(self, sample: Callable[[], int], trip_above: int) -> None:
        super().__init__(daemon=True)
        self.sample = sample
        self.trip_above = trip_above
        self.most = 0
        self.samples = 0
        self.tripped = threading.Event()
        self._stopping = threading.Event()

    def run(self) -> None:
        from django.db import connection

        try:
            while True:
                value = self.sample()
                self.most = max(self.most, value)
                self.samples += 1
                if value > self.trip_above:
                    self.tripped.set()
                if self._stopping.wait(SAMPLE_EVERY_SECONDS):
                    return
        finally:
            connection.close()

    async def fresh(self, timeout: float = 5.0) -> None:
        """Until a sample taken wholly after this call is in (or `timeout`)."""
        seen = self.samples
        deadline = time.monotonic() + timeout
        while self.samples < seen + 2 and time.monotonic() < deadline:
            await asyncio.sleep(0.02)

    def stop(self) -> int:
        self._stopping.set()
        self.join(timeout=15)
        return self.most


def ramp(count: int) -> list[int]:
    """Batch sizes: 10, 20, 40, 80, then BATCH at a time (a web process holding a
    connection per stream is caught after a few dozen)."""
    sizes: list[int] = []
    size = 10
    while sum(sizes) < count:
        sizes.append(min(size, count - sum(sizes)))
        size = min(2 * size, BATCH)
    return sizes


# --- The clients -------------------------------------------------------------------


@dataclass
class Client:
    opened: asyncio.Event = field(default_factory=asyncio.Event)
    last_id: int = 0
    ended: bool = False  # got `event: end`
    closed: bool = False  # the response is over (closed by the server, or failed)
    error: str | None = None


class Clients:
    """SSE clients on an asyncio loop in a thread of their own: this thread writes the
    events while they read. `arrivals[event id]` is when the last client got it."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.arrivals: dict[int, float] = {}
        self.clients: list[Client] = []
        self.tasks: list[asyncio.Task] = []
        self.http = None

    def call(self, coroutine, timeout: float):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    async def _watch(self, url: str, client: Client) -> None:
        try:
            async with self.http.stream("GET", url) as response:
                if response.status_code != 200:
                    client.error = f"HTTP {response.status_code}"
                    return
                event, event_id, has_data = "message", None, False
                async for line in response.aiter_lines():
                    if line.startswith(":"):
                        continue
                    if line:
                        name, _, value = line.partition(":")
                        value = value.removeprefix(" ")
                        if name == "event":
                            event = value
                        elif name == "id":
                            event_id = value
                        elif name == "data":
                            has_data = True
                        continue
                    if has_data:
                        if event == "end":
                            client.ended = True
                        elif event_id is not None:
                            client.last_id = int(event_id)
                            self.arrivals[client.last_id] = time.perf_counter()
                        client.opened.set()
                    event, event_id, has_data = "message", None, False
        except Exception as exc:  # a dropped stream is a figure, not a crash
            client.error = f"{type(exc).__name__}: {exc}"
        finally:
            client.closed = True
            client.opened.set()

    async def open(self, url: str, count: int, timeout: float, connections: Sampler) -> int:
        """`count` streams in batches (`ramp`), each once the previous has its replay;
        how many are open (a replayed event received, still reading) at the end. Stops
        early once `connections` trips."""
        import httpx

        self.http = httpx.AsyncClient(
            limits=httpx.Limits(max_connections=count + 100, max_keepalive_connections=0),
            timeout=httpx.Timeout(connect=60, read=None, write=60, pool=60),
        )
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                for size in ramp(count):
                    batch = [Client() for _ in range(size)]
                    self.clients += batch
                    self.tasks += [asyncio.create_task(self._watch(url, c)) for c in batch]
                    await asyncio.gather(*(c.opened.wait() for c in batch))
                    if len(self.clients) <= 4 * BATCH:
                        await connections.fresh()  # counted with this batch open
                    if connections.tripped.is_set():
                        break
        given_up = []
        for client, task in zip(self.clients, self.tasks, strict=True):
            if not client.opened.is_set():  # not open within the bound: given up
                client.error = "not open within --open-timeout"
                task.cancel()
                given_up.append(task)
        await asyncio.gather(*given_up, return_exceptions=True)
        return sum(1 for c in self.clients if c.opened.is_set() and not c.closed)

    async def _wait_closed(self, timeout: float) -> None:
        if self.tasks:
            await asyncio.wait(self.tasks, timeout=timeout)

    def wait_closed(self, timeout: float) -> None:
        self.call(self._wait_closed(timeout), timeout + 10)

    async def _close(self) -> None:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        if self.http is not None:
            await self.http.aclose()

    def close(self) -> None:
        self.call(self._close(), 60)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()

    def latency(self, event_id: int, written_at: float, timeout: float) -> float | None:
        """Seconds from `written_at` until the last open client had `event_id`; None if
        one still lacks it after `timeout`."""
        deadline = time.monotonic() + timeout
        while any(c.last_id < event_id and not c.closed for c in self.clients):
            if time.monotonic() > deadline:
                return None
            time.sleep(0.002)
        arrived = self.arrivals.get(event_id)
        return None if arrived is None else arrived - written_at


# --- One round: N streams ----------------------------------------------------------


def new_run(label: str):
    from imports.phases import PhaseName
    from imports.progress import PhaseReporter
    from imports.services import import_run_create

    started = import_run_create(tm_attraction_id=f"K8vZ917load{label}{uuid.uuid4().hex[:6]}")
    identity = PhaseReporter(run_id=started.import_id, phase=PhaseName.IDENTITY)
    identity.start()  # a stored event every stream replays first
    return started, identity


def finish(started, identity) -> None:
    from imports.pipeline import finalize_phase

    identity.finish("identity done")
    finalize_phase(started.import_id)


def warm_up(base_url: str) -> None:
    """One whole stream of a finished run: the code paths loaded before measuring."""
    import httpx

    started, identity = new_run("warm")
    finish(started, identity)
    with httpx.stream("GET", f"{base_url}/api/artists/{started.artist_id}/stream") as r:
        for _ in r.iter_lines():
            pass


def one_round(count: int, args, base_url: str, pid: int, application_name: str) -> dict:
    """N streams on one run: opened, then `--events` events written and timed, then the
    run finalized and every stream read to its end."""
    from django.db import close_old_connections

    close_old_connections()
    started, identity = new_run(str(count))
    url = f"{base_url}/api/artists/{started.artist_id}/stream"
    time.sleep(1)  # the previous round's connections and memory settle
    before_kb = rss_kb(pid)
    from tests.support.processes import database_connections

    sampler = Sampler(database_connections(application_name, pid), args.give_up_above)
    sampler.start()
    clients = Clients()
    try:
        began = time.perf_counter()
        opened = clients.call(
            clients.open(url, count, args.open_timeout, sampler), args.open_timeout + 30
        )
        open_seconds = time.perf_counter() - began
        time.sleep(0.5)
        after_kb = rss_kb(pid)
        latencies: list[float] = []
        missed = 0
        for n in range(args.events):
            written_at = time.perf_counter()
            event = identity.report(5 + n * 5, f"bench event {n + 1} of {args.events}")
            latency = clients.latency(event.pk, written_at, args.event_timeout)
            if latency is None:
                missed += 1
            else:
                latencies.append(latency * 1000)
            time.sleep(args.gap)
        finish(started, identity)
        clients.wait_closed(args.event_timeout)
        connections = sampler.stop()
        ended = sum(1 for c in clients.clients if c.ended and c.closed)
        errors = [c.error for c in clients.clients if c.error]
    finally:
        sampler.stop()
        clients.close()
    return {
        "streams": count,
        "opened": opened,
        "open_seconds": round(open_seconds, 2),
        "connections_max": connections,
        "connection_samples": sampler.samples,
        "rss_before_mb": round(before_kb / 1024, 1),
        "rss_after_mb": round(after_kb / 1024, 1),
        "kb_per_stream": round((after_kb - before_kb) / max(opened, 1), 1),
        "latency_ms": {
            "median": round(statistics.median(latencies), 1) if latencies else None,
            "max": round(max(latencies), 1) if latencies else None,
            "events": len(latencies),
            "missed": missed,
        },
        "ended": ended,
        "gave_up": sampler.tripped.is_set(),
        "errors": len(errors),
        "first_error": errors[0] if errors else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--streams", type=int, nargs="+", default=[100, 1000, 5000])
    parser.add_argument("--events", type=int, default=10)
    parser.add_argument("--gap", type=float, default=0.3, help="seconds between events")
    parser.add_argument("--open-timeout", type=float, default=180)
    parser.add_argument("--event-timeout", type=float, default=60)
    parser.add_argument(
        "--give-up-above",
        type=int,
        default=20,
        help="stop opening streams once the web process holds more database connections "
        "(a connection per stream would take PostgreSQL's max_connections from everyone)",
    )
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    needed = 2 * max(args.streams) + 1000  # the clients' sockets and the server's
    if soft < needed:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, needed), hard))  # inherited
    os.environ.setdefault("LOG_LEVEL", "WARNING")  # not a line per progress event written
    setup_scratch_django()
    from django.conf import settings
    from django.db import connection

    lane = connection.vendor + ("+redis" if settings.REDIS_URL else "")
    application_name = f"theset-bench-streams-{uuid.uuid4().hex[:8]}"
    rounds = []
    with web_process(application_name) as (process, base_url):
        warm_up(base_url)
        for count in args.streams:
            rounds.append(one_round(count, args, base_url, process.pid, application_name))
            if process.poll() is not None:
                print(f"  the web process died ({process.returncode}) at {count} streams")
                break
            if rounds[-1]["gave_up"]:
                break  # more streams would only hold more connections

    print(f"progress streams on one uvicorn process ({lane}), {args.events} events a round")
    print(
        "| streams | open | opened in | db connections (max) | RSS before -> after "
        "| per stream | latency median | latency max | got end |"
    )
    print("|---:|---:|---:|---:|---|---:|---:|---:|---:|")
    for r in rounds:
        latency = r["latency_ms"]
        missed = f" ({latency['missed']} missed)" if latency["missed"] else ""
        print(
            f"| {r['streams']:,} | {r['opened']:,} | {r['open_seconds']:.1f} s "
            f"| {r['connections_max']} | {r['rss_before_mb']:.0f} -> {r['rss_after_mb']:.0f} MB "
            f"| {r['kb_per_stream']:.1f} KB | {latency['median']} ms{missed} "
            f"| {latency['max']} ms | {r['ended']:,} |"
        )
    for r in rounds:
        if r["gave_up"]:
            print(
                f"  {r['streams']:,} streams: gave up opening at {r['opened']:,}, the web process "
                f"holding {r['connections_max']} db connections (> --give-up-above "
                f"{args.give_up_above}); larger rounds skipped"
            )
        if r["first_error"]:
            print(f"  {r['streams']:,} streams: {r['errors']} failed, first: {r['first_error']}")
    worst = max(rounds, key=lambda r: r["streams"])
    met = len(rounds) == len(args.streams) and all(
        r["connections_max"] <= CONNECTIONS_TARGET
        and r["opened"] == r["streams"] == r["ended"]
        and not r["latency_ms"]["missed"]
        for r in rounds
    )
    opened = "" if worst["opened"] == worst["streams"] else f" ({worst['opened']:,} opened)"
    print(
        f"streams ({lane}): at {worst['streams']:,} streams{opened} the web process held "
        f"{worst['connections_max']} db connections (target <= {CONNECTIONS_TARGET}), "
        f"{worst['kb_per_stream']:.1f} KB a stream, events reached the last client in "
        f"{worst['latency_ms']['median']} ms median ({worst['latency_ms']['max']} ms max); "
        f"{'met' if met else 'MISSED'}"
    )
    figures = {
        "lane": lane,
        "events_per_round": args.events,
        "rounds": {str(r["streams"]): r for r in rounds},
        "targets": {"connections_max": CONNECTIONS_TARGET},
        "met": met,
    }
    path = record(f"streams_{connection.vendor}", figures)
    print(f"  saved to {path.relative_to(PROJECT)}")


if __name__ == "__main__":
    main()
