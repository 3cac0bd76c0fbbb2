"""Security of every interface (issue 10): who may write, how API keys are kept, where
secrets may not go, and CSRF on cookie-authenticated writes.

- Write routes are found, not listed: from the live OpenAPI document and Django's URL
  resolver. A new route that accepts a write without credentials fails here.
- API keys: only a hash is stored, anywhere; the secret is compared in constant time.
- Secrets (upstream credentials, Spotify bearer tokens, API keys) are searched for in
  every log line (console and JSON, every logger at DEBUG), every stored row, the admin,
  the API's answers, the command's output, /metrics and /health/, after imports that
  succeeded and imports that failed in each way an upstream can refuse.
- Admin forms and the API's session writes need the CSRF token; API keys do not.

`manage.py check --deploy` under `DJANGO_ENV=production` is tests/theset/test_production.py.
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
import logging
import os
import re
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.models import Session
from django.db import connection, models
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.utils import timezone
from django_q.models import OrmQ, Schedule, Task

from catalog.models import (
    Album,
    Artist,
    ArtistTrack,
    Song,
    SongOverride,
    SpotifyRelease,
    Track,
    TrackOverride,
)
from catalog.rules import CuratorDecision, DropReason
from catalog.services import Release, ReleaseTrack, releases_upsert
from imports.auth import START_IMPORTS_PERMISSION
from imports.models import (
    DroppedTrack,
    ImportEvent,
    ImportRun,
    ImportStatus,
    ShowsBatch,
    ShowsSync,
)
from imports.phases import RunStage
from imports.pipeline import run_import
from imports.services import import_run_create
from sandbox import profiles
from sandbox.spotify import Spotify as SandboxSpotify
from shows.models import Show, Venue
from tests.factories import link_track, make_artist, make_show, make_track, make_venue
from tests.support.cluster import database_url
from theset import services as key_services
from theset.auth import API_KEY_HEADER
from theset.logs import RedactingFormatter, formatter
from theset.models import ApiKey
from theset.services import api_key_create, api_keys_revoke

ROOT = Path(__file__).resolve().parents[2]
UNSAFE_METHODS = ("post", "put", "patch", "delete")
MID = profiles.BUILTIN_ATTRACTION_IDS["mid"]
SPARSE = profiles.BUILTIN_ATTRACTION_IDS["sparse"]

# Routes that answer a non-safe request without credentials, and why that is right. Each
# must still exist and still answer (a stale entry fails) and must write nothing.
PUBLIC_BY_DESIGN = {
    "admin:login": "the login form takes credentials from anyone",
    "admin:logout": "ends the caller's own session, nothing else",
}


# --- Sample rows: one of everything the routes can name ---------------------------------


@dataclass
class Samples:
    rows: dict[type[models.Model], models.Model]
    superuser: Any
    starter: Any  # staff with the permission to start imports, nothing else
    curator: Any  # staff without it
    fan: Any  # a user who is not staff
    key: str  # a valid API key
    revoked_key: str

    def of(self, model: type[models.Model]) -> models.Model:
        return self.rows[model]

    @property
    def wrong_key(self) -> str:
        """The valid key with its last character changed: right prefix, wrong secret."""
        return self.key[:-1] + ("A" if self.key[-1] != "A" else "B")


def sample_release(album: Album) -> SpotifyRelease:
    """The album as a stored Spotify release, written as the catalog phase writes it."""
    releases_upsert(
        releases=[
            Release(
                spotify_id=album.spotify_id,
                name=album.name,
                album_type=album.album_type,
                release_date=album.release_date,
                release_date_precision=album.release_date_precision,
                total_tracks=1,
                image_url="",
                tracks=(
                    ReleaseTrack(
                        spotify_id="0sampleTrack0000000001",
                        name="Sample Song",
                        duration_ms=200_000,
                        disc_number=1,
                        track_number=1,
                    ),
                ),
            )
        ]
    )
    return SpotifyRelease.objects.get(spotify_id=album.spotify_id)


def _shows_batch_samples(artist) -> dict:
    batch = ShowsBatch.objects.create(attraction_ids=[artist.tm_attraction_id])
    sync = ShowsSync.objects.create(
        batch=batch, artist=artist, status=ImportStatus.SUCCEEDED, shows=1
    )
    return {ShowsBatch: batch, ShowsSync: sync}


def _login_samples() -> dict[type[models.Model], models.Model]:
    """django-axes' rows: a failed-login count, a login and a failure log entry."""
    seen = {"ip_address": "203.0.113.9", "user_agent": "sample", "http_accept": "*/*"}
    seen["path_info"] = "/admin/login/"
    return {
        AccessAttempt: AccessAttempt.objects.create(
            username="guesser", get_data="", post_data="", failures_since_start=1, **seen
        ),
        AccessLog: AccessLog.objects.create(username="root", **seen),
        AccessFailureLog: AccessFailureLog.objects.create(
            username="guesser", locked_out=False, **seen
        ),
    }


