"""The fault matrix: the prolific import, inline, against the sandbox over HTTP at upstream
fault rates of 0, 5, 10 and 20 % (seeded, three seeds each), with retries exhausted, and
with a rate limit low enough to force 429s.

Every run that can succeed stores exactly the rows of the fault-free run. A run whose
retries are exhausted fails with an error naming the upstream, the endpoint and the
status (or the broken connection), keeps what it wrote, and a retry completes it.
"""

from __future__ import annotations

import re

import pytest

from imports.models import ImportRun, ImportStatus
from imports.pipeline import run_import
from imports.services import import_run_create
from integrations.http.quota import quota_ledger_clear
from sandbox import profiles
from tests.imports.test_import_flow import (
    CATALOG_TABLES,
    assert_stores_the_scenario,
    row_counts,
    stored_rows,
)
from tests.support.queue import run_queued_work

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.integration]

PROLIFIC = profiles.BUILTIN_ATTRACTION_IDS["prolific"]
SEEDS = (1, 2, 3)
# An upstream failure as the run reports it: "<provider> <endpoint> answered HTTP <status>:
# <detail>", or "<provider> <endpoint>: <transport error> after <n> attempts".
READABLE_UPSTREAM_ERROR = re.compile(
    r"^(Ticketmaster|Spotify) [\w ]+?"
    r"( answered HTTP (429|5\d\d): .+|: \w+ after \d+ attempts\b.*)$"
)

_fault_free: dict[str, object] = {}


def import_inline() -> ImportRun:
    started = import_run_create(tm_attraction_id=PROLIFIC)
    return run_import(started.import_id)


def forget_stored_rows() -> None:
    ImportRun.objects.all().delete()
    for model in reversed(CATALOG_TABLES):
        model.objects.all().delete()


def fault_free_rows(sandbox) -> tuple[dict, dict]:
    """What the prolific import stores with no faults: (stored rows, row counts)."""
    if "rows" not in _fault_free:
        with sandbox():
            run = import_inline()
        assert run.status == ImportStatus.SUCCEEDED, run.error
        _fault_free["rows"] = stored_rows(run.artist_id), row_counts()
        forget_stored_rows()
    return _fault_free["rows"]


def rows_lost(expected: dict[str, set], stored: dict[str, set]) -> int:
    return sum(len(expected[kind] - stored.get(kind, set())) for kind in expected)


def rows_extra(expected_counts: dict[str, int], counts: dict[str, int]) -> int:
    """Rows over the fault-free count in any table: duplicates, or rows that should not be."""
    return sum(max(0, counts[name] - expected_counts[name]) for name in expected_counts)


@pytest.mark.parametrize("fault_rate", [0.0, 0.05, 0.10, 0.20])
def test_every_run_stores_exactly_the_fault_free_rows(world, sandbox, reliability, fault_rate):
    expected_rows, expected_counts = fault_free_rows(sandbox)
    expected = next(a for a in world.artists if a.tm_attraction_id == PROLIFIC)
    scenario = f"faults: {fault_rate:.0%} upstream faults, prolific, seeds {SEEDS}"
    for seed in SEEDS:
        with sandbox(fault_rate=fault_rate, seed=seed) as stats:
            run = import_inline()
            faults = stats()["faults"]
        stored = stored_rows(run.artist_id)
        lost, extra = rows_lost(expected_rows, stored), rows_extra(expected_counts, row_counts())
        failed = run.status != ImportStatus.SUCCEEDED
        reliability.record(
            scenario,
            runs=1,
            failures=int(failed),
            rows_lost=lost,
            duplicates=extra,
            note="default retry budget (5 retries)",
        )
        assert not failed, f"seed {seed}: {run.error}"
        if fault_rate:
            assert faults > 0, f"seed {seed}: the sandbox must have failed some requests"
            retries = (
                run.counters["ticketmaster_requests"]["retries"]
                + run.counters["spotify_requests"]["retries"]
            )
            assert retries >= faults, "every fault was retried"
        assert_stores_the_scenario(run, expected)
        assert (stored, row_counts()) == (expected_rows, expected_counts)
        forget_stored_rows()


