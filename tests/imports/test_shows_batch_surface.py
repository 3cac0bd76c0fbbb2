"""Shows re-sync batches and each artist's shows syncs, as staff and clients see them: the
admin's batch list and page, the artist page's last shows sync, the retry action, and
the API (`last_shows_sync` on the artist, `GET /api/shows-batches/{id}`).

Rows are made by the services production uses (`shows_batch_create`,
`import_run_create`) and given their outcome as the batch task and the shows phase
write it: no sandbox, no cluster.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_q.models import OrmQ

from catalog.models import Artist
from imports.models import ImportStatus, ShowsBatch, ShowsSync
from imports.resync import shows_batch_create, shows_batch_task_name
from imports.services import import_run_create
from tests.factories import make_artist
from tests.imports.test_admin import message_texts
from tests.test_api import assert_matches_openapi

pytestmark = pytest.mark.django_db

BATCH_PATH = "/api/shows-batches/{batch_id}"


# --- Builders ---------------------------------------------------------------------------


def queued_batch(*artists: Artist, expected: int = 10) -> ShowsBatch:
    """A batch of these artists as a re-sync round queues it."""
    batch_id = shows_batch_create(
        {artist.tm_attraction_id: (artist.pk, expected) for artist in artists}
    )
    assert batch_id is not None
    return ShowsBatch.objects.get(pk=batch_id)


def finish_sync(batch: ShowsBatch, artist: Artist, **figures: Any) -> None:
    """An artist's sync in the batch, as the batch task stores it."""
    values = {"status": ImportStatus.SUCCEEDED, "finished_at": timezone.now()}
    ShowsSync.objects.filter(batch=batch, artist=artist).update(**(values | figures))


def fail_batch(batch: ShowsBatch, error: str) -> None:
    """A batch whose query failed: it and all its artists, as the task records it."""
    now = timezone.now()
    ShowsBatch.objects.filter(pk=batch.pk).update(
        status=ImportStatus.FAILED, error=error, finished_at=now
    )
    ShowsSync.objects.filter(batch=batch).update(
        status=ImportStatus.FAILED, error=error, finished_at=now
    )


def succeeded_batch(*artists: Artist) -> ShowsBatch:
    batch = queued_batch(*artists)
    for n, artist in enumerate(artists):
        finish_sync(batch, artist, shows=12 + n, added=2, changed=1, removed=3, gone=1)
    ShowsBatch.objects.filter(pk=batch.pk).update(
        status=ImportStatus.SUCCEEDED,
        events=40,
        requests=2,
        pages=2,
        windows=1,
        message=f"40 events for {len(artists)} of {len(artists)} artists",
        finished_at=timezone.now(),
    )
    batch.refresh_from_db()
    return batch


def imported_shows_sync(artist: Artist, **figures: Any) -> ShowsSync:
    """The shows phase of a person's import of the artist, as it records its sync."""
    run_id = import_run_create(tm_attraction_id=artist.tm_attraction_id).import_id
    values = {
        "shows": 5,
        "added": 5,
        "status": ImportStatus.SUCCEEDED,
        "finished_at": timezone.now(),
    }
    return ShowsSync.objects.create(artist=artist, run_id=run_id, **(values | figures))


@pytest.fixture
def openapi(client) -> dict[str, Any]:
    return client.get("/api/openapi.json").json()


@pytest.fixture
def reader_client(django_user_model):
    """Staff who may read batches and syncs (and artists), and start nothing."""
    user = django_user_model.objects.create_user("reader", password="x", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(codename__in=["view_showsbatch", "view_showssync", "view_artist"])
    )
    client = Client()
    client.force_login(user)
    return client


# --- Admin: batches ---------------------------------------------------------------------


