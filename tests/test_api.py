"""The HTTP API (django-ninja under /api/): every route, who may write, throttling,
invalid input, and answers that match the published OpenAPI schema.

Plain `django.test.Client`, no network, no cluster: a kickoff only queues its first
phase (with the ORM broker, a row in the queue table).
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.utils import timezone
from django_q.models import OrmQ
from openapi_schema_validator import OAS31Validator

from catalog.models import SpotifyMatch
from imports.models import ImportPhase, ImportRun, ImportStatus
from imports.phases import PhaseName, RunStage
from imports.services import start_import
from shows.models import Show, ShowStatus
from tests import factories
from tests.factories import make_artist, make_track, make_venue
from theset.models import ApiKey
from theset.services import IssuedApiKey, api_key_create, api_keys_revoke

pytestmark = pytest.mark.django_db

KICKOFF = "/api/artists/import"
TM_ID = "K8vZ917Pr7k"


@pytest.fixture(autouse=True)
def _own_throttle_counts(own_throttle_counts):
    """Each test counts kickoffs from zero (tests/conftest.py)."""


@pytest.fixture
def api_key() -> IssuedApiKey:
    return api_key_create(name="tests")


@pytest.fixture
def openapi(client) -> dict[str, Any]:
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    return response.json()


def kickoff(client: Client, body: Any, *, key: str | None = None, raw: bool = False):
    headers = {"X-API-Key": key} if key is not None else {}
    data = body if raw else json.dumps(body)
    return client.post(KICKOFF, data, content_type="application/json", headers=headers)


def assert_matches_openapi(openapi: dict, response, path: str, method: str = "get") -> None:
    """The answer is JSON that the published schema allows for this route and status."""
    operation = openapi["paths"][path][method]
    content = operation["responses"][str(response.status_code)]["content"]
    schema = {**content["application/json"]["schema"], "components": openapi["components"]}
    OAS31Validator(schema).validate(response.json())


def make_show(artist, **fields) -> Show:
    values = {
        "tm_event_id": f"vvG1{uuid.uuid4().hex[:12]}",
        "venue": make_venue(),
        "name": "A show",
        "local_date": timezone.localdate() + timedelta(days=10),
        "local_time": time(19, 30),
        "status": ShowStatus.ONSALE,
    }
    return factories.make_show(artist=artist, **(values | fields))


def link_tracks(artist, tracks) -> None:
    for track in tracks:
        factories.link_track(artist, track)


# --- Kickoff -----------------------------------------------------------------------


def test_kickoff_with_a_key_queues_a_new_run(
    client, api_key, openapi, django_capture_on_commit_callbacks
):
    assert (ImportRun.objects.count(), OrmQ.objects.count()) == (0, 0)
    with django_capture_on_commit_callbacks(execute=True):
        response = kickoff(client, {"tm_attraction_id": TM_ID}, key=api_key.plaintext)

    assert response.status_code == 202, response.content
    body = response.json()
    run = ImportRun.objects.get()
    assert body == {
        "artist_id": run.artist_id,
        "slug": run.artist.slug,
        "import_id": run.pk,
        "status_url": f"/api/artists/{run.artist_id}/status",
        "stream_url": f"/api/artists/{run.artist_id}/stream",
        "import_url": f"/api/imports/{run.pk}",
    }
    assert response["Location"] == body["status_url"]
    assert run.artist.tm_attraction_id == TM_ID
    assert run.status == ImportStatus.QUEUED
    if "orm" in settings.Q_CLUSTER:
        assert OrmQ.objects.count() == 1  # the identity phase, queued for the cluster
    assert_matches_openapi(openapi, response, "/api/artists/import", "post")


def test_kickoff_while_a_run_is_active_returns_that_run_with_200(client, api_key):
    first = kickoff(client, {"tm_attraction_id": TM_ID}, key=api_key.plaintext)
    again = kickoff(client, {"tm_attraction_id": f"  {TM_ID} "}, key=api_key.plaintext)

    assert (first.status_code, again.status_code) == (202, 200)
    assert again.json() == first.json()
    assert ImportRun.objects.count() == 1


def test_kickoff_after_a_finished_run_starts_a_new_one(client, api_key):
    first = kickoff(client, {"tm_attraction_id": TM_ID}, key=api_key.plaintext).json()
    ImportRun.objects.filter(pk=first["import_id"]).update(status=ImportStatus.SUCCEEDED)

    second = kickoff(client, {"tm_attraction_id": TM_ID}, key=api_key.plaintext)

    assert second.status_code == 202
    assert second.json()["import_id"] != first["import_id"]
    assert second.json()["artist_id"] == first["artist_id"]


def test_kickoff_may_ask_for_a_full_catalog_on_a_new_run_only(client, api_key):
    first = kickoff(client, {"tm_attraction_id": TM_ID}, key=api_key.plaintext).json()
    again = kickoff(
        client, {"tm_attraction_id": TM_ID, "full_catalog": True}, key=api_key.plaintext
    )
    assert again.json()["import_id"] == first["import_id"]
    assert not ImportRun.objects.get(pk=first["import_id"]).full_catalog  # active: as it is
    ImportRun.objects.filter(pk=first["import_id"]).update(status=ImportStatus.SUCCEEDED)

    full = kickoff(client, {"tm_attraction_id": TM_ID, "full_catalog": True}, key=api_key.plaintext)

    assert full.status_code == 202
    assert ImportRun.objects.get(pk=full.json()["import_id"]).full_catalog


# --- Who may write -------------------------------------------------------------------


def test_kickoff_without_credentials_is_401(client):
    response = kickoff(client, {"tm_attraction_id": TM_ID})

    assert response.status_code == 401
    assert "X-API-Key" in response.json()["detail"]
    assert ImportRun.objects.count() == 0


@pytest.mark.parametrize(
    "key",
    ["nonsense", "theset_", "theset_abc_def", "theset_000000000000_" + "x" * 43, "é" * 10],
    ids=["no-format", "empty-parts", "unknown-prefix", "unknown-key", "non-ascii"],
)
def test_kickoff_with_a_key_that_is_not_ours_is_401(client, api_key, key):
    response = kickoff(client, {"tm_attraction_id": TM_ID}, key=key)

    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid API key in X-API-Key"}


def test_kickoff_with_a_right_prefix_and_wrong_secret_is_401(client, api_key):
    marker, prefix, secret = api_key.plaintext.split("_", 2)
    wrong = f"{marker}_{prefix}_{'A' if secret[0] != 'A' else 'B'}{secret[1:]}"

    response = kickoff(client, {"tm_attraction_id": TM_ID}, key=wrong)

    assert response.status_code == 401


def test_kickoff_with_a_revoked_key_is_403(client, api_key):
    assert api_keys_revoke(api_keys=ApiKey.objects.all()) == 1

    response = kickoff(client, {"tm_attraction_id": TM_ID}, key=api_key.plaintext)

    assert response.status_code == 403
    assert "revoked" in response.json()["detail"]
    assert ImportRun.objects.count() == 0


def test_a_used_key_records_when(client, api_key):
    assert api_key.api_key.last_used_at is None
    kickoff(client, {"tm_attraction_id": TM_ID}, key=api_key.plaintext)
    api_key.api_key.refresh_from_db()
    assert api_key.api_key.last_used_at is not None


def importing_staff(django_user_model):
    """A staff user allowed to start imports (the "add import run" permission)."""
    from django.contrib.auth.models import Permission

    staff = django_user_model.objects.create_user("staff", password="x", is_staff=True)
    staff.user_permissions.add(
        Permission.objects.get(codename="add_importrun", content_type__app_label="imports")
    )
    return staff


def test_staff_session_may_start_an_import(client, django_user_model):
    staff = importing_staff(django_user_model)
    client.force_login(staff)

    response = kickoff(client, {"tm_attraction_id": TM_ID})

    assert response.status_code == 202


def test_non_staff_session_is_refused_with_403(client, django_user_model):
    user = django_user_model.objects.create_user("fan", password="x")
    client.force_login(user)

    response = kickoff(client, {"tm_attraction_id": TM_ID})

    assert response.status_code == 403
    assert response.json() == {"detail": "Only staff users may start imports"}
    assert ImportRun.objects.count() == 0


def test_staff_session_needs_the_csrf_token(django_user_model):
    staff = importing_staff(django_user_model)
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff)

    refused = kickoff(client, {"tm_attraction_id": TM_ID})
    client.get("/admin/")  # sets the CSRF cookie, as the admin page would
    token = client.cookies["csrftoken"].value
    accepted = client.post(
        KICKOFF,
        json.dumps({"tm_attraction_id": TM_ID}),
        content_type="application/json",
        headers={"X-CSRFToken": token},
    )

    assert refused.status_code == 403
    assert accepted.status_code == 202


def test_reads_need_no_credentials(client):
    artist = make_artist()
    for url in (
        f"/api/artists/{artist.pk}",
        f"/api/artists/{artist.slug}/shows",
        f"/api/artists/{artist.slug}/tracks",
        f"/api/artists/{artist.pk}/status",
    ):
        assert client.get(url).status_code == 200, url


# --- Throttling ------------------------------------------------------------------------


def test_kickoffs_past_the_rate_are_429_per_key(client, api_key, settings):
    settings.IMPORT_KICKOFF_RATE = "2/min"
    other_key = api_key_create(name="other")

    answers = [
        kickoff(client, {"tm_attraction_id": f"K8vZ9170{n}"}, key=api_key.plaintext)
        for n in range(3)
    ]

    assert [a.status_code for a in answers] == [202, 202, 429]
    refused = answers[-1]
    assert refused.json()["detail"].startswith("Too many requests")
    assert 0 < int(refused["Retry-After"]) <= 60
    assert ImportRun.objects.count() == 2
    # Another key has its own allowance.
    assert (
        kickoff(client, {"tm_attraction_id": "K8vZ9179"}, key=other_key.plaintext).status_code
        == 202
    )


def test_staff_sessions_are_throttled_too(client, django_user_model, settings):
    settings.IMPORT_KICKOFF_RATE = "1/hour"
    client.force_login(importing_staff(django_user_model))

    assert kickoff(client, {"tm_attraction_id": TM_ID}).status_code == 202
    assert kickoff(client, {"tm_attraction_id": TM_ID}).status_code == 429


@pytest.fixture
def throttle_cache_down(settings):
    """The kickoff counts' cache is a Redis that does not answer."""
    settings.CACHES = {
        **settings.CACHES,
        "api_throttle": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
            "OPTIONS": {"socket_connect_timeout": 0.5},
        },
    }


