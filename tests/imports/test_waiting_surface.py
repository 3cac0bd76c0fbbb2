"""A run waiting for an upstream (its phase parked until the quota resets) as every
interface people use shows it, and cancelling it: the API, the admin, the command line,
the public artist page and the progress stream."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.utils import timezone
from django_q.models import Schedule

from imports.models import ImportPhase, ImportRun, ImportStatus, ImportTrigger
from imports.phases import PhaseName
from imports.progress import PhaseReporter, park_phase
from imports.rules import waiting_message
from imports.services import import_run_create
from theset.services import api_key_create

pytestmark = pytest.mark.django_db

TM_QUOTA = "Ticketmaster's daily quota"


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
    check(client.get(f"/api/artists/{run.artist_id}/status"), "/api/artists/{artist_id}/status")
    check(cancel(client, run.pk, key=api_key.plaintext), "/api/imports/{import_id}/cancel", "post")
    check(cancel(client, run.pk, key=api_key.plaintext), "/api/imports/{import_id}/cancel", "post")


def test_until_is_shown_with_its_date_when_not_today():
    until = datetime(2031, 5, 2, 14, 5, tzinfo=UTC)

    assert waiting_run(until=until).message == (f"waiting for {TM_QUOTA} until 2 May 14:05 UTC")
