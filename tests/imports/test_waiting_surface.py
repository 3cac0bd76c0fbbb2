"""A run waiting for an upstream (its phase parked until the quota resets) as every
interface people use shows it, and cancelling it: the API, the admin, the command line,
the public artist page and the progress stream."""

from __future__ import annotations

import html
import io
import json
import re
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_q.models import Schedule

from catalog.models import SpotifyMatch
from catalog.services import artist_identity_update
from imports.management.commands import import_artist
from imports.models import ImportPhase, ImportRun, ImportStatus, ImportTrigger
from imports.phases import PhaseName
from imports.pipeline import finalize_phase
from imports.progress import PhaseReporter, park_phase
from imports.rules import waiting_message
from imports.services import import_run_cancel, import_run_create
from sandbox import profiles
from sandbox.server import serve_in_thread
from tests.browser import (
    ARTIFACTS,
    csp_violations,
    in_a_thread,
    launch,
    logged_in_admin_run_page,
    needs_chromium,
    only_local,
    progress_drawn,
    record_csp_violations,
)
from tests.imports.test_stream import Message, assert_ends, in_thread, read_stream, stream_url
from theset.services import api_key_create

pytestmark = pytest.mark.django_db

TM_QUOTA = "Ticketmaster's daily quota"
STATIC = Path(__file__).resolve().parents[2] / "theset/static/theset"
# The admin's styles (the run page's among them) and the run page's live script.
ADMIN_CSS = STATIC / "admin.css"
LIVE_RUN_SCRIPT = STATIC / "import_run.js"


def resumes_at() -> datetime:
    """A time to wait until, on the minute (so the message shows it as is)."""
    return (timezone.now() + timedelta(hours=3)).replace(second=0, microsecond=0)


def waiting_run(
    tm_attraction_id: str = "K8vZ917Wait1",
    *,
    until: datetime | None = None,
    trigger: ImportTrigger = ImportTrigger.PERSON,
) -> ImportRun:
    """A run whose identity succeeded and whose shows phase parked, as the pipeline
    leaves one when Ticketmaster's quota is spent."""
    until = until or resumes_at()
    run_id = import_run_create(tm_attraction_id=tm_attraction_id, trigger=trigger).import_id
    identity = PhaseReporter(run_id=run_id, phase=PhaseName.IDENTITY)
    identity.start()
    run = ImportRun.objects.get(pk=run_id)
    artist_identity_update(
        artist_id=run.artist_id,
        name=f"Waiting Act {tm_attraction_id}",
        image_url="",
        genres=[],
        spotify_id=None,
        spotify_match=SpotifyMatch.NOT_FOUND,
    )
    identity.finish("found the artist on Ticketmaster", {})
    shows = PhaseReporter(run_id=run_id, phase=PhaseName.SHOWS)
    shows.start()
    shows.report(30, "events page 1/4")
    park_phase(run_id, PhaseName.SHOWS, what=TM_QUOTA, until=until)
    return ImportRun.objects.select_related("artist").get(pk=run_id)


def expected_message(until: datetime) -> str:
    return waiting_message(what=TM_QUOTA, until=until, now=timezone.now())


def resumptions(run: ImportRun) -> list[str]:
    return sorted(
        Schedule.objects.filter(name__startswith=f"import-{run.pk}-").values_list("name", flat=True)
    )


def test_the_waiting_run_is_built_as_the_pipeline_leaves_one():
    until = resumes_at()
    run = waiting_run(until=until)

    assert (run.status, run.waiting_until) == (ImportStatus.WAITING, until)
    assert run.message == expected_message(until)
    assert run.message.startswith(f"waiting for {TM_QUOTA} until ")
    assert resumptions(run) == [f"import-{run.pk}-shows"]


# --- API -------------------------------------------------------------------------------


@pytest.fixture
def api_key():
    return api_key_create(name="ops-dashboard")


def cancel(client: Client, run_id: int, *, key: str | None = None):
    headers = {"X-API-Key": key} if key is not None else {}
    return client.post(f"/api/imports/{run_id}/cancel", headers=headers)


