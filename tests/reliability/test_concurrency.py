"""Concurrency (issue 10): kickoffs that race, and imports that write the same rows.

- One artist started at the same instant from every interface — the HTTP API (two real
  uvicorn processes), the admin's "Import artists" form (staff sessions, through the same
  servers) and `manage.py import_artist --no-wait` (processes of their own) — makes one
  run and one queued task, and every caller is told that run's id.
- Twenty artists whose shows share eight venues, imported at once by real `qcluster`
  processes, store each venue once and point every show at the right one.

Both run in every lane: SQLite + ORM broker, PostgreSQL + Redis, and the scale-out lane
(`TEST_QCLUSTERS=2 TEST_QBROKER=redis`: two clusters competing for the phases).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from functools import partial
from pathlib import Path

import httpx
import pytest
from django.db import close_old_connections, connection
from django.utils import timezone
from django_q.models import OrmQ

from catalog.models import Artist
from imports.models import ImportRun, ImportStatus
from integrations.ticketmaster.records import BilledAct, TicketmasterVenue
from sandbox.scenario import parse_scenario
from sandbox.world import World
from shows.models import Billing, Show, Venue
from shows.services import shows_mark_removed, shows_upsert
from tests.factories import make_artist, tm_event
from tests.support.cluster import database_url, finished_run, start_imports_at_once
from theset.auth import API_KEY_HEADER
from theset.services import api_key_create

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.integration]

ROOT = Path(__file__).resolve().parents[2]
STARTUP_SECONDS = 60
API_CALLERS_PER_SERVER = 2
ADMIN_CALLERS_PER_SERVER = 1
COMMAND_CALLERS = 3
UVICORN = [sys.executable, "-m", "uvicorn", "theset.asgi:application", "--host", "127.0.0.1"]


# --- One artist, every interface at once ------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_environment() -> dict[str, str]:
    """The test database, the ORM broker (the queue is a table the test can read), and
    no kickoff throttle: the web servers' and the commands' settings."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "theset.settings",
        "DATABASE_URL": database_url(),
        "Q_BROKER": "orm",
        "Q_NAME": "theset",
        "IMPORT_KICKOFF_RATE": "100000/min",
        "LOG_LEVEL": "WARNING",
    }


