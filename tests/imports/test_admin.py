"""The admin: the import page, re-import and retry actions, the run page, curator overrides
(and that they survive re-imports)."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_q.models import OrmQ

from catalog.models import Artist, ArtistTrack, Track, TrackOverride
from catalog.rules import CuratorDecision
from imports.admin import EVENT_TIME_FORMAT, run_figures, run_link, run_page_context
from imports.models import (
    DroppedTrack,
    ImportEvent,
    ImportPhase,
    ImportRun,
    ImportStatus,
)
from imports.phases import PhaseName, RunStage
from imports.pipeline import finalize_phase, run_import
from imports.progress import PhaseReporter
from imports.services import import_run_create
from sandbox import profiles
from sandbox.server import serve_in_thread
from tests.browser import (
    ARTIFACTS,
    csp_violations,
    in_a_thread,
    launch,
    logged_in_admin_run_page,
    needs_chromium,
)
from tests.factories import link_track, make_artist, make_track
from theset.admin import admin_time

pytestmark = pytest.mark.django_db

# The admin run page's live script (loaded from the page, never inline: CSP).
RUN_PAGE_SCRIPT = Path(__file__).resolve().parents[2] / "theset/static/theset/import_run.js"

IMPORT_PAGE = "admin:imports_importrun_import"


def import_page() -> str:
    return reverse(IMPORT_PAGE)


def run_page(run: ImportRun) -> str:
    return reverse("admin:imports_importrun_change", args=[run.pk])


def message_texts(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def queued_task_names() -> list[str]:
    return sorted(task.name() for task in OrmQ.objects.all())


@pytest.fixture
def staff_client(django_user_model):
    """A staff member with no permission at all."""
    user = django_user_model.objects.create_user("staff", password="x", is_staff=True)
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def curator_client(django_user_model):
    """Staff who may read runs and tracks and curate overrides, but not start imports."""
    user = django_user_model.objects.create_user("curator", password="x", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(
            codename__in=[
                "view_importrun",
                "view_droppedtrack",
                "view_track",
                "add_trackoverride",
                "change_trackoverride",
                "view_trackoverride",
            ]
        )
    )
    client = Client()
    client.force_login(user)
    return client


# --- The import page ----------------------------------------------------------------


def test_run_list_links_to_the_import_page(admin_client):
    response = admin_client.get(reverse("admin:imports_importrun_changelist"))
    assert response.status_code == 200
    assert import_page() in response.content.decode()
    # Runs come from start_import only: no hand-made "Add import run".
    assert reverse("admin:imports_importrun_add") not in response.content.decode()


def test_import_page_shows_a_csrf_protected_form(admin_client):
    response = admin_client.get(import_page())
    assert response.status_code == 200
    content = response.content.decode()
    assert 'name="tm_attraction_ids"' in content
    assert "csrfmiddlewaretoken" in content


def test_import_page_queues_one_run_per_id_and_reports_each(
    admin_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            import_page(),
            {"tm_attraction_ids": "K8vZ917Aaa1\nK8vZ917Bbb2, K8vZ917Aaa1;\n\n not an id!"},
        )
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:imports_importrun_changelist")
    runs = {run.artist.tm_attraction_id: run for run in ImportRun.objects.select_related("artist")}
    assert set(runs) == {"K8vZ917Aaa1", "K8vZ917Bbb2"}
    assert {run.status for run in runs.values()} == {ImportStatus.QUEUED}
    # The identity phase of each run is on the django-q2 queue (ORM broker).
    assert queued_task_names() == sorted(f"import-{run.pk}-identity" for run in runs.values())
    texts = message_texts(response)
    assert len(texts) == 3
    for tm_id, run in runs.items():
        assert f"{tm_id}: import #{run.pk} queued." in [_plain(text) for text in texts]
    assert any("'not an id!' is not a Ticketmaster attraction id" in text for text in texts)


def test_import_page_does_not_queue_an_artist_twice(
    admin_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(import_page(), {"tm_attraction_ids": "K8vZ917Aaa1, K8vZ917Bbb2"})
        response = admin_client.post(import_page(), {"tm_attraction_ids": "K8vZ917Aaa1"})
    run = ImportRun.objects.get(artist__tm_attraction_id="K8vZ917Aaa1")
    assert ImportRun.objects.count() == 2 and OrmQ.objects.count() == 2
    assert _plain(message_texts(response)[-1]) == (
        f"K8vZ917Aaa1: already importing as #{run.pk}; not queued again."
    )
    # One artist: straight to its run, to watch it.
    assert response["Location"] == run_page(run)


def test_import_page_with_one_id_goes_to_the_new_run(admin_client):
    response = admin_client.post(import_page(), {"tm_attraction_ids": " K8vZ917Gq0f \n"})
    assert response["Location"] == run_page(ImportRun.objects.get())


def test_import_page_reports_invalid_ids_and_queues_nothing(admin_client):
    response = admin_client.post(import_page(), {"tm_attraction_ids": "bad id, x/y"}, follow=True)
    assert ImportRun.objects.count() == 0 and OrmQ.objects.count() == 0
    texts = [str(message) for message in response.context["messages"]]
    assert len(texts) == 2
    assert all("is not a Ticketmaster attraction id" in text for text in texts)


@pytest.mark.parametrize("value", ["", " ,\n; ", ",".join(f"K8vZ{n}" for n in range(201))])
def test_import_page_refuses_an_empty_or_oversized_submission(admin_client, value):
    response = admin_client.post(import_page(), {"tm_attraction_ids": value})
    assert response.status_code == 200
    assert response.context["form"].errors["tm_attraction_ids"]
    assert ImportRun.objects.count() == 0


def test_import_page_get_starts_nothing(admin_client):
    response = admin_client.get(import_page(), {"tm_attraction_ids": "K8vZ917Aaa1"})
    assert response.status_code == 200
    assert ImportRun.objects.count() == 0


@pytest.mark.parametrize("who", ["anonymous", "not staff"])
def test_import_page_sends_non_staff_to_the_login(django_user_model, who):
    client = Client()
    if who == "not staff":
        client.force_login(django_user_model.objects.create_user("visitor", password="x"))
    for response in (
        client.get(import_page()),
        client.post(import_page(), {"tm_attraction_ids": "K8vZ917Aaa1"}),
    ):
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))
    assert ImportRun.objects.count() == 0


def test_import_page_refuses_staff_without_the_permission(staff_client):
    assert staff_client.get(import_page()).status_code == 403
    response = staff_client.post(import_page(), {"tm_attraction_ids": "K8vZ917Aaa1"})
    assert response.status_code == 403
    assert ImportRun.objects.count() == 0


def test_import_page_refuses_a_post_without_csrf_token(admin_user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)
    response = client.post(import_page(), {"tm_attraction_ids": "K8vZ917Aaa1"})
    assert response.status_code == 403
    assert ImportRun.objects.count() == 0


# --- Actions --------------------------------------------------------------------------


def post_action(client, changelist: str, action: str, objects) -> object:
    return client.post(
        reverse(changelist),
        {"action": action, "_selected_action": [obj.pk for obj in objects]},
    )


def test_reimport_selected_artists_queues_a_run_for_each(
    admin_client, django_capture_on_commit_callbacks
):
    artists = [make_artist(), make_artist()]
    busy = make_artist()
    active = ImportRun.objects.create(artist=busy, status=ImportStatus.RUNNING)
    with django_capture_on_commit_callbacks(execute=True):
        response = post_action(
            admin_client, "admin:catalog_artist_changelist", "reimport_selected", [*artists, busy]
        )
    assert response.status_code == 302
    for artist in artists:
        run = ImportRun.objects.get(artist=artist)
        assert run.status == ImportStatus.QUEUED
    assert ImportRun.objects.filter(artist=busy).get() == active
    assert len(queued_task_names()) == 2
    texts = [_plain(text) for text in message_texts(response)]
    assert f"{busy}: already importing as #{active.pk}; not queued again." in texts
    assert sum("queued." in text for text in texts) == 2


def test_reimport_with_full_catalog_queues_runs_that_fetch_the_whole_catalog(
    admin_client, django_capture_on_commit_callbacks
):
    artist = make_artist()
    with django_capture_on_commit_callbacks(execute=True):
        response = post_action(
            admin_client, "admin:catalog_artist_changelist", "reimport_full_catalog", [artist]
        )
    assert response.status_code == 302
    run = ImportRun.objects.get(artist=artist)
    assert run.full_catalog and run.status == ImportStatus.QUEUED
    assert queued_task_names() == [f"import-{run.pk}-identity"]


def test_artist_list_offers_the_import_page_and_action(admin_client):
    make_artist()
    content = admin_client.get(reverse("admin:catalog_artist_changelist")).content.decode()
    assert "reimport_selected" in content and import_page() in content


def test_retry_failed_runs_restarts_only_failed_ones(
    admin_client, django_capture_on_commit_callbacks
):
    failed = ImportRun.objects.create(artist=make_artist(), status=ImportStatus.FAILED)
    succeeded = ImportRun.objects.create(artist=make_artist(), status=ImportStatus.SUCCEEDED)
    running = ImportRun.objects.create(artist=make_artist(), status=ImportStatus.RUNNING)
    # Failed, but the artist is being imported again already.
    busy_artist = make_artist()
    failed_busy = ImportRun.objects.create(artist=busy_artist, status=ImportStatus.FAILED)
    active = ImportRun.objects.create(artist=busy_artist, status=ImportStatus.QUEUED)
    with django_capture_on_commit_callbacks(execute=True):
        response = post_action(
            admin_client,
            "admin:imports_importrun_changelist",
            "retry_failed_runs",
            [failed, succeeded, running, failed_busy],
        )
    retried = ImportRun.objects.exclude(
        pk__in=[failed.pk, succeeded.pk, running.pk, failed_busy.pk, active.pk]
    ).get()
    assert retried.artist_id == failed.artist_id and retried.status == ImportStatus.QUEUED
    assert queued_task_names() == [f"import-{retried.pk}-identity"]
    texts = [_plain(text) for text in message_texts(response)]
    assert (
        f"Skipped 2 runs that did not fail: #{succeeded.pk} (succeeded), #{running.pk} (running)."
        in texts
    )
    assert f"{failed.artist} (failed run #{failed.pk}): import #{retried.pk} queued." in texts
    assert (
        f"{busy_artist} (failed run #{failed_busy.pk}): already importing as #{active.pk}; "
        "not queued again." in texts
    )


def test_staff_who_may_not_start_imports_get_no_import_actions(curator_client):
    failed = ImportRun.objects.create(artist=make_artist(), status=ImportStatus.FAILED)
    changelist = curator_client.get(reverse("admin:imports_importrun_changelist"))
    assert changelist.status_code == 200
    assert "retry_failed_runs" not in changelist.content.decode()
    assert import_page() not in changelist.content.decode()
    post_action(curator_client, "admin:imports_importrun_changelist", "retry_failed_runs", [failed])
    assert ImportRun.objects.count() == 1


# --- The run page ---------------------------------------------------------------------


def finished_run_with_report() -> ImportRun:
    artist = make_artist(name="The Testers")
    now = timezone.now()
    run = ImportRun.objects.create(
        artist=artist,
        status=ImportStatus.SUCCEEDED,
        stage=RunStage.DONE,
        percent=100,
        message="import finished",
        counters={
            "spotify_match": "external_link",
            "shows": 12,
            "tracks_kept": 40,
            # The kept songs by reason: "tracks_kept" is their sum.
            "kept_studio": 37,
            "kept_curator_keep": 3,
            "spotify_requests": {
                "requests": {"several tracks": 15, "token": 2},
                "requests_total": 17,
                "retries": 2,
                "rate_limited": 1,
                "parked": 0,
                "retry_after_wait_seconds": 1.5,
                "limiter_wait_seconds": 0.0,
                "responses": {"several tracks": {"200": 14, "429": 1}, "token": {"200": 2}},
            },
        },
        drop_counts={"live_title": 2, "curator_drop": 1, "duplicate_isrc": 1},
        warnings=["Spotify refused audio features (403): names only"],
        finished_at=now,
    )
    for offset, phase in enumerate([PhaseName.IDENTITY, PhaseName.SHOWS, PhaseName.CATALOG]):
        ImportPhase.objects.create(
            run=run,
            phase=phase,
            status=ImportStatus.SUCCEEDED,
            percent=100,
            attempt=1 + (phase == PhaseName.CATALOG),
            started_at=now + timedelta(seconds=offset),
            finished_at=now + timedelta(seconds=offset + 1.25),
            message=f"{phase.label} done",
        )
    ImportEvent.objects.create(
        run=run,
        stage=RunStage.CATALOG,
        status=ImportStatus.RUNNING,
        percent=40,
        overall_percent=50,
        message="120 tracks on 9 releases",
    )
    rows = [
        ("1" * 22, "Song One - Live at Wembley", "live_title", "GBAAA0000001"),
        ("2" * 22, "Song Two (Live)", "live_title", ""),
        ("3" * 22, "Interview", "curator_drop", "GBAAA0000003"),
        ("4" * 22, "Song Four", "duplicate_isrc", "GBAAA0000004"),
    ]
    for spotify_id, name, reason, isrc in rows:
        DroppedTrack.objects.create(
            run=run, spotify_id=spotify_id, name=name, album_name="Album", reason=reason, isrc=isrc
        )
    TrackOverride.objects.create(
        artist=artist, spotify_id="1" * 22, decision=CuratorDecision.ALWAYS_KEEP
    )
    TrackOverride.objects.create(
        artist=artist, isrc="GBAAA0000003", decision=CuratorDecision.ALWAYS_DROP
    )
    return run


def test_run_page_shows_phases_figures_drops_events_and_the_dropped_tracks(admin_client):
    run = finished_run_with_report()
    response = admin_client.get(run_page(run))
    assert response.status_code == 200
    content = response.content.decode()
    for expected in [
        'id="import-run-progress"',
        "Succeeded",
        "import finished",
        'aria-valuenow="100"',
        # phases with timings and attempts
        "Identity done",
        "Shows &amp; venues",
        "1.25",
        # figures, as (label, value) rows
        '<th scope="row">Studio recordings kept</th><td>40</td>',
        '<th scope="row">Requests</th><td>17: several tracks 15, token 2</td>',
        # drops per reason, curator counts, the warning
        "Live title",
        "Curator: always drop",
        'id="kept-by-curator">3<',
        "Spotify refused audio features",
        # the event log and the dropped tracks report
        "120 tracks on 9 releases",
        "Song One - Live at Wembley",
        "Interview",
        f"?run__id__exact={run.pk}&amp;reason__exact=live_title",
    ]:
        assert expected in content, expected
    report = content[content.index('id="import-run-dropped-tracks"') :]
    # The live track a curator now keeps, and the recording dropped by ISRC, are marked.
    assert report.count('class="badge always_keep"') == 1
    assert report.count('class="badge always_drop"') == 1
    assert "EventSource" not in content  # finished: nothing to follow


def test_run_page_of_an_active_run_follows_the_stream(admin_client):
    run = ImportRun.objects.create(
        artist=make_artist(), status=ImportStatus.RUNNING, stage=RunStage.SHOWS, percent=35
    )
    content = admin_client.get(run_page(run)).content.decode()
    assert '<script src="/static/theset/import_run.js" defer></script>' in content
    assert "new ReconnectingEventSource(config.stream_url)" in RUN_PAGE_SCRIPT.read_text()
    assert f'"stream_url": "/api/artists/{run.artist_id}/stream"' in content
    assert f'"run_id": {run.pk}' in content
    assert "No phase has started yet." in content or "Phases" in content


def test_run_page_shows_the_error_of_a_failed_run(admin_client):
    run = ImportRun.objects.create(
        artist=make_artist(),
        status=ImportStatus.FAILED,
        error="Ticketmaster attraction details answered HTTP 404: DIS1004",
    )
    content = admin_client.get(run_page(run)).content.decode()
    assert 'class="errornote">Ticketmaster attraction details answered HTTP 404' in content


def test_run_page_is_read_only(admin_client):
    run = finished_run_with_report()
    response = admin_client.post(run_page(run), {"status": "queued", "percent": 0})
    assert response.status_code == 403
    assert ImportRun.objects.get(pk=run.pk).status == ImportStatus.SUCCEEDED


def figure_rows(content: str) -> list[tuple[str, str]]:
    """The run page's figures table as (label, value) rows, section headings left out."""
    start = content.index('id="import-run-counters"')
    table = content[start : content.index("</table>", start)]
    return re.findall(r'<tr><th scope="row">(.*?)</th><td>(.*?)</td></tr>', table)


