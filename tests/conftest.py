"""Suite-wide fixtures. Tests never reach the internet: only 127.0.0.1."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator

import httpx
import pytest

from sandbox.config import SandboxConfig
from sandbox.server import importer_environment, running_sandbox
from sandbox.world import World, build_world
from tests.support.workers import redis_url_for_worker


@pytest.fixture(autouse=True, scope="session")
def _private_rate_limit_file(tmp_path_factory):
    """The suite's upstream rate limits in a file of its own: not shared with a running
    `make serve`, a benchmark or another test session on this machine."""
    from django.conf import settings

    path = tmp_path_factory.mktemp("ratelimit") / "limits.sqlite3"
    os.environ["RATE_LIMIT_FILE"] = str(path)  # for the qcluster processes tests start
    settings.RATE_LIMIT_FILE = path
    yield


@pytest.fixture(autouse=True, scope="session")
def _private_quota_ledger(tmp_path_factory):
    """The suite's quota ledger of its own (a file, and a Redis prefix), shared with the
    qcluster processes its tests start, and not with anything else on the machine."""
    from django.conf import settings

    path = tmp_path_factory.mktemp("quota") / "quota.sqlite3"
    prefix = f"theset-test:quota:{uuid.uuid4().hex[:8]}"
    os.environ["QUOTA_LEDGER_FILE"] = str(path)
    os.environ["QUOTA_LEDGER_REDIS_PREFIX"] = prefix
    settings.QUOTA_LEDGER_FILE = path
    settings.QUOTA_LEDGER_REDIS_PREFIX = prefix


@pytest.fixture(autouse=True, scope="session")
def _anonymous_reads_unlimited():
    """The suite reads its pages and API from one address (127.0.0.1) thousands of times
    a minute: the anonymous read limit is off, in this process and the servers it
    starts, except where a test turns it on (`anonymous_read_rates`)."""
    from django.conf import settings

    os.environ["ANON_READ_RATES"] = ""
    settings.ANON_READ_RATES = []


class FixedClock:
    """A clock that stands still until a test moves it (`clock.now += 60`)."""

    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def time(self) -> float:
        return self.now


@pytest.fixture
def ratelimit_clock(monkeypatch) -> FixedClock:
    """django-ratelimit's clock (its fixed windows), held still: no test depends on when
    a window happens to end."""
    import django_ratelimit.core

    clock = FixedClock()
    monkeypatch.setattr(django_ratelimit.core, "time", clock)
    return clock


@pytest.fixture
def anonymous_read_rates(settings, own_throttle_counts, ratelimit_clock):
    """`anonymous_read_rates("5/m")`: the anonymous read limit on, counted from zero (in
    Redis when configured, as in production), its windows' clock held still."""

    def turn_on(*rates: str) -> None:
        settings.ANON_READ_RATES = list(rates)

    return turn_on


@pytest.fixture(autouse=True)
def _empty_quota_ledger(_private_quota_ledger):
    """Each test starts with a ledger that knows no quota (its sandbox's is fresh too)."""
    from integrations.http.quota import quota_ledger_clear

    quota_ledger_clear()
    yield


@pytest.fixture(autouse=True)
def _no_spotify_process_state():
    """Each test's upstream issues its own tokens and is its own kind of app."""
    from integrations.spotify.client import forget_process_state

    forget_process_state()
    yield
    forget_process_state()


@pytest.fixture(scope="session")
def reliability(pytestconfig):
    """`reliability.record(scenario, runs=…, failures=…, rows_lost=…)`: a row of the
    reliability report printed at the end of the session (tests/reliability/report.py)."""
    from tests.reliability.report import Report

    report = getattr(pytestconfig, "_reliability_report", None)
    if report is None:
        report = pytestconfig._reliability_report = Report(rows={})
    return report


