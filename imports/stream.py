"""Live progress of an import over server-sent events, carried by django-eventstream.

What the package does: its `events` view and stream (one listener per open stream,
woken by an asyncio event, never touching the database while it waits), its storage and
channel-manager extension points, `send_event`, and its Redis pub/sub bridge between
processes (`EVENTSTREAM_REDIS`, set from `REDIS_URL`).

What this module adds on top, and why:

- `ImportEventStorage`, the package's storage class over our `ImportEvent` rows: no
  second event table; replay comes from our rows. Its reads borrow one of a few
  database connections (`borrowed_connection`) and give it back at once, so an open
  stream holds none.
- `publish_import_event` (scale-out, `REDIS_URL` set): the progress reporter calls it
  once an event is committed; it hands the run's events to `send_event` in id order,
  whichever worker process committed them, under a Redis lock per run.
- `ProgressRelay` (embedded default, no Redis): one per web process. The package cannot
  reach a web process from a worker without Redis or a GRIP proxy; the relay reads the
  new `ImportEvent` rows of the runs someone watches in that process, every
  `IMPORT_STREAM_POLL_SECONDS` (two queries whatever the number of viewers), and queues
  them to the package's local listeners. With Redis it still runs, every
  `IMPORT_STREAM_REDIS_POLL_SECONDS`, as the safety net for a lost publish. It also ends
  the streams of runs that finished without a final event (a sweeper's update) or were
  deleted.
- `progress_stream`, the wire format around the package's stream, which is our public
  contract: `retry: 2000` first; each progress event an unnamed message whose `id:` is
  the `ImportEvent` id (the package's ids are `channel:id`) and whose `data:` is
  `event_payload` as JSON; events the client already has are dropped (the same event can
  come both by Redis and by the relay); `: keep-alive` comments every
  `IMPORT_STREAM_KEEPALIVE_SECONDS` (sent by the relay); and `event: end`, data
  `{"run_id", "status"}`, after the run's final event, after which the response closes
  (the package streams for ever). `status` is "deleted" for a run deleted while
  watched; an artist never imported gets `end` with nulls at once.

A run's events are committed in id order, even from parallel phases: each report
updates the run row before inserting its event, and that row lock queues the reports of
one run. So "ids above the last one read" never skips an event that commits late.

A run waiting for an upstream (status `waiting`, parked until its quota resets) has not
finished: its stream stays open, with keep-alives, until the run resumes and ends, or is
cancelled (then it fails, and the stream ends with status failed).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import json
import logging
import random
import threading
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import redis
from django.conf import settings
from django.db import connection, connections
from django_eventstream import send_event
from django_eventstream.event import Event
from django_eventstream.storage import StorageBase
from django_eventstream.views import RedisListener, get_listener_manager

from imports.models import ImportEvent, ImportStatus
from imports.selectors import run_events_after, runs_status, runs_with_events_after

logger = logging.getLogger(__name__)

FINISHED_STATUSES = frozenset({ImportStatus.SUCCEEDED, ImportStatus.FAILED})
# The status a stream reports for a run deleted while it was watched.
RUN_DELETED = "deleted"
RECONNECT_MILLISECONDS = 2000
END = "end"
KEEP_ALIVE = "keep-alive"  # the package's keep-alive event type, which the relay sends too
# The package's event types of a progress event, by the way it reached a stream: read
# from storage when the stream connected, published through Redis, or queued by this
# process's relay. All go out as unnamed messages; `deliveries` counts them.
REPLAYED, PUBLISHED, RELAYED = "replay", "pubsub", "poll"
PROGRESS_TYPES = frozenset({REPLAYED, PUBLISHED, RELAYED})
# How long the last published event id of a run is remembered in Redis.
PUBLISHED_KEY_SECONDS = 7 * 24 * 3600
# The relay stops when no stream has been open in this process for this long.
RELAY_IDLE_SECONDS = 30.0

# How each event reached a live stream in this process: "replay", "poll" (the relay,
# from the database) or "pubsub" (Redis). Tests and metrics read it.
deliveries: Counter[str] = Counter()


def event_payload(event: ImportEvent) -> dict[str, Any]:
    """The JSON form of a progress event, as streamed and as the API and CLI show it."""
    return {
        "id": event.pk,
        "run_id": event.run_id,
        "stage": str(event.stage),
        "status": str(event.status),
        "percent": event.percent,
        "overall_percent": event.overall_percent,
        "message": event.message,
        "counters": event.counters,
        "at": event.at.isoformat(),
    }


# --- Channels: one per run -----------------------------------------------------------


def _database_key() -> str:
    # Run ids are per database: naming it keeps deployments (and test databases) that
    # share one Redis apart.
    name = str(connections[ImportEvent.objects.db].settings_dict["NAME"])
    return hashlib.sha1(name.encode()).hexdigest()[:10]


def run_channel(run_id: int) -> str:
    """The django-eventstream channel of one run's events."""
    return f"import-run-{run_id}.{_database_key()}"