def test_run_page_figures_are_a_table_with_each_number_once(admin_client):
    """Counters as (label, value) rows: no Python dict or JSON, the kept songs once (not
    again as "kept studio"), 429 answers once, the Spotify match in words."""
    run = finished_run_with_report()
    content = admin_client.get(run_page(run)).content.decode()
    rows = figure_rows(content)

    assert dict(rows) == {
        "Spotify artist found by": "Ticketmaster external link",
        "Shows listed": "12",
        "Studio recordings kept": "40",
        "Requests": "17: several tracks 15, token 2",
        "Answers": "200: 16; 429: 1 (several tracks 1)",
        "Retries": "2",
        "Waited": "1.5 s asked by Retry-After",
    }
    assert len(rows) == len(dict(rows))
    values = " ".join(value for _, value in rows)
    assert not any(mark in values for mark in "{}[]'\""), values
    for section in ["Identity", "Shows &amp; venues", "Catalog", "Spotify requests"]:
        assert f'data-section="{section}"' in content, section
    # The curator's keeps are counted where the drops are, not among the figures.
    assert 'id="kept-by-curator">3<' in content
    # No second, raw copy of the figures (they were a collapsed JSON fieldset).
    assert "Raw figures" not in content and "requests_total" not in content


@pytest.mark.parametrize(
    ("counters", "expected"),
    [
        pytest.param(
            {"ticketmaster_requests": {"requests": {"events search": 7}, "requests_total": 7}},
            [("Requests", "7 (events search)")],
            id="one-endpoint-named-not-counted-twice",
        ),
        pytest.param(
            {"spotify_requests": {"requests_total": 3}},
            [("Requests", "3")],
            id="kept-catalog-total-only",
        ),
        pytest.param(
            {"malformed_events": ["no id", "no date"], "events_malformed": 2},
            [("Malformed events", "2: no id; no date")],
            id="malformed-count-with-its-list",
        ),
        pytest.param(
            {"catalog_unchanged": 1, "albums": 4},
            [("Albums and singles stored", "4"), ("Catalog unchanged since last decided", "yes")],
            id="flags-in-words",
        ),
        pytest.param(
            {"new_counter": {"by_kind": {"a": 1}}},
            [("New counter", "by kind (a 1)")],
            id="unknown-nested-counter-readable",
        ),
    ],
)
def test_run_figures_read_as_rows(counters, expected):
    rows = [row for section in run_figures(counters) for row in section.rows]
    assert rows == expected