@pytest.fixture
def samples(django_user_model) -> Samples:
    superuser = django_user_model.objects.create_superuser("root", password="pw-root-1")
    starter = django_user_model.objects.create_user("starter", password="pw-1", is_staff=True)
    starter.user_permissions.add(
        Permission.objects.get(
            content_type__app_label="imports", codename=START_IMPORTS_PERMISSION.split(".")[1]
        )
    )
    curator = django_user_model.objects.create_user("curator", password="pw-2", is_staff=True)
    fan = django_user_model.objects.create_user("fan", password="pw-3")
    artist = make_artist()
    venue = make_venue()
    track = make_track()
    link = link_track(artist, track)
    run = ImportRun.objects.create(artist=artist, status=ImportStatus.FAILED, error="sample")
    task = {"name": "sample", "func": "math.floor", "started": timezone.now()}
    task["stopped"] = task["started"]
    revoked = api_key_create(name="revoked")
    api_keys_revoke(api_keys=ApiKey.objects.filter(pk=revoked.api_key.pk))
    issued = api_key_create(name="valid")
    rows: dict[type[models.Model], models.Model] = {
        Artist: artist,
        Venue: venue,
        Track: track,
        Album: track.album,
        ArtistTrack: link,
        Song: link.song,
        SongOverride: SongOverride.objects.create(
            artist=artist, isrc=track.isrc, song_title="Sample Song Again"
        ),
        SpotifyRelease: sample_release(track.album),
        TrackOverride: TrackOverride.objects.decide(
            artist_id=artist.pk,
            decision=CuratorDecision.ALWAYS_KEEP,
            spotify_id=track.spotify_id,
            track_name=track.name,
        )[0],
        Show: make_show(
            tm_event_id="vvG1sample0001",
            artist=artist,
            venue=venue,
            local_date=timezone.localdate() + timedelta(days=5),
        ),
        ImportRun: run,
        ImportEvent: ImportEvent.objects.create(
            run=run, stage=RunStage.IDENTITY, status=ImportStatus.FAILED, percent=0
        ),
        DroppedTrack: DroppedTrack.objects.create(
            run=run, spotify_id="dropped0001", name="Song (Live)", reason=DropReason.LIVE_TITLE
        ),
        ApiKey: issued.api_key,
        **_shows_batch_samples(artist),
        Group: Group.objects.create(name="curators"),
        django_user_model: superuser,
        Schedule: Schedule.objects.create(name="sample", func="math.floor"),
        OrmQ: OrmQ.objects.create(key="sample", payload="sample", lock=timezone.now()),
        Task: Task.objects.create(id=uuid.uuid4().hex, success=True, **task),
        **_login_samples(),
    }
    rows[ContentType] = ContentType.objects.get_for_model(Artist)
    for model in admin.site._registry:
        if model._meta.proxy:  # django-q2's Success and Failure are views of Task
            rows.setdefault(
                model,
                model._default_manager.first()
                or model._default_manager.create(
                    id=uuid.uuid4().hex, success=model.__name__ == "Success", **task
                ),
            )
        assert model in rows, f"add a sample row of {model._meta.label} to the samples fixture"
    return Samples(
        rows=rows,
        superuser=superuser,
        starter=starter,
        curator=curator,
        fan=fan,
        key=issued.plaintext,
        revoked_key=revoked.plaintext,
    )


# --- Routes, as Django resolves them ----------------------------------------------------


@dataclass(frozen=True)
class Route:
    pattern: str  # "admin/catalog/artist/<path:object_id>/delete/"
    view_name: str
    path: str  # with sample values: "/admin/catalog/artist/12/delete/"


_PARAMETER = re.compile(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>[^)]*\)")


def _walk(resolver: URLResolver, prefix: str = "", namespace: str = "") -> Iterator[tuple]:
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}:{entry.namespace}".strip(":") if entry.namespace else namespace
            yield from _walk(entry, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern):
            name = entry.name or f"{entry.callback.__module__}.{entry.callback.__qualname__}"
            yield prefix + str(entry.pattern), f"{namespace}:{name}".strip(":"), entry.callback


def _admin_model(pattern: str) -> type[models.Model] | None:
    match = re.match(r"admin/(\w+)/(\w+)/", pattern)
    if not match:
        return None
    try:
        return apps.get_model(match[1], match[2])
    except LookupError:
        return None


def sample_value(name: str, pattern: str, samples: Samples) -> str:
    """A value of URL parameter `name` that names an existing row, so a route cannot
    refuse a write only because the row it names is missing."""
    model = _admin_model(pattern)
    artist = samples.of(Artist)
    values: dict[str, Callable[[], object]] = {
        "object_id": lambda: samples.of(model).pk,
        "id": lambda: samples.superuser.pk,  # admin/auth/user/<id>/password/
        "content_type_id": lambda: samples.of(ContentType).pk,
        "app_label": lambda: "imports",
        "url": lambda: "no-such-page/",
        "artist_id": lambda: artist.pk,
        "import_id": lambda: samples.of(ImportRun).pk,
        "run_id": lambda: samples.of(ImportRun).pk,  # admin/imports/importrun/<id>/cancel/
        "batch_id": lambda: samples.of(ShowsBatch).pk,
        "id_or_slug": lambda: artist.slug,
        "slug": lambda: artist.slug,
        "tm_venue_id": lambda: samples.of(Venue).tm_venue_id,
    }
    assert name in values, f"{pattern}: teach sample_value() a value for <{name}>"
    return str(values[name]())


def all_routes(samples: Samples) -> list[Route]:
    routes = []
    for pattern, view_name, callback in _walk(get_resolver()):
        if view_name == "api-1.0.0:api-root":
            # django-ninja's root (it reverses it to build operation paths): answered by
            # the JSON 404 routed before it (theset.urls), so no request reaches it.
            continue
        if pattern.startswith("admin/r/") and "object_id" in pattern:
            # view_on_site: its object id is the Artist's, not a model's from the path.
            path = f"/admin/r/{samples.of(ContentType).pk}/{samples.of(Artist).pk}/"
        else:
            path = "/" + _PARAMETER.sub(
                lambda m, pattern=pattern: sample_value(m[1] or m[2], pattern, samples), pattern
            )
            path = path.replace("^", "").replace("$", "")
        assert resolve(path).func == callback, f"{pattern}: sample path {path} resolves elsewhere"
        routes.append(Route(pattern, view_name, path))
    assert len(routes) > 50, "the resolver walk found too few routes"
    return routes


# --- Identities ---------------------------------------------------------------------------


