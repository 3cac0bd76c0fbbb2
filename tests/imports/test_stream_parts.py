"""The parts of the progress stream we add on top of django-eventstream, one at a time:
channels, the storage over ImportEvent, the wire format, the ordered publishing and the
relay. The stream end to end is tests/imports/test_stream.py (and the load test)."""

from __future__ import annotations

import itertools
import json
import time

import pytest
import redis
from django.conf import settings as django_settings
from django.db import connection
from django_eventstream.utils import make_id

from imports import stream
from imports.models import ImportEvent, ImportRun, ImportStatus
from imports.phases import PhaseName
from imports.progress import PhaseReporter
from imports.services import import_run_create
from imports.stream import (
    END,
    PUBLISHED,
    RELAYED,
    REPLAYED,
    ImportEventStorage,
    channel_run_id,
    event_payload,
    publish_import_event,
    run_channel,
)

_attraction_ids = itertools.count(1)


def new_run_with_events(count: int) -> tuple[int, list[ImportEvent]]:
    started = import_run_create(tm_attraction_id=f"K8vZ917parts{next(_attraction_ids)}")
    reporter = PhaseReporter(run_id=started.import_id, phase=PhaseName.IDENTITY)
    reporter.start()
    for percent in range(1, count):
        reporter.report(percent, f"step {percent}")
    events = list(ImportEvent.objects.filter(run_id=started.import_id).order_by("pk"))
    return started.import_id, events


# --- Channels ---------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("channel", "expected"),
    [
        ("{ours}", 42),
        ("import-run-42.0123456789", None),  # another database's run 42
        ("import-run-x.{key}", None),
        ("something-else.{key}", None),
        ("import-run-42", None),
        ("", None),
    ],
    ids=["ours", "other database", "not a number", "not a run", "no database", "empty"],
)
def test_a_channel_names_one_run_of_this_database(channel, expected):
    ours = run_channel(42)
    key = ours.partition(".")[2]
    assert channel_run_id(channel.format(ours=ours, key=key)) == expected


# --- The wire format --------------------------------------------------------------------


def package_event(kind: str, event_id: int | None, data: str) -> str:
    """An event as django-eventstream writes it (`sse_encode_event`)."""
    line = f"id: {make_id({'import-run-7.abc': event_id})}\n" if event_id is not None else ""
    return f"event: {kind}\n{line}data: {data}\n\n"


def progress(event_id: int, status: str = "running") -> str:
    return json.dumps({"id": event_id, "run_id": 7, "status": status})


def published(event_id: int, *, previous_id: int | None, status: str = "running") -> str:
    return json.dumps({**json.loads(progress(event_id, status)), "previous_id": previous_id})


OPENING = ":" + " " * 2048 + "\n\nevent: stream-open\ndata:\n\n"


@pytest.mark.parametrize(
    ("chunks", "after_id", "wire", "finished"),
    [
        ([OPENING], 0, "", False),
        (
            [OPENING + package_event(REPLAYED, 5, progress(5))],
            0,
            f"id: 5\ndata: {progress(5)}\n\n",
            False,
        ),
        # Had already: the client's Last-Event-ID, or the same event by Redis and relay.
        ([package_event(RELAYED, 5, progress(5))], 5, "", False),
        (
            [package_event(PUBLISHED, 6, progress(6)), package_event(RELAYED, 6, progress(6))],
            5,
            f"id: 6\ndata: {progress(6)}\n\n",
            False,
        ),
        (
            [package_event(PUBLISHED, 9, progress(9, "succeeded"))],
            5,
            f"id: 9\ndata: {progress(9, 'succeeded')}\n\n"
            'event: end\ndata: {"run_id": 7, "status": "succeeded"}\n\n',
            True,
        ),
        (
            [package_event(END, 9, json.dumps({"run_id": 7, "status": "deleted"}))],
            9,
            'event: end\ndata: {"run_id": 7, "status": "deleted"}\n\n',
            True,
        ),
        (["event: keep-alive\ndata:\n\n"], 0, ": keep-alive\n\n", False),
        (
            ['event: stream-error\nid: error\ndata: {"condition": "forbidden"}\n\n'],
            0,
            'event: stream-error\ndata: {"condition": "forbidden"}\n\n',
            True,
        ),
        ([package_event("stream-reset", 3, "{}")], 0, "", False),
        # Published: it names the run's event before it, which goes in no wire data.
        (
            [package_event(PUBLISHED, 6, published(6, previous_id=5))],
            5,
            f"id: 6\ndata: {progress(6)}\n\n",
            False,
        ),
        (
            [package_event(PUBLISHED, 1, published(1, previous_id=None))],
            0,
            f"id: 1\ndata: {progress(1)}\n\n",
            False,
        ),
        # Event 6's publish was lost: 7 waits for it, which the relay reads.
        (
            [
                package_event(PUBLISHED, 7, published(7, previous_id=6)),
                package_event(RELAYED, 6, progress(6)),
                package_event(RELAYED, 7, progress(7)),
            ],
            5,
            f"id: 6\ndata: {progress(6)}\n\nid: 7\ndata: {progress(7)}\n\n",
            False,
        ),
        (
            [
                package_event(PUBLISHED, 8, published(8, previous_id=7, status="succeeded")),
                package_event(PUBLISHED, 7, published(7, previous_id=6)),
            ],
            6,
            f"id: 7\ndata: {progress(7)}\n\nid: 8\ndata: {progress(8, 'succeeded')}\n\n"
            'event: end\ndata: {"run_id": 7, "status": "succeeded"}\n\n',
            True,
        ),
    ],
    ids=[
        "the package's opening",
        "a replayed event",
        "one the client has",
        "one that came twice",
        "the final event ends it",
        "end",
        "keep-alive",
        "an error ends it",
        "a reset",
        "a published event",
        "the first published",
        "a lost publish",
        "published out of order",
    ],
)
def test_the_package_events_go_out_in_our_wire_format(chunks, after_id, wire, finished):
    translate = stream._Translation(7, after_id)
    said = "".join(translate(chunk.encode()) for chunk in chunks) + translate.last_words
    assert said == wire
    assert translate.finished is finished