def test_status_and_run_say_what_the_run_waits_for_and_until_when(client):
    until = resumes_at()
    run = waiting_run(until=until)

    status = client.get(f"/api/artists/{run.artist_id}/status").json()
    detail = client.get(f"/api/imports/{run.pk}").json()

    assert (status["status"], status["is_active"]) == ("waiting", True)
    assert status["message"] == expected_message(until)
    assert datetime.fromisoformat(status["waiting_until"]) == until
    assert (detail["status"], detail["trigger"]) == ("waiting", "person")
    assert datetime.fromisoformat(detail["waiting_until"]) == until
    phases = {phase["phase"]: phase for phase in detail["phases"]}
    assert (phases["shows"]["status"], phases["shows"]["waiting_for"]) == ("waiting", TM_QUOTA)
    assert datetime.fromisoformat(phases["shows"]["waiting_until"]) == until
    assert (phases["identity"]["waiting_for"], phases["identity"]["waiting_until"]) == ("", None)


@pytest.mark.parametrize(
    ("trigger", "shown"), [(ImportTrigger.PERSON, "person"), (ImportTrigger.RESYNC, "resync")]
)
def test_the_run_says_who_started_it(client, trigger, shown):
    run = waiting_run(trigger=trigger)

    assert client.get(f"/api/imports/{run.pk}").json()["trigger"] == shown


def test_a_run_not_waiting_has_no_waiting_until(client):
    run_id = import_run_create(tm_attraction_id="K8vZ917Queued").import_id
    run = ImportRun.objects.get(pk=run_id)

    assert client.get(f"/api/imports/{run_id}").json()["waiting_until"] is None
    assert client.get(f"/api/artists/{run.artist_id}/status").json()["waiting_until"] is None


def test_cancel_with_a_key_fails_the_run_and_drops_its_resumption(client, api_key):
    until = resumes_at()
    run = waiting_run(until=until)

    response = cancel(client, run.pk, key=api_key.plaintext)

    assert response.status_code == 200
    body = response.json()
    assert (body["id"], body["status"], body["waiting_until"]) == (run.pk, "failed", None)
    assert body["error"] == (f"cancelled by API key ops-dashboard while {expected_message(until)}")
    assert api_key.plaintext not in response.content.decode()
    assert resumptions(run) == []
    run.refresh_from_db()
    assert (run.status, run.is_active, run.finished_at is not None) == ("failed", False, True)
    shows = ImportPhase.objects.get(run=run, phase=PhaseName.SHOWS)
    assert (shows.status, shows.waiting_until) == (ImportStatus.FAILED, None)


def test_a_second_cancel_is_409_saying_the_run_is_not_active(client, api_key):
    run = waiting_run()
    assert cancel(client, run.pk, key=api_key.plaintext).status_code == 200

    again = cancel(client, run.pk, key=api_key.plaintext)

    assert again.status_code == 409
    assert again.json() == {
        "detail": f"Import {run.pk} is not active (status failed): nothing to cancel"
    }


@pytest.mark.parametrize("status", [ImportStatus.QUEUED, ImportStatus.RUNNING])
def test_cancel_also_stops_a_queued_or_running_run(client, api_key, status):
    run_id = import_run_create(tm_attraction_id="K8vZ917Busy").import_id
    if status == ImportStatus.RUNNING:
        PhaseReporter(run_id=run_id, phase=PhaseName.IDENTITY).start()

    response = cancel(client, run_id, key=api_key.plaintext)

    assert response.status_code == 200
    assert response.json()["status"] == "failed"
    assert response.json()["error"] == "cancelled by API key ops-dashboard"


@pytest.mark.parametrize(
    ("key", "expected"),
    [(None, 401), ("theset_nope_nope", 401)],
)
def test_cancel_needs_credentials(client, key, expected):
    run = waiting_run()

    assert cancel(client, run.pk, key=key).status_code == expected
    run.refresh_from_db()
    assert run.status == ImportStatus.WAITING
    assert resumptions(run) == [f"import-{run.pk}-shows"]


def test_cancel_of_an_unknown_run_is_404(client, api_key):
    response = cancel(client, 987654, key=api_key.plaintext)

    assert response.status_code == 404
    assert response.json() == {"detail": "No import with id 987654"}