def running_run(artist: Artist) -> ImportRun:
    """A run of `artist` whose identity phase has started and reported, as the
    pipeline's progress reports leave it."""
    started = import_run_create(tm_attraction_id=artist.tm_attraction_id)
    identity = PhaseReporter(run_id=started.import_id, phase=PhaseName.IDENTITY)
    identity.start()
    identity.report(40, f"found {artist.name or 'it'} on Ticketmaster")
    return ImportRun.objects.get(pk=started.import_id)


def test_a_running_run_page_says_one_state_and_when_it_started(admin_client):
    """Not "(queued)" in the title beside "Running" in the panel, nor "Started -"."""
    run = running_run(make_artist(name="The Testers"))
    content = admin_client.get(run_page(run)).content.decode()

    assert run.status == ImportStatus.RUNNING and run.started_at is not None
    assert f"<h2>Import #{run.pk} of The Testers</h2>" in content
    assert f"&rsaquo; Import #{run.pk} of The Testers\n</div>" in content
    assert "(queued)" not in content and "(running)" not in content
    assert 'class="badge running" data-field="status">Running<' in content
    started = re.search(r"Started:</label>\s*<div class=\"readonly\">(.*?)</div>", content)
    assert started and started[1] == admin_time(run.started_at) and started[1].endswith(" UTC")
    # The live script knows the state the page shows, and reloads when it changes.
    assert '"status": "running"' in content
    assert "event.status !== config.status" in RUN_PAGE_SCRIPT.read_text()


