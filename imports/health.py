"""What the project's health check needs from imports: the stale-run sweeper is the
schedule whose runs prove a qcluster alive (registered in `ImportsConfig.ready()`)."""

from __future__ import annotations

from imports.schedules import sweep_stale_runs
from theset.health import ClusterHeartbeat

# The stale-run sweeper (imports/migrations/0003_sweep_schedule.py): every minute, any cluster.
SWEEP_SCHEDULE_NAME = "imports: sweep stale runs"
SWEEP_FUNC = f"{sweep_stale_runs.__module__}.{sweep_stale_runs.__qualname__}"

SWEEP_HEARTBEAT = ClusterHeartbeat(
    schedule_name=SWEEP_SCHEDULE_NAME, func=SWEEP_FUNC, label="the stale-run sweeper"
)