def importing_staff(django_user_model, username: str = "ops", *, codenames=("add_importrun",)):
    staff = django_user_model.objects.create_user(username, password="x", is_staff=True)
    staff.user_permissions.set(
        Permission.objects.filter(codename__in=codenames, content_type__app_label="imports")
    )
    return staff


def test_staff_may_cancel_through_the_api_and_are_named(client, django_user_model):
    client.force_login(importing_staff(django_user_model, "alice"))
    run = waiting_run()

    response = cancel(client, run.pk)

    assert response.status_code == 200
    assert response.json()["error"].startswith("cancelled by staff alice while waiting for ")


def test_staff_without_the_permission_may_not_cancel(client, django_user_model):
    client.force_login(importing_staff(django_user_model, codenames=()))
    run = waiting_run()

    assert cancel(client, run.pk).status_code == 403
    run.refresh_from_db()
    assert run.status == ImportStatus.WAITING


def test_api_answers_match_the_published_schema(client, api_key):
    from openapi_schema_validator import OAS31Validator

    openapi = client.get("/api/openapi.json").json()
    run = waiting_run()

    def check(response, path: str, method: str = "get") -> None:
        content = openapi["paths"][path][method]["responses"][str(response.status_code)]
        schema = {**content["content"]["application/json"]["schema"]}
        OAS31Validator({**schema, "components": openapi["components"]}).validate(response.json())

    check(client.get(f"/api/imports/{run.pk}"), "/api/imports/{import_id}")
    check(client.get(f"/api/artists/{run.artist_id}/status"), "/api/artists/{id_or_slug}/status")
    check(cancel(client, run.pk, key=api_key.plaintext), "/api/imports/{import_id}/cancel", "post")
    check(cancel(client, run.pk, key=api_key.plaintext), "/api/imports/{import_id}/cancel", "post")


def test_until_is_shown_with_its_date_when_not_today():
    until = datetime(2031, 5, 2, 14, 5, tzinfo=UTC)

    assert waiting_run(until=until).message == (f"waiting for {TM_QUOTA} until 2 May 14:05 UTC")


# --- Admin -----------------------------------------------------------------------------

RUN_LIST = "admin:imports_importrun_changelist"


def run_page(run: ImportRun) -> str:
    return reverse("admin:imports_importrun_change", args=[run.pk])


def admin_messages(response) -> list[str]:
    return [re.sub(r"<[^>]+>", "", str(m)) for m in get_messages(response.wsgi_request)]


def cancel_action(client: Client, runs) -> object:
    return client.post(
        reverse(RUN_LIST),
        {"action": "cancel_runs", "_selected_action": [run.pk for run in runs]},
    )


def test_run_list_shows_a_waiting_run_with_its_message_until_and_trigger(admin_client):
    until = resumes_at()
    run = waiting_run(until=until, trigger=ImportTrigger.RESYNC)

    content = admin_client.get(reverse(RUN_LIST)).content.decode()

    assert f'Waiting<br><span class="quiet">until {until:%-d %b %H:%M} UTC</span>' in content
    assert html.escape(expected_message(until)) in content
    assert '<td class="field-trigger_column">re-sync</td>' in content
    assert "?status__exact=waiting" in content  # the status filter offers Waiting
    assert "?trigger__exact=resync" in content
    assert run_page(run) in content


@pytest.mark.parametrize(
    ("query", "listed"),
    [
        ({"status__exact": "waiting"}, {"waiting"}),
        ({"status__exact": "queued"}, {"queued"}),
        ({"trigger__exact": "resync"}, {"waiting"}),
        ({"trigger__exact": "person"}, {"queued"}),
    ],
)
def test_run_list_filters_by_status_and_trigger(admin_client, query, listed):
    waiting_run(trigger=ImportTrigger.RESYNC)
    import_run_create(tm_attraction_id="K8vZ917Queued")

    response = admin_client.get(reverse(RUN_LIST), query)

    assert {run.status for run in response.context["cl"].result_list} == listed