def test_the_run_page_follows_the_stream_from_the_last_event_it_shows(admin_client):
    run = running_run(make_artist())
    last = ImportEvent.objects.filter(run=run).latest("id")
    content = admin_client.get(run_page(run)).content.decode()
    assert f'"stream_url": "/api/artists/{run.artist_id}/stream?lastEventId={last.pk}"' in content


def test_the_run_page_reloads_once_identity_names_the_artist():
    unnamed = make_artist(name="", tm_attraction_id="K8vZ917Unnm")
    named = make_artist(name="Known")
    for artist, reloads in [(unnamed, True), (named, False)]:
        run = ImportRun.objects.create(artist=artist, status=ImportStatus.QUEUED)
        assert run_page_context(run)["live_config"]["reload_when_named"] is reloads


def test_the_run_page_names_the_artist_and_links_its_admin_and_public_pages(admin_client):
    public = make_artist(name="The Testers", identity_synced_at=timezone.now())
    run = ImportRun.objects.create(artist=public, status=ImportStatus.SUCCEEDED)
    content = admin_client.get(run_page(run)).content.decode()
    admin_url = reverse("admin:catalog_artist_change", args=[public.pk])
    assert f'<a href="{admin_url}">The Testers</a>' in content
    assert f'<a href="{public.get_absolute_url()}">public page</a>' in content

    # Not named yet: its id, marked, and no public page to link (it has none).
    unnamed = make_artist(name="", tm_attraction_id="K8vZ917Zzzz")
    run = ImportRun.objects.create(artist=unnamed)
    content = admin_client.get(run_page(run)).content.decode()
    assert '<code>K8vZ917Zzzz</code> <em class="unnamed-artist">(not named yet)</em>' in content
    assert "public page" not in content