@pytest.fixture
def fresh_outage_log(monkeypatch):
    """This process has seen no outage of the throttle's cache yet."""
    from imports import auth
    from theset.security import StoreOutage

    monkeypatch.setattr(auth, "_outage", StoreOutage())


def test_a_keys_kickoff_waits_while_the_throttle_cache_is_down(
    client, api_key, throttle_cache_down, fresh_outage_log, caplog, openapi
):
    answers = [
        kickoff(client, {"tm_attraction_id": TM_ID}, key=api_key.plaintext) for _ in range(3)
    ]

    assert [answer.status_code for answer in answers] == [503, 503, 503]
    refused = answers[0]
    assert refused.json()["detail"] == (
        "Imports cannot be started with an API key right now: the store that counts "
        "kickoffs per key (Redis) does not answer. Try again in a minute."
    )
    assert refused["Retry-After"] == "60"
    assert_matches_openapi(openapi, refused, "/api/artists/import", "post")
    assert ImportRun.objects.count() == 0
    # Logged once for the three refusals (once a minute), not once per request.
    warnings = [r for r in caplog.records if "kickoff throttle unavailable" in r.getMessage()]
    assert len(warnings) == 1


def test_a_staff_sessions_kickoff_goes_through_while_the_throttle_cache_is_down(
    client, django_user_model, throttle_cache_down, fresh_outage_log
):
    client.force_login(importing_staff(django_user_model))

    assert kickoff(client, {"tm_attraction_id": TM_ID}).status_code == 202