@contextlib.contextmanager
def web_servers(count: int, log: Path) -> Iterator[list[str]]:
    """`count` uvicorn processes serving the ASGI app on the test database; their URLs."""
    ports = [free_port() for _ in range(count)]
    processes = []
    with log.open("ab") as out:
        for port in ports:
            processes.append(
                subprocess.Popen(
                    [*UVICORN, "--port", str(port)],
                    cwd=ROOT,
                    env=server_environment(),
                    stdout=out,
                    stderr=subprocess.STDOUT,
                )
            )
    urls = [f"http://127.0.0.1:{port}" for port in ports]
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        for url in urls:
            while not _answers(f"{url}/admin/login/"):
                assert all(p.poll() is None for p in processes), log.read_text()[-3000:]
                assert time.monotonic() < deadline, "the web servers did not come up"
                time.sleep(0.2)
        yield urls
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def staff_session(base_url: str, username: str, password: str) -> httpx.Client:
    """A browser's session: logged in through the admin's login form, CSRF cookie set."""
    client = httpx.Client(base_url=base_url, timeout=30)
    login = client.get("/admin/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login.text)[1]
    answer = client.post(
        "/admin/login/?next=/admin/",
        data={"csrfmiddlewaretoken": token, "username": username, "password": password},
    )
    assert answer.status_code == 302 and "sessionid" in client.cookies, answer.text[:500]
    return client


def form_token(client: httpx.Client, page: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', client.get(page).text)[1]


def kickoff_by_api(client: httpx.Client, tm_id: str) -> int:
    answer = client.post("/api/artists/import", json={"tm_attraction_id": tm_id})
    assert answer.status_code in (200, 202), answer.text
    return answer.json()["import_id"]


def kickoff_by_admin(session: httpx.Client, token: str, tm_id: str) -> int:
    """The "Import artists" form; with one id the admin goes to the run it started or
    found, so the run id is in the redirect."""
    answer = session.post(
        "/admin/imports/importrun/import/",
        data={"csrfmiddlewaretoken": token, "tm_attraction_ids": tm_id},
    )
    assert answer.status_code == 302, answer.text[:500]
    location = re.fullmatch(r"/admin/imports/importrun/(\d+)/change/", answer.headers["Location"])
    assert location, answer.headers["Location"]
    return int(location[1])


# `manage.py import_artist` in a process of its own that sets up Django, connects, says it
# is ready, and runs the command the moment the go file appears.
RACING_COMMAND = """
import os, sys, time
import django
django.setup()
from django.db import connection
from django.core.management import load_command_class
connection.ensure_connection()
command = load_command_class("imports", "import_artist")
ready, go = sys.argv[1:3]
open(ready, "w").close()
while not os.path.exists(go):
    time.sleep(0.001)
command.run_from_argv(["manage.py", "import_artist", *sys.argv[3:]])
"""


def race(
    callers: list[Callable[[], int]], commands: list[list[str]], tmp_path: Path
) -> tuple[list[int], list[subprocess.CompletedProcess[str]]]:
    """Every caller (a thread each) and every command (a process each) released at once;
    the run ids they were told, and the commands' outcomes."""
    go = tmp_path / f"go-{time.monotonic_ns()}"
    ready = [tmp_path / f"ready-{time.monotonic_ns()}-{n}" for n in range(len(commands))]
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", RACING_COMMAND, str(flag), str(go), *args],
            cwd=ROOT,
            env=server_environment(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for flag, args in zip(ready, commands, strict=True)
    ]
    barrier = threading.Barrier(len(callers) + 1)

    def call(caller: Callable[[], int]) -> int:
        barrier.wait(timeout=STARTUP_SECONDS)
        return caller()

    with ThreadPoolExecutor(max_workers=len(callers)) as pool:
        deadline = time.monotonic() + STARTUP_SECONDS
        while not all(flag.exists() for flag in ready):
            assert all(p.poll() is None for p in processes), "a racing command died early"
            assert time.monotonic() < deadline, "the racing commands did not get ready"
            time.sleep(0.05)
        futures = [pool.submit(call, caller) for caller in callers]
        barrier.wait(timeout=STARTUP_SECONDS)
        go.touch()
        told = [future.result(timeout=120) for future in futures]
    finished = []
    for process in processes:
        stdout, stderr = process.communicate(timeout=120)
        finished.append(
            subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)
        )
    return told, finished


def test_one_artist_started_from_every_interface_at_once_makes_one_run(
    tmp_path, django_user_model, reliability
):
    api_key = api_key_create(name="race").plaintext
    django_user_model.objects.create_superuser("racer", password="race-pw-1")
    rounds = [("new artist", "K8vZ917Race7"), ("artist imported before", "K8vZ917Race7")]
    runs_made = extra_tasks = 0
    with web_servers(2, tmp_path / "web.log") as urls:
        sessions = [staff_session(url, "racer", "race-pw-1") for url in urls]
        api_clients = [
            httpx.Client(base_url=url, timeout=30, headers={API_KEY_HEADER: api_key})
            for url in urls
            for _ in range(API_CALLERS_PER_SERVER)
        ]
        for name, tm_id in rounds:
            close_old_connections()
            runs_before = set(ImportRun.objects.values_list("pk", flat=True))
            for client in api_clients:  # an open connection each, so they start together
                assert client.get("/api/openapi.json").status_code == 200
            tokens = [form_token(s, "/admin/imports/importrun/import/") for s in sessions]

            callers = [partial(kickoff_by_api, client, tm_id) for client in api_clients]
            callers += [
                partial(kickoff_by_admin, session, token, tm_id)
                for session, token in zip(sessions, tokens, strict=True)
                for _ in range(ADMIN_CALLERS_PER_SERVER)
            ]
            commands = [[tm_id, "--no-wait", "--json"]] * COMMAND_CALLERS
            told, finished = race(callers, commands, tmp_path)
            for command in finished:
                assert command.returncode == 0, command.stderr[-2000:]
                (outcome,) = json.loads(command.stdout)["imports"]
                told.append(outcome["import_id"])

            close_old_connections()
            made = ImportRun.objects.exclude(pk__in=runs_before).filter(
                artist__tm_attraction_id=tm_id
            )
            assert made.count() == 1, f"{name}: {made.count()} runs"
            run = made.get()
            assert set(told) == {run.pk}, f"{name}: callers were told {sorted(set(told))}"
            assert len(told) == len(callers) + COMMAND_CALLERS
            assert Artist.objects.filter(tm_attraction_id=tm_id).count() == 1
            queued = [row.task["name"] for row in OrmQ.objects.all()]
            assert queued.count(f"import-{run.pk}-identity") == 1, f"{name}: {queued}"
            runs_made += made.count()
            extra_tasks += queued.count(f"import-{run.pk}-identity") - 1
            # The run ends (as the cluster would end it) before the next round.
            ImportRun.objects.filter(pk=run.pk).update(status=ImportStatus.FAILED)
            OrmQ.objects.all().delete()
        for client in [*api_clients, *sessions]:
            client.close()
    reliability.record(
        "concurrency: one artist kicked off from API, admin and CLI at once",
        runs=runs_made,
        duplicates=runs_made - len(rounds) + extra_tasks,
        note=f"{len(rounds)} rounds of {len(api_clients)} API + {len(sessions)} admin + "
        f"{COMMAND_CALLERS} command callers",
    )


# --- Twenty artists, eight venues, real clusters ------------------------------------------

ARTISTS = 20
VENUES = 8
EVENTS_PER_ARTIST = 6


def shared_venues_world() -> tuple[World, dict[str, tuple[str, str]]]:
    """20 artists whose events reuse 8 venues, each artist listing them in another order
    (so concurrent upserts meet the same rows in different orders); and for each event,
    its venue and its artist."""
    venues = [
        {"tm_venue_id": f"KovZshared{n:03d}", "name": f"Shared Hall {n}", "city": "Austin"}
        for n in range(VENUES)
    ]
    expected: dict[str, tuple[str, str]] = {}
    artists = []
    for a in range(ARTISTS):
        tm_attraction_id = f"K8vZ917Shr{a:02d}"
        events = []
        for e in range(EVENTS_PER_ARTIST):
            venue = venues[(a * 3 + (e if a % 2 else -e)) % VENUES]
            tm_event_id = f"vvG1shared{a:02d}{e:02d}"
            expected[tm_event_id] = (venue["tm_venue_id"], tm_attraction_id)
            events.append(
                {
                    "tm_event_id": tm_event_id,
                    "name": f"Shared Venue Artist {a:02d} live",
                    "local_date": (date.today() + timedelta(days=7 + a + e)).isoformat(),
                    "local_time": "20:00:00",
                    "venue": venue,
                }
            )
        artists.append(
            {
                "tm_attraction_id": tm_attraction_id,
                "name": f"Shared Venue Artist {a:02d}",
                "spotify_id": None,
                "spotify_linked": False,
                "albums": [],
                "events": events,
            }
        )
    world = World(artists=parse_scenario({"artists": artists}, source="shared-venues"))
    return world, expected


def test_twenty_artists_sharing_venues_store_each_venue_once(cluster, reliability):
    world, expected = shared_venues_world()
    expected_venue = {event: venue for event, (venue, _) in expected.items()}
    tm_ids = [artist.tm_attraction_id for artist in world.artists]
    with cluster(serve=world) as (qcluster, stats):
        run_ids = start_imports_at_once(tm_ids)
        runs = [finished_run(run_id, qcluster, timeout=180) for run_id in run_ids]
        answered_429 = stats()["rate_limited"]

    failed = [
        f"{run.artist.tm_attraction_id}: {run.error}"
        for run in runs
        if run.status == ImportStatus.FAILED
    ]
    venues = list(Venue.objects.values_list("tm_venue_id", flat=True))
    shows = dict(Show.objects.values_list("tm_event_id", "venue__tm_venue_id"))
    show_rows = Show.objects.count()
    owner = dict(Billing.objects.values_list("show__tm_event_id", "artist__tm_attraction_id"))
    lost = sum(1 for event in expected_venue if event not in shows) + len(
        set(expected_venue.values()) - set(venues)
    )
    duplicates = (len(venues) - len(set(venues))) + (show_rows - len(shows))
    wrong_venue = [e for e, v in expected_venue.items() if e in shows and shows[e] != v]
    wrong_artist = [e for e in shows if owner[e] != expected[e][1]]
    reliability.record(
        "concurrency: 20 artists sharing venues",
        runs=len(runs),
        failures=len(failed),
        rows_lost=lost,
        duplicates=duplicates,
        note=f"{VENUES} venues, {len(expected_venue)} shows, {qcluster.count} qcluster(s), "
        f"{answered_429} upstream 429s retried"
        + (f", {len(wrong_venue)} shows at the wrong venue" if wrong_venue else ""),
    )
    assert not failed, "\n".join(failed)
    assert len(set(run_ids)) == ARTISTS
    assert lost == 0 and duplicates == 0
    assert sorted(venues) == sorted(set(expected_venue.values()))
    assert len(venues) == VENUES
    assert not wrong_venue, wrong_venue
    assert not wrong_artist, wrong_artist
    assert len(shows) == ARTISTS * EVENTS_PER_ARTIST
    for run in runs:
        assert run.counters["shows"] == EVENTS_PER_ARTIST, run.counters


# --- The same venues written by parallel phases, in different orders -----------------------

SHARED_VENUES = 300
PARALLEL_PHASES = 4
ROUNDS = 8


def test_parallel_show_upserts_meeting_the_same_venues_in_other_orders_all_commit(reliability):
    """What four workers' shows phases do at once for artists touring the same venues:
    `shows_upsert` with the venues in each artist's own order. Every upsert must commit;
    on PostgreSQL, rows locked in different orders by parallel upserts deadlock."""
    artists = [make_artist() for _ in range(PARALLEL_PHASES)]
    venues = [
        TicketmasterVenue(
            tm_venue_id=f"KovZpar{n:05d}",
            name=f"Hall {n}",
            address="",
            city="Austin",
            state="",
            state_code="",
            country="",
            country_code="US",
            postal_code="",
            timezone="America/Chicago",
            latitude=None,
            longitude=None,
        )
        for n in range(SHARED_VENUES)
    ]
    barrier = threading.Barrier(PARALLEL_PHASES)
    errors: list[str] = []

    def phase(index: int) -> None:
        # Reversed, or rotated: no two artists list the venues alike.
        order = venues[::-1] if index % 2 else venues[index * 37 :] + venues[: index * 37]
        try:
            for round_ in range(ROUNDS):
                events = [
                    tm_event(f"vvG1par{index}{round_:02d}{n:05d}", venue=venue)
                    for n, venue in enumerate(order)
                ]
                barrier.wait(timeout=60)
                try:
                    shows_upsert(artist_id=artists[index].pk, events=events)
                except Exception as exc:
                    errors.append(f"artist {index}, round {round_}: {type(exc).__name__}: {exc}")
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=PARALLEL_PHASES) as pool:
        list(pool.map(phase, range(PARALLEL_PHASES)))

    expected_shows = PARALLEL_PHASES * ROUNDS * SHARED_VENUES
    stored = Show.objects.count()
    venue_rows = Venue.objects.count()
    reliability.record(
        "concurrency: parallel show upserts sharing venues in other orders",
        runs=PARALLEL_PHASES * ROUNDS,
        failures=len(errors),
        rows_lost=expected_shows
        - stored
        + SHARED_VENUES
        - len(set(Venue.objects.values_list("tm_venue_id", flat=True))),
        duplicates=venue_rows - SHARED_VENUES,
        note=f"shows_upsert calls, not whole imports: {PARALLEL_PHASES} writers x {ROUNDS} "
        f"rounds over {SHARED_VENUES} venues",
    )
    assert not errors, "\n".join(error.splitlines()[0] for error in errors)
    assert stored == expected_shows
    assert venue_rows == SHARED_VENUES