def test_run_page_of_a_waiting_run_says_what_it_waits_for_and_until_when(admin_client):
    until = resumes_at()
    run = waiting_run(until=until)

    content = admin_client.get(run_page(run)).content.decode()

    assert '<span class="badge waiting" data-field="status">Waiting</span>' in content
    assert 'class="bar waiting"' in content
    assert html.escape(expected_message(until)) in content
    assert f"Parked until <strong>{until:%Y-%m-%d %H:%M} UTC</strong>" in content
    shows = content[content.index('<tr data-phase="shows">') :]
    shows = shows[: shows.index("</tr>")]
    assert '<span class="badge waiting">Waiting</span>' in shows
    assert (
        f"waiting for <strong>{html.escape(TM_QUOTA)}</strong> until {until:%Y-%m-%d %H:%M} UTC"
        in shows
    )
    # Still followed live: waiting is not the end.
    assert '<script id="import-run-live" type="application/json">' in content
    assert '<script src="/static/theset/import_run.js" defer></script>' in content
    assert "new ReconnectingEventSource(config.stream_url)" in LIVE_RUN_SCRIPT.read_text()
    assert reverse("admin:imports_importrun_cancel", args=[run.pk]) in content
    assert "Cancel this run" in content


def test_the_waiting_badge_is_neither_red_nor_green():
    style = ADMIN_CSS.read_text().splitlines()

    waiting = [line for line in style if ".waiting " in line or ".waiting {" in line]
    assert [line.split("{")[0].strip() for line in waiting] == [
        ".import-run-progress .bar.waiting .fill",
        ".import-run .badge.waiting",
    ]
    assert all("--selected-bg" in line or "--border-color" in line for line in waiting)


def test_admin_action_cancels_active_runs_and_counts_those_not_active(admin_client, admin_user):
    waiting = waiting_run()
    queued = ImportRun.objects.get(pk=import_run_create(tm_attraction_id="K8vZ917Queued").import_id)
    done = ImportRun.objects.get(pk=import_run_create(tm_attraction_id="K8vZ917Done").import_id)
    ImportRun.objects.filter(pk=done.pk).update(status=ImportStatus.SUCCEEDED)

    response = cancel_action(admin_client, [waiting, queued, done])

    assert response.status_code == 302
    assert admin_messages(response) == [
        f"Cancelled 2 runs: #{waiting.pk}, #{queued.pk}.",
        f"Not cancelled, 1 run was not active: #{done.pk} (succeeded).",
    ]
    waiting.refresh_from_db()
    queued.refresh_from_db()
    assert (waiting.status, queued.status) == (ImportStatus.FAILED, ImportStatus.FAILED)
    assert waiting.error.startswith(f"cancelled by staff {admin_user.username} while waiting for")
    assert queued.error == f"cancelled by staff {admin_user.username}"
    assert resumptions(waiting) == []
    assert ImportRun.objects.get(pk=done.pk).status == ImportStatus.SUCCEEDED


def test_admin_action_on_runs_already_over_cancels_none(admin_client):
    run = waiting_run()
    import_run_cancel(run_id=run.pk, by="staff someone")

    response = cancel_action(admin_client, [run])

    assert admin_messages(response) == [f"Not cancelled, 1 run was not active: #{run.pk} (failed)."]


def test_the_run_page_button_cancels_the_run(admin_client, admin_user):
    run = waiting_run()

    response = admin_client.post(reverse("admin:imports_importrun_cancel", args=[run.pk]))

    assert response.status_code == 302
    assert response["Location"] == run_page(run)
    assert admin_messages(response) == [f"Cancelled 1 run: #{run.pk}."]
    run.refresh_from_db()
    assert run.status == ImportStatus.FAILED
    assert resumptions(run) == []
    page = admin_client.get(run_page(run)).content.decode()
    assert "Cancel this run" not in page  # nothing left to cancel
    assert f"cancelled by staff {admin_user.username} while waiting for" in page


def test_the_run_page_button_only_posts(admin_client):
    run = waiting_run()

    assert admin_client.get(
        reverse("admin:imports_importrun_cancel", args=[run.pk])
    ).status_code == (405)
    run.refresh_from_db()
    assert run.status == ImportStatus.WAITING


