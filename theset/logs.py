"""Structured logs: structlog events rendered through the standard logging handlers.

Every log line — ours through structlog, Django's, django-q2's and httpx's through
the standard library — is rendered by one `structlog.stdlib.ProcessorFormatter`:
key=value pairs on a terminal (`LOG_FORMAT=console`), one JSON object per line for
log shippers (`LOG_FORMAT=json`). Context bound with `bind_contextvars` (the
request id of a web request, the run id of a phase) lands on every line logged
within it. Secrets are redacted from every line, whoever logged it: the configured
API key, client id and secret, bearer tokens and `apikey=` query parameters.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import structlog
from asgiref.sync import iscoroutinefunction
from django.conf import settings
from django.utils.decorators import sync_and_async_middleware

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponse

REDACTED = "[redacted]"
# Bearer tokens, and the key Ticketmaster takes as a query parameter, whatever their value.
_SECRET_SHAPES = (
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]+"),
    re.compile(r"(?i)(apikey=)[^&\s'\"]+"),
    re.compile(r"(?i)(access_token[\"']?\s*[:=]\s*[\"']?)[A-Za-z0-9._~+/=-]+"),
)
REQUEST_ID_HEADER = "X-Request-ID"
_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


def configured_secrets() -> tuple[str, ...]:
    if not settings.configured:
        return ()
    names = ("TICKETMASTER_API_KEY", "SPOTIFY_CLIENT_ID", "SPOTIFY_CLIENT_SECRET", "SECRET_KEY")
    return tuple(value for name in names if len(value := getattr(settings, name, "") or "") >= 4)


def redact(text: str) -> str:
    """`text` without any configured secret, bearer token or apikey parameter."""
    for secret in configured_secrets():
        text = text.replace(secret, REDACTED)
    for shape in _SECRET_SHAPES:
        text = shape.sub(lambda m: f"{m[1]}{REDACTED}", text)
    return text


class RedactingFormatter(structlog.stdlib.ProcessorFormatter):
    """The shared formatter, with every rendered line passed through `redact`."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def formatter(log_format: str) -> dict[str, Any]:
    """The `LOGGING["formatters"]` entry for `console` or `json` output."""
    renderer = (
        structlog.processors.JSONRenderer()
        if log_format == "json"
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    return {
        "()": RedactingFormatter,
        "processors": [
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            # Tracebacks of standard-library records (exc_info) as text, not objects.
            structlog.processors.format_exc_info,
            renderer,
        ],
        "foreign_pre_chain": _shared_processors(),
    }


def _shared_processors() -> list[Callable]:
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.stdlib.ExtraAdder(),
    ]


def configure_structlog() -> None:
    """structlog hands its events to the standard library (called from settings)."""
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *_shared_processors(),
            structlog.processors.format_exc_info,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


def _request_id(request: HttpRequest) -> str:
    offered = request.headers.get(REQUEST_ID_HEADER, "")
    request.request_id = offered if _REQUEST_ID.fullmatch(offered) else uuid.uuid4().hex
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(request_id=request.request_id)
    return request.request_id


@sync_and_async_middleware
def request_id_middleware(get_response):
    """Gives every request an id (the caller's X-Request-ID when it is a sane one),
    binds it to the request's log lines and returns it in the response header.
    Async-capable, so the async SSE view is not pushed onto a thread."""
    if iscoroutinefunction(get_response):

        async def middleware(request: HttpRequest) -> HttpResponse:
            request_id = _request_id(request)
            try:
                response = await get_response(request)
            finally:
                structlog.contextvars.unbind_contextvars("request_id")
            response[REQUEST_ID_HEADER] = request_id
            return response

    else:

        def middleware(request: HttpRequest) -> HttpResponse:
            request_id = _request_id(request)
            try:
                response = get_response(request)
            finally:
                structlog.contextvars.unbind_contextvars("request_id")
            response[REQUEST_ID_HEADER] = request_id
            return response

    return middleware


@contextmanager
def info_logs_quieted(*, verbosity: int) -> Iterator[None]:
    """Meanwhile, loggers set to INFO (the default `LOG_LEVEL`) pass only warnings and
    errors: a command's own output is not cluttered with the lines servers and workers
    log (django-q2's "Enqueued", httpx's requests, the phases' structured lines).
    `verbosity` 2 or more (`-v 2`) leaves every level as it is, and so does a logger
    someone set to DEBUG. Warnings and errors always show."""
    if verbosity >= 2:
        yield
        return
    loggers = [logging.getLogger(), *logging.root.manager.loggerDict.values()]
    quieted = [
        logger
        for logger in loggers
        if isinstance(logger, logging.Logger) and logger.level == logging.INFO
    ]
    for logger in quieted:
        logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        for logger in quieted:
            logger.setLevel(logging.INFO)


class RefusalsNotLogged(logging.Filter):
    """Drops Django's "Too Many Requests" warning (django.request) for each 429: under a
    scraper or a guesser there is one per request, and the limits' own counts (the
    responses by status in /metrics, axes' failure log) already tell it."""

    def filter(self, record: logging.LogRecord) -> bool:
        return getattr(record, "status_code", None) != 429