# --- Invalid input -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"tm_attraction_id": 12345}, "tm_attraction_id must be a string, not int"),
        ({"tm_attraction_id": None}, "tm_attraction_id must be a string, not NoneType"),
        ({"tm_attraction_id": ["K8vZ917Pr7k"]}, "tm_attraction_id must be a string, not list"),
        ({}, "tm_attraction_id: Field required"),
        ({"attraction": TM_ID}, "tm_attraction_id: Field required"),
        ({"tm_attraction_id": ""}, "is not a Ticketmaster attraction id"),
        ({"tm_attraction_id": "   "}, "is not a Ticketmaster attraction id"),
        ({"tm_attraction_id": "K" * 65}, "1 to 64 letters"),
        ({"tm_attraction_id": "K8vZ 917"}, "'K8vZ 917' is not a Ticketmaster attraction id"),
        ({"tm_attraction_id": "K8vZ917Pr7k💥"}, "is not a Ticketmaster attraction id"),
        ({"tm_attraction_id": "Ünïcødé"}, "is not a Ticketmaster attraction id"),
        ({"tm_attraction_id": "K8\u0000vZ"}, "is not a Ticketmaster attraction id"),
        ({"tm_attraction_id": "../../etc/passwd"}, "is not a Ticketmaster attraction id"),
        ({"tm_attraction_id": "K8vZ917Pr7k\n"}, None),  # stripped: valid
        (["K8vZ917Pr7k"], "request body: must be a JSON object such as"),
        ("K8vZ917Pr7k", "request body: must be a JSON object such as"),
    ],
    ids=[
        "int",
        "null",
        "list",
        "missing",
        "misnamed",
        "empty",
        "blank",
        "too-long",
        "space",
        "emoji",
        "accents",
        "nul-byte",
        "path",
        "trailing-newline",
        "array-body",
        "string-body",
    ],
)
def test_kickoff_with_a_malformed_body_is_422_saying_what_is_wrong(
    client, api_key, openapi, body, expected
):
    response = kickoff(client, body, key=api_key.plaintext)

    if expected is None:
        assert response.status_code == 202
        return
    assert response.status_code == 422, response.content
    detail = response.json()["detail"]
    assert expected in detail
    assert len(detail) < 300
    assert ImportRun.objects.count() == 0
    assert_matches_openapi(openapi, response, "/api/artists/import", "post")