def test_run_list_and_page_times_name_their_zone(admin_client):
    run = finished_run_with_report()
    listing = admin_client.get(reverse("admin:imports_importrun_changelist")).content.decode()
    assert f'<td class="field-created_time">{admin_time(run.created_at)}</td>' in listing
    assert admin_time(run.created_at).endswith(" UTC")
    page = admin_client.get(run_page(run)).content.decode()
    event = ImportEvent.objects.get(run=run)
    assert f"<p>{admin_time(event.at, EVENT_TIME_FORMAT)}</p>" in page
    assert re.search(r"<td>\d+ \w+ \d{4}, \d\d:\d\d:\d\d UTC</td>", page)  # a phase's start


# --- The admin home and unnamed artists ------------------------------------------------------


def test_admin_home_offers_import_artists_to_staff_who_may_start_imports(
    admin_client, staff_client, django_user_model
):
    link = f'href="{import_page()}" class="button default" id="import-artists-link"'
    assert link in admin_client.get(reverse("admin:index")).content.decode()
    assert link not in staff_client.get(reverse("admin:index")).content.decode()

    starter = django_user_model.objects.create_user("starter", password="x", is_staff=True)
    starter.user_permissions.set(Permission.objects.filter(codename="add_importrun"))
    client = Client()
    client.force_login(starter)
    assert link in client.get(reverse("admin:index")).content.decode()
    assert client.get(import_page()).status_code == 200