# --- The storage over ImportEvent -------------------------------------------------------


# The storage gives its borrowed connection back (closes it): transactional tests.
@pytest.mark.django_db(transaction=True)
def test_the_storage_replays_a_runs_events_after_an_id_in_pages():
    run_id, events = new_run_with_events(5)
    channel = run_channel(run_id)
    storage = ImportEventStorage()

    page = storage.get_events(channel, events[0].pk, limit=3)
    assert [(e.type, e.id) for e in page] == [(REPLAYED, e.pk) for e in events[1:4]]
    assert [json.loads(e.data) for e in page] == [event_payload(e) for e in events[1:4]]
    assert storage.get_events(channel, events[-1].pk) == []  # running: no end
    assert storage.get_current_id(channel) == events[-1].pk
    assert storage.get_events("import-run-1.elsewhere", 0) == []


@pytest.mark.django_db(transaction=True)
def test_the_storage_ends_a_finished_run_after_its_events_and_a_deleted_one_at_once():
    run_id, events = new_run_with_events(2)
    channel = run_channel(run_id)
    storage = ImportEventStorage()
    ImportRun.objects.filter(pk=run_id).update(status=ImportStatus.FAILED)

    replay = storage.get_events(channel, 0)
    assert [e.type for e in replay] == [REPLAYED, REPLAYED, END]
    assert json.loads(replay[-1].data) == {"run_id": run_id, "status": "failed"}
    # A full page has no end: the package reads the next page, which has it.
    assert [e.type for e in storage.get_events(channel, 0, limit=2)] == [REPLAYED, REPLAYED]

    ImportRun.objects.filter(pk=run_id).delete()
    (end,) = storage.get_events(channel, events[-1].pk)
    assert json.loads(end.data) == {"run_id": run_id, "status": "deleted"}


@pytest.mark.django_db
def test_send_event_publishes_the_stored_event_under_its_own_id():
    run_id, (event,) = new_run_with_events(1)
    data = json.dumps(event_payload(event))
    published = ImportEventStorage().append_event(run_channel(run_id), PUBLISHED, data)
    assert (published.id, published.data) == (event.pk, data)
    assert ImportEvent.objects.count() == 1  # nothing written


# --- Publishing in order (scale-out) ------------------------------------------------------