@pytest.mark.parametrize(
    "raw", ["not json", "{", b"\xff\xfe", ""], ids=["text", "truncated", "bad-utf8", "empty"]
)
def test_kickoff_with_a_body_that_is_not_json_is_422(client, api_key, raw):
    response = kickoff(client, raw, key=api_key.plaintext, raw=True)

    assert response.status_code == 422
    detail = response.json()["detail"]
    assert detail.startswith("request body:"), detail
    assert ImportRun.objects.count() == 0


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("/api/imports/abc", "import_id: Input should be a valid integer"),
        ("/api/imports/0", "import_id: Input should be greater than or equal to 1"),
        ("/api/imports/99999999999999999999999", "import_id: Input should be less than"),
        ("/api/artists/x%201/status", "id_or_slug: String should match pattern"),
        ("/api/artists/bad%20slug", "id_or_slug: String should match pattern"),
        ("/api/artists/%F0%9F%92%A5/shows", "id_or_slug: String should match pattern"),
        ("/api/artists/%00/tracks", "id_or_slug: String should match pattern"),
        (f"/api/artists/{'a' * 121}", "id_or_slug: String should have at most 120 characters"),
        ("/api/artists/x/shows?date_from=2030-13-01", "date_from: Input should be a valid date"),
        ("/api/artists/x/shows?date_to=tomorrow", "date_to: Input should be a valid date"),
        (
            "/api/artists/x/shows?date_from=2030-02-01&date_to=2030-01-01",
            "date_to: date_to 2030-01-01 is before date_from 2030-02-01",
        ),
        ("/api/artists/x/shows?limit=0", "limit: Input should be greater than or equal to 1"),
        ("/api/artists/x/tracks?limit=100000", "limit: Input should be less than or equal to"),
        ("/api/artists/x/tracks?offset=-1", "offset: Input should be greater than or equal to 0"),
        ("/api/artists/x/tracks?offset=1e30", "offset: Input should be a valid integer"),
    ],
    ids=lambda value: value if len(value) < 40 else value[:40],
)
def test_malformed_ids_and_parameters_are_422(client, url, expected):
    response = client.get(url)

    assert response.status_code == 422, response.content
    assert expected in response.json()["detail"]