def channel_run_id(channel: str) -> int | None:
    """The run of one of our channels; None for another database's or anything else."""
    head, _, database = channel.partition(".")
    number = head.removeprefix("import-run-")
    if database != _database_key() or number == head or not number.isdigit():
        return None
    return int(number)


# --- Database access of the web process: a few connections, borrowed -------------


@functools.cache
def _borrowing_slots(size: int) -> threading.BoundedSemaphore:
    return threading.BoundedSemaphore(size)


@contextlib.contextmanager
def borrowed_connection() -> Iterator[None]:
    """Run the block with one of `IMPORT_STREAM_DB_CONNECTIONS` database connections of
    this process, then close it: a thousand streams connecting at once queue here rather
    than open a thousand connections. Sync code only (a request's thread)."""
    slots = _borrowing_slots(settings.IMPORT_STREAM_DB_CONNECTIONS)
    with slots:
        try:
            yield
        finally:
            if not connection.in_atomic_block:  # else a caller's transaction (a test's)
                connection.close()


def _end_data(run_id: int | None, status: str | None) -> str:
    return json.dumps({"run_id": run_id, "status": status})


class ImportEventStorage(StorageBase):
    """django-eventstream's storage (`EVENTSTREAM_STORAGE_CLASS`) over `ImportEvent`."""

    def append_event(self, channel: str, event_type: str, data: str) -> Event:
        """`send_event` hands over an event the progress reporter has already stored (in
        the transaction that moved its run on): it is published under its own id."""
        return Event(channel, event_type, data, id=json.loads(data)["id"])

    def get_events(self, channel: str, last_id: int, limit: int = 100) -> list[Event]:
        """The run's events after `last_id`, oldest first, then `end` once there are no
        more and the run has finished or is gone."""
        run_id = channel_run_id(channel)
        if run_id is None:
            return []
        with borrowed_connection():
            status = runs_status([run_id]).get(run_id, RUN_DELETED)
            events = list(run_events_after(run_id, last_id, limit))
        replay = [Event(channel, REPLAYED, json.dumps(event_payload(e)), id=e.pk) for e in events]
        last_id = replay[-1].id if replay else last_id
        progress_relay.follow(run_id, last_id)
        if len(replay) < limit and (status in FINISHED_STATUSES or status == RUN_DELETED):
            replay.append(Event(channel, END, _end_data(run_id, status), id=last_id))
        return replay

    def get_current_id(self, channel: str) -> int:
        run_id = channel_run_id(channel)
        if run_id is None:
            return 0
        with borrowed_connection():
            last = run_events_after(run_id, 0, None).values_list("pk", flat=True).last()
        return last or 0


# --- Publishing (scale-out) ---------------------------------------------------------


@functools.cache
def _redis_client(url: str) -> redis.Redis:
    # Short timeouts: a Redis outage must not stall the worker that reports progress.
    return redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=2)


def publish_import_event(
    event_id: int,
    *,
    run: tuple[int, datetime] | None = None,
    event: ImportEvent | None = None,
    previous_id: int | None = None,
) -> None:
    """Publish a committed progress event to the streams of every web process, through
    django-eventstream's `send_event` (its Redis bridge). `run`: the event's run id and
    creation time when the caller has them (else they are read). `event` and
    `previous_id`: the event as written and the id of the run's event before it (None:
    it is the run's first), when the caller has them: if that one is the last published,
    this one goes out as it is, without reading the run's events back.

    A run's events go out in id order whoever committed them (the shows and catalog
    phases report from different workers): under a Redis lock per run, every event of
    the run after the last one published, up to this one. Never raises: a failed publish
    is logged and the web processes' relays read the event from the database. Without
    `REDIS_URL` it does nothing: the relays are the bridge.
    """
    url = settings.REDIS_URL
    if not url:
        return
    try:
        run_id, run_created_at = run or ImportEvent.objects.values_list(
            "run_id", "run__created_at"
        ).get(pk=event_id)
        channel = run_channel(run_id)
        client = _redis_client(url)
        # The run's creation names it for good: a database whose ids start again (a test
        # database flushed) does not find the last run 1's count.
        published_key = f"theset:{channel}:{run_created_at.timestamp()}:published"
        with client.lock(f"theset:{channel}:publishing", timeout=10, blocking_timeout=5):
            published = int(client.get(published_key) or 0)
            if published >= event_id:
                return
            unpublished = (
                [event]
                if event is not None and published == (previous_id or 0)
                else run_events_after(run_id, published, None).filter(pk__lte=event_id)
            )
            before = published or None
            for each in unpublished:
                # The run's event before it lets a stream see that it missed one.
                send_event(channel, PUBLISHED, {**event_payload(each), "previous_id": before})
                before = each.pk
            client.set(published_key, event_id, ex=PUBLISHED_KEY_SECONDS)
    except Exception:
        logger.warning(
            "import event %s not published to Redis; streams will read it from the database",
            event_id,
            exc_info=True,
        )