def test_an_unknown_attraction_id_is_listed_by_its_id_with_why_it_has_no_name(
    sandbox, admin_client
):
    """A well-formed id Ticketmaster does not know: its import fails in identity; the
    artist list shows the id (not "-"), marked, with the run's error, and filters it."""
    with sandbox():
        failed = import_inline("K8vZ917Zzzz")
    pending = import_run_create(tm_attraction_id="K8vZ917Wait")  # queued: not named yet
    named = make_artist(name="The Testers")
    assert failed.status == ImportStatus.FAILED
    assert failed.error.startswith("Ticketmaster has no attraction with id K8vZ917Zzzz")

    changelist = reverse("admin:catalog_artist_changelist")
    listing = admin_client.get(changelist).content.decode()
    marked = '<code>K8vZ917Zzzz</code> <em class="unnamed-artist">(not named: import failed)</em>'
    assert marked in listing
    assert "Ticketmaster has no attraction with id K8vZ917Zzzz" in listing
    assert '<code>K8vZ917Wait</code> <em class="unnamed-artist">(not named yet)</em>' in listing
    assert '<a href="' in listing and ">-</a>" not in listing

    def listed(named_filter: str) -> set[str]:
        response = admin_client.get(changelist, {"named": named_filter})
        return {artist.tm_attraction_id for artist in response.context["cl"].result_list}

    assert listed("failed") == {"K8vZ917Zzzz"}
    assert listed("pending") == {"K8vZ917Wait"}
    assert named.tm_attraction_id in listed("yes") and "K8vZ917Zzzz" not in listed("yes")

    page = admin_client.get(reverse("admin:catalog_artist_change", args=[failed.artist_id]))
    content = page.content.decode()
    assert "(not named: import failed)" in content
    assert f"{run_link(failed.pk)} failed" in content
    assert html.escape(failed.error) in content
    assert 'class="viewsitelink"' not in content  # no public page to view
    assert ImportRun.objects.get(pk=pending.import_id).status == ImportStatus.QUEUED


# --- Curator overrides ------------------------------------------------------------------


def test_dropped_track_list_filters_by_run_and_marks_overrides(admin_client):
    run = finished_run_with_report()
    other = finished_run_with_report()
    response = admin_client.get(
        reverse("admin:imports_droppedtrack_changelist"), {"run__id__exact": run.pk}
    )
    assert response.status_code == 200
    assert response.context["cl"].result_count == 4
    rows = {
        track.spotify_id: track.override_decision for track in response.context["cl"].result_list
    }
    assert rows["1" * 22] == "always_keep"
    assert rows["3" * 22] == "always_drop"
    assert rows["2" * 22] is None
    assert other.pk != run.pk


def test_always_keep_on_dropped_tracks_records_overrides_for_their_artist(
    curator_client, django_user_model
):
    run = finished_run_with_report()
    tracks = DroppedTrack.objects.filter(run=run, spotify_id__in=["2" * 22, "4" * 22])
    response = post_action(
        curator_client, "admin:imports_droppedtrack_changelist", "always_keep", tracks
    )
    assert response.status_code == 302
    overrides = TrackOverride.objects.filter(artist=run.artist, spotify_id__in=["2" * 22, "4" * 22])
    assert {o.decision for o in overrides} == {"always_keep"}
    assert {o.track_name for o in overrides} == {"Song Two (Live)", "Song Four"}
    assert {o.created_by.username for o in overrides} == {"curator"}
    assert TrackOverride.objects.decisions_for(run.artist_id) == {
        "1" * 22: CuratorDecision.ALWAYS_KEEP,
        "2" * 22: CuratorDecision.ALWAYS_KEEP,
        "4" * 22: CuratorDecision.ALWAYS_KEEP,
        "GBAAA0000003": CuratorDecision.ALWAYS_DROP,
    }
    # Deciding again changes the decision of the same row.
    post_action(curator_client, "admin:imports_droppedtrack_changelist", "always_drop", tracks[:1])
    assert TrackOverride.objects.filter(artist=run.artist).count() == 4


def test_staff_without_curator_permissions_cannot_record_overrides(staff_client, admin_user):
    run = finished_run_with_report()
    staff = staff_client.get(reverse("admin:imports_droppedtrack_changelist"))
    assert staff.status_code == 403
    before = TrackOverride.objects.count()
    post_action(
        staff_client,
        "admin:imports_droppedtrack_changelist",
        "always_keep",
        DroppedTrack.objects.filter(run=run),
    )
    assert TrackOverride.objects.count() == before


def test_always_drop_on_tracks_names_the_recording_for_each_linked_artist(admin_client):
    first, second = make_artist(), make_artist()
    track = make_track(isrc="usab12300001")
    no_isrc = make_track(isrc="")
    unlinked = make_track()
    link_track(first, track)
    link_track(second, track)
    link_track(first, no_isrc)
    response = post_action(
        admin_client, "admin:catalog_track_changelist", "always_drop", [track, no_isrc, unlinked]
    )
    assert response.status_code == 302
    assert set(TrackOverride.objects.values_list("artist", "isrc", "spotify_id", "decision")) == {
        (first.pk, "USAB12300001", "", "always_drop"),
        (second.pk, "USAB12300001", "", "always_drop"),
        (first.pk, "", no_isrc.spotify_id, "always_drop"),
    }


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({}, "Give a Spotify track id or an ISRC."),
        ({"spotify_id": "a" * 22, "isrc": "USAB12300001"}, "not both"),
        ({"isrc": "US-AB1"}, "An ISRC is 12 characters"),
        ({"spotify_id": "short"}, "A Spotify track id is 22 letters and digits."),
    ],
    ids=["no key", "two keys", "bad isrc", "bad spotify id"],
)
def test_override_form_refuses_a_missing_or_malformed_key(admin_client, fields, error):
    artist = make_artist()
    response = admin_client.post(
        reverse("admin:catalog_trackoverride_add"),
        {"artist": artist.pk, "decision": "always_drop", "spotify_id": "", "isrc": ""} | fields,
    )
    assert response.status_code == 200
    assert error in response.content.decode()
    assert TrackOverride.objects.count() == 0