@pytest.mark.parametrize(
    "url",
    [
        "/api/artists/999999",
        "/api/artists/nobody",
        "/api/artists/nobody/shows",
        "/api/artists/999999/tracks",
        "/api/artists/999999/status",
        "/api/imports/999999",
    ],
)
def test_unknown_ids_are_404_json(client, url):
    response = client.get(url)

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert "999999" in response.json()["detail"] or "nobody" in response.json()["detail"]


# --- Status and runs ----------------------------------------------------------------------


def test_status_of_an_artist_never_imported_says_so(client, openapi):
    artist = make_artist()

    response = client.get(f"/api/artists/{artist.pk}/status")

    assert response.status_code == 200
    body = response.json()
    assert (body["import_id"], body["status"], body["is_active"]) == (None, None, False)
    assert body["message"].startswith("Never imported")
    assert body["stream_url"] == f"/api/artists/{artist.pk}/stream"
    assert_matches_openapi(openapi, response, "/api/artists/{id_or_slug}/status")


def test_status_follows_the_latest_run(client, api_key, openapi):
    started = kickoff(client, {"tm_attraction_id": TM_ID}, key=api_key.plaintext).json()
    ImportRun.objects.filter(pk=started["import_id"]).update(
        status=ImportStatus.RUNNING,
        stage=RunStage.CATALOG,
        percent=40,
        message="Albums 12/30",
        started_at=timezone.now(),
    )

    response = client.get(started["status_url"])

    assert response.status_code == 200
    body = response.json()
    assert body["import_id"] == started["import_id"]
    assert (body["status"], body["stage"], body["percent"]) == ("running", "catalog", 40)
    assert body["message"] == "Albums 12/30"
    assert body["is_active"] is True
    assert body["import_url"] == started["import_url"]
    assert_matches_openapi(openapi, response, "/api/artists/{id_or_slug}/status")


def test_import_run_detail_has_its_phases_and_figures(client, openapi):
    started = start_import(TM_ID)
    begun = timezone.now() - timedelta(seconds=10)
    ImportRun.objects.filter(pk=started.import_id).update(
        status=ImportStatus.FAILED,
        stage=RunStage.CATALOG,
        counters={"shows": 12, "venues": 4},
        drop_counts={"live_album": 3, "duplicate_isrc": 5},
        warnings=["audio features refused: names only"],
        spotify_app_mode="development",
        error="spotify /v1/albums/1: 500",
        started_at=begun,
        finished_at=begun + timedelta(seconds=8),
    )
    ImportPhase.objects.create(
        run_id=started.import_id,
        phase=PhaseName.IDENTITY,
        status=ImportStatus.SUCCEEDED,
        attempt=1,
        percent=100,
        started_at=begun,
        finished_at=begun + timedelta(seconds=1.5),
    )
    ImportPhase.objects.create(
        run_id=started.import_id,
        phase=PhaseName.SHOWS,
        status=ImportStatus.SUCCEEDED,
        attempt=2,
        percent=100,
        counters={"pages": 7},
        started_at=begun + timedelta(seconds=2),
        finished_at=begun + timedelta(seconds=5),
    )

    response = client.get(f"/api/imports/{started.import_id}")

    assert response.status_code == 200
    body = response.json()
    assert body["id"] == started.import_id
    assert (body["artist_id"], body["artist_slug"]) == (started.artist_id, started.slug)
    assert (body["status"], body["error"]) == ("failed", "spotify /v1/albums/1: 500")
    assert body["counters"] == {"shows": 12, "venues": 4}
    assert body["drop_counts"] == {"live_album": 3, "duplicate_isrc": 5}
    assert body["warnings"] == ["audio features refused: names only"]
    assert body["spotify_app_mode"] == "development"
    assert body["seconds"] == 8.0
    assert [(p["phase"], p["attempt"], p["seconds"]) for p in body["phases"]] == [
        ("identity", 1, 1.5),
        ("shows", 2, 3.0),
    ]
    assert body["phases"][1]["counters"] == {"pages": 7}
    assert_matches_openapi(openapi, response, "/api/imports/{import_id}")