def test_batch_list_shows_counts_status_and_the_error_excerpt(admin_client):
    one, two, three = make_artist(), make_artist(), make_artist()
    succeeded_batch(one, two)
    failed = queued_batch(three)
    fail_batch(failed, "Ticketmaster answered 500 " + "x" * 200)

    response = admin_client.get(reverse("admin:imports_showsbatch_changelist"))

    assert response.status_code == 200
    content = response.content.decode()
    assert "Ticketmaster answered 500 xxx" in content
    assert "x" * 200 not in content  # an excerpt; the batch page has all of it
    assert "Succeeded" in content and "Failed" in content
    # Batches come from re-sync rounds only: no hand-made ones.
    assert reverse("admin:imports_showsbatch_add") not in content
    failed_only = admin_client.get(
        reverse("admin:imports_showsbatch_changelist") + "?status__exact=failed"
    )
    assert [batch.pk for batch in failed_only.context["cl"].result_list] == [failed.pk]


def test_batch_page_lists_each_artists_sync_read_only(admin_client):
    band, act = make_artist(name="The Band"), make_artist(name="Support Act")
    batch = succeeded_batch(band, act)

    response = admin_client.get(reverse("admin:imports_showsbatch_change", args=[batch.pk]))

    assert response.status_code == 200
    content = response.content.decode()
    for artist in (band, act):
        assert reverse("admin:catalog_artist_change", args=[artist.pk]) in content
        assert artist.tm_attraction_id in content  # the query's attraction ids
    assert "The Band" in content and "Support Act" in content
    assert "40 events for 2 of 2 artists" in content
    # Read only: no save button, no delete link.
    assert 'name="_save"' not in content
    assert reverse("admin:imports_showsbatch_delete", args=[batch.pk]) not in content


def test_staff_who_may_read_see_batches_without_any_action(reader_client):
    batch = succeeded_batch(make_artist())

    listing = reader_client.get(reverse("admin:imports_showsbatch_changelist"))
    page = reader_client.get(reverse("admin:imports_showsbatch_change", args=[batch.pk]))

    assert (listing.status_code, page.status_code) == (200, 200)
    assert "retry_failed_batches" not in listing.content.decode()
    assert reader_client.get(reverse("admin:imports_showsbatch_add")).status_code == 403


def test_retry_failed_batch_queues_its_artists_in_a_new_batch(admin_client):
    one, two = make_artist(), make_artist()
    failed = queued_batch(one, two)
    fail_batch(failed, "ConnectError: refused")
    fine = succeeded_batch(make_artist())
    assert (ShowsBatch.objects.count(), OrmQ.objects.count()) == (2, 2)

    response = admin_client.post(
        reverse("admin:imports_showsbatch_changelist"),
        {"action": "retry_failed_batches", "_selected_action": [failed.pk, fine.pk]},
    )

    assert response.status_code == 302
    retried = ShowsBatch.objects.exclude(pk__in=[failed.pk, fine.pk]).get()
    assert retried.status == ImportStatus.QUEUED
    assert retried.attraction_ids == sorted([one.tm_attraction_id, two.tm_attraction_id])
    assert set(retried.syncs.values_list("artist_id", flat=True)) == {one.pk, two.pk}
    assert (ShowsBatch.objects.count(), OrmQ.objects.count()) == (3, 3)
    assert shows_batch_task_name(retried.pk) in {task.name() for task in OrmQ.objects.all()}
    texts = message_texts(response)
    assert any(f"batch #{failed.pk}" in t and f"batch #{retried.pk}" in t for t in texts)
    assert any("Nothing to retry" in t and f"batch #{fine.pk}" in t for t in texts)


# --- Admin: the artist page -------------------------------------------------------------


def test_artist_page_shows_its_last_shows_sync_by_batch_and_its_recent_ones(admin_client):
    artist = make_artist()
    imported_shows_sync(artist, shows=7, added=7)
    batch = succeeded_batch(artist)

    response = admin_client.get(reverse("admin:catalog_artist_change", args=[artist.pk]))

    assert response.status_code == 200
    content = response.content.decode()
    batch_url = reverse("admin:imports_showsbatch_change", args=[batch.pk])
    assert f'by <a href="{batch_url}">batch #{batch.pk}</a>: succeeded; ' in content
    assert "12 listed: 2 added, 1 changed, 3 removed, 1 gone" in content
    # The recent syncs: the batch's and the import's, and a link to all of them.
    run = artist.import_runs.get()
    assert reverse("admin:imports_importrun_change", args=[run.pk]) in content
    assert (
        reverse("admin:imports_showssync_changelist") + f"?artist__id__exact={artist.pk}" in content
    )