@pytest.fixture
def events_channel():
    """What django-eventstream's Redis bridge carries, as the web processes receive it."""
    client = redis.Redis(**django_settings.EVENTSTREAM_REDIS)
    pubsub = client.pubsub(ignore_subscribe_messages=True)
    pubsub.subscribe("events_channel")
    pubsub.get_message(timeout=1)

    def received() -> list[tuple[str, int, int | None]]:
        out = []
        deadline = time.monotonic() + 2
        while time.monotonic() < deadline:
            message = pubsub.get_message(timeout=0.2)
            if message is None:
                if out:
                    break
                continue
            data = json.loads(message["data"])
            if channel_run_id(data["channel"]) is not None:
                previous = json.loads(data["data"])["previous_id"]
                out.append((data["event_type"], int(data["pub_id"]), previous))
        return out

    yield received
    pubsub.close()
    client.close()


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(not django_settings.REDIS_URL, reason="publishing is the Redis lane's")
def test_a_runs_events_are_published_in_id_order_whoever_commits_them(events_channel):
    run_id, events = new_run_with_events(4)
    events_channel()  # what the reporter itself published
    client = stream._redis_client(django_settings.REDIS_URL)
    client.delete(*client.keys(f"theset:{run_channel(run_id)}:*"))  # as if none went out

    # The worker of event 3 is first: events 1 and 2, not yet out, go out before it.
    publish_import_event(events[2].pk)
    publish_import_event(events[1].pk)  # already out: nothing more
    publish_import_event(events[3].pk)
    previous = [None] + [e.pk for e in events[:-1]]
    assert events_channel() == [(PUBLISHED, e.pk, p) for e, p in zip(events, previous, strict=True)]


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(not django_settings.REDIS_URL, reason="publishing is the Redis lane's")
def test_a_reporters_event_goes_out_as_written_unless_one_before_it_was_missed(events_channel):
    run_id, events = new_run_with_events(2)
    events_channel()
    reporter = PhaseReporter(run_id=run_id, phase=PhaseName.IDENTITY)
    read_back: list[str] = []

    def spy(execute, sql, params, many, context):
        # The publisher's read of the run's events (the reporter's own queries of the
        # events table read only their percents and ids).
        if sql.startswith("SELECT") and '"imports_importevent"."message"' in sql:
            read_back.append(sql)
        return execute(sql, params, many, context)

    # The run's previous event is the last published: this one goes out as written.
    with connection.execute_wrapper(spy):
        third = reporter.progress(30, "step 3")
    assert (events_channel(), read_back) == ([(PUBLISHED, third.pk, events[-1].pk)], [])

    # Redis lost what went out (a flush, an expiry): the run's events are read back and
    # every one not known to be out goes again, in order.
    client = stream._redis_client(django_settings.REDIS_URL)
    client.delete(*client.keys(f"theset:{run_channel(run_id)}:*"))
    with connection.execute_wrapper(spy):
        fourth = reporter.progress(40, "step 4")
    ids = [e.pk for e in events] + [third.pk, fourth.pk]
    assert events_channel() == [
        (PUBLISHED, pk, previous) for pk, previous in zip(ids, [None, *ids[:-1]], strict=True)
    ]
    assert len(read_back) == 1


@pytest.mark.django_db(transaction=True)
def test_without_redis_publishing_does_nothing(settings):
    settings.REDIS_URL = None
    _, events = new_run_with_events(1)
    with connection.execute_wrapper(lambda *args: pytest.fail("publishing read the database")):
        publish_import_event(events[0].pk)


@pytest.mark.django_db(transaction=True)
def test_the_relay_reads_once_for_all_the_streams_of_a_run(settings, django_assert_num_queries):
    """Its read costs two queries whatever the number of viewers; it queues new events
    after each run's cursor, then `end` for a run finished or gone."""
    run_id, events = new_run_with_events(3)
    other, _ = new_run_with_events(1)
    ImportRun.objects.filter(pk=other).update(status=ImportStatus.SUCCEEDED)
    cursors = {run_id: events[0].pk, other: 0}
    with django_assert_num_queries(2):
        statuses, read = stream.ProgressRelay._read(cursors)
    assert [e.pk for e in read if e.run_id == run_id] == [e.pk for e in events[1:]]
    assert statuses[run_id] == ImportStatus.RUNNING
    assert statuses[other] == ImportStatus.SUCCEEDED


# --- The browser client ---------------------------------------------------------------


@pytest.mark.django_db
def test_the_packages_browser_client_is_served_by_the_app(client):
    response = client.get("/static/django_eventstream/reconnecting-eventsource.js")
    assert response.status_code == 200
    assert b"ReconnectingEventSource" in b"".join(response.streaming_content)


@pytest.mark.parametrize("swallowed", [0, 1, 3], ids=["obeys", "swallows once", "thrice"])
def test_a_closing_loop_ends_a_listener_that_swallows_cancellations(swallowed):
    """redis-py's pubsub may swallow a cancellation and go on listening. asyncio.run (as a
    test client or a WSGI request runs an async view) cancels the loop's tasks once and
    waits for them: the subscriber's task must end all the same."""
    import asyncio

    ends: list[str] = []

    async def listener():
        left = swallowed
        while True:
            try:
                await asyncio.Event().wait()
            except asyncio.CancelledError:
                if left == 0:
                    ends.append("cancelled")
                    raise
                left -= 1

    async def view():
        asyncio.get_running_loop().create_task(stream._cancelled_until_done(listener()))
        await asyncio.sleep(0)  # the listener starts; the view returns, the loop closes

    asyncio.run(view())  # would wait forever for a listener that swallowed
    assert ends == ["cancelled"]