# --- The relay: one per web process ---------------------------------------------------

# How often, and how long, a task that swallowed a cancellation is cancelled again.
RECANCEL_SECONDS = 0.05
RECANCEL_TIMES = 100


async def _cancelled_until_done(coroutine) -> Any:
    """Run `coroutine` in a task of its own; when this task is cancelled, cancel that one
    again until it has ended. redis-py's pubsub may swallow a cancellation (it tidies its
    connection on one) and go on listening: a loop closing with it (a test client's, a
    WSGI request's, where the view ran in a loop of its own) would wait for it forever."""
    inner = asyncio.ensure_future(coroutine)
    try:
        await asyncio.wait([inner])  # a cancellation of this task stops here, not in there
    except asyncio.CancelledError:
        for _ in range(RECANCEL_TIMES):
            if inner.done():
                break
            inner.cancel()
            await asyncio.wait([inner], timeout=RECANCEL_SECONDS)
        raise
    return inner.result()


class ProgressRelay:
    """Reads the new events of the runs watched in this process and queues them to the
    package's listeners; ends the streams of runs finished without a final event or
    deleted. Its queries run on one thread of its own: one database connection."""

    def __init__(self) -> None:
        # run id → the last event id queued to its listeners (or replayed to them).
        self.cursors: dict[int, int] = {}
        self.lock = threading.Lock()
        self.task: asyncio.Task | None = None
        self.redis_task: asyncio.Task | None = None
        self.wakeup: asyncio.Event | None = None
        self.executor: ThreadPoolExecutor | None = None
        self.wanted_at = 0.0

    def follow(self, run_id: int, replayed_up_to: int) -> None:
        """A stream of `run_id` replayed its events up to `replayed_up_to`: from there on
        the relay carries them. (A later stream that replayed further has its listener in
        place already, so it gets the events between from the relay too: dropped as
        already sent.)"""
        with self.lock:
            self.cursors.setdefault(run_id, replayed_up_to)

    def ensure_running(self) -> None:
        """Start the relay on the running event loop unless it runs there (called by the
        stream view, so a process serving no stream runs no relay)."""
        loop = asyncio.get_running_loop()
        self.wanted_at = loop.time()
        self._ensure_redis_listener(loop)
        if self.task is not None and not self.task.done() and self.task.get_loop() is loop:
            return
        if self.executor is None:
            self.executor = ThreadPoolExecutor(1, thread_name_prefix="progress-relay")
        self.wakeup = asyncio.Event()
        self.task = loop.create_task(self._run(), name="progress-relay")

    def wake(self) -> None:
        """Read the database now (a stream is missing an event): called on the loop."""
        if self.wakeup is not None:
            self.wakeup.set()

    def _ensure_redis_listener(self, loop: asyncio.AbstractEventLoop) -> None:
        """With `EVENTSTREAM_REDIS`, run the package's Redis subscriber on this loop, and
        again if it died: the package starts it once per process, on the loop of the
        first stream, and never again (a long Redis outage ends it for good)."""
        manager = get_listener_manager()
        if manager.redis_listener is None:
            return
        with manager.lock:
            manager.redis_listener_started = True  # ours to run, not add_listener's
        task = self.redis_task
        if task is not None and not task.done() and task.get_loop() is loop:
            return
        if task is not None and task.done() and not task.cancelled() and task.exception():
            logger.warning(
                "django-eventstream's Redis subscriber stopped; starting it again "
                "(the relay reads what it missed from the database)",
                exc_info=task.exception(),
            )
        # Its connections belong to the loop they were made on: a new one for this loop.
        manager.redis_listener = RedisListener()
        self.redis_task = loop.create_task(
            _cancelled_until_done(manager.start_redis_listener()), name="redis-events"
        )

    async def stop(self) -> None:
        loop = asyncio.get_running_loop()
        for task in (self.task, self.redis_task):
            if task is not None and not task.done() and task.get_loop() is loop:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self.task = self.redis_task = None
        await self._close_connection()

    async def _close_connection(self) -> None:
        if self.executor is not None:
            with contextlib.suppress(Exception):
                await asyncio.get_running_loop().run_in_executor(self.executor, connection.close)

    @staticmethod
    def _interval() -> float:
        if settings.REDIS_URL:
            return settings.IMPORT_STREAM_REDIS_POLL_SECONDS
        return settings.IMPORT_STREAM_POLL_SECONDS

    def _watched(self) -> dict[int, str]:
        """The runs with a stream open in this process, and their channels."""
        manager = get_listener_manager()
        with manager.lock:
            channels = [c for c, listeners in manager.listeners_by_channel.items() if listeners]
        watched = {}
        for channel in channels:
            run_id = channel_run_id(channel)
            if run_id is not None:
                watched[run_id] = channel
        with self.lock:
            for run_id in set(self.cursors) - set(watched):
                del self.cursors[run_id]  # its last stream closed
        return watched

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        wakeup = self.wakeup
        keepalive_at = loop.time() + settings.IMPORT_STREAM_KEEPALIVE_SECONDS
        try:
            while True:
                timeout = min(self._interval(), max(0.0, keepalive_at - loop.time()))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(wakeup.wait(), timeout)
                wakeup.clear()
                self._ensure_redis_listener(loop)
                watched = self._watched()
                if loop.time() >= keepalive_at:
                    keepalive_at = loop.time() + settings.IMPORT_STREAM_KEEPALIVE_SECONDS
                    self._keep_alive(watched)
                if watched:
                    self.wanted_at = loop.time()
                elif loop.time() - self.wanted_at > RELAY_IDLE_SECONDS:
                    break
                with self.lock:
                    cursors = {r: c for r, c in self.cursors.items() if r in watched}
                if not cursors:
                    continue
                try:
                    statuses, events = await loop.run_in_executor(
                        self.executor, self._read, cursors
                    )
                except Exception:
                    logger.warning("the progress relay could not read the database", exc_info=True)
                    await self._close_connection()
                    continue
                self._queue(watched, cursors, statuses, events)
        finally:
            if self.task is asyncio.current_task():
                self.task = None
            await self._close_connection()

    def _keep_alive(self, watched: dict[int, str]) -> None:
        """A keep-alive comment on every stream of this process, every
        `IMPORT_STREAM_KEEPALIVE_SECONDS` (proxies close a connection silent too long).
        It carries an id as every event must (the package's stream drops its last id on
        an event without one): its run's last one relayed, which the streams ignore."""
        manager = get_listener_manager()
        with self.lock:
            cursors = {r: c for r, c in self.cursors.items() if r in watched}
        for run_id, last in cursors.items():
            channel = watched[run_id]
            manager.add_to_queues(channel, Event(channel, KEEP_ALIVE, "", id=last))

    @staticmethod
    def _read(cursors: dict[int, int]) -> tuple[dict[int, str], list[ImportEvent]]:
        # Runs first: a run seen finished has had all its events committed.
        runs, events = runs_with_events_after(list(cursors), min(cursors.values()))
        statuses = {run.pk: run.status for run in runs}
        return statuses, [event for event in events if event.pk > cursors[event.run_id]]

    def _queue(
        self,
        watched: dict[int, str],
        cursors: dict[int, int],
        statuses: dict[int, str],
        events: list[ImportEvent],
    ) -> None:
        manager = get_listener_manager()
        for event in events:
            channel = watched[event.run_id]
            data = json.dumps(event_payload(event))
            manager.add_to_queues(channel, Event(channel, RELAYED, data, id=event.pk))
            cursors[event.run_id] = event.pk
        with self.lock:
            for run_id, last in cursors.items():
                if run_id in self.cursors:
                    self.cursors[run_id] = max(self.cursors[run_id], last)
        for run_id, last in cursors.items():
            status = statuses.get(run_id, RUN_DELETED)
            if status in FINISHED_STATUSES or status == RUN_DELETED:
                channel = watched[run_id]
                manager.add_to_queues(channel, Event(channel, END, _end_data(run_id, status), last))


