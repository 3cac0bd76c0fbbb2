"""The root of the HTTP API; each app adds its router here.

Errors are JSON `{"detail": "..."}`; invalid input is a 422 whose `detail` names
each invalid field (and `errors` lists them), including a body that is not JSON.
"""

from __future__ import annotations

import json
import math

from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, resolve
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, Throttled, ValidationError

from imports.api import router as imports_router
from theset.auth import API_KEY_HEADER

DESCRIPTION = f"""
Import an artist's shows and studio catalog from Ticketmaster and Spotify.

**Reads** are public. **Writes** (starting an import) need either an API key in the
`{API_KEY_HEADER}` header (staff create keys in the admin, under *API keys*; a key is
shown once, when created) or the session of a logged-in staff user with the "add import
run" permission, with its CSRF token in `X-CSRFToken`. No credentials: 401; a revoked
key, a non-staff user or staff without that permission: 403.
Kickoffs are limited per key (`IMPORT_KICKOFF_RATE`, default 60 a minute): past it,
429 with `Retry-After`; while that count cannot be kept (Redis down), a key's kickoff
is a 503 with `Retry-After`.
Anonymous reads are limited per client address (`ANON_READ_RATES`, default 60 a minute
and 1000 an hour): past it, 429 with `Retry-After`. Reads with an API key are not
counted.

An artist is named in a path (`{{id_or_slug}}`) by its id (all digits), else its slug,
else its Ticketmaster attraction id (case-sensitive, e.g. `K8vZ917Pr7k`).

Errors are JSON `{{"detail": "..."}}`, also a 404 for a path that matches no route (paths
end without a slash); invalid input is a 422 that names the field.
Progress of a running import: `GET /api/artists/{{id_or_slug}}/stream` (server-sent
events, not listed below), or poll `GET /api/artists/{{id_or_slug}}/status`.
"""

api = NinjaAPI(
    title="TheSet importer",
    version="1.0.0",
    description=DESCRIPTION,
    docs_url="/docs",
    docs_decorator=require_safe,  # the schema and docs pages answer GET and HEAD only
)


def _client_loc(loc: tuple | list) -> list[str | int]:
    """Where the problem is, as a client sees it: `("body", "payload", "tm_attraction_id")`
    → `["body", "tm_attraction_id"]` (the view's parameter name means nothing to it)."""
    source, *path = loc
    if source == "body":
        path = path[1:]
    return [source, *path]


def _readable(error: dict) -> str:
    """`tm_attraction_id: <message>`; `request body: <message>` for the body as a whole."""
    source, *path = _client_loc(error["loc"])
    where = ".".join(str(part) for part in path) or f"request {source}"
    message = error["msg"]
    if error.get("type") == "value_error":
        message = message.removeprefix("Value error, ")
    return f"{where}: {message}"


@api.exception_handler(ValidationError)
def validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    """422 with every problem named in `detail` and listed in `errors`."""
    errors = [
        {"loc": _client_loc(error["loc"]), "msg": error["msg"], "type": error["type"]}
        for error in exc.errors
    ]
    detail = "; ".join(_readable(error) for error in exc.errors)
    return api.create_response(request, {"detail": detail, "errors": errors}, status=422)


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    """`{"detail": ...}` with the error's status; a body that does not parse is a 422."""
    if exc.status_code == 400 and isinstance(exc.__cause__, ValueError):
        detail = "request body: not valid JSON"
        if isinstance(exc.__cause__, json.JSONDecodeError):
            detail += f" ({exc.__cause__.msg} at position {exc.__cause__.pos})"
        return api.create_response(request, {"detail": detail, "errors": []}, status=422)
    detail = str(exc)
    if isinstance(exc, AuthenticationError) and detail == AuthenticationError().message:
        detail = (
            f"Authentication required: an API key in the {API_KEY_HEADER} header, "
            "or the session of a staff user with the 'add import run' permission"
        )
    elif isinstance(exc, Throttled):
        unavailable = getattr(request, "throttle_unavailable", None)
        if unavailable:
            # The throttle could not count (its cache is down) and refuses: 503, not 429.
            return api.create_response(request, {"detail": unavailable}, status=503)
        detail = "Too many requests" + (
            f"; retry in {math.ceil(exc.wait)} s" if exc.wait is not None else ""
        )
    return api.create_response(request, {"detail": detail}, status=exc.status_code)


api.add_router("", imports_router)

# The catch-all's URL name (theset.urls): a path it answers is no route of the API.
NOT_FOUND_URL_NAME = "api-not-found"
# How much of an unknown path a 404 repeats (the path may be kilobytes long).
NOT_FOUND_PATH_CHARS = 200


@csrf_exempt  # any method: a POST to no route is a 404 too, not a CSRF refusal
def api_not_found(request: HttpRequest) -> HttpResponse:
    """The JSON 404 of every `/api/` path that matches no route (Django's would be HTML);
    a path that is a route but for its trailing slash says so."""
    shown = request.path
    if len(shown) > NOT_FOUND_PATH_CHARS:
        shown = f"{shown[:NOT_FOUND_PATH_CHARS]}…"
    detail = f"No API route at {shown}"
    without_slash = request.path_info.rstrip("/")
    if without_slash != request.path_info and _is_route(without_slash):
        detail += f": the API's paths end without a slash, {request.path.rstrip('/')} is a route"
    else:
        detail += " (routes: /api/docs)"
    return api.create_response(request, {"detail": detail}, status=404)


def _is_route(path_info: str) -> bool:
    """Whether a route of the site, other than the API's catch-all, takes this path."""
    try:
        return resolve(path_info).url_name != NOT_FOUND_URL_NAME
    except Resolver404:
        return False
