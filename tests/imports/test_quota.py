"""A spent upstream quota over real HTTP: the phase stops at the first refusal instead
of spending retries that cannot succeed, says why, and keeps what it wrote."""

from __future__ import annotations

import pytest

from imports.models import ImportStatus
from imports.pipeline import run_import
from imports.services import import_run_create
from sandbox import profiles
from shows.models import Show

pytestmark = pytest.mark.django_db


def test_a_spent_ticketmaster_quota_fails_the_phase_at_the_first_refusal(sandbox):
    prolific = profiles.BUILTIN_ATTRACTION_IDS["prolific"]
    # A few requests, then the day's quota is spent (prolific needs eight).
    with sandbox(tm_daily_quota=4) as stats:
        run = run_import(import_run_create(tm_attraction_id=prolific).import_id)
        seen = stats()

    assert run.status == ImportStatus.FAILED
    assert "quota spent until it resets, not retried" in run.error
    assert "policies.ratelimit.QuotaViolation" in run.error
    refused = sum(n for e, n in seen["rate_limited_by_endpoint"].items() if e.startswith("tm."))
    assert refused >= 1
    # No request was sent twice: a refused page was not retried.
    assert seen["repeated_total"] == 0, seen["repeated"]
    assert Show.objects.exists()  # the pages stored before the refusal are kept
