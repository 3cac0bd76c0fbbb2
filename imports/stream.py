"""Live progress of an import over server-sent events (SSE).

How an event reaches a browser:

- Every progress report appends an `ImportEvent` row, the source of truth, and
  once it is committed calls `publish_import_event` in whichever process made
  the report (a cluster worker, the web process, a CLI running inline).
- Embedded default (no `REDIS_URL`): publishing does nothing; every stream
  polls the database for its run's events newer than the last one it sent
  (the worker→web "DB bridge").
- With `REDIS_URL`: the event is published on its run's Redis channel. A
  stream subscribes before it replays the stored events, so nothing falls
  between replay and live, and it skips ids it has already sent. A slow poll
  of the database stays on as a safety net (a publish can fail: Redis down).

A run's events are committed in id order, even from parallel phases: each
report updates the run row before inserting its event, and that row lock
queues the reports of one run. So "ids above the last one sent" never skips
an event that commits late.

What a client sees (`GET /api/artists/{id_or_slug}/stream`, ASGI only):

- `retry: 2000`, then the stored events of the artist's latest run, oldest
  first (only those after `Last-Event-ID` / `?lastEventId=`), then live ones.
- Each progress event is an unnamed message (`EventSource.onmessage`) whose
  `id:` is the `ImportEvent` id and whose `data:` is `event_payload` as JSON.
- Every stream ends with `event: end`, data `{"run_id", "status"}`: after the
  run's final event (status succeeded or failed), at once with `run_id` and
  `status` null for an artist that was never imported, or with status
  "deleted" if the run is deleted while watched. The server then closes the
  response; the client must call `close()` on `end`, or EventSource reconnects.
- `: keep-alive` comment lines every ~15 s while waiting.
- A run waiting for an upstream (status `waiting`, parked until its quota resets) has
  not finished: its stream stays open, with keep-alives, until the run resumes and
  ends, or is cancelled (then it fails, and the stream ends with status failed).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import redis
import redis.asyncio
from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import connection, connections

from imports.models import ImportEvent, ImportStatus
from imports.selectors import runs_with_events_after

logger = logging.getLogger(__name__)

FINISHED_STATUSES = frozenset({ImportStatus.SUCCEEDED, ImportStatus.FAILED})
# The status a stream reports for a run deleted while it was watched.
RUN_DELETED = "deleted"
RECONNECT_MILLISECONDS = 2000
REDIS_SUBSCRIBE_TIMEOUT_SECONDS = 2.0

# How each event reached a live stream in this process: "replay", "poll" (the
# database) or "pubsub" (Redis). Tests and metrics read it.
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


def run_channel(run_id: int) -> str:
    """The Redis channel of one run's events."""
    # Run ids are per database: naming it keeps deployments (and test databases)
    # that share one Redis apart.
    database = connections[ImportEvent.objects.db].settings_dict["NAME"]
    return f"theset:{database}:import-run:{run_id}:events"


@functools.cache
def _redis_client(url: str) -> redis.Redis:
    # Short timeouts: a Redis outage must not stall the worker that reports progress.
    return redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=2)


def publish_import_event(event_id: int) -> None:
    """Push a committed progress event to the live streams of other processes.

    Never raises: a failed publish is logged and streams still get the event
    from the database. Without `REDIS_URL` it does nothing (streams poll).
    """
    url = settings.REDIS_URL
    if not url:
        return
    try:
        event = ImportEvent.objects.get(pk=event_id)
        # The run's event before this one lets a stream see that it missed one.
        previous_id = (
            ImportEvent.objects.filter(run_id=event.run_id, pk__lt=event.pk)
            .order_by("-pk")
            .values_list("pk", flat=True)
            .first()
        )
        message = json.dumps({"event": event_payload(event), "previous_id": previous_id})
        _redis_client(url).publish(run_channel(event.run_id), message)
    except Exception:
        logger.warning(
            "import event %s not published to Redis; streams will read it from the database",
            event_id,
            exc_info=True,
        )


# --- The stream --------------------------------------------------------------------


async def release_db_connection() -> None:
    """Close the database connection of the calling request's thread.

    Under ASGI that thread ends with the request; a persistent connection
    (CONN_MAX_AGE > 0) would stay open until garbage collection.
    """
    await sync_to_async(_close_connection)()


def _close_connection() -> None:
    connection.close()  # resolved here, on the thread that owns the connection


def _sse_message(payload: dict[str, Any]) -> str:
    return f"id: {payload['id']}\ndata: {json.dumps(payload)}\n\n"


def _sse_end(run_id: int | None, status: str | None) -> str:
    return f"event: end\ndata: {json.dumps({'run_id': run_id, 'status': status})}\n\n"


def _run_status_and_events(run_id: int, after_id: int) -> tuple[str | None, list[dict[str, Any]]]:
    runs, events = runs_with_events_after([run_id], after_id)
    status = runs[0].status if runs else RUN_DELETED
    return status, [event_payload(event) for event in events]


