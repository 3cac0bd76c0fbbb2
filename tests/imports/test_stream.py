"""Live progress over server-sent events: the real ASGI app served by uvicorn on 127.0.0.1,
read by an HTTP client, with runs and events written through the real progress reporter.

Runs with and without REDIS_URL: with it, live events must arrive through Redis pub/sub.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from django.db import connection

from catalog.models import Artist
from imports import stream
from imports.models import ImportEvent, ImportRun, ImportStatus
from imports.phases import PhaseName, RunStage
from imports.pipeline import finalize_phase
from imports.progress import PhaseReporter
from imports.services import StartedImport, import_run_create
from imports.stream import event_payload
from sandbox.server import serve_in_thread

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.integration]

_attraction_ids = itertools.count(1)


@dataclass
class Message:
    event: str
    id: str | None
    data: str

    @property
    def json(self) -> Any:
        return json.loads(self.data)


@dataclass
class Stream:
    status_code: int
    headers: httpx.Headers
    messages: list[Message]
    comments: list[str]
    body: str = ""

    @property
    def progress(self) -> list[dict[str, Any]]:
        return [m.json for m in self.messages if m.event == "message"]


def read_stream(
    url: str,
    *,
    headers: dict[str, str] | None = None,
    on_message: Callable[[Message], None] | None = None,
) -> Stream:
    """Read a whole SSE response, until the server ends it (a read timeout fails the test)."""
    messages: list[Message] = []
    comments: list[str] = []
    with httpx.stream("GET", url, headers=headers, timeout=5.0) as response:
        if not response.headers["content-type"].startswith("text/event-stream"):
            return Stream(response.status_code, response.headers, [], [], response.read().decode())
        fields: dict[str, str] = {}
        for line in response.iter_lines():
            if line.startswith(":"):
                comments.append(line)
            elif line:
                name, _, value = line.partition(":")
                value = value.removeprefix(" ")
                fields[name] = f"{fields[name]}\n{value}" if name in fields else value
            elif "data" in fields:
                message = Message(fields.get("event", "message"), fields.get("id"), fields["data"])
                messages.append(message)
                if on_message:
                    on_message(message)
                fields = {}
            else:
                fields = {}
    return Stream(response.status_code, response.headers, messages, comments)


@pytest.fixture
def server() -> Iterator[str]:
    from theset.asgi import application

    with serve_in_thread(application) as base_url:
        yield base_url


def new_run() -> StartedImport:
    return import_run_create(tm_attraction_id=f"K8vZ917stream{next(_attraction_ids)}")


def stream_url(base_url: str, artist: int | str) -> str:
    return f"{base_url}/api/artists/{artist}/stream"


def report_whole_run(run_id: int, *, pause: float = 0.0, identity_started: bool = False) -> None:
    """Every phase of a run, as the pipeline reports them: shows and catalog interleaved."""
    identity = PhaseReporter(run_id=run_id, phase=PhaseName.IDENTITY)
    shows = PhaseReporter(run_id=run_id, phase=PhaseName.SHOWS)
    catalog = PhaseReporter(run_id=run_id, phase=PhaseName.CATALOG)
    steps: list[Callable[[], object]] = [
        lambda: identity.report(40, "found the artist on Ticketmaster"),
        lambda: identity.finish("Artist: Spotify external link", {"slug": "artist"}),
        shows.start,
        catalog.start,
        lambda: shows.report(30, "page 1 of 3", {"shows": 200}),
        lambda: catalog.report(25, "albums listed"),
        lambda: shows.report(70, "page 2 of 3", {"shows": 400}),
        lambda: catalog.report(60, "tracks read"),
        lambda: shows.finish("512 shows at 130 venues", {"shows": 512, "venues": 130}),
        lambda: catalog.finish("80 studio songs of 140 tracks", {"tracks_kept": 80}),
        lambda: finalize_phase(run_id),
    ]
    if not identity_started:
        steps.insert(0, identity.start)
    for step in steps:
        step()
        time.sleep(pause)


def stored_payloads(run_id: int) -> list[dict[str, Any]]:
    return [event_payload(e) for e in ImportEvent.objects.filter(run_id=run_id).order_by("pk")]


def in_thread(target: Callable[[], None]) -> Callable[[], None]:
    """Start `target` on a thread with its own database connection; returns a join that
    re-raises what the thread raised."""
    errors: list[BaseException] = []

    def run() -> None:
        try:
            target()
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()

    def join() -> None:
        thread.join(timeout=10)
        assert not thread.is_alive(), "writer thread did not finish"
        if errors:
            raise errors[0]

    return join


def assert_ends(result: Stream, run_id: int | None, status: str | None) -> None:
    assert result.messages[-1].event == "end"
    assert result.messages[-1].id is None  # Last-Event-ID stays on the last progress event
    assert result.messages[-1].json == {"run_id": run_id, "status": status}
    assert [m.event for m in result.messages[:-1]] == ["message"] * (len(result.messages) - 1)


def test_a_client_arriving_after_the_run_finished_gets_the_whole_history_then_the_end(server):
    started = new_run()
    report_whole_run(started.import_id)

    result = read_stream(stream_url(server, started.artist_id))

    assert result.status_code == 200
    assert result.headers["cache-control"] == "no-cache"
    history = stored_payloads(started.import_id)
    assert result.progress == history
    assert [m.id for m in result.messages[:-1]] == [str(p["id"]) for p in history]
    assert set(history[-1]) == {
        "id",
        "run_id",
        "stage",
        "status",
        "percent",
        "overall_percent",
        "message",
        "counters",
        "at",
    }
    assert history[-1]["status"] == ImportStatus.SUCCEEDED
    assert history[-1]["overall_percent"] == 100
    assert_ends(result, started.import_id, "succeeded")


@pytest.mark.parametrize(
    "how", ["header", "query"], ids=["Last-Event-ID header", "lastEventId query"]
)
def test_a_reconnecting_client_gets_only_the_events_it_missed(server, how):
    started = new_run()
    report_whole_run(started.import_id)
    history = stored_payloads(started.import_id)
    seen = history[3]["id"]

    url = stream_url(server, started.artist_id)
    if how == "header":
        result = read_stream(url, headers={"Last-Event-ID": str(seen)})
    else:
        result = read_stream(f"{url}?lastEventId={seen}")

    assert result.progress == history[4:]
    assert_ends(result, started.import_id, "succeeded")


def test_a_client_that_has_everything_gets_just_the_end(server):
    started = new_run()
    report_whole_run(started.import_id)
    last = ImportEvent.objects.filter(run_id=started.import_id).latest("pk")

    result = read_stream(
        stream_url(server, started.artist_id), headers={"Last-Event-ID": str(last.pk)}
    )

    assert result.progress == []
    assert_ends(result, started.import_id, "succeeded")


def test_a_live_client_gets_new_events_in_order_until_the_final_one(server, settings):
    if settings.REDIS_URL:
        # Pub/sub or nothing: the database safety net would not fire within the test.
        settings.IMPORT_STREAM_REDIS_POLL_SECONDS = 60
    started = new_run()
    PhaseReporter(run_id=started.import_id, phase=PhaseName.IDENTITY).start()
    before = stream.deliveries.copy()
    writers: list[Callable[[], None]] = []

    def on_message(message: Message) -> None:
        # Write the rest of the run only once the stream has replayed the first event.
        if not writers:
            writers.append(
                in_thread(
                    lambda: report_whole_run(started.import_id, pause=0.02, identity_started=True)
                )
            )

    result = read_stream(stream_url(server, started.artist_id), on_message=on_message)
    writers[0]()

    history = stored_payloads(started.import_id)
    assert result.progress == history  # nothing lost, nothing twice, in order
    assert len(history) == 13
    for stage in RunStage:
        percents = [p["percent"] for p in history if p["stage"] == stage]
        assert percents == sorted(percents), stage
    overall = [p["overall_percent"] for p in history]
    assert overall == sorted(overall)
    assert history[-1]["status"] == ImportStatus.SUCCEEDED
    assert_ends(result, started.import_id, "succeeded")

    live = len(history) - 1
    delivered = stream.deliveries - before
    assert delivered["replay"] == 1
    if settings.REDIS_URL:
        assert delivered["pubsub"] == live
        assert delivered["poll"] == 0
    else:
        assert delivered["poll"] == live


def test_a_run_marked_failed_without_a_final_event_still_ends_the_stream(server, settings):
    settings.IMPORT_STREAM_KEEPALIVE_SECONDS = 0.2
    settings.IMPORT_STREAM_REDIS_POLL_SECONDS = 0.25
    started = new_run()
    PhaseReporter(run_id=started.import_id, phase=PhaseName.IDENTITY).start()
    writers: list[Callable[[], None]] = []

    def mark_failed() -> None:
        time.sleep(0.6)  # long enough for keep-alive comments
        # What a sweeper does to a run whose worker vanished.
        ImportRun.objects.filter(pk=started.import_id).update(
            status=ImportStatus.FAILED, error="worker vanished"
        )

    def on_message(message: Message) -> None:
        if not writers:
            writers.append(in_thread(mark_failed))

    result = read_stream(stream_url(server, started.artist_id), on_message=on_message)
    writers[0]()

    assert result.progress == stored_payloads(started.import_id)
    assert ": keep-alive" in result.comments
    assert_ends(result, started.import_id, "failed")


def test_a_run_deleted_while_watched_ends_the_stream(server, settings):
    settings.IMPORT_STREAM_REDIS_POLL_SECONDS = 0.25
    started = new_run()
    PhaseReporter(run_id=started.import_id, phase=PhaseName.IDENTITY).start()
    writers: list[Callable[[], None]] = []

    def on_message(message: Message) -> None:
        if not writers:
            writers.append(
                in_thread(lambda: ImportRun.objects.filter(pk=started.import_id).delete())
            )

    result = read_stream(stream_url(server, started.artist_id), on_message=on_message)
    writers[0]()

    assert len(result.progress) == 1
    assert_ends(result, started.import_id, "deleted")


def test_an_artist_never_imported_gets_the_end_at_once(server):
    started = new_run()
    ImportRun.objects.filter(pk=started.import_id).delete()

    result = read_stream(stream_url(server, started.artist_id))

    assert result.status_code == 200
    assert_ends(result, None, None)
    assert len(result.messages) == 1


@pytest.mark.parametrize("name", ["id", "slug", "tm_attraction_id"])
def test_the_artist_is_named_by_id_slug_or_ticketmaster_id_as_on_the_other_routes(server, name):
    started = new_run()
    report_whole_run(started.import_id)
    artist = Artist.objects.get(pk=started.artist_id)

    result = read_stream(stream_url(server, getattr(artist, name)))

    assert result.progress == stored_payloads(started.import_id)
    assert_ends(result, started.import_id, "succeeded")


@pytest.mark.parametrize("asked", ["999999", "nobody", "k8vz917nobody"])
def test_an_unknown_artist_is_a_404_with_a_json_detail(server, asked):
    response = httpx.get(stream_url(server, asked), timeout=5)

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"detail": f"No artist with id, slug or Ticketmaster id '{asked}'"}


def test_with_redis_down_reports_succeed_and_streams_read_the_database(server, settings, caplog):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    started = new_run()

    report_whole_run(started.import_id)
    result = read_stream(stream_url(server, started.artist_id))

    assert result.progress == stored_payloads(started.import_id)
    assert_ends(result, started.import_id, "succeeded")
    assert any("not published to Redis" in r.getMessage() for r in caplog.records)