# --- Artist, shows, tracks ----------------------------------------------------------------


def test_artist_by_id_and_by_slug(client, openapi):
    artist = make_artist(
        name="The Velvet Rövers",
        slug="the-velvet-rovers",
        genres=["Rock"],
        spotify_id="4Z8W4fKeB5YxbusRsdQVPb",
        spotify_match=SpotifyMatch.NAME_SEARCH,
        shows_synced_at=timezone.now(),
    )
    make_show(artist)
    make_show(artist, local_date=None, date_tba=True)
    make_show(artist, local_date=timezone.localdate() - timedelta(days=1))  # past
    make_show(artist, removed_upstream_at=timezone.now())  # gone upstream
    link_tracks(artist, [make_track(), make_track()])

    by_id = client.get(f"/api/artists/{artist.pk}")
    by_slug = client.get("/api/artists/the-velvet-rovers")

    assert by_id.status_code == by_slug.status_code == 200
    assert by_id.json() == by_slug.json()
    body = by_id.json()
    assert body["name"] == "The Velvet Rövers"
    assert (body["spotify_id"], body["spotify_match"]) == ("4Z8W4fKeB5YxbusRsdQVPb", "name_search")
    assert (body["upcoming_show_count"], body["studio_track_count"], body["song_count"]) == (
        2,
        2,
        2,
    )
    assert body["catalog_synced_at"] is None
    assert_matches_openapi(openapi, by_id, "/api/artists/{id_or_slug}")


def test_artist_not_resolved_on_spotify_yet_has_a_null_match(client):
    artist = make_artist()

    body = client.get(f"/api/artists/{artist.pk}").json()

    assert (body["spotify_id"], body["spotify_match"]) == (None, None)
    assert (body["upcoming_show_count"], body["studio_track_count"], body["song_count"]) == (
        0,
        0,
        0,
    )


def test_an_artist_called_import_gets_a_slug_the_kickoff_route_does_not_shadow(client):
    from catalog.models import SpotifyMatch
    from catalog.services import artist_identity_update, artist_shell_upsert

    shell = artist_shell_upsert(tm_attraction_id="K8vZ917Imprt")
    artist = artist_identity_update(
        artist_id=shell.pk,
        name="Import",
        image_url="",
        genres=[],
        spotify_id=None,
        spotify_match=SpotifyMatch.NOT_FOUND,
    )

    response = client.get(f"/api/artists/{artist.slug}")

    assert artist.slug == "import-k8vz917imprt"
    assert response.status_code == 200
    assert response.json()["name"] == "Import"


def test_the_words_no_slug_may_take_are_the_routes_next_to_the_artists_ids():
    """Catalog keeps no list of API words: imports reserves its routes' words at start-up."""
    from catalog import services
    from imports.api import artist_route_words

    assert artist_route_words() == {"import"}
    assert '"import"' not in Path(services.__file__).read_text()