progress_relay = ProgressRelay()


# --- The wire format ------------------------------------------------------------------


def sse_end(run_id: int | None, status: str | None) -> str:
    return f"event: {END}\ndata: {_end_data(run_id, status)}\n\n"


@dataclass(frozen=True)
class _PackageEvent:
    kind: str
    data: str
    event_id: int | None = None
    status: str | None = None
    previous_id: int | None = None


@functools.lru_cache(maxsize=4096)
def _package_event(block: str) -> _PackageEvent | None:
    """One event of the package's stream, parsed. The streams of one run get the same
    text: it is parsed once for all of them (a thousand viewers, one parse)."""
    fields: dict[str, str] = {}
    for line in block.split("\n"):
        if not line or line.startswith(":"):
            continue  # a comment (the package's opening padding)
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        fields[name] = f"{fields[name]}\n{value}" if name in fields else value
    if not fields:
        return None
    kind, data = fields.get("event", "message"), fields.get("data", "")
    if kind in PROGRESS_TYPES:
        payload = json.loads(data)
        named = "previous_id" in payload  # published events name it (None: the first)
        previous_id = payload.pop("previous_id", None)
        return _PackageEvent(
            kind,
            json.dumps(payload) if named else data,
            int(fields["id"].rpartition(":")[2]),
            payload["status"],
            previous_id,
        )
    if kind == END:
        return _PackageEvent(kind, data, status=json.loads(data)["status"])
    return _PackageEvent(kind, data)