def test_exhausted_retries_fail_readably_keep_what_was_written_and_a_retry_completes_it(
    sandbox, settings, reliability
):
    """One retry per request at 20 % faults: runs fail. Each failure names the upstream
    and status and keeps its rows; a retry with the default budget completes the run."""
    expected_rows, expected_counts = fault_free_rows(sandbox)
    failures = recovered = 0
    for seed in SEEDS:
        settings.DEFAULT_RETRIES = 1
        with sandbox(fault_rate=0.20, seed=seed):
            first = import_inline()
            if first.status == ImportStatus.FAILED:
                failures += 1
                assert READABLE_UPSTREAM_ERROR.match(first.error), first.error
                assert "apikey" not in first.error and "sandbox-key" not in first.error
                # Shows and catalog run side by side: each failed phase says why.
                phase_errors = set(
                    first.phases.filter(status=ImportStatus.FAILED).values_list("error", flat=True)
                )
                assert first.error in phase_errors
                assert all(READABLE_UPSTREAM_ERROR.match(error) for error in phase_errors)
                kept = stored_rows(first.artist_id)
                for kind, rows in kept.items():
                    assert rows <= expected_rows[kind], f"{kind}: rows the upstream never had"
                assert rows_extra(expected_counts, row_counts()) == 0
                kept_counts = row_counts()

                # The retry (what "Retry failed runs" starts) with the default budget.
                settings.DEFAULT_RETRIES = 5
                retry = import_inline()
                assert retry.pk != first.pk
                assert retry.status == ImportStatus.SUCCEEDED, retry.error
                recovered += 1
                # Nothing the failed run wrote was lost or written twice.
                assert all(row_counts()[n] >= kept_counts[n] for n in kept_counts)
        final = stored_rows(first.artist_id)
        lost, extra = rows_lost(expected_rows, final), rows_extra(expected_counts, row_counts())
        reliability.record(
            "faults: 20 % faults, 1 retry per request (exhausted), then a retry",
            runs=1 + int(first.status == ImportStatus.FAILED),
            failures=int(first.status == ImportStatus.FAILED),
            recovered=int(first.status == ImportStatus.FAILED),
            rows_lost=lost,
            duplicates=extra,
        )
        assert (lost, extra) == (0, 0)
        forget_stored_rows()
    assert failures >= 2, "a one-retry budget at 20 % faults must exhaust on most seeds"
    assert recovered == failures


def test_a_rate_limit_below_ours_forces_429s_that_are_waited_out(sandbox, settings, reliability):
    """The sandbox allows 2 Ticketmaster requests a second while we send up to 5: it
    answers 429 with Retry-After, and the import waits and completes with every row."""
    expected_rows, expected_counts = fault_free_rows(sandbox)
    settings.TICKETMASTER_RPS = 5
    with sandbox(tm_rps=2) as stats:
        run = import_inline()
        served = stats()
    rate_limited = run.counters["ticketmaster_requests"]["rate_limited"]
    stored = stored_rows(run.artist_id)
    lost, extra = rows_lost(expected_rows, stored), rows_extra(expected_counts, row_counts())
    reliability.record(
        "faults: Ticketmaster allows 2 rps, we send 5 (forced 429s)",
        runs=1,
        failures=int(run.status != ImportStatus.SUCCEEDED),
        rows_lost=lost,
        duplicates=extra,
        note=f"{rate_limited} 429s waited out",
    )
    assert run.status == ImportStatus.SUCCEEDED, run.error
    assert rate_limited > 0 and served["rate_limited"] > 0
    assert (stored, row_counts()) == (expected_rows, expected_counts)


def test_a_retry_after_over_the_cap_parks_the_phase_and_keeps_the_rows(
    sandbox, settings, reliability
):
    """Spotify allows 30 requests per rolling 30 s (1 rps) and the prolific catalog needs
    more: its 429 asks for many seconds, over RETRY_AFTER_CAP_SECONDS, so the phase does
    not sit on it: it parks, saying so, with the shows stored. Its resumption once the
    window has passed (a fresh sandbox: an empty window) completes it."""
    expected_rows, expected_counts = fault_free_rows(sandbox)
    settings.RETRY_AFTER_CAP_SECONDS = 2
    with sandbox(spotify_rps=1):
        first = import_inline()
    assert first.status == ImportStatus.WAITING, first.error
    assert first.message.startswith("waiting for Spotify, which asked us to pause until ")
    kept = stored_rows(first.artist_id)
    assert kept["shows"] == expected_rows["shows"], "the shows phase is not Spotify's"
    assert all(kept[kind] <= expected_rows[kind] for kind in kept)
    settings.RETRY_AFTER_CAP_SECONDS = 60
    quota_ledger_clear()  # the time it asked for has passed
    with sandbox():
        assert run_queued_work() == [f"import-{first.pk}-catalog", f"import-{first.pk}-finalize"]
    resumed = ImportRun.objects.get(pk=first.pk)
    assert resumed.status == ImportStatus.SUCCEEDED, resumed.error
    stored = stored_rows(resumed.artist_id)
    lost, extra = rows_lost(expected_rows, stored), rows_extra(expected_counts, row_counts())
    reliability.record(
        "faults: Spotify 429 with Retry-After over the cap: parked, then resumed",
        runs=1,
        failures=0,
        recovered=1,
        rows_lost=lost,
        duplicates=extra,
    )
    assert (stored, row_counts()) == (expected_rows, expected_counts)
