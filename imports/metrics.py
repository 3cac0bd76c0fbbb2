"""Prometheus metrics at `GET /metrics` (text exposition format 0.0.4).

The imports run in qcluster worker processes, possibly on other hosts, while
`/metrics` is served by whichever web process Prometheus reaches. A counter kept
in a worker's memory would be invisible to the web and lost with the worker, so
the importer's metrics live in the database, which every process already shares
in both deployments (the embedded SQLite file, or PostgreSQL):

- Cumulative counters, in `MetricCounter` (one row per series): at the end of
  each phase, success or failure, the phase adds what its upstream clients did
  (requests by provider, endpoint and answer status, retries, 429s, seconds
  waited), the rows it wrote and its duration (a histogram stored as one bin per
  bucket bound, plus the sum) with one `INSERT … ON CONFLICT DO UPDATE SET value
  = value + excluded.value` per series: atomic, the same SQL on SQLite and
  PostgreSQL, and kept across restarts, deploys and deleted runs.
- Gauges read at scrape time: runs by status (`waiting` included: parked until
  an upstream answers again), active runs (from `ImportRun`), and the broker's
  queue depth (`get_broker().queue_size()`, the ORM table or Redis).
- The upstream quotas, read at scrape time from the quota ledger
  (`integrations.http.quota`, Redis or its SQLite file, which every process using
  a key feeds), one series per key labelled with its ledger name (provider and
  fingerprint, never the key) and its provider: the window's limit, what is
  available and used, when it resets, until when the key is blocked (0: not
  blocked; /health/ says why) and the refusals recorded; a figure the ledger
  does not know (no answer yet, or a window that is over) has no sample. Beside
  them, the share of Ticketmaster's quota re-syncs leave to imports people start
  (`RESYNC_QUOTA_RESERVE`).

prometheus_client's multiprocess mode was the alternative: every process writes
its samples to files in one shared directory that the web process sums at
scrape time. It only spans the processes of one host, needs the directory wiped
on each deploy (counters then restart from zero anyway), and would need a
scrape target per qcluster host in the scale-out deployment; the database
already spans every process and host and survives restarts. Its cost, a few
upserts per phase, is nothing next to the phase's own writes.

django-prometheus adds the standard metrics of the web process serving the
scrape (requests, responses, latencies and exceptions by view and method), and
prometheus_client the process's own (CPU, memory, GC); those are per process,
as usual.
"""

from __future__ import annotations

import json
import logging
import math
import os
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import prometheus_client
from django.conf import settings
from django.db import transaction
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET
from prometheus_client import multiprocess
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import CollectorRegistry

from imports.models import ACTIVE_STATUSES, ImportPhase, ImportRun, ImportStatus
from integrations.http.quota import QuotaReport, quota_reports
from integrations.http.stats import UpstreamStats
from theset import logins
from theset.models import MetricCounter
from theset.security import metrics_guard
from theset.services import metric_counters_add, series

logger = logging.getLogger(__name__)

# Upper bounds of the phase-duration buckets, in seconds; a phase times out at 900 s.
PHASE_DURATION_BUCKETS = (0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 900.0)
PHASE_DURATION = "theset_import_phase_duration_seconds"
# How the histogram is stored: observations per bucket bound (not cumulative, so a
# changed bucket list still adds up), and the sum of the observed seconds.
PHASE_DURATION_BIN = f"{PHASE_DURATION}:bin"
PHASE_DURATION_SUM = f"{PHASE_DURATION}:sum"

# The cumulative counters: name (without `_total`) → (help, label names).
COUNTERS: dict[str, tuple[str, tuple[str, ...]]] = {
    "theset_upstream_requests": (
        "Upstream HTTP requests by provider, endpoint and answer status "
        "(timeout or error: no answer came).",
        ("provider", "endpoint", "status"),
    ),
    "theset_upstream_retries": (
        "Upstream requests sent again after a 5xx, a 429 or a connection error.",
        ("provider",),
    ),
    "theset_upstream_rate_limited": ("Upstream 429 answers received.", ("provider",)),
    "theset_upstream_retry_after_wait_seconds": (
        "Seconds waited because a 429 asked for it (Retry-After).",
        ("provider",),
    ),
    "theset_upstream_limiter_wait_seconds": (
        "Seconds waited for a permit of our own upstream rate limiter.",
        ("provider",),
    ),
    "theset_import_rows_written": (
        "Rows upserted by import phases (shows, venues, tracks, songs); a re-import counts again.",
        ("kind",),
    ),
    logins.LOGIN_FAILURES: ("Failed admin logins (a locked-out one included).", ()),
    logins.LOGIN_LOCKOUTS: (
        "Admin login lockouts started, of an account or of a client address.",
        ("kind",),
    ),
    logins.LOGIN_UNLOCKS: (
        "Admin login lockouts lifted early by staff (Access attempts, Unlock), by kind.",
        ("kind",),
    ),
}