def test_artist_page_shows_a_sync_by_its_import_and_a_failed_one(admin_client):
    artist = make_artist()
    sync = imported_shows_sync(artist)
    run_url = reverse("admin:imports_importrun_change", args=[sync.run_id])

    content = admin_client.get(
        reverse("admin:catalog_artist_change", args=[artist.pk])
    ).content.decode()
    assert f'by import <a href="{run_url}">#{sync.run_id}</a>: succeeded; 5 listed' in content

    fail_batch(queued_batch(artist), "Ticketmaster answered 503")
    content = admin_client.get(
        reverse("admin:catalog_artist_change", args=[artist.pk])
    ).content.decode()
    assert ": failed; 0 listed: 0 added, 0 changed, 0 removed, 0 gone — Ticketmaster" in content


def test_artist_never_synced_says_so(admin_client):
    artist = make_artist()

    response = admin_client.get(reverse("admin:catalog_artist_change", args=[artist.pk]))

    assert response.status_code == 200
    content = response.content.decode()
    assert "Last shows sync" in content
    assert '<div class="readonly">never</div>' in content
    assert '<div class="readonly">none</div>' in content


def test_shows_sync_list_filters_by_artist(admin_client):
    artist, other = make_artist(), make_artist()
    succeeded_batch(artist, other)
    imported_shows_sync(artist)

    response = admin_client.get(
        reverse("admin:imports_showssync_changelist") + f"?artist__id__exact={artist.pk}"
    )

    assert response.status_code == 200
    assert response.context["cl"].result_count == 2


# --- API: the artist's last shows sync --------------------------------------------------


def test_artist_never_synced_has_a_null_last_shows_sync(client, openapi):
    artist = make_artist()

    response = client.get(f"/api/artists/{artist.pk}")

    assert response.status_code == 200
    assert response.json()["last_shows_sync"] is None
    assert_matches_openapi(openapi, response, "/api/artists/{id_or_slug}")


def test_last_shows_sync_after_a_batch_names_the_batch(client, openapi):
    artist, other = make_artist(), make_artist()
    imported_shows_sync(artist)
    batch = succeeded_batch(artist, other)
    sync = ShowsSync.objects.get(batch=batch, artist=artist)

    response = client.get(f"/api/artists/{artist.slug}")

    assert response.status_code == 200
    last = response.json()["last_shows_sync"]
    assert last == {
        "at": last["at"],
        "status": "succeeded",
        "batch_id": batch.pk,
        "import_id": None,
        "shows": 12,
        "added": 2,
        "changed": 1,
        "removed": 3,
        "gone": 1,
        "error": "",
    }
    assert last["at"].startswith(sync.finished_at.strftime("%Y-%m-%dT%H:%M"))
    assert_matches_openapi(openapi, response, "/api/artists/{id_or_slug}")


def test_last_shows_sync_after_a_persons_import_names_the_import(client, openapi):
    artist = make_artist()
    fail_batch(queued_batch(artist), "ConnectError: refused")
    sync = imported_shows_sync(artist, shows=9, added=1, changed=2)

    response = client.get(f"/api/artists/{artist.pk}")

    last = response.json()["last_shows_sync"]
    assert (last["import_id"], last["batch_id"]) == (sync.run_id, None)
    assert (last["status"], last["shows"], last["added"], last["changed"]) == (
        "succeeded",
        9,
        1,
        2,
    )
    assert_matches_openapi(openapi, response, "/api/artists/{id_or_slug}")


def test_last_shows_sync_of_a_queued_batch_is_at_its_queueing(client):
    artist = make_artist()
    batch = queued_batch(artist)

    last = client.get(f"/api/artists/{artist.pk}").json()["last_shows_sync"]

    sync = ShowsSync.objects.get(batch=batch)
    assert (last["status"], last["batch_id"]) == ("queued", batch.pk)
    assert last["at"].startswith(sync.created_at.strftime("%Y-%m-%dT%H:%M"))