def test_upcoming_shows_as_stored_soonest_first_then_tba(
    client, openapi, django_assert_max_num_queries
):
    artist = make_artist()
    today = timezone.localdate()
    venue = make_venue(name="Moody Center", city="Austin", state="Texas", country="United States")
    later = make_show(artist, local_date=today + timedelta(days=30), venue=venue)
    tonight = make_show(
        artist, local_date=today, local_time=time(23, 45), status=ShowStatus.CANCELLED, venue=venue
    )
    tba = make_show(artist, local_date=None, local_time=None, date_tba=True, venue=None)
    make_show(artist, local_date=today - timedelta(days=1))
    make_show(artist, removed_upstream_at=timezone.now())
    make_show(make_artist())  # another artist's

    # The artist, the count, the page of shows, their bills with their acts: not per row.
    with django_assert_max_num_queries(4):
        response = client.get(f"/api/artists/{artist.slug}/shows")

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3
    assert [s["tm_event_id"] for s in body["items"]] == [
        tonight.tm_event_id,
        later.tm_event_id,
        tba.tm_event_id,
    ]
    first = body["items"][0]
    assert (first["local_date"], first["local_time"]) == (today.isoformat(), "23:45:00")
    assert first["status"] == "cancelled"
    assert {k: first["venue"][k] for k in ("name", "city", "state", "country")} == {
        "name": "Moody Center",
        "city": "Austin",
        "state": "Texas",
        "country": "United States",
    }
    assert body["items"][2]["venue"] is None
    assert body["items"][2]["local_date"] is None
    assert_matches_openapi(openapi, response, "/api/artists/{id_or_slug}/shows")


def test_shows_page_and_filter_by_date(client):
    artist = make_artist()
    start = timezone.localdate() + timedelta(days=1)
    shows = [make_show(artist, local_date=start + timedelta(days=n)) for n in range(6)]
    make_show(artist, local_date=None, date_tba=True)

    page = client.get(f"/api/artists/{artist.pk}/shows?limit=2&offset=2").json()
    window = client.get(
        f"/api/artists/{artist.pk}/shows"
        f"?date_from={(start + timedelta(days=1)).isoformat()}"
        f"&date_to={(start + timedelta(days=3)).isoformat()}"
    ).json()

    assert page["count"] == 7
    assert [s["tm_event_id"] for s in page["items"]] == [s.tm_event_id for s in shows[2:4]]
    assert window["count"] == 3
    assert [s["tm_event_id"] for s in window["items"]] == [s.tm_event_id for s in shows[1:4]]


def test_studio_tracks_paged_with_their_albums(client, openapi, django_assert_max_num_queries):
    artist = make_artist()
    tracks = [make_track(name=f"Song {letter}", popularity=None) for letter in "DCBA"]
    tracks[0].is_remix = True
    tracks[0].save()
    link_tracks(artist, tracks)
    link_tracks(make_artist(), [make_track(name="Not theirs")])

    with django_assert_max_num_queries(3):
        response = client.get(f"/api/artists/{artist.pk}/tracks?limit=3")

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 4
    assert [t["name"] for t in body["items"]] == ["Song A", "Song B", "Song C"]
    song = body["items"][0]
    assert song["isrc"] == tracks[3].isrc
    assert (song["duration_ms"], song["popularity"], song["is_remix"]) == (200_000, None, False)
    assert song["album"]["name"] == tracks[3].album.name
    rest = client.get(f"/api/artists/{artist.pk}/tracks?offset=3").json()
    assert [(t["name"], t["is_remix"]) for t in rest["items"]] == [("Song D", True)]
    assert_matches_openapi(openapi, response, "/api/artists/{id_or_slug}/tracks")


# --- OpenAPI -------------------------------------------------------------------------------


def test_openapi_lists_every_route_and_the_docs_render(client, openapi):
    assert set(openapi["paths"]) == {
        "/api/artists/import",
        "/api/artists",
        "/api/artists/{id_or_slug}/status",
        "/api/imports/{import_id}",
        "/api/imports/{import_id}/cancel",
        "/api/artists/{id_or_slug}",
        "/api/artists/{id_or_slug}/shows",
        "/api/artists/{id_or_slug}/tracks",
        "/api/artists/{id_or_slug}/songs",
        "/api/shows-batches/{batch_id}",
    }
    kickoff_op = openapi["paths"]["/api/artists/import"]["post"]
    assert {"200", "202", "401", "403", "422", "429"} <= set(kickoff_op["responses"])
    assert kickoff_op["security"] == [{"ApiKeyAuth": []}, {"StaffSessionAuth": []}]
    cancel_op = openapi["paths"]["/api/imports/{import_id}/cancel"]["post"]
    assert {"200", "401", "403", "404", "409", "422"} <= set(cancel_op["responses"])
    assert cancel_op["security"] == kickoff_op["security"]
    assert openapi["components"]["securitySchemes"]["ApiKeyAuth"] == {
        "type": "apiKey",
        "in": "header",
        "name": "X-API-Key",
    }
    for path in (
        "/api/artists/{id_or_slug}",
        "/api/imports/{import_id}",
        "/api/shows-batches/{batch_id}",
    ):
        assert "security" not in openapi["paths"][path]["get"]
    docs = client.get("/api/docs")
    assert docs.status_code == 200
    assert b"openapi.json" in docs.content


