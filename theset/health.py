"""GET /health/: can this deployment serve? For load balancers and uptime probes.

Checks run in parallel on a small thread pool, all within CHECK_TIMEOUT_SECONDS, so
a database or Redis that stops answering makes the answer "unhealthy", never a hung
probe. Failures name the exception class only: no hosts, URLs, keys or tracebacks.

The cluster check looks for signs of life from the schedules apps register as
heartbeats (`register_cluster_heartbeat`, from their `AppConfig.ready()`): this module
knows no app. Apps add informational checks the same way (`register_informational_check`):
what they report (where the upstream quotas stand) is shown under `checks`, and their
failure (the state they read cannot be reached) is reported, never a 503.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

import httpx
import redis
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Max
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe
from django_q.brokers import get_broker
from django_q.models import Schedule, Task

logger = logging.getLogger(__name__)

# The whole answer is due within this; a check still running then counts as failed.
CHECK_TIMEOUT_SECONDS = 2.0
REDIS_TIMEOUT_SECONDS = 1.0
UPSTREAM_TIMEOUT_SECONDS = 1.5
# Reported, never failing: a load balancer cannot route around a Ticketmaster or Spotify
# outage, and failing every web node for one would turn "imports fail" into "all down".
UPSTREAM_CHECKS = ("upstream_ticketmaster", "upstream_spotify")
# The project's own checks: an app's informational check may not take one of these names.
PROJECT_CHECKS = ("database", "broker", "cluster", "redis", *UPSTREAM_CHECKS)
TRUTHY = frozenset({"1", "true", "yes", "on"})

# Bounded, so checks stuck on a dead host cannot pile up threads: later checks queue
# behind them and time out, which is the right answer while a dependency hangs.
_pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="health")
# The checks that never fail the answer (the upstream checks wait on other people's
# servers, the apps' informational ones on what the apps read): a pool of their own, so
# they can never hold up the checks a load balancer depends on.
_informational_pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="health-info")


class HealthCheckFailed(Exception):
    """A check's own verdict; its message is safe to show (no hosts, no secrets)."""

    def __init__(self, message: str, *, detail: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail or {}


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    ms: float
    error: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ClusterHeartbeat:
    """A django-q2 schedule a qcluster runs every few minutes: a worker running it, or a
    cluster's scheduler queueing it, proves that a cluster was alive then."""

    schedule_name: str  # the Schedule row's name
    func: str  # the dotted path django-q2 records on the Task row
    label: str  # what a failure names: "the stale-run sweeper"


# Filled by the apps' AppConfig.ready(), keyed by schedule name (ready() may run twice).
_cluster_heartbeats: dict[str, ClusterHeartbeat] = {}


def register_cluster_heartbeat(heartbeat: ClusterHeartbeat) -> None:
    """Let the cluster check count `heartbeat`'s runs as signs of a live qcluster."""
    _cluster_heartbeats[heartbeat.schedule_name] = heartbeat


def cluster_heartbeats() -> tuple[ClusterHeartbeat, ...]:
    """The registered heartbeats, in registration order."""
    return tuple(_cluster_heartbeats.values())


# Filled by the apps' AppConfig.ready(), keyed by check name (ready() may run twice).
_informational_checks: dict[str, Callable[[], dict[str, Any]]] = {}


def register_informational_check(name: str, check: Callable[[], dict[str, Any]]) -> None:
    """Run `check` on every call and show what it returns under `checks[name]`; when it
    raises, it is reported like a failed check, with `"required": false`: never a 503.
    Like any check it must name no host, URL or secret."""
    if name in PROJECT_CHECKS:
        raise ValueError(f"{name!r} is one of the project's own health checks")
    _informational_checks[name] = check


def informational_checks() -> dict[str, Callable[[], dict[str, Any]]]:
    """The registered informational checks, in registration order."""
    return dict(_informational_checks)


# --- Pure decisions ------------------------------------------------------------------


def is_informational(name: str) -> bool:
    """Whether `name` is a check that is reported only: an upstream's, or an app's."""
    return name in UPSTREAM_CHECKS or name in _informational_checks


def is_required(name: str, *, require_cluster: bool) -> bool:
    """Whether a failing `name` check makes the whole answer unhealthy."""
    if is_informational(name):
        return False
    return require_cluster or name != "cluster"


def overall_status(
    outcomes: Mapping[str, bool], *, require_cluster: bool
) -> Literal["ok", "unhealthy"]:
    """ "ok" when every required check passed; informational ones are only reported."""
    for name, ok in outcomes.items():
        if not ok and is_required(name, require_cluster=require_cluster):
            return "unhealthy"
    return "ok"


def cluster_silence_seconds(
    *, last_ran: datetime | None, last_scheduled: datetime | None, now: datetime
) -> float | None:
    """Seconds since a qcluster last showed life through a heartbeat schedule (one an
    app registered); None if it never did.

    `last_ran` is when a worker last started a heartbeat, `last_scheduled` when a
    cluster's scheduler last queued one: either proves a cluster was alive then.
    """
    seen = [moment for moment in (last_ran, last_scheduled) if moment is not None]
    if not seen:
        return None
    # Another machine's clock may run slightly ahead of ours.
    return max(0.0, (now - max(seen)).total_seconds())


# --- Checks --------------------------------------------------------------------------


def check_database() -> dict[str, Any]:
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {}


def check_broker() -> dict[str, Any]:
    broker = get_broker()
    if broker.ping() is False:
        raise HealthCheckFailed("broker did not answer ping")
    # The ORM broker's ping() always returns True without a query: counting its queue is
    # what reaches the table (with Redis, an LLEN after the PING).
    broker.queue_size()
    return {}


def check_redis() -> dict[str, Any]:
    client = redis.Redis.from_url(
        settings.REDIS_URL,
        socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
        socket_timeout=REDIS_TIMEOUT_SECONDS,
    )
    try:
        client.ping()
    finally:
        client.close()
    return {}


def _heartbeat_last_scheduled(heartbeats: Sequence[ClusterHeartbeat]) -> datetime | None:
    """When a cluster's scheduler last queued one of the heartbeats, at the earliest.

    The scheduler (in every qcluster's sentinel, about every 30 s, busy workers or not)
    moves `next_run` to the first slot after now each time it queues the task, so it
    queued it no earlier than one interval before `next_run`. `task` stays empty until
    a scheduler has queued it once: a migration's initial `next_run` proves nothing.
    """
    schedules = (
        Schedule.objects.filter(
            name__in=[heartbeat.schedule_name for heartbeat in heartbeats],
            schedule_type=Schedule.MINUTES,
            task__isnull=False,
        )
        .exclude(next_run=None)
        .only("next_run", "minutes")
    )
    queued = [
        schedule.next_run - timedelta(minutes=schedule.minutes or 1) for schedule in schedules
    ]
    return max(queued, default=None)


def check_cluster() -> dict[str, Any]:
    heartbeats = cluster_heartbeats()
    if not heartbeats:
        raise HealthCheckFailed("no app registered a cluster heartbeat schedule")
    now = timezone.now()
    # A worker's monitor writes the Task row (success or failure) when the run ends.
    last_ran = Task.objects.filter(func__in=[heartbeat.func for heartbeat in heartbeats]).aggregate(
        last=Max("started")
    )["last"]
    last_scheduled = _heartbeat_last_scheduled(heartbeats)
    silence = cluster_silence_seconds(last_ran=last_ran, last_scheduled=last_scheduled, now=now)
    limit = settings.HEALTH_CLUSTER_MAX_SILENCE_SECONDS
    detail = {
        "last_seen_seconds_ago": None if silence is None else round(silence, 1),
        "max_silence_seconds": limit,
    }
    if silence is None:
        labels = " or ".join(heartbeat.label for heartbeat in heartbeats)
        raise HealthCheckFailed(f"no qcluster has run {labels} yet", detail=detail)
    if silence > limit:
        raise HealthCheckFailed(
            f"no qcluster seen for {silence:.0f} s (limit {limit} s)", detail=detail
        )
    return detail


def _check_reachable(url: str) -> dict[str, Any]:
    # A bare client: no API keys or tokens, no retries; any HTTP answer means reachable.
    with httpx.Client(timeout=UPSTREAM_TIMEOUT_SECONDS, follow_redirects=False) as client:
        answer = client.head(url)
    return {"http_status": answer.status_code}


def check_ticketmaster() -> dict[str, Any]:
    return _check_reachable(settings.TICKETMASTER_BASE_URL)


def check_spotify() -> dict[str, Any]:
    return _check_reachable(settings.SPOTIFY_API_URL)


def checks_to_run(*, with_upstream: bool) -> dict[str, Callable[[], dict[str, Any]]]:
    checks: dict[str, Callable[[], dict[str, Any]]] = {
        "database": check_database,
        "broker": check_broker,
        "cluster": check_cluster,
    }
    if settings.REDIS_URL:
        checks["redis"] = check_redis
    if with_upstream:
        checks["upstream_ticketmaster"] = check_ticketmaster
        checks["upstream_spotify"] = check_spotify
    checks.update(_informational_checks)
    return checks


def _run_one(name: str, check: Callable[[], dict[str, Any]]) -> CheckResult:
    started = time.perf_counter()
    try:
        detail = check()
    except HealthCheckFailed as failure:
        error, detail = failure.message, failure.detail
    except Exception as exc:
        logger.warning("Health check %s failed: %r", name, exc)
        error = type(exc).__name__
        detail = {}
    else:
        error = None
    finally:
        # Pool threads outlive the request: never leave them holding a connection.
        connections.close_all()
    ms = round((time.perf_counter() - started) * 1000, 1)
    return CheckResult(ok=error is None, ms=ms, error=error, detail=detail)


def run_checks(
    checks: Mapping[str, Callable[[], dict[str, Any]]], *, timeout_seconds: float
) -> dict[str, CheckResult]:
    """Runs every check in parallel; one still running after `timeout_seconds` fails."""
    futures: dict[str, Future[CheckResult]] = {
        name: (_informational_pool if is_informational(name) else _pool).submit(
            _run_one, name, check
        )
        for name, check in checks.items()
    }
    wait(futures.values(), timeout=timeout_seconds)
    results = {}
    for name, future in futures.items():
        if future.done():
            results[name] = future.result()
        else:
            future.cancel()
            logger.warning("Health check %s timed out after %s s", name, timeout_seconds)
            results[name] = CheckResult(
                ok=False,
                ms=round(timeout_seconds * 1000, 1),
                error=f"timed out after {timeout_seconds:g} s",
            )
    return results


# --- View ----------------------------------------------------------------------------


@csrf_exempt
@require_safe
def health(request: HttpRequest) -> JsonResponse:
    """200 {"status": "ok", "checks": {...}} when every required check passes, else 503."""
    # ?upstream=1 only for staff: anyone else could keep the upstream pool busy.
    asked = request.GET.get("upstream", "").lower() in TRUTHY and request.user.is_staff
    with_upstream = settings.HEALTH_CHECK_UPSTREAM or asked
    results = run_checks(
        checks_to_run(with_upstream=with_upstream), timeout_seconds=CHECK_TIMEOUT_SECONDS
    )
    require_cluster = settings.HEALTH_REQUIRE_CLUSTER
    status = overall_status(
        {name: result.ok for name, result in results.items()}, require_cluster=require_cluster
    )
    checks: dict[str, dict[str, Any]] = {}
    for name, result in results.items():
        answer: dict[str, Any] = {"ok": result.ok, "ms": result.ms}
        if result.error is not None:
            answer["error"] = result.error
        if not is_required(name, require_cluster=require_cluster):
            answer["required"] = False
        checks[name] = answer | result.detail
    response = JsonResponse(
        {"status": status, "checks": checks}, status=200 if status == "ok" else 503
    )
    response["Cache-Control"] = "no-store"
    return response