def test_override_form_records_who_and_normalises_the_isrc(admin_client, admin_user):
    artist = make_artist()
    response = admin_client.post(
        reverse("admin:catalog_trackoverride_add"),
        {
            "artist": artist.pk,
            "decision": "always_keep",
            "isrc": "us-ab1-23-00001",
            "spotify_id": "",
            "track_name": "Session Song",
            "note": "a studio take despite the name",
        },
    )
    assert response.status_code == 302
    override = TrackOverride.objects.get()
    assert (override.isrc, override.created_by) == ("USAB12300001", admin_user)
    duplicate = admin_client.post(
        reverse("admin:catalog_trackoverride_add"),
        {"artist": artist.pk, "decision": "always_drop", "isrc": "USAB12300001", "spotify_id": ""},
    )
    assert duplicate.status_code == 200
    assert "already has an override for this ISRC" in duplicate.content.decode()
    changelist = admin_client.get(
        reverse("admin:catalog_trackoverride_changelist"), {"q": "Session"}
    )
    assert changelist.context["cl"].result_count == 1


KEEP, DROP = CuratorDecision.ALWAYS_KEEP, CuratorDecision.ALWAYS_DROP


@pytest.mark.parametrize(
    ("overrides", "track_isrc", "expected"),
    [
        ({"isrc": "GBAAA0000003"}, "GBAAA0000003", DROP),
        ({"isrc": "gbaaa0000003"}, "GBAAA0000003", DROP),
        ({"isrc": "GB-AAA-00-00003"}, "GBAAA0000003", DROP),
        ({"isrc": "GBAAA0000003"}, "gbaaa0000003", DROP),
        ({"isrc": "GBAAA0000003"}, "GB-AAA-00-00003", DROP),
        ({"isrc": "GBAAA0000009"}, "GBAAA0000003", None),
        ({"isrc": "gb-aaa-00-00003", "spotify_id": "keep"}, "GBAAA0000003", KEEP),
        ({"spotify_id": "keep"}, "", KEEP),
    ],
    ids=[
        "same-spelling",
        "override-in-lower-case",
        "override-with-dashes",
        "track-in-lower-case",
        "track-with-dashes",
        "another-recording",
        "spotify-id-outranks-isrc",
        "spotify-id-without-isrc",
    ],
)
def test_the_run_page_marks_the_override_the_rules_will_apply(overrides, track_isrc, expected):
    """One lookup for the admin and the rules: an ISRC matches in any case, with or without
    dashes, even as stored by hand (not through the form, which normalises it)."""
    from catalog.rules import DropReason, KeepReason, RawTrack, decide_studio_tracks

    spotify_id = "5" * 22
    artist = make_artist()
    run = ImportRun.objects.create(
        artist=artist, status=ImportStatus.SUCCEEDED, drop_counts={"live_title": 1}
    )
    DroppedTrack.objects.create(
        run=run,
        spotify_id=spotify_id,
        name="Song (Live)",
        album_name="Album",
        reason="live_title",
        isrc=track_isrc,
    )
    if "isrc" in overrides:
        TrackOverride.objects.create(artist=artist, isrc=overrides["isrc"], decision=DROP)
    if "spotify_id" in overrides:
        TrackOverride.objects.create(artist=artist, spotify_id=spotify_id, decision=KEEP)

    [group] = run_page_context(run)["drop_groups"]
    [row] = group["rows"]
    verdict = decide_studio_tracks(
        [
            RawTrack(
                spotify_id=spotify_id,
                name="Song",
                duration_ms=200_000,
                isrc=track_isrc or None,
                popularity=None,
                album_spotify_id="a" * 22,
                album_name="Album",
                album_type="album",
                release_date="2020",
                liveness=None,
            )
        ],
        audio_features_available=False,
        curator_decisions=TrackOverride.objects.decisions_for(artist.pk),
    ).decisions[0]
    by_rule = {DropReason.CURATOR_DROP: DROP, KeepReason.CURATOR_KEEP: KEEP}.get(verdict.reason)

    assert row["curator"] == by_rule == expected


# --- Overrides survive a re-import --------------------------------------------------------


def import_inline(tm_attraction_id: str) -> ImportRun:
    started = import_run_create(tm_attraction_id=tm_attraction_id)
    return run_import(started.import_id)