def client_for(
    samples: Samples, who: str, *, enforce_csrf_checks: bool = False, key: str | None = None
) -> Client:
    headers = {API_KEY_HEADER: key} if key else {}
    client = Client(enforce_csrf_checks=enforce_csrf_checks, headers=headers)
    user = {
        "superuser": samples.superuser,
        "starter": samples.starter,
        "curator": samples.curator,
        "fan": samples.fan,
        "anonymous": None,
    }[who]
    if user is not None:
        client.force_login(user)
    return client


def csrf_token(client: Client, page: str = "/admin/") -> str:
    """The CSRF token a page gives this client (as a browser gets it with the form)."""
    assert client.get(page).status_code == 200
    return client.cookies["csrftoken"].value


def state_of_database() -> dict[str, tuple]:
    """Rows per table with the newest primary key and change time, sessions left out:
    any write a request made changes it."""
    state = {}
    for model in apps.get_models():
        if model is Session or model._meta.proxy:
            continue
        manager = model._base_manager
        fields = {field.name for field in model._meta.concrete_fields}
        aggregates: dict[str, Any] = {"rows": models.Count("pk"), "last": models.Max("pk")}
        for name in ("updated_at", "revoked_at", "last_used_at", "lock", "next_run"):
            if name in fields:
                aggregates[name] = models.Max(name)
        state[model._meta.label] = tuple(manager.aggregate(**aggregates).values())
    return state


def refused(response, get_status: int) -> bool:
    """401, 403, 405, or the admin's redirect to its login page; a 404 only where a GET
    finds nothing either (an id that exists was asked for)."""
    if response.status_code in (401, 403, 405):
        return True
    if response.status_code == 302:
        return response["Location"].startswith(reverse("admin:login"))
    return response.status_code == 404 and get_status == 404


def send(client: Client, method: str, path: str, body: Any = None):
    data = json.dumps({} if body is None else body)
    return client.generic(method.upper(), path, data, content_type="application/json")


def write_operations(openapi: dict) -> list[tuple[str, str, dict]]:
    return [
        (method, path, operation)
        for path, operations in openapi["paths"].items()
        for method, operation in operations.items()
        if method in UNSAFE_METHODS
    ]


def takes_keys(operation: dict, openapi: dict) -> bool:
    """Whether one of the operation's security schemes is the API key header."""
    schemes = openapi["components"]["securitySchemes"]
    return any(
        schemes[name] == {"type": "apiKey", "in": "header", "name": API_KEY_HEADER}
        for requirement in operation.get("security", [])
        for name in requirement
    )