# Which figure of a phase's counters is how many rows of which kind it wrote.
ROWS_WRITTEN = {"shows": "shows", "venues": "venues", "tracks_kept": "tracks", "songs": "songs"}


def upstream_increments(provider: str, stats: UpstreamStats) -> Counter[tuple[str, str]]:
    """The counters one upstream client's stats add to."""
    provider = provider.lower()
    increments: Counter[tuple[str, str]] = Counter()
    for (endpoint, status), count in stats.responses.items():
        key = series(
            "theset_upstream_requests", provider=provider, endpoint=endpoint, status=status
        )
        increments[key] += count
    increments[series("theset_upstream_retries", provider=provider)] += stats.retries
    increments[series("theset_upstream_rate_limited", provider=provider)] += stats.rate_limited
    increments[series("theset_upstream_retry_after_wait_seconds", provider=provider)] += (
        stats.retry_after_wait_seconds
    )
    increments[series("theset_upstream_limiter_wait_seconds", provider=provider)] += (
        stats.limiter_wait_seconds
    )
    return increments


def phase_duration_bound(seconds: float) -> str:
    """The label of the smallest bucket bound that holds `seconds`."""
    bound = next((b for b in PHASE_DURATION_BUCKETS if seconds <= b), math.inf)
    return prometheus_client.utils.floatToGoString(bound)


def import_phase_metrics_record(
    *,
    run_id: int,
    phase: str,
    upstream: Iterable[tuple[str, UpstreamStats]] = (),
    counters: Mapping[str, Any] | None = None,
) -> None:
    """Add one ended phase of a run to the counters: its duration (from its row), what
    its upstream clients did, and the rows its `counters` say it wrote.

    Never raises: a metric that could not be written must not fail an import.
    """
    try:
        increments: Counter[tuple[str, str]] = Counter()
        for provider, stats in upstream:
            increments.update(upstream_increments(provider, stats))
        for figure, kind in ROWS_WRITTEN.items():
            written = (counters or {}).get(figure)
            if isinstance(written, int | float):
                increments[series("theset_import_rows_written", kind=kind)] += written
        with transaction.atomic():
            row = (
                ImportPhase.objects.filter(run_id=run_id, phase=phase)
                .values("status", "started_at", "finished_at")
                .first()
            )
            if row and row["started_at"] and row["finished_at"]:
                seconds = max(0.0, (row["finished_at"] - row["started_at"]).total_seconds())
                labels = {"phase": str(phase), "status": row["status"]}
                bound = phase_duration_bound(seconds)
                increments[series(PHASE_DURATION_BIN, **labels, le=bound)] += 1
                increments[series(PHASE_DURATION_SUM, **labels)] += seconds
            metric_counters_add(increments)
    except Exception:
        logger.exception("import run %s: metrics of the %s phase not recorded", run_id, phase)


# --- Reads ---------------------------------------------------------------------------


def _queue_depth() -> int | None:
    from django_q.brokers import get_broker

    try:
        return get_broker().queue_size()
    except Exception:
        logger.warning("metrics: the task queue's size could not be read", exc_info=True)
        return None


class ImportMetricsCollector:
    """The importer's metrics, read from the database at each scrape."""

    def collect(self) -> Iterator[Metric]:
        yield from self._runs()
        yield from self._counters()
        depth = _queue_depth()
        if depth is not None:
            queue = GaugeMetricFamily(
                "theset_task_queue_depth", "Tasks waiting in the broker for a worker."
            )
            queue.add_metric([], depth)
            yield queue

    def _runs(self) -> Iterator[Metric]:
        by_status = dict(
            ImportRun.objects.order_by().values_list("status").annotate(runs=Count("pk"))
        )
        runs = GaugeMetricFamily(
            "theset_import_runs", "Import runs stored, by status.", labels=["status"]
        )
        for status in ImportStatus.values:
            runs.add_metric([status], by_status.get(status, 0))
        yield runs
        active = GaugeMetricFamily(
            "theset_import_runs_active", "Import runs queued, running or waiting."
        )
        active.add_metric([], sum(by_status.get(status, 0) for status in ACTIVE_STATUSES))
        yield active

    def _counters(self) -> Iterator[Metric]:
        values: dict[str, list[tuple[dict[str, str], float]]] = defaultdict(list)
        for name, labels, value in MetricCounter.objects.values_list("name", "labels", "value"):
            values[name].append((json.loads(labels or "{}"), value))
        for name, (documentation, label_names) in COUNTERS.items():
            family = CounterMetricFamily(name, documentation, labels=label_names)
            for labels, value in sorted(values[name], key=lambda item: sorted(item[0].items())):
                family.add_metric([labels.get(label, "") for label in label_names], value)
            yield family
        yield self._phase_durations(values[PHASE_DURATION_BIN], values[PHASE_DURATION_SUM])

    def _phase_durations(
        self,
        bins: list[tuple[dict[str, str], float]],
        sums: list[tuple[dict[str, str], float]],
    ) -> HistogramMetricFamily:
        histogram = HistogramMetricFamily(
            PHASE_DURATION,
            "Seconds each import phase took (its last attempt), by phase and outcome.",
            labels=["phase", "status"],
        )
        observed: dict[tuple[str, str], list[tuple[float, float]]] = defaultdict(list)
        for labels, count in bins:
            observed[labels["phase"], labels["status"]].append((float(labels["le"]), count))
        seconds = {(labels["phase"], labels["status"]): value for labels, value in sums}
        for key in sorted(observed):
            buckets = [
                (
                    prometheus_client.utils.floatToGoString(upper),
                    sum(count for bound, count in observed[key] if bound <= upper),
                )
                for upper in (*PHASE_DURATION_BUCKETS, math.inf)
            ]
            histogram.add_metric(list(key), buckets, seconds.get(key, 0.0))
        return histogram