@pytest.fixture
def reader_client(django_user_model):
    """Staff who may read runs and start imports, but not change (cancel) them."""
    client = Client()
    client.force_login(
        importing_staff(django_user_model, "reader", codenames=("view_importrun", "add_importrun"))
    )
    return client


@pytest.fixture
def operator_client(django_user_model):
    client = Client()
    client.force_login(
        importing_staff(
            django_user_model, "operator", codenames=("view_importrun", "change_importrun")
        )
    )
    return client


def test_cancelling_needs_the_change_permission(reader_client, operator_client):
    run = waiting_run()

    listed = reader_client.get(reverse(RUN_LIST))
    page = reader_client.get(run_page(run)).content.decode()
    action = cancel_action(reader_client, [run])
    button = reader_client.post(reverse("admin:imports_importrun_cancel", args=[run.pk]))

    assert "cancel_runs" not in dict(listed.context["action_form"].fields["action"].choices)
    assert "Cancel this run" not in page
    assert action.status_code == 302  # refused as "no action selected"
    assert button.status_code == 403
    run.refresh_from_db()
    assert run.status == ImportStatus.WAITING

    offered = operator_client.get(reverse(RUN_LIST)).context["action_form"]
    assert "cancel_runs" in dict(offered.fields["action"].choices)
    assert "Cancel this run" in operator_client.get(run_page(run)).content.decode()
    response = cancel_action(operator_client, [run])
    assert admin_messages(response) == [f"Cancelled 1 run: #{run.pk}."]
    run.refresh_from_db()
    assert run.error.startswith("cancelled by staff operator while waiting for")


# --- Command line ----------------------------------------------------------------------

PROLIFIC = profiles.BUILTIN_ATTRACTION_IDS["prolific"]
# Prolific's shows need eight Ticketmaster requests: four spend the day's quota.
SPENT_QUOTA = {"tm_daily_quota": 4}


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class PollClock:
    """Stands in for the command's `time`: each poll's sleep returns at once, and the
    `on_poll` callback is called with the number of polls so far."""

    def __init__(self, on_poll) -> None:
        self.polls = 0
        self.on_poll = on_poll

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        self.polls += 1
        self.on_poll(self.polls)


def test_following_a_waiting_run_says_so_once_and_goes_on_until_it_ends(monkeypatch):
    until = resumes_at()
    run = waiting_run(until=until)

    def on_poll(polls: int) -> None:
        if polls == 3:  # a phase finishing beside the parked one says it again
            PhaseReporter(run_id=run.pk, phase=PhaseName.SHOWS).wait(what=TM_QUOTA, until=until)
        if polls == 6:
            import_run_cancel(run_id=run.pk, by="staff someone")

    clock = PollClock(on_poll)
    monkeypatch.setattr(import_artist, "time", clock)
    out, err = io.StringIO(), io.StringIO()

    with pytest.raises(CommandError, match="1 of 1 imports failed"):
        call_command("import_artist", run.artist.tm_attraction_id, stdout=out, stderr=err)

    text = out.getvalue()
    tm_id = run.artist.tm_attraction_id
    assert f"{tm_id}: import #{run.pk} is already {expected_message(until)}; following it" in text
    assert text.count(f"] {expected_message(until)}\n") == 1
    assert clock.polls == 6  # waiting did not end the following; the cancel did
    assert f"{tm_id}: failed: cancelled by staff someone while {expected_message(until)}" in (
        err.getvalue()
    )


def test_no_wait_counts_a_waiting_run_as_fine():
    run = waiting_run()
    out = io.StringIO()

    call_command("import_artist", run.artist.tm_attraction_id, "--no-wait", "--json", stdout=out)

    [report] = json.loads(out.getvalue())["imports"]
    assert (report["status"], report["message"]) == ("waiting", run.message)
    assert datetime.fromisoformat(report["waiting_until"]) == run.waiting_until
    assert report["phases"]["shows"]["waiting_for"] == TM_QUOTA