def example_of(schema: dict, components: dict) -> Any:
    """A value the schema accepts, from its examples (a write route's body must name one)."""
    if "$ref" in schema:
        schema = components["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    for key in ("examples", "example", "default"):
        if key in schema:
            return schema[key][0] if key == "examples" else schema[key]
    if schema.get("type") == "object":
        return {
            name: example_of(schema["properties"][name], components)
            for name in schema.get("required", [])
        }
    raise AssertionError(f"give this schema an example, so the test can write: {schema}")


def concrete_path(path: str, operation: dict, samples: Samples) -> str:
    for parameter in operation.get("parameters", []):
        if parameter["in"] == "path":
            name = parameter["name"]
            path = path.replace(f"{{{name}}}", sample_value(name, path, samples))
    return path


# --- 1. Every write route needs credentials ------------------------------------------


@pytest.mark.django_db
def test_every_non_safe_request_without_valid_credentials_is_refused_and_writes_nothing(
    samples, client
):
    """Every route Django resolves, every non-safe method, for callers without valid
    credentials: nobody, a wrong key, a revoked key, a valid API key on a route that does
    not take keys (the admin), and a logged-in user who is not staff."""
    openapi = client.get("/api/openapi.json").json()
    key_routes = {
        path for _, path, operation in write_operations(openapi) if takes_keys(operation, openapi)
    }
    routes = all_routes(samples)
    by_name = {route.view_name for route in routes}
    stale = set(PUBLIC_BY_DESIGN) - by_name
    assert not stale, f"PUBLIC_BY_DESIGN names routes that no longer exist: {stale}"

    get_status = {route.path: client.get(route.path).status_code for route in routes}
    identities = {
        "anonymous": (client_for(samples, "anonymous"), UNSAFE_METHODS),
        "wrong key": (client_for(samples, "anonymous", key=samples.wrong_key), ("post",)),
        "revoked key": (client_for(samples, "anonymous", key=samples.revoked_key), ("post",)),
        "valid key": (client_for(samples, "anonymous", key=samples.key), ("post", "delete")),
        "non-staff user": (client_for(samples, "fan"), ("post", "delete")),
    }
    accepted: list[str] = []
    before = state_of_database()
    for who, (caller, methods) in identities.items():
        for route in routes:
            if route.view_name in PUBLIC_BY_DESIGN:
                continue
            openapi_path = "/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route.pattern)
            if who == "valid key" and openapi_path in key_routes:
                continue  # a valid key is meant to work there (the next test)
            for method in methods:
                response = send(caller, method, route.path)
                if not refused(response, get_status[route.path]):
                    accepted.append(
                        f"{who}: {method.upper()} {route.path} ({route.view_name}) "
                        f"answered {response.status_code}"
                    )
    no_longer_public = []
    for view_name in PUBLIC_BY_DESIGN:
        path = next(route.path for route in routes if route.view_name == view_name)
        answers = [send(client_for(samples, "anonymous"), m, path) for m in UNSAFE_METHODS]
        if all(refused(answer, get_status[path]) for answer in answers):
            no_longer_public.append(view_name)
    assert not no_longer_public, (
        f"refuses writes now, drop from PUBLIC_BY_DESIGN: {no_longer_public}"
    )
    assert not accepted, "non-safe requests accepted without valid credentials:\n" + "\n".join(
        accepted
    )
    assert state_of_database() == before, "a refused (or public) request wrote to the database"


@pytest.mark.django_db
def test_each_api_write_operation_needs_a_valid_key_or_a_permitted_staff_session(samples, client):
    """From the live OpenAPI document: every non-safe operation declares its security,
    refuses every caller without valid credentials (401 or 403, nothing written), and
    works with a valid key and with the CSRF-checked session of staff who may start
    imports."""
    openapi = client.get("/api/openapi.json").json()
    operations = write_operations(openapi)
    assert operations, "the API has no write operation: nothing to prove"
    for method, path, operation in operations:
        where = f"{method.upper()} {path}"
        assert operation.get("security"), f"{where} declares no security in the schema"
        assert takes_keys(operation, openapi), f"{where} does not declare the API key header"
        url = concrete_path(path, operation, samples)
        content = operation.get("requestBody", {}).get("content", {})
        body = (
            example_of(content["application/json"]["schema"], openapi["components"])
            if content
            else None
        )
        # Logged in before the snapshot: a login is recorded (django-axes' access log).
        callers = [
            ("nobody", client_for(samples, "anonymous"), 401),
            ("wrong key", client_for(samples, "anonymous", key=samples.wrong_key), 401),
            ("garbage key", client_for(samples, "anonymous", key="not-a-key"), 401),
            ("revoked key", client_for(samples, "anonymous", key=samples.revoked_key), 403),
            ("non-staff session", client_for(samples, "fan"), 403),
            ("staff without the permission", client_for(samples, "curator"), 403),
            (
                "permitted staff without CSRF token",
                client_for(samples, "starter", enforce_csrf_checks=True),
                403,
            ),
        ]
        before = state_of_database()
        for who, caller, expected in callers:
            response = send(caller, method, url, body)
            assert response.status_code == expected, f"{where}, {who}: {response.status_code}"
            assert "detail" in response.json()
        assert state_of_database() == before, f"{where}: a refused request wrote"

        writable(samples)
        with_key = send(client_for(samples, "anonymous", key=samples.key), method, url, body)
        assert 200 <= with_key.status_code < 300, f"{where} with a valid key: {with_key.content}"
        staff = client_for(samples, "starter", enforce_csrf_checks=True)
        token = csrf_token(staff)
        writable(samples)
        with_session = staff.generic(
            method.upper(),
            url,
            json.dumps(body),
            content_type="application/json",
            headers={"X-CSRFToken": token},
        )
        assert 200 <= with_session.status_code < 300, f"{where}, staff: {with_session.content}"
        assert state_of_database() != before, f"{where}: the accepted requests wrote nothing"


def writable(samples: Samples) -> None:
    """The sample run active (waiting), so a write that stops runs has one to stop."""
    ImportRun.objects.filter(pk=samples.of(ImportRun).pk).update(status=ImportStatus.WAITING)


@pytest.mark.django_db
def test_the_two_enumerations_agree_every_api_route_taking_a_write_is_in_the_schema(
    samples, client
):
    """A route under /api/ that does not answer 405 to a non-safe method must be a write
    operation the OpenAPI document declares (or public by design): nothing hides from it."""
    openapi = client.get("/api/openapi.json").json()
    declared = {(m, p) for m, p, _ in write_operations(openapi)}
    undeclared = []
    anonymous = client_for(samples, "anonymous")
    for route in all_routes(samples):
        if not route.pattern.startswith("api/") or route.view_name in PUBLIC_BY_DESIGN:
            continue
        openapi_path = "/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route.pattern)
        for method in UNSAFE_METHODS:
            status = send(anonymous, method, route.path).status_code
            if status not in (404, 405) and (method, openapi_path) not in declared:
                undeclared.append(f"{method.upper()} {route.path}: {status}")
    assert not undeclared, "writes the OpenAPI document does not declare:\n" + "\n".join(undeclared)


# --- 2. API keys: hashed at rest, compared in constant time -----------------------------


@pytest.mark.django_db
def test_the_secret_is_compared_in_constant_time(samples, client):
    kickoff = {"tm_attraction_id": "K8vZ917Key01"}
    stored = ApiKey.objects.get(pk=samples.of(ApiKey).pk).secret_sha256

    def comparisons_of_the_stored_hash() -> list:
        return [call for call in compare.call_args_list if stored in call.args]

    # hmac.compare_digest is looked up when called, so patching the module sees the call.
    with mock.patch.object(
        key_services.hmac, "compare_digest", wraps=key_services.hmac.compare_digest
    ) as compare:
        good = send(
            client_for(samples, "anonymous", key=samples.key),
            "post",
            "/api/artists/import",
            kickoff,
        )
        assert good.status_code == 202
        assert len(comparisons_of_the_stored_hash()) == 1
        compare.reset_mock()
        bad = send(
            client_for(samples, "anonymous", key=samples.wrong_key),
            "post",
            "/api/artists/import",
            {"tm_attraction_id": "K8vZ917Key02"},
        )
        assert bad.status_code == 401
        assert len(comparisons_of_the_stored_hash()) == 1, "the wrong secret was not compared"
    assert not Artist.objects.filter(tm_attraction_id="K8vZ917Key02").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("position", [0, 10, -1], ids=["first-char", "middle-char", "last-char"])
def test_a_key_differing_in_one_character_of_its_secret_is_refused(samples, client, position):
    marker, prefix, secret = samples.key.split("_", 2)
    index = position % len(secret)
    changed = "A" if secret[index] != "A" else "B"
    near = f"{marker}_{prefix}_{secret[:index]}{changed}{secret[index + 1 :]}"
    assert near != samples.key and len(near) == len(samples.key)
    response = send(
        client_for(samples, "anonymous", key=near),
        "post",
        "/api/artists/import",
        {"tm_attraction_id": "K8vZ917Near1"},
    )
    assert response.status_code == 401
    assert not ImportRun.objects.filter(artist__tm_attraction_id="K8vZ917Near1").exists()


@pytest.mark.django_db(transaction=True)
def test_a_key_made_in_the_admin_is_nowhere_in_plaintext(admin_client, client, captured_logs):
    """Created in the admin, used, mistyped and revoked: the plaintext key (and the hash,
    which must not be shown either) is in no table, no admin page and no log line."""
    created = admin_client.post("/admin/theset/apikey/add/", {"name": "ci"}, follow=True)
    shown = " ".join(str(message) for message in created.context["messages"])
    plaintext = re.search(r"theset_\w+_[\w-]+", shown)[0]
    api_key = ApiKey.objects.get(name="ci")
    secret = plaintext.split("_", 2)[2]
    assert (
        client.post(
            "/api/artists/import",
            {"tm_attraction_id": "K8vZ917Adm1"},
            content_type="application/json",
            headers={API_KEY_HEADER: plaintext},
        ).status_code
        == 202
    )
    assert (
        client.post(
            "/api/artists/import",
            {"tm_attraction_id": "K8vZ917Adm2"},
            content_type="application/json",
            headers={API_KEY_HEADER: plaintext[:-1] + ("A" if plaintext[-1] != "A" else "B")},
        ).status_code
        == 401
    )
    admin_client.post(
        "/admin/theset/apikey/", {"action": "revoke", "_selected_action": [api_key.pk]}
    )
    api_key.refresh_from_db()
    assert api_key.revoked_at is not None

    pages = {
        url: admin_client.get(url).content.decode()
        for url in (
            "/admin/theset/apikey/",
            f"/admin/theset/apikey/{api_key.pk}/change/",
            f"/admin/theset/apikey/{api_key.pk}/history/",
            "/admin/",
        )
    }
    plaintexts = {"the key": plaintext, "its secret": secret}
    shown = [("admin " + url, page) for url, page in pages.items()]
    shown += [(f"log ({fmt})", text) for fmt, text in captured_logs().items()]
    leaks = find_leaks(plaintexts, every_table_raw() + every_model_decoded())
    leaks += find_leaks(plaintexts | {"its hash": api_key.secret_sha256}, shown)
    assert not leaks, "\n".join(leaks)
    assert api_key.prefix in pages[f"/admin/theset/apikey/{api_key.pk}/change/"]


# --- 3. Secrets never leave the process -------------------------------------------------


def find_leaks(secrets: dict[str, str], texts: list[tuple[str, str]]) -> list[str]:
    """Where each secret (or any 16-character piece of it) appears; says which secret
    and where, never the secret itself."""
    needles = {}
    for name, value in secrets.items():
        pieces = {value} | {value[i : i + 16] for i in range(0, max(1, len(value) - 15))}
        needles[name] = [piece for piece in pieces if len(piece) >= min(16, len(value))]
    leaks = []
    for where, text in texts:
        for name, pieces in needles.items():
            if any(piece in text for piece in pieces):
                leaks.append(f"{name} appears in {where}")
    return leaks


def every_table_raw() -> list[tuple[str, str]]:
    """Every row of every table as the database holds it."""
    texts = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            texts.append((f"table {table}", repr(cursor.fetchall())))
    return texts


def every_model_decoded() -> list[tuple[str, str]]:
    """Every text-bearing column of every model, decoded by its field (JSON, pickles)."""
    texts = []
    for model in apps.get_models():
        if model._meta.proxy:
            continue
        names = [field.attname for field in model._meta.concrete_fields]
        rows = list(model._base_manager.values_list(*names))
        texts.append((f"model {model._meta.label}", repr(rows)))
    return texts


@pytest.fixture
def captured_logs(monkeypatch):
    """Every record of every logger at DEBUG, rendered by both production formatters.

    Meanwhile the console handler is detached and pytest's log capture records nothing:
    a failing test must not print what it caught."""
    from _pytest.logging import LogCaptureHandler

    monkeypatch.setattr(LogCaptureHandler, "emit", lambda self, record: None)
    streams = {name: io.StringIO() for name in ("console", "json")}
    handlers = []
    for name, stream in streams.items():
        spec = formatter(name)
        handler = logging.StreamHandler(stream)
        handler.setLevel(logging.DEBUG)
        handler.setFormatter(
            spec["()"](processors=spec["processors"], foreign_pre_chain=spec["foreign_pre_chain"])
        )
        handlers.append(handler)
    loggers = [logging.getLogger()] + [
        logger
        for logger in logging.root.manager.loggerDict.values()
        if isinstance(logger, logging.Logger)
    ]
    saved = [(logger, logger.level, logger.disabled) for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.DEBUG)
        logger.disabled = False
        if not logger.propagate:
            for handler in handlers:
                logger.addHandler(handler)
    root = logging.getLogger()
    detached = list(root.handlers)
    for handler in detached:
        root.removeHandler(handler)
    for handler in handlers:
        root.addHandler(handler)
    yield lambda: {name: stream.getvalue() for name, stream in streams.items()}
    for logger, level, disabled in saved:
        logger.setLevel(level)
        logger.disabled = disabled
        for handler in handlers:
            logger.removeHandler(handler)
    for handler in detached:
        root.addHandler(handler)


def test_every_log_handler_renders_through_the_redacting_formatter():
    """A handler with a formatter of its own would write secrets the shared one redacts."""
    loggers = [logging.getLogger()] + [
        logger
        for logger in logging.root.manager.loggerDict.values()
        if isinstance(logger, logging.Logger)
    ]
    unredacted = [
        f"{logger.name}: {type(handler).__name__} ({type(handler.formatter).__name__})"
        for logger in loggers
        for handler in logger.handlers
        if not type(handler).__module__.startswith("_pytest")
        and not isinstance(handler, logging.NullHandler)
        and not isinstance(handler.formatter, RedactingFormatter)
    ]
    assert not unredacted, "handlers that do not redact secrets:\n" + "\n".join(unredacted)


@dataclass
class Secrets:
    values: dict[str, str]
    tokens: list[str]

    def all(self) -> dict[str, str]:
        found = dict(self.values)
        basic = f"{self.values['SPOTIFY_CLIENT_ID']}:{self.values['SPOTIFY_CLIENT_SECRET']}"
        found["Spotify Basic credentials"] = base64.b64encode(basic.encode()).decode()
        for n, token in enumerate(self.tokens):
            found[f"Spotify bearer token #{n + 1}"] = token
        return found


@pytest.fixture
def issued_tokens(monkeypatch) -> list[SandboxSpotify]:
    """Every sandbox Spotify started during the test; their `tokens` are the bearer
    tokens issued to any process (this one, the command's)."""
    started: list[SandboxSpotify] = []
    original = SandboxSpotify.__init__

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        started.append(self)

    monkeypatch.setattr(SandboxSpotify, "__init__", init)
    return started


CLI = """
import logging, sys
import django
django.setup()
for logger in [logging.getLogger(), logging.getLogger("httpx"), logging.getLogger("httpcore"),
               *logging.root.manager.loggerDict.values()]:
    if isinstance(logger, logging.Logger):
        logger.setLevel(logging.DEBUG)
from django.core.management import load_command_class
load_command_class("imports", "import_artist").run_from_argv(["manage.py", *sys.argv[1:]])
"""


def run_command(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`manage.py import_artist ...` in a process of its own, every logger at DEBUG."""
    return subprocess.run(
        [sys.executable, "-c", CLI, "import_artist", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_no_secret_reaches_logs_rows_pages_answers_or_output(
    sandbox, settings, captured_logs, issued_tokens, samples
):
    secrets = {
        "TICKETMASTER_API_KEY": f"tmkey{uuid.uuid4().hex}",
        "SPOTIFY_CLIENT_ID": f"spclient{uuid.uuid4().hex}",
        "SPOTIFY_CLIENT_SECRET": f"spsecret{uuid.uuid4().hex}",
    }
    expected = {
        "tm_api_key": secrets["TICKETMASTER_API_KEY"],
        "spotify_client_id": secrets["SPOTIFY_CLIENT_ID"],
        "spotify_client_secret": secrets["SPOTIFY_CLIENT_SECRET"],
    }

    @contextlib.contextmanager
    def upstream(**config):
        """The sandbox accepting only our credentials (unless `config` says otherwise),
        and the importer configured with them."""
        with sandbox(**(expected | config)) as stats:
            for name, value in secrets.items():
                setattr(settings, name, value)
            yield stats

    def mask(text: str) -> str:
        """`text` fit to print in a failure: the secrets named, not shown."""
        for name, value in secrets.items():
            text = text.replace(value, f"<{name}>")
        return text

    def import_inline(tm_attraction_id: str, *, full_catalog: bool = False) -> ImportRun:
        started = import_run_create(tm_attraction_id=tm_attraction_id, full_catalog=full_catalog)
        return run_import(started.import_id)

    runs: dict[str, ImportRun] = {}
    with upstream():
        runs["succeeded"] = import_inline(MID)
        runs["unknown attraction (404)"] = import_inline("K8vZ917NoSuch0")
        settings.HEALTH_CHECK_UPSTREAM = True
        command_env = {
            **os.environ,
            **secrets,
            "DATABASE_URL": database_url(),
            "TICKETMASTER_BASE_URL": settings.TICKETMASTER_BASE_URL,
            "SPOTIFY_API_URL": settings.SPOTIFY_API_URL,
            "SPOTIFY_ACCOUNTS_URL": settings.SPOTIFY_ACCOUNTS_URL,
            "LOG_LEVEL": "DEBUG",
        }
        commands = {
            log_format: run_command(
                [SPARSE, "K8vZ917NoSuch1", "--inline", "--json"],
                command_env | {"LOG_FORMAT": log_format},
            )
            for log_format in ("console", "json")
        }
        admin = client_for(samples, "superuser")
        health = [admin.get("/health/?upstream=1").content.decode()]
    settings.DEFAULT_RETRIES = 0
    with upstream(fault_rate=0.9, seed=3):
        runs["upstream faults, no retries"] = import_inline(MID)
    settings.DEFAULT_RETRIES = 5
    with upstream(tm_api_key=f"other{uuid.uuid4().hex}"):
        runs["Ticketmaster refuses the key (401)"] = import_inline(MID)
    with upstream(spotify_client_secret=f"other{uuid.uuid4().hex}"):
        runs["Spotify refuses the client (invalid_client)"] = import_inline(MID)
    with upstream(audio_features="forbidden"):
        # A full catalog: an incremental one would use the liveness stored by the command's
        # import above and never ask for audio features.
        runs["Spotify refuses audio features (403)"] = import_inline(SPARSE, full_catalog=True)
    settings.SPOTIFY_APP_MODE = "extended"
    with upstream(spotify_app="development"):
        runs["Spotify refuses an extended-app call (400)"] = import_inline(SPARSE)

    # Each scenario did what it says, with our credentials in use.
    succeeding = ("succeeded", "Spotify refuses audio features (403)")
    for scenario, run in runs.items():
        if scenario in succeeding:
            assert run.status == ImportStatus.SUCCEEDED, (scenario, mask(run.error))
        else:
            assert run.status == ImportStatus.FAILED, scenario
            assert run.error, scenario
    assert any("audio features" in w for w in runs[succeeding[1]].warnings), runs[
        succeeding[1]
    ].warnings
    assert "401" in runs["Ticketmaster refuses the key (401)"].error
    assert "404" in runs["unknown attraction (404)"].error
    assert "400" in runs["Spotify refuses an extended-app call (400)"].error
    assert "invalid_client" in runs["Spotify refuses the client (invalid_client)"].error.lower()
    for log_format, command in commands.items():
        assert command.returncode == 1, (log_format, mask(command.stderr[-2000:]))
        outcome = {i["tm_attraction_id"]: i for i in json.loads(command.stdout)["imports"]}
        assert outcome[SPARSE]["status"] == "succeeded", log_format
        assert outcome["K8vZ917NoSuch1"]["status"] == "failed", log_format
        assert "HTTP Request" in command.stderr, f"the command logged no DEBUG ({log_format})"
    lines = [json.loads(line) for line in commands["json"].stderr.splitlines() if line[:1] == "{"]
    assert any(line["level"] == "debug" for line in lines), "the command's JSON logs"
    tokens = sorted({token for spotify in issued_tokens for token in spotify.tokens})
    assert len(tokens) >= 3, "the sandbox issued too few bearer tokens: Spotify was not used"

    # API answers, with and without credentials, and the key itself as a secret.
    api = client_for(samples, "anonymous")
    keyed = client_for(samples, "anonymous", key=samples.key)
    answers = [
        send(keyed, "post", "/api/artists/import", {"tm_attraction_id": "K8vZ917SecApi"}),
        send(keyed, "post", "/api/artists/import", {"tm_attraction_id": ""}),
        send(api, "post", "/api/artists/import", {"tm_attraction_id": MID}),
        send(
            client_for(samples, "anonymous", key=samples.wrong_key), "post", "/api/artists/import"
        ),
        api.get("/api/imports/999999999"),
    ]
    for run in ImportRun.objects.all():
        answers += [
            api.get(f"/api/imports/{run.pk}"),
            api.get(f"/api/artists/{run.artist_id}/status"),
        ]
    for artist in Artist.objects.all():
        for suffix in ("", "/shows", "/tracks"):
            answers.append(api.get(f"/api/artists/{artist.pk}{suffix}"))
    answers += [api.get("/metrics"), api.get("/health/")]

    texts = [(f"log ({fmt})", text) for fmt, text in captured_logs().items()]
    for log_format, command in commands.items():
        texts += [
            (f"command stdout ({log_format} logs)", command.stdout),
            (f"command stderr ({log_format} logs)", command.stderr),
        ]
    texts += every_table_raw() + every_model_decoded()
    texts += [("admin " + url, page) for url, page in admin_pages(admin)]
    texts += [(f"answer {a.request['PATH_INFO']}", a.content.decode()) for a in answers]
    texts += [("/health/?upstream=1 as staff", page) for page in health]
    assert sum(len(text) for _, text in texts) > 100_000, "too little was scanned"
    assert "HTTP Request" in captured_logs()["json"], "httpx's DEBUG records were not captured"
    assert '"level": "debug"' in captured_logs()["json"]

    leaks = find_leaks(Secrets(secrets, tokens).all() | {"API key": samples.key}, texts)
    assert not leaks, "secrets leaked:\n" + "\n".join(sorted(set(leaks)))


def admin_pages(client: Client) -> Iterator[tuple[str, str]]:
    """Every admin list, and the change pages of every run, event, task and a few rows of
    everything else, as a superuser sees them."""
    yield "/admin/", client.get("/admin/").content.decode()
    yield "import page", client.get(reverse("admin:imports_importrun_import")).content.decode()
    every_row = {ImportRun, ImportEvent, DroppedTrack, Task, OrmQ, Schedule, ApiKey}
    for model in admin.site._registry:
        info = (model._meta.app_label, model._meta.model_name)
        changelist = reverse("admin:{}_{}_changelist".format(*info))
        yield changelist, client.get(changelist + "?all=").content.decode()
        rows = model._default_manager.values_list("pk", flat=True)
        concrete = model._meta.concrete_model
        if concrete not in every_row:
            rows = rows[:3]
        for pk in rows:
            url = reverse("admin:{}_{}_change".format(*info), args=[pk])
            response = client.get(url)
            assert response.status_code == 200, url
            yield url, response.content.decode()


@pytest.mark.django_db
def test_the_leak_search_finds_a_planted_secret(samples, captured_logs):
    """The search above can fail: a token planted in a run's warnings and a log line is
    found in the table, the model, the admin's run page, the API's answer and the log."""
    token = "BQ" + uuid.uuid4().hex * 3
    run = samples.of(ImportRun)
    ImportRun.objects.filter(pk=run.pk).update(warnings=[f"retrying with {token[:20]}…"])
    logging.getLogger("tests.planted").debug("token %s", token[-18:])
    admin = client_for(samples, "superuser")
    texts = every_table_raw() + every_model_decoded()
    texts += [
        ("admin run page", admin.get(f"/admin/imports/importrun/{run.pk}/change/").content.decode())
    ]
    texts += [("answer", Client().get(f"/api/imports/{run.pk}").content.decode())]
    texts += [(f"log ({fmt})", text) for fmt, text in captured_logs().items()]
    found = find_leaks({"token": token}, texts)
    assert set(found) >= {
        "token appears in table imports_importrun",
        "token appears in model imports.ImportRun",
        "token appears in admin run page",
        "token appears in answer",
        "token appears in log (console)",
        "token appears in log (json)",
    }
    assert all(token not in line for line in found)


# --- 4. CSRF on cookie-authenticated writes -------------------------------------------------


@dataclass(frozen=True)
class AdminWrite:
    name: str
    page: Callable[[Samples], str]  # where the form is (and the token comes from)
    url: Callable[[Samples], str]
    data: Callable[[Samples], dict]
    written: Callable[[Samples], bool]


def _new_run_of(artist: Artist) -> bool:
    return ImportRun.objects.filter(artist=artist, status=ImportStatus.QUEUED).exists()


ADMIN_WRITES = [
    AdminWrite(
        "import artists form",
        lambda s: reverse("admin:imports_importrun_import"),
        lambda s: reverse("admin:imports_importrun_import"),
        lambda s: {"tm_attraction_ids": "K8vZ917Csrf1"},
        lambda s: ImportRun.objects.filter(artist__tm_attraction_id="K8vZ917Csrf1").exists(),
    ),
    AdminWrite(
        "re-import action",
        lambda s: reverse("admin:catalog_artist_changelist"),
        lambda s: reverse("admin:catalog_artist_changelist"),
        lambda s: {"action": "reimport_selected", "_selected_action": [s.of(Artist).pk]},
        lambda s: _new_run_of(s.of(Artist)),
    ),
    AdminWrite(
        "retry failed runs action",
        lambda s: reverse("admin:imports_importrun_changelist"),
        lambda s: reverse("admin:imports_importrun_changelist"),
        lambda s: {"action": "retry_failed_runs", "_selected_action": [s.of(ImportRun).pk]},
        lambda s: _new_run_of(s.of(Artist)),
    ),
    AdminWrite(
        "track override add",
        lambda s: reverse("admin:catalog_trackoverride_add"),
        lambda s: reverse("admin:catalog_trackoverride_add"),
        lambda s: {
            "artist": s.of(Artist).pk,
            "track_name": "Csrf Song",
            "spotify_id": "csrfsong00000000000001",
            "isrc": "",
            "decision": CuratorDecision.ALWAYS_DROP.value,
            "note": "",
        },
        lambda s: TrackOverride.objects.filter(spotify_id="csrfsong00000000000001").exists(),
    ),
    AdminWrite(
        "API key add",
        lambda s: reverse("admin:theset_apikey_add"),
        lambda s: reverse("admin:theset_apikey_add"),
        lambda s: {"name": "csrf-made"},
        lambda s: ApiKey.objects.filter(name="csrf-made").exists(),
    ),
    AdminWrite(
        "API key revoke action",
        lambda s: reverse("admin:theset_apikey_changelist"),
        lambda s: reverse("admin:theset_apikey_changelist"),
        lambda s: {"action": "revoke", "_selected_action": [s.of(ApiKey).pk]},
        lambda s: ApiKey.objects.get(pk=s.of(ApiKey).pk).revoked_at is not None,
    ),
]


@pytest.mark.django_db
@pytest.mark.parametrize("write", ADMIN_WRITES, ids=[w.name for w in ADMIN_WRITES])
def test_admin_writes_need_the_csrf_token(samples, write):
    staff = client_for(samples, "superuser", enforce_csrf_checks=True)
    token = csrf_token(staff, write.page(samples))
    data = write.data(samples)

    without = staff.post(write.url(samples), data)
    assert without.status_code == 403
    assert not write.written(samples)
    forged = staff.post(write.url(samples), data | {"csrfmiddlewaretoken": "x" * 64})
    assert forged.status_code == 403
    assert not write.written(samples)
    with_token = staff.post(write.url(samples), data | {"csrfmiddlewaretoken": token})
    errors = re.findall(r'<ul class="errorlist[^>]*>(.*?)</ul>', with_token.content.decode())
    assert with_token.status_code == 302, errors
    assert write.written(samples)


@pytest.mark.django_db
def test_every_admin_action_refuses_a_post_without_the_csrf_token(samples):
    """Every action of every registered admin, found from the admin site, with a row
    selected: without the token, 403 and nothing written."""
    staff = client_for(samples, "superuser", enforce_csrf_checks=True)
    csrf_token(staff)
    before = state_of_database()
    tried = []
    for model, model_admin in admin.site._registry.items():
        info = (model._meta.app_label, model._meta.model_name)
        changelist = reverse("admin:{}_{}_changelist".format(*info))
        for action in model_admin.actions or ():
            name = action if isinstance(action, str) else action.__name__
            tried.append(name)
            response = staff.post(
                changelist, {"action": name, "_selected_action": [samples.of(model).pk]}
            )
            assert response.status_code == 403, f"{changelist} {name}: {response.status_code}"
        response = staff.post(
            changelist, {"action": "delete_selected", "_selected_action": [samples.of(model).pk]}
        )
        assert response.status_code == 403, f"{changelist} delete_selected"
    assert {"reimport_selected", "retry_failed_runs", "revoke", "always_keep"} <= set(tried)
    assert state_of_database() == before


@pytest.mark.django_db
def test_api_session_writes_need_the_csrf_token_and_key_writes_do_not(samples):
    body = {"tm_attraction_id": "K8vZ917Csrf2"}
    staff = client_for(samples, "starter", enforce_csrf_checks=True)
    token = csrf_token(staff)

    without = send(staff, "post", "/api/artists/import", body)
    assert without.status_code == 403
    assert "CSRF" in without.json()["detail"]
    forged = staff.post(
        "/api/artists/import",
        body,
        content_type="application/json",
        headers={"X-CSRFToken": "x" * 32},
    )
    assert forged.status_code == 403
    assert not ImportRun.objects.filter(artist__tm_attraction_id="K8vZ917Csrf2").exists()
    accepted = staff.post(
        "/api/artists/import", body, content_type="application/json", headers={"X-CSRFToken": token}
    )
    assert accepted.status_code == 202

    # A key is not a cookie: a page on another site cannot make a browser send it.
    keyed = client_for(samples, "anonymous", enforce_csrf_checks=True, key=samples.key)
    assert (
        send(keyed, "post", "/api/artists/import", {"tm_attraction_id": "K8vZ917Csrf3"}).status_code
        == 202
    )