def _quota_reports() -> list[QuotaReport] | None:
    try:
        return quota_reports()
    except Exception:
        logger.warning("metrics: the quota ledger could not be read", exc_info=True)
        return None


def quota_provider(name: str) -> str:
    """The provider of a ledger key name ("ticketmaster:<fingerprint>")."""
    return name.partition(":")[0]


class UpstreamQuotaCollector:
    """Where each upstream key stands against its quota, read from the quota ledger at
    each scrape; a ledger that cannot be read leaves its families out (logged)."""

    GAUGES: tuple[tuple[str, str, str], ...] = (
        # (metric name, QuotaReport field, help)
        (
            "theset_upstream_quota_limit",
            "limit",
            "Requests an upstream key may send in its quota window (the upstream's figure).",
        ),
        (
            "theset_upstream_quota_available",
            "available",
            "Requests left in an upstream key's quota window, as its answers said.",
        ),
        (
            "theset_upstream_quota_used",
            "used",
            "Requests spent in an upstream key's quota window (limit minus available).",
        ),
        (
            "theset_upstream_quota_reset_timestamp_seconds",
            "reset_at",
            "When an upstream key's quota window resets (Unix time).",
        ),
    )

    def collect(self) -> Iterator[Metric]:
        reserve = GaugeMetricFamily(
            "theset_resync_quota_reserve_ratio",
            "Share of Ticketmaster's quota window re-syncs leave to imports people start.",
        )
        reserve.add_metric([], settings.RESYNC_QUOTA_RESERVE)
        yield reserve
        reports = _quota_reports()
        if reports is None:
            return
        labels = ["key", "provider"]
        for name, field, documentation in self.GAUGES:
            family = GaugeMetricFamily(name, documentation, labels=labels)
            for report in reports:
                value = getattr(report, field)
                if value is not None:
                    family.add_metric([report.name, quota_provider(report.name)], value)
            yield family
        blocked_until = GaugeMetricFamily(
            "theset_upstream_quota_blocked_until_timestamp_seconds",
            "Until when an upstream key may not be used (Unix time; 0: not blocked).",
            labels=labels,
        )
        refusals = CounterMetricFamily(
            "theset_upstream_quota_refusals",
            "Refusals recorded for an upstream key: a spent quota, or a wait asked for.",
            labels=labels,
        )
        for report in reports:
            key = [report.name, quota_provider(report.name)]
            blocked_until.add_metric(key, report.blocked_until or 0)
            refusals.add_metric(key, report.refusals)
        yield blocked_until
        yield refusals


IMPORT_REGISTRY = CollectorRegistry()
IMPORT_REGISTRY.register(ImportMetricsCollector())
IMPORT_REGISTRY.register(UpstreamQuotaCollector())


class LoginLockCollector:
    """The admin login locks in force, read at each scrape (theset.logins)."""

    def collect(self) -> Iterator[Metric]:
        locked = GaugeMetricFamily(
            "theset_admin_login_locked",
            "Accounts and client addresses locked out of the admin login now.",
            labels=["kind"],
        )
        locked.add_metric([logins.ACCOUNT], len(logins.locked_accounts()))
        locked.add_metric([logins.ADDRESS], len(logins.locked_addresses()))
        yield locked


IMPORT_REGISTRY.register(LoginLockCollector())


def _process_registry() -> CollectorRegistry:
    """django-prometheus's metrics as its own view finds them (multiprocess or not)."""
    if "PROMETHEUS_MULTIPROC_DIR" in os.environ or "prometheus_multiproc_dir" in os.environ:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return registry
    return prometheus_client.REGISTRY


@require_GET
@metrics_guard
def metrics_view(request: HttpRequest) -> HttpResponse:
    """This web process's metrics (django-prometheus), then the importer's (database)."""
    body = prometheus_client.generate_latest(_process_registry())
    body += prometheus_client.generate_latest(IMPORT_REGISTRY)
    return HttpResponse(body, content_type=prometheus_client.CONTENT_TYPE_PLAIN_0_0_4)