def test_inline_import_left_waiting_says_a_cluster_resumes_it_and_exits_0(sandbox, capsys):
    with sandbox(**SPENT_QUOTA):
        call_command("import_artist", PROLIFIC, "--inline")
    out, err = capsys.readouterr()

    run = ImportRun.objects.get(artist__tm_attraction_id=PROLIFIC)
    assert run.status == ImportStatus.WAITING, run.error
    assert run.message.startswith(f"waiting for {TM_QUOTA} until ")
    assert (
        f"{PROLIFIC}: import #{run.pk} is {run.message}; "
        "a running qcluster (manage.py qcluster) resumes it then"
    ) in out
    assert f"] {run.message}\n" in out  # as it happened
    assert err == ""
    assert resumptions(run) == [f"import-{run.pk}-shows"]


def test_inline_json_report_of_a_waiting_run_says_until_when(sandbox, capsys):
    with sandbox(**SPENT_QUOTA):
        call_command("import_artist", PROLIFIC, "--inline", "--json")
    [report] = json.loads(capsys.readouterr().out)["imports"]

    run = ImportRun.objects.get(artist__tm_attraction_id=PROLIFIC)
    assert report["status"] == "waiting"
    assert datetime.fromisoformat(report["waiting_until"]) == run.waiting_until
    assert report["phases"]["shows"]["status"] == "waiting"
    assert report["phases"]["shows"]["waiting_for"] == TM_QUOTA
    assert report["phases"]["catalog"]["status"] == "succeeded"
    assert report["phases"]["catalog"]["waiting_until"] is None


@pytest.mark.django_db(transaction=True)
def test_inline_import_left_waiting_on_a_terminal_returns_too(sandbox):
    out = Terminal()
    with sandbox(**SPENT_QUOTA):
        call_command("import_artist", PROLIFIC, "--inline", stdout=out)

    run = ImportRun.objects.get(artist__tm_attraction_id=PROLIFIC)
    assert run.status == ImportStatus.WAITING
    assert f"{PROLIFIC}: {run.message}" in out.getvalue()  # above the bar, in full
    assert "a running qcluster (manage.py qcluster) resumes it then" in out.getvalue()


# --- The public artist page -----------------------------------------------------------


def progress_section(page: str) -> str:
    start = page.index('<section id="import-progress"')
    return page[start : page.index("</section>", start)]


def test_the_artist_page_draws_a_waiting_run_as_paused_with_its_message(client):
    until = resumes_at()
    run = waiting_run(until=until)

    page = client.get(f"/artists/{run.artist.slug}/").content.decode()

    section = progress_section(page)
    assert 'class="card notice waiting"' in section
    assert 'data-status="waiting"' in section
    assert '<span data-field="state">Waiting</span>' in section
    assert html.escape(expected_message(until)) in section
    assert "The latest import of this artist failed" not in page


def test_the_artist_page_says_what_it_waits_for_even_after_a_stray_report(client):
    """A page fetch still in flight when the phase parked may report once more (its
    progress words); the page still says what the run waits for."""
    until = resumes_at()
    run = waiting_run(until=until)
    PhaseReporter(run_id=run.pk, phase=PhaseName.SHOWS).report(38, "596 of ~1377 events fetched")

    section = progress_section(client.get(f"/artists/{run.artist.slug}/").content.decode())

    assert html.escape(expected_message(until)) in section
    assert "596 of" not in section


@pytest.mark.parametrize(
    ("then", "state", "notice"),
    [
        ("resumed", "Importing", False),
        ("cancelled", None, True),
    ],
)
def test_the_artist_page_after_the_wait(client, then, state, notice):
    run = waiting_run()
    if then == "resumed":
        PhaseReporter(run_id=run.pk, phase=PhaseName.SHOWS).start()
    else:
        import_run_cancel(run_id=run.pk, by="staff someone")

    page = client.get(f"/artists/{run.artist.slug}/").content.decode()

    if state is None:
        assert 'id="import-progress"' not in page
    else:
        section = progress_section(page)
        assert f'<span data-field="state">{state}</span>' in section
        assert 'class="card notice"' in section and 'data-status="running"' in section
    assert ('id="incomplete-notice"' in page) is notice  # its lists never completed


# --- The progress stream --------------------------------------------------------------