class _LiveEvents:
    """New events of one run: pushed by Redis pub/sub when configured, else polled."""

    def __init__(self, run_id: int) -> None:
        self.run_id = run_id
        self.client: redis.asyncio.Redis | None = None
        self.pubsub: redis.asyncio.client.PubSub | None = None

    async def __aenter__(self) -> _LiveEvents:
        if settings.REDIS_URL:
            try:
                await self._subscribe(settings.REDIS_URL)
            except Exception:
                logger.warning(
                    "no Redis subscription for import run %s; polling the database",
                    self.run_id,
                    exc_info=True,
                )
                await self._unsubscribe()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self._unsubscribe()

    async def _subscribe(self, url: str) -> None:
        self.client = redis.asyncio.Redis.from_url(url, socket_connect_timeout=1)
        self.pubsub = self.client.pubsub()
        await self.pubsub.subscribe(run_channel(self.run_id))
        # Replay starts only once Redis confirms: from then on no event can slip by.
        async with asyncio.timeout(REDIS_SUBSCRIBE_TIMEOUT_SECONDS):
            while True:
                message = await self.pubsub.get_message(timeout=REDIS_SUBSCRIBE_TIMEOUT_SECONDS)
                if message and message["type"] == "subscribe":
                    return

    async def _unsubscribe(self) -> None:
        client, pubsub, self.client, self.pubsub = self.client, self.pubsub, None, None
        with contextlib.suppress(Exception):
            if pubsub is not None:
                await pubsub.aclose()
            if client is not None:
                await client.aclose()

    @property
    def poll_seconds(self) -> float:
        if self.pubsub is not None:
            return settings.IMPORT_STREAM_REDIS_POLL_SECONDS
        return settings.IMPORT_STREAM_POLL_SECONDS

    async def stored(self, after_id: int) -> tuple[str | None, list[dict[str, Any]]]:
        """The run's status, then its stored events after `after_id`, oldest first."""
        return await sync_to_async(_run_status_and_events)(self.run_id, after_id)

    async def poll(self, after_id: int) -> tuple[str | None, list[dict[str, Any]]]:
        status, events = await self.stored(after_id)
        deliveries["poll"] += len(events)
        return status, events

    async def pushed(self, after_id: int, timeout: float) -> list[dict[str, Any]]:
        """Events after `after_id` pushed within `timeout` seconds (none without Redis)."""
        if self.pubsub is None:
            await asyncio.sleep(timeout)
            return []
        try:
            message = await self.pubsub.get_message(ignore_subscribe_messages=True, timeout=timeout)
        except Exception:
            logger.warning(
                "Redis subscription of import run %s lost; polling the database",
                self.run_id,
                exc_info=True,
            )
            await self._unsubscribe()
            return []
        if message is None:
            return []
        published = json.loads(message["data"])
        event, previous_id = published["event"], published["previous_id"]
        if event["id"] <= after_id:
            return []  # already sent
        if previous_id is not None and previous_id > after_id:
            # An event went by unpublished (or is still on its way): the database has it.
            return (await self.poll(after_id))[1]
        deliveries["pubsub"] += 1
        return [event]


async def run_event_stream(run_id: int | None, *, after_id: int = 0) -> AsyncIterator[str]:
    """The SSE text of one run's progress: stored events after `after_id`, then live
    ones, then `event: end` once the run has finished (see the module docstring)."""
    if run_id is None:
        await release_db_connection()
        yield _sse_end(None, None)
        return
    loop = asyncio.get_running_loop()
    keepalive_seconds = settings.IMPORT_STREAM_KEEPALIVE_SECONDS
    try:
        async with _LiveEvents(run_id) as live:
            status, events = await live.stored(after_id)
            deliveries["replay"] += len(events)
            body = f"retry: {RECONNECT_MILLISECONDS}\n\n"
            last_id = after_id
            last_write = next_poll_at = loop.time()
            next_poll_at += live.poll_seconds
            while True:
                for payload in events:
                    body += _sse_message(payload)
                    last_id = payload["id"]
                    if payload["status"] in FINISHED_STATUSES:
                        status = payload["status"]
                        break
                # A status read from the database comes before its events: a run seen
                # finished has had every event sent by now.
                if status in FINISHED_STATUSES or status == RUN_DELETED:
                    yield body + _sse_end(run_id, status)
                    return
                if not body and loop.time() - last_write >= keepalive_seconds:
                    body = ": keep-alive\n\n"
                if body:
                    yield body
                    body, last_write = "", loop.time()
                wake_at = min(next_poll_at, last_write + keepalive_seconds)
                status, events = None, await live.pushed(last_id, max(0.0, wake_at - loop.time()))
                if not events and loop.time() >= next_poll_at:
                    status, events = await live.poll(last_id)
                    next_poll_at = loop.time() + live.poll_seconds
    finally:
        await release_db_connection()