def test_openapi_component_schemas_are_valid_json_schemas(openapi):
    for schema in openapi["components"]["schemas"].values():
        OAS31Validator.check_schema(schema)


def test_openapi_document_is_valid(openapi):
    spec_validator = pytest.importorskip("openapi_spec_validator")
    spec_validator.validate(openapi)


# --- Keys are secrets -------------------------------------------------------------------------


def test_keys_are_stored_hashed(api_key):
    marker, prefix, secret = api_key.plaintext.split("_", 2)
    row = ApiKey.objects.filter(pk=api_key.api_key.pk).values().get()
    stored = json.dumps(row, default=str)

    assert marker == "theset"
    assert row["prefix"] == prefix
    assert secret not in stored
    assert api_key.plaintext not in stored
    assert len(row["secret_sha256"]) == 64
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {ApiKey._meta.db_table}")
        assert secret not in json.dumps(cursor.fetchall(), default=str)


def test_keys_never_appear_in_answers(client, api_key):
    answers = [
        kickoff(client, {"tm_attraction_id": TM_ID}, key=api_key.plaintext),
        kickoff(client, {"tm_attraction_id": ""}, key=api_key.plaintext),
        kickoff(client, {"tm_attraction_id": TM_ID}, key=api_key.plaintext + "x"),
    ]
    api_keys_revoke(api_keys=ApiKey.objects.all())
    answers.append(kickoff(client, {"tm_attraction_id": TM_ID}, key=api_key.plaintext))
    _, _, secret = api_key.plaintext.split("_", 2)

    assert [a.status_code for a in answers] == [202, 422, 401, 403]
    for answer in answers:
        assert secret not in answer.content.decode()
        assert api_key.api_key.secret_sha256 not in answer.content.decode()


def test_admin_shows_a_new_key_once_and_can_revoke_it(admin_client):
    created = admin_client.post("/admin/theset/apikey/add/", {"name": "ci"}, follow=True)

    assert created.status_code == 200
    api_key = ApiKey.objects.get(name="ci")
    shown = [str(m) for m in created.context["messages"]]
    plaintext = next(
        word for message in shown for word in message.split() if word.startswith("theset_")
    )
    assert plaintext.startswith(f"theset_{api_key.prefix}_")
    # Never again: not in the list, not on the key's page, and the hash nowhere.
    for url in ("/admin/theset/apikey/", f"/admin/theset/apikey/{api_key.pk}/change/"):
        page = admin_client.get(url).content.decode()
        assert api_key.prefix in page
        assert plaintext not in page
        assert api_key.secret_sha256 not in page

    client = Client()
    assert kickoff(client, {"tm_attraction_id": TM_ID}, key=plaintext).status_code == 202
    admin_client.post(
        "/admin/theset/apikey/",
        {"action": "revoke", "_selected_action": [api_key.pk]},
    )
    api_key.refresh_from_db()
    assert api_key.revoked_at is not None
    assert kickoff(client, {"tm_attraction_id": "K8vZ9170"}, key=plaintext).status_code == 403


def test_timestamps_are_iso_8601_with_a_timezone(client, api_key):
    started = kickoff(client, {"tm_attraction_id": TM_ID}, key=api_key.plaintext).json()
    created_at = client.get(started["status_url"]).json()["created_at"]
    assert datetime.fromisoformat(created_at).tzinfo is not None