def pytest_sessionfinish(session):
    """An xdist worker hands its reliability rows to the controller, which prints them."""
    report = getattr(session.config, "_reliability_report", None)
    if report is not None and hasattr(session.config, "workeroutput"):
        session.config.workeroutput["reliability"] = report.as_json()


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    rows = getattr(node, "workeroutput", {}).get("reliability")
    if rows:
        from tests.reliability.report import Report

        report = getattr(node.config, "_reliability_report", None)
        if report is None:
            report = node.config._reliability_report = Report(rows={})
        report.merge_json(rows)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_setupnodes(config, specs):
    """Each xdist worker gets a Redis database of its own, as it gets a test database of
    its own: rate-limit buckets, caches and queues are not shared between workers (the
    progress channels, which Redis pub/sub shares across databases, carry the test
    database's name). Set in the worker's environment, so the settings and every
    process it starts read it."""
    url = os.environ.get("REDIS_URL")
    if url:
        for index, spec in enumerate(specs):
            spec.env["REDIS_URL"] = redis_url_for_worker(url, index)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if hasattr(config, "workerinput"):
        return
    _browser_tests_hint(terminalreporter)
    report = getattr(config, "_reliability_report", None)
    if report is None:
        return
    from tests.reliability.report import lane_name, write

    path = write(report)
    if path:
        terminalreporter.write_sep("=", "reliability report")
        terminalreporter.write(report.markdown(lane_name()))
        terminalreporter.write_line(f"saved to {path}")


def _browser_tests_hint(terminalreporter) -> None:
    from tests.browser import INSTALL_CHROMIUM, NEEDS_CHROMIUM

    skipped = [
        report
        for report in terminalreporter.stats.get("skipped", [])
        if NEEDS_CHROMIUM in str(report.longrepr)
    ]
    if skipped:
        terminalreporter.write_sep(
            "=",
            f"{len(skipped)} browser tests skipped: Chromium is missing "
            f"(install it: {INSTALL_CHROMIUM})",
            yellow=True,
        )


@pytest.fixture(scope="session")
def world() -> World:
    """The built-in profiles (sparse, mid, prolific), seed 0, dated from today."""
    return build_world(seed=0)


@pytest.fixture
def sandbox(world, settings):
    """`with sandbox(**config) as stats:` a sandbox over HTTP the importer is pointed at.

    It serves the built-in profiles, or the world given as `serve=`; `stats()`
    reads the sandbox's `/_sandbox/stats`.
    """

    @contextlib.contextmanager
    def start(*, serve: World | None = None, **config) -> Iterator:
        config.setdefault("tm_rps", 5)
        with running_sandbox(serve or world, SandboxConfig(port=0, **config)) as base_url:
            for name, value in importer_environment(base_url).items():
                setattr(settings, name, value)

            def stats() -> dict:
                return httpx.get(f"{base_url}/_sandbox/stats").json()

            yield stats

    return start


@pytest.fixture
def cluster(sandbox, tmp_path, monkeypatch):
    """`with cluster(broker=…, count=…, **sandbox_config) as (cluster, stats):` real
    qcluster processes (tests/support/cluster.py) running the phases against a sandbox."""
    from tests.support.cluster import cluster_factory

    return cluster_factory(sandbox, tmp_path, monkeypatch)


def pytest_collection_modifyitems(config, items):
    """Tests on real qcluster processes are marked `cluster`: CI's scale-out lane runs them
    again with two clusters on the Redis broker (`-m cluster`)."""
    for item in items:
        if "cluster" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.cluster)


@pytest.fixture
def own_throttle_counts(settings):
    """API kickoffs counted from zero: in Redis when configured (under a key prefix of
    this test's own, never clearing a shared Redis), in memory otherwise."""
    import uuid

    if settings.REDIS_URL:
        cache = {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": settings.REDIS_URL,
            "KEY_PREFIX": f"theset-test-{uuid.uuid4().hex}",
        }
    else:
        cache = {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": uuid.uuid4().hex,
        }
    settings.CACHES = {**settings.CACHES, "api_throttle": cache}