# --- Shared bills written by parallel phases ---------------------------------------------

SHARED_EVENTS = 200
BILLED_ACTS = 6


def test_parallel_phases_of_acts_sharing_every_bill_all_commit_the_same_rows(reliability):
    """What the shows phases of six acts on the same festival-sized bills do at once: each
    lists the same events (in its own order) and writes every act's place, plus shell
    rows for the acts. Every upsert must commit and the rows must be one per (show, act);
    on PostgreSQL, rows locked in different orders by parallel upserts deadlock."""
    acts = [BilledAct(f"K8vZ917Bil{n}", f"Billed Act {n}") for n in range(BILLED_ACTS)]
    # Only half the acts exist before: the others are created by whichever phase is first.
    artists = {act: make_artist(tm_attraction_id=act.tm_attraction_id) for act in acts[::2]}
    bill = tuple(acts)
    events = [
        tm_event(
            f"vvG1bill{n:05d}",
            name="Shared Fest",
            days=30 + n % 40,
            bill=bill[n % BILLED_ACTS :] + bill[: n % BILLED_ACTS],
        )
        for n in range(SHARED_EVENTS)
    ]
    barrier = threading.Barrier(len(artists))
    errors: list[str] = []

    def phase(index: int, artist: Artist) -> None:
        order = events[::-1] if index % 2 else events[index * 37 :] + events[: index * 37]
        try:
            for round_ in range(ROUNDS // 2):
                barrier.wait(timeout=60)
                try:
                    shows_upsert(artist_id=artist.pk, events=order)
                except Exception as exc:
                    errors.append(f"act {index}, round {round_}: {type(exc).__name__}: {exc}")
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(artists)) as pool:
        list(pool.map(phase, range(len(artists)), artists.values()))

    places = Billing.objects.count()
    expected_places = SHARED_EVENTS * BILLED_ACTS
    reliability.record(
        "concurrency: parallel bill upserts of acts sharing every show",
        runs=len(artists) * (ROUNDS // 2),
        failures=len(errors),
        rows_lost=expected_places - places,
        duplicates=0,
        note=f"shows_upsert calls: {len(artists)} acts x {ROUNDS // 2} rounds over "
        f"{SHARED_EVENTS} shows of {BILLED_ACTS} acts",
    )
    assert not errors, "\n".join(error.splitlines()[0] for error in errors)
    assert Show.objects.count() == SHARED_EVENTS
    assert places == expected_places
    assert Artist.objects.count() == BILLED_ACTS
    assert not Billing.objects.exclude(removed_upstream_at=None).exists()
    # Every act's place as the last listing wrote it: the bill's own order.
    for n, event in enumerate(events[:BILLED_ACTS]):
        stored = list(
            Billing.objects.filter(show__tm_event_id=event.tm_event_id)
            .order_by("position")
            .values_list("artist__tm_attraction_id", flat=True)
        )
        assert stored == [act.tm_attraction_id for act in event.bill], n


def test_marking_places_removed_while_another_act_lists_the_same_shows_all_commit(reliability):
    """An act's re-sync marking the shows it no longer lists (it locks them) while a
    co-billed act's phase upserts the same shows (it locks them too): both must lock in
    the same order, also for ids whose order depends on case ("Z7r..." and "vvG...":
    `theset.models.in_key_order`), or PostgreSQL deadlocks."""
    leaving, staying = BilledAct("K8vZ917Leav", "Leaving"), BilledAct("K8vZ917Stay", "Staying")
    artists = {
        act: make_artist(tm_attraction_id=act.tm_attraction_id) for act in (leaving, staying)
    }
    prefixes = ("Z7r9j", "vvG1", "G5v", "1A", "k7", "_x", "-y")
    events = [
        tm_event(
            f"{prefixes[n % len(prefixes)]}race{n:05d}",
            name="Leaving & Staying",
            days=10 + n % 30,
            bill=(leaving, staying),
        )
        for n in range(140)
    ]
    errors: list[str] = []
    rounds = 6
    for round_ in range(rounds):
        shows_upsert(artist_id=artists[leaving].pk, events=events)
        not_seen_since = timezone.now()
        barrier = threading.Barrier(2)

        def mark(round_=round_, not_seen_since=not_seen_since, barrier=barrier) -> None:
            try:
                barrier.wait(timeout=60)
                shows_mark_removed(artist_id=artists[leaving].pk, not_seen_since=not_seen_since)
            except Exception as exc:
                errors.append(f"mark, round {round_}: {type(exc).__name__}: {exc}")
            finally:
                connection.close()

        def upsert(round_=round_, barrier=barrier) -> None:
            try:
                barrier.wait(timeout=60)
                shows_upsert(artist_id=artists[staying].pk, events=events[::-1])
            except Exception as exc:
                errors.append(f"upsert, round {round_}: {type(exc).__name__}: {exc}")
            finally:
                connection.close()

        with ThreadPoolExecutor(max_workers=2) as pool:
            list(pool.map(lambda work: work(), (mark, upsert)))
        gone = Show.objects.exclude(removed_upstream_at=None).count()
        assert gone == 0, f"round {round_}: {gone} shows marked gone while Staying lists them"

    reliability.record(
        "concurrency: removals racing a co-billed act's upsert",
        runs=rounds * 2,
        failures=len(errors),
        rows_lost=0,
        duplicates=0,
        note=f"{len(events)} shows with ids of mixed case, {rounds} rounds",
    )
    assert not errors, "\n".join(error.splitlines()[0] for error in errors)
    assert Billing.objects.filter(artist=artists[leaving]).exclude(
        removed_upstream_at=None
    ).count() == len(events)