# --- API: a batch -----------------------------------------------------------------------


def test_batch_detail_has_its_figures_and_each_artists_sync(client, openapi):
    band, act = make_artist(name="The Band"), make_artist(name="Support Act")
    batch = succeeded_batch(act, band)

    response = client.get(BATCH_PATH.format(batch_id=batch.pk))

    assert response.status_code == 200
    body = response.json()
    assert body["id"] == batch.pk
    assert body["status"] == "succeeded"
    assert body["attraction_ids"] == sorted([band.tm_attraction_id, act.tm_attraction_id])
    assert (body["expected_events"], body["events"], body["requests"]) == (20, 40, 2)
    assert (body["pages"], body["windows"], body["error"]) == (2, 1, "")
    assert (body["waiting_for"], body["waiting_until"]) == ("", None)
    syncs = body["syncs"]
    assert [s["tm_attraction_id"] for s in syncs] == body["attraction_ids"]
    by_artist = {s["artist_id"]: s for s in syncs}
    assert by_artist[band.pk]["name"] == "The Band"
    assert by_artist[band.pk]["slug"] == band.slug
    assert {s["status"] for s in syncs} == {"succeeded"}
    assert (by_artist[act.pk]["shows"], by_artist[act.pk]["removed"]) == (12, 3)
    assert_matches_openapi(openapi, response, BATCH_PATH)


def test_waiting_batch_says_what_for_and_until_when(client, openapi):
    batch = queued_batch(make_artist())
    until = timezone.now() + timedelta(hours=2)
    ShowsBatch.objects.filter(pk=batch.pk).update(
        status=ImportStatus.WAITING, waiting_for="Ticketmaster's daily quota", waiting_until=until
    )

    response = client.get(BATCH_PATH.format(batch_id=batch.pk))

    body = response.json()
    assert (body["status"], body["waiting_for"]) == ("waiting", "Ticketmaster's daily quota")
    assert body["waiting_until"] is not None
    assert_matches_openapi(openapi, response, BATCH_PATH)


def test_a_failed_batch_fails_only_its_own_artists(client):
    one, two, three = make_artist(), make_artist(), make_artist()
    failed = queued_batch(one, two)
    fail_batch(failed, "ConnectError: refused")
    fine = succeeded_batch(three)

    failed_body = client.get(BATCH_PATH.format(batch_id=failed.pk)).json()
    fine_body = client.get(BATCH_PATH.format(batch_id=fine.pk)).json()

    assert {s["status"] for s in failed_body["syncs"]} == {"failed"}
    assert {s["error"] for s in failed_body["syncs"]} == {"ConnectError: refused"}
    assert [s["status"] for s in fine_body["syncs"]] == ["succeeded"]
    assert client.get(f"/api/artists/{three.pk}").json()["last_shows_sync"]["status"] == (
        "succeeded"
    )


@pytest.mark.parametrize(
    ("batch_id", "status"),
    [("999999", 404), ("0", 422), ("not-a-number", 422), (str(2**63), 422)],
    ids=["unknown", "zero", "not-a-number", "too-large"],
)
def test_batch_detail_of_an_unknown_or_invalid_id(client, batch_id, status):
    response = client.get(f"/api/shows-batches/{batch_id}")

    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json")
    if status == 404:
        assert response.json() == {"detail": "No shows batch with id 999999"}


def test_batch_detail_is_a_public_read_like_an_import_run(client, openapi):
    batch = succeeded_batch(make_artist())

    # No key, no session: reads are public, as GET /api/imports/{id} is.
    assert client.get(BATCH_PATH.format(batch_id=batch.pk)).status_code == 200
    operation = openapi["paths"]["/api/shows-batches/{batch_id}"]["get"]
    assert "security" not in operation
    assert {"200", "404", "422"} <= set(operation["responses"])
    # Not a write: no method but GET (and HEAD) is routed.
    assert client.post(BATCH_PATH.format(batch_id=batch.pk)).status_code == 405