def resume_and_finish(run_id: int) -> None:
    """The cluster resumes the parked shows phase; the run goes on to its end."""
    shows = PhaseReporter(run_id=run_id, phase=PhaseName.SHOWS)
    catalog = PhaseReporter(run_id=run_id, phase=PhaseName.CATALOG)
    shows.start()
    shows.finish("512 shows at 130 venues", {"shows": 512})
    catalog.start()
    catalog.finish("80 studio songs of 140 tracks", {"tracks_kept": 80})
    finalize_phase(run_id)


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("then", "end"),
    [
        (resume_and_finish, "succeeded"),
        (lambda run_id: import_run_cancel(run_id=run_id, by="staff someone"), "failed"),
    ],
    ids=["resumed", "cancelled"],
)
def test_the_stream_stays_open_while_the_run_waits(settings, then, end):
    from theset.asgi import application

    settings.IMPORT_STREAM_KEEPALIVE_SECONDS = 0.2
    settings.IMPORT_STREAM_REDIS_POLL_SECONDS = 0.25
    run = waiting_run()
    writers: list = []

    def after_a_while() -> None:
        time.sleep(1.0)  # long enough for keep-alives: the stream did not end
        then(run.pk)

    def on_message(message: Message) -> None:
        if message.event == "message" and message.json["status"] == "waiting" and not writers:
            writers.append(in_thread(after_a_while))

    with serve_in_thread(application) as base_url:
        result = read_stream(stream_url(base_url, run.artist_id), on_message=on_message)
    writers[0]()

    statuses = [payload["status"] for payload in result.progress]
    assert statuses.index("waiting") < len(statuses) - 1  # more came after the wait
    assert ": keep-alive" in result.comments
    assert_ends(result, run.pk, end)


# --- In a browser: the artist page's and the admin run page's scripts -----------------

# Before the page's own script: every EventSource the page opens, to check their state.
RECORD_STREAMS = """
window.eventSources = [];
const NativeEventSource = window.EventSource;
window.EventSource = class extends NativeEventSource {
  constructor(...args) { super(...args); window.eventSources.push(this); }
};
"""
SECTION = "#import-progress"