def test_curator_overrides_survive_a_reimport(world, sandbox, admin_client):
    """A curator drops a kept song and keeps a live track, in the admin; the next import
    applies both, and its run explains it."""
    tm_id = profiles.BUILTIN_ATTRACTION_IDS["mid"]
    expected = next(artist for artist in world.artists if artist.tm_attraction_id == tm_id)
    with sandbox():
        first = import_inline(tm_id)
        assert first.status == ImportStatus.SUCCEEDED, first.error
        artist_id = first.artist_id
        studio = (
            Track.objects.filter(artist_tracks__artist_id=artist_id)
            .exclude(isrc="")
            .order_by("spotify_id")
            .first()
        )
        live = (
            DroppedTrack.objects.filter(run=first, reason__in=["live_title", "live_album"])
            .order_by("reason", "spotify_id")
            .first()
        )
        # Kept by ISRC: the name rules alone drop it, so only its details show the ISRC.
        live_by_isrc = next(
            track
            for album in expected.albums
            for track in album.tracks
            if track.isrc
            and DroppedTrack.objects.filter(
                run=first, spotify_id=track.spotify_id, reason__in=["live_title", "live_album"]
            )
            .exclude(spotify_id=live.spotify_id)
            .exists()
        )
        post_action(admin_client, "admin:catalog_track_changelist", "always_drop", [studio])
        post_action(admin_client, "admin:imports_droppedtrack_changelist", "always_keep", [live])
        TrackOverride.objects.decide(
            artist_id=artist_id, decision=CuratorDecision.ALWAYS_KEEP, isrc=live_by_isrc.isrc
        )
        links_before = ArtistTrack.objects.filter(artist_id=artist_id).count()

        second = import_inline(tm_id)

    assert second.status == ImportStatus.SUCCEEDED, second.error
    links = ArtistTrack.objects.filter(artist_id=artist_id)
    # The dropped recording is gone on every release, and the report says why.
    assert not links.filter(track__isrc=studio.isrc).exists()
    assert DroppedTrack.objects.get(run=second, spotify_id=studio.spotify_id).reason == (
        "curator_drop"
    )
    assert second.drop_counts["curator_drop"] >= 1
    # Both live tracks the curator keeps are now the artist's songs.
    assert links.filter(track__spotify_id=live.spotify_id).exists()
    assert links.filter(track__spotify_id=live_by_isrc.spotify_id).exists()
    assert not DroppedTrack.objects.filter(
        run=second, spotify_id__in=[live.spotify_id, live_by_isrc.spotify_id]
    ).exists()
    assert second.counters["kept_curator_keep"] >= 2
    assert links.count() >= links_before + 2 - second.drop_counts["curator_drop"]

    page = admin_client.get(run_page(second)).content.decode()
    assert "Curator: always drop" in page
    assert f'id="kept-by-curator">{second.counters["kept_curator_keep"]}<' in page


def _plain(text: str) -> str:
    """A message without its HTML tags (run numbers are links)."""
    return re.sub(r"<[^>]+>", "", text)


# --- The run page in a browser ------------------------------------------------------------


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
@needs_chromium
def test_run_page_follows_the_run_live_and_reloads_when_it_ends(admin_user):
    from playwright.sync_api import sync_playwright

    from theset.asgi import application

    run = ImportRun.objects.create(artist=make_artist(name="Live Watchers"))
    identity = PhaseReporter(run_id=run.pk, phase=PhaseName.IDENTITY)
    ARTIFACTS.mkdir(exist_ok=True)
    screenshot = ARTIFACTS / f"admin-run-page-{connection.vendor}"
    with (
        serve_in_thread(ASGIStaticFilesHandler(application)) as web,
        sync_playwright() as playwright,
    ):
        browser = launch(playwright)
        try:
            page = logged_in_admin_run_page(browser, web, admin_user.username, run_page(run))

            in_a_thread(identity.start)
            in_a_thread(lambda: identity.report(60, "found Live Watchers on Ticketmaster"))
            page.wait_for_function(
                "() => document.querySelector('[data-field=message]')?.textContent"
                # (null while the page reloads, as it does when the run starts)
                " === 'found Live Watchers on Ticketmaster'",
                timeout=30_000,
            )
            live = {
                "bar": int(page.get_attribute("[data-field=bar]", "aria-valuenow")),
                "status": page.inner_text("[data-field=status]"),
                "stage": page.inner_text("[data-field=stage]"),
            }
            page.screenshot(path=f"{screenshot}-running.png", full_page=True)

            in_a_thread(lambda: identity.finish("identity done", {}))
            in_a_thread(lambda: finalize_phase(run.pk))
            # `end` arrives: the page reloads and shows the finished run, no stream.
            page.wait_for_selector("#import-run-progress:not(:has([data-field=live]))")
            finished = {
                "status": page.inner_text("[data-field=status]"),
                "bar": int(page.get_attribute("[data-field=bar]", "aria-valuenow")),
            }
            page.screenshot(path=f"{screenshot}.png", full_page=True)
            violations = csp_violations(page)
        finally:
            browser.close()

    assert violations == []
    assert live["bar"] == 6  # identity weighs 10% of the run
    assert (live["status"], live["stage"]) == ("Running", "Identity")
    assert finished == {"status": "Succeeded", "bar": 100}