class _Translation:
    """The package's events of one stream, in our wire format, in id order.

    An event published through Redis names the run's event before it: one that comes
    while that one has not been sent (its publish was lost, say while the subscription
    was down) is held, and the relay is asked to read the database now; the relay's
    events fill the gap, then the held one goes out."""

    def __init__(self, run_id: int, after_id: int) -> None:
        self.run_id = run_id
        self.last_id = after_id
        self.finished = False
        # Once finished: what closes the stream (`end`, or the package's error).
        self.last_words = ""
        # Published events waiting for the one before them, by id.
        self.held: dict[int, _PackageEvent] = {}

    def __call__(self, chunk: str | bytes) -> str:
        if isinstance(chunk, bytes):
            chunk = chunk.decode()
        out = ""
        for block in chunk.split("\n\n"):
            event = _package_event(block)
            if event is None:
                continue
            if event.kind in PROGRESS_TYPES:
                out += self._progress(event)
            elif event.kind == END:
                return self._end(out, event.status)
            elif event.kind == KEEP_ALIVE:
                out += ": keep-alive\n\n"
            elif event.kind == "stream-error":
                self.finished = True
                self.last_words = f"event: stream-error\ndata: {event.data}\n\n"
                return out
            # stream-open, stream-reset: the package's own, nothing for our clients.
            if self.finished:
                return out
        return out

    def _progress(self, event: _PackageEvent) -> str:
        if event.event_id <= self.last_id:
            return ""  # the client has it (it came both by Redis and by the relay)
        if event.previous_id is not None and event.previous_id > self.last_id:
            self.held[event.event_id] = event
            progress_relay.wake()
            return ""
        out = self._send(event)
        # Held events whose predecessor has now gone out, in order.
        while not self.finished and (
            ready := [i for i, held in self.held.items() if held.previous_id <= self.last_id]
        ):
            held = self.held.pop(min(ready))
            if held.event_id > self.last_id:
                out += self._send(held)
        return out

    def _send(self, event: _PackageEvent) -> str:
        deliveries[event.kind] += 1
        self.last_id = event.event_id
        out = f"id: {event.event_id}\ndata: {event.data}\n\n"
        if event.status in FINISHED_STATUSES:
            return self._end(out, event.status)
        return out

    def _end(self, out: str, status: str) -> str:
        self.finished = True
        self.last_words = sse_end(self.run_id, status)
        return out


def _end_spread(run_id: int) -> float:
    """A random wait before this stream's `end`, up to `IMPORT_STREAM_END_SPREAD_SECONDS`
    per thousand streams of the run open in this process: their final event goes out at
    once, but a thousand browsers do not all reload the page, nor does the server tear a
    thousand requests down, in the same instant."""
    manager = get_listener_manager()
    with manager.lock:
        watching = len(manager.listeners_by_channel.get(run_channel(run_id), ()))
    return random.uniform(0, settings.IMPORT_STREAM_END_SPREAD_SECONDS * watching / 1000)


async def progress_stream(
    source: AsyncIterator[str | bytes], run_id: int, *, after_id: int
) -> AsyncIterator[str]:
    """Our wire format around the package's stream of one run (see the module docstring):
    it ends after `end`, closing the package's stream (which removes its listener)."""
    translate = _Translation(run_id, after_id)
    yield f"retry: {RECONNECT_MILLISECONDS}\n\n"
    try:
        async for chunk in source:
            body = translate(chunk)
            if body:
                yield body
            if translate.finished:
                await asyncio.sleep(_end_spread(run_id))
                yield translate.last_words
                return
    finally:
        with contextlib.suppress(Exception):
            await source.aclose()