class EventSourceState:
    OPEN = 1
    CLOSED = 2


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
@needs_chromium
def test_the_artist_page_shows_a_wait_live_neither_failed_nor_done():
    from playwright.sync_api import sync_playwright

    from theset.asgi import application

    until = resumes_at()
    run = waiting_run(until=until)
    ARTIFACTS.mkdir(exist_ok=True)
    screenshot = ARTIFACTS / f"artist-page-waiting-{connection.vendor}"

    def drawn(page) -> dict:
        return page.evaluate(
            """(selector) => {
              const section = document.querySelector(selector);
              if (!section) return null;
              const fill = getComputedStyle(section.querySelector(".progress-fill"));
              return {
                waiting: section.classList.contains("waiting"),
                status: section.dataset.status,
                state: section.querySelector("[data-field=state]").textContent,
                message: section.querySelector("[data-field=message]").textContent,
                fill: `${fill.backgroundImage} ${fill.backgroundColor}`,
                streams: window.eventSources.map((s) => s.readyState),
              };
            }""",
            SECTION,
        )

    with serve_in_thread(application) as web, sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.route("**/*", only_local)
            record_csp_violations(page)
            page.add_init_script(RECORD_STREAMS)
            page.goto(f"{web}/artists/{run.artist.slug}/")
            page.wait_for_function("() => window.eventSources.length === 1")
            page.wait_for_timeout(700)  # a few polls of the stream: nothing ends it
            at_first = drawn(page)
            bar_at_first = progress_drawn(page, f"{SECTION} [role=progressbar]")
            page.screenshot(path=f"{screenshot}.png")

            in_a_thread(lambda: PhaseReporter(run_id=run.pk, phase=PhaseName.SHOWS).start())
            page.wait_for_function(
                "(s) => document.querySelector(s)?.dataset.status === 'running'", arg=SECTION
            )
            resumed = drawn(page)

            again = until + timedelta(hours=1)
            in_a_thread(lambda: park_phase(run.pk, PhaseName.SHOWS, what=TM_QUOTA, until=again))
            page.wait_for_function(
                "(s) => document.querySelector(s)?.dataset.status === 'waiting'", arg=SECTION
            )
            parked_again = drawn(page)

            in_a_thread(lambda: import_run_cancel(run_id=run.pk, by="staff someone"))
            page.wait_for_function(
                "() => document.querySelector('.notice.failed') !== null", timeout=30_000
            )
            cancelled = page.evaluate("window.eventSources.map((s) => s.readyState)")
            violations = csp_violations(page)
        finally:
            browser.close()

    assert at_first["waiting"] and at_first["status"] == "waiting"
    assert (at_first["state"], at_first["message"]) == ("Waiting", expected_message(until))
    assert at_first["streams"] == [EventSourceState.OPEN]
    assert "rgb(152, 162, 179)" in at_first["fill"]  # neutral grey, no gradient
    # Drawn as wide as its percent from the first paint (no style attribute, no script).
    assert bar_at_first["drawn"] == bar_at_first["says"] > 0, bar_at_first
    assert not resumed["waiting"]
    assert (resumed["state"], resumed["message"]) == ("Importing", "Shows & venues started")
    assert "linear-gradient" in resumed["fill"]
    assert parked_again["waiting"] and parked_again["state"] == "Waiting"
    assert parked_again["message"] == expected_message(again)
    assert parked_again["streams"] == [EventSourceState.OPEN]
    # The end (failed) closed the stream; the page was fetched again, with the notice.
    assert cancelled and all(state == EventSourceState.CLOSED for state in cancelled)
    assert violations == []  # nothing the Content-Security-Policy blocked


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
@needs_chromium
def test_the_admin_run_page_follows_a_run_into_a_wait_and_out_by_cancel(admin_user):
    from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler
    from playwright.sync_api import sync_playwright

    from theset.asgi import application

    run_id = import_run_create(tm_attraction_id="K8vZ917Admin").import_id
    PhaseReporter(run_id=run_id, phase=PhaseName.IDENTITY).start()
    until = resumes_at()
    screenshot = ARTIFACTS / f"admin-run-page-waiting-{connection.vendor}"
    ARTIFACTS.mkdir(exist_ok=True)
    badge = "#import-run-progress [data-field=status]"
    with (
        serve_in_thread(ASGIStaticFilesHandler(application)) as web,
        sync_playwright() as playwright,
    ):
        browser = launch(playwright)
        try:
            page = logged_in_admin_run_page(
                browser, web, admin_user.username, run_page(ImportRun(pk=run_id))
            )

            in_a_thread(lambda: park_phase(run_id, PhaseName.IDENTITY, what=TM_QUOTA, until=until))
            page.wait_for_function(  # the badge is missing while the page reloads for the wait
                f"() => document.querySelector('{badge}')?.textContent === 'Waiting'"
            )
            page.wait_for_timeout(700)  # a few polls: the wait does not end the stream
            waiting = {
                "badge": page.get_attribute(badge, "class"),
                "bar": page.get_attribute("[data-field=bar]", "class"),
                "message": page.inner_text("[data-field=message]"),
                "live": page.locator("[data-field=live]").count(),
            }
            bar_waiting = progress_drawn(page, "[data-field=bar]")
            page.screenshot(path=f"{screenshot}.png", full_page=True)

            page.click("#cancel-run button")
            # The page the cancel redirects to (its message), not the live script's
            # news of the failure on the page before it.
            page.wait_for_selector("ul.messagelist li")
            page.wait_for_selector(".errornote")
            cancelled = {
                "messages": page.locator("ul.messagelist li").all_inner_texts(),
                "error": page.inner_text(".errornote"),
                "badge": page.inner_text(badge),
                "cancel_button": page.locator("#cancel-run").count(),
            }
            violations = csp_violations(page)
        finally:
            browser.close()

    assert waiting == {
        "badge": "badge waiting",
        "bar": "bar waiting",
        "message": expected_message(until),
        "live": 1,
    }
    assert cancelled == {
        "messages": [f"Cancelled 1 run: #{run_id}."],
        "error": f"cancelled by staff {admin_user.username} while {expected_message(until)}",
        "badge": "Failed",
        "cancel_button": 0,
    }
    assert bar_waiting["drawn"] == bar_waiting["says"], bar_waiting
    assert violations == []  # nothing the Content-Security-Policy blocked
