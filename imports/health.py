"""What the project's health check needs from imports (registered in
`ImportsConfig.ready()`): the stale-run sweeper is the schedule whose runs prove a
qcluster alive, and `quotas` reports where the upstream keys the imports spend stand."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

from django.conf import settings

from imports.schedules import sweep_stale_runs
from integrations.http.quota import QuotaReport, quota_reports
from theset.health import ClusterHeartbeat

# The stale-run sweeper (imports/migrations/0003_sweep_schedule.py): every minute, any cluster.
SWEEP_SCHEDULE_NAME = "imports: sweep stale runs"
SWEEP_FUNC = f"{sweep_stale_runs.__module__}.{sweep_stale_runs.__qualname__}"

SWEEP_HEARTBEAT = ClusterHeartbeat(
    schedule_name=SWEEP_SCHEDULE_NAME, func=SWEEP_FUNC, label="the stale-run sweeper"
)

# The informational check reporting the quota ledger.
QUOTA_CHECK = "quotas"


def utc_iso(epoch: float | None) -> str | None:
    """`epoch` as ISO 8601 UTC to the second ("2025-06-01T12:00:00Z"), rounded up: the
    times reported are "not before"."""
    if epoch is None:
        return None
    moment = datetime.fromtimestamp(math.ceil(epoch), UTC)
    return moment.isoformat().replace("+00:00", "Z")


def quota_answer(report: QuotaReport) -> dict[str, Any]:
    """One key's standing as /health/ shows it; None is "not known" (no answer yet, or
    a window that is over: its budget is back)."""
    return {
        "limit": report.limit,
        "available": report.available,
        "used": report.used,
        "reset_at": utc_iso(report.reset_at),
        "blocked_until": utc_iso(report.blocked_until),
        "blocked_by": report.blocked_by or None,
        "refusals": report.refusals,
    }


def check_quotas() -> dict[str, Any]:
    """Where each upstream key stands in the quota ledger, by its name (provider and
    fingerprint, never the key). A spent quota is information, not a failure; a ledger
    that cannot be read raises, which /health/ reports without a 503."""
    return {
        "resync_reserve": settings.RESYNC_QUOTA_RESERVE,
        "keys": {report.name: quota_answer(report) for report in quota_reports()},
    }
