"""`GET /metrics`: the importer's metrics come from the database, so what an import did
in any process shows on every web process; the counters move by exactly what the
sandbox upstream saw."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
import respx
from django.db import connection
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from catalog.models import ArtistTrack
from catalog.services import artist_shell_upsert
from imports.metrics import (
    import_phase_metrics_record,
    metric_counters_add,
    series,
)
from imports.models import ImportPhase, ImportRun, ImportStatus
from imports.phases import PhaseName
from imports.pipeline import run_import
from imports.services import import_run_create, start_import
from integrations.http.client import UpstreamClient
from integrations.http.quota import HoldReason, QuotaLedger, QuotaObservation
from integrations.http.retry import RetryPolicy
from integrations.http.stats import collect_stats
from integrations.spotify import client as spotify
from sandbox import profiles
from sandbox.config import SandboxConfig
from sandbox.server import importer_environment, running_sandbox
from sandbox.world import World, build_world
from shows.models import Show, Venue
from theset.models import MetricCounter

# Secrets the importer is given: none may appear in /metrics.
SECRETS = {
    "TICKETMASTER_API_KEY": "tm-key-8c1d5e0f9a7b",
    "SPOTIFY_CLIENT_ID": "spotify-id-3f6a2b9c1d0e",
    "SPOTIFY_CLIENT_SECRET": "spotify-secret-5e8d7c6b4a3f",
}

OUR_METRICS = (
    "theset_import_runs",
    "theset_import_runs_active",
    "theset_task_queue_depth",
    "theset_import_phase_duration_seconds",
    "theset_upstream_requests_total",
    "theset_upstream_retries_total",
    "theset_upstream_rate_limited_total",
    "theset_upstream_retry_after_wait_seconds_total",
    "theset_upstream_limiter_wait_seconds_total",
    "theset_import_rows_written_total",
    "theset_resync_quota_reserve_ratio",
)
# The quota ledger's families, one series per key.
QUOTA_METRICS = (
    "theset_upstream_quota_limit",
    "theset_upstream_quota_available",
    "theset_upstream_quota_used",
    "theset_upstream_quota_reset_timestamp_seconds",
    "theset_upstream_quota_blocked_until_timestamp_seconds",
    "theset_upstream_quota_refusals_total",
)

# 2100-01-01T00:00:00Z: a quota window no test outlives.
QUOTA_RESET = 4_102_444_800.0


def an_hour_before_the_reset() -> float:
    """The ledger's clock when it learns of the window: a reset further away than two
    days is not believed (integrations.http.quota.LONGEST_WAIT_SECONDS)."""
    return QUOTA_RESET - 3600


@pytest.fixture(scope="module")
def world() -> World:
    return build_world(seed=0)


@pytest.fixture
def sandbox(world, settings):
    """`with sandbox(**config) as stats:` the sandbox over HTTP, the importer pointed at it
    with our own secrets (the sandbox accepts any); `stats()` is `/_sandbox/stats`."""

    @contextlib.contextmanager
    def start(**config) -> Iterator:
        config.setdefault("tm_rps", 5)
        with running_sandbox(world, SandboxConfig(port=0, **config)) as base_url:
            for name, value in (importer_environment(base_url) | SECRETS).items():
                setattr(settings, name, value)
            yield lambda: httpx.get(f"{base_url}/_sandbox/stats").json()

    spotify._tokens.clear()
    spotify._detected_modes.clear()
    spotify._audio_features_seen.clear()
    yield start
    spotify._tokens.clear()
    spotify._detected_modes.clear()
    spotify._audio_features_seen.clear()


Samples = dict[tuple[str, frozenset], float]


def scrape(client) -> tuple[str, Samples]:
    response = client.get("/metrics")
    assert response.status_code == 200
    body = response.content.decode()
    samples = {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(body)
        for sample in family.samples
    }
    return body, samples


def total(samples: Samples, name: str, **labels: str) -> float:
    """The sum of the samples of `name` whose labels include `labels`."""
    wanted = set(labels.items())
    return sum(value for (n, sample), value in samples.items() if n == name and wanted <= sample)


def moved(before: Samples, after: Samples, name: str, **labels: str) -> float:
    return total(after, name, **labels) - total(before, name, **labels)


def sandbox_responses(stats: dict, provider: str) -> Counter[str]:
    """The sandbox's answers to one provider's requests, by status ("dropped": none)."""
    prefixes = ("tm.",) if provider == "ticketmaster" else ("spotify.", "accounts.")
    answers: Counter[str] = Counter()
    for endpoint, counts in stats["endpoints"].items():
        if endpoint.startswith(prefixes):
            answers.update(counts["responses"])
    return answers


def our_responses(before: Samples, after: Samples, provider: str) -> Counter[str]:
    statuses = {
        dict(labels)["status"]
        for name, labels in after
        if name == "theset_upstream_requests_total" and dict(labels)["provider"] == provider
    }
    # What the sandbox calls a dropped connection is, to us, a request with no answer.
    return +Counter(
        {
            "dropped" if status == "error" else status: moved(
                before, after, "theset_upstream_requests_total", provider=provider, status=status
            )
            for status in statuses
        }
    )


# --- The endpoint ----------------------------------------------------------------------


@pytest.mark.django_db
def test_metrics_answer_text_with_ours_and_django_prometheus_metrics(client):
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    body = response.content.decode()
    for name in (*OUR_METRICS, *QUOTA_METRICS):
        assert f"# TYPE {name} " in body, name
    assert "django_http_requests_before_middlewares_total" in body
    assert client.post("/metrics").status_code == 405


# --- What an import moves ------------------------------------------------------------


@pytest.mark.django_db
def test_an_import_moves_the_counters_by_what_the_sandbox_saw(client, world, sandbox):
    _, before = scrape(client)
    with sandbox(fault_rate=0.25, seed=3) as stats:
        started = import_run_create(tm_attraction_id=profiles.BUILTIN_ATTRACTION_IDS["mid"])
        run = run_import(started.import_id)
        seen = stats()
        token = next(iter(spotify._tokens.values())).value
    body, after = scrape(client)
    assert run.status == ImportStatus.SUCCEEDED, run.error
    # Seeded faults were met. Which kinds depends on which attempt of which request met
    # them, and so on how the concurrent requests interleaved: the counters below must
    # match the sandbox's count whatever the kinds were.
    assert seen["faults"] > 0
    assert set(seen["faults_by_kind"]) <= {"500", "502", "503", "drop"}

    for provider in ("ticketmaster", "spotify"):
        assert our_responses(before, after, provider) == sandbox_responses(seen, provider)
    assert moved(before, after, "theset_upstream_requests_total") == seen["requests_total"]
    assert (
        moved(before, after, "theset_upstream_retries_total")
        == seen["faults"] + seen["rate_limited"]
    )
    assert moved(before, after, "theset_upstream_rate_limited_total") == seen["rate_limited"]

    assert moved(before, after, "theset_import_runs", status="succeeded") == 1
    assert moved(before, after, "theset_import_runs_active") == 0
    assert moved(before, after, "theset_import_phase_duration_seconds_count") == 4
    for phase in ("identity", "shows", "catalog", "finalize"):
        labels = {"phase": phase, "status": "succeeded"}
        assert moved(before, after, "theset_import_phase_duration_seconds_count", **labels) == 1
        assert (
            moved(before, after, "theset_import_phase_duration_seconds_bucket", le="+Inf", **labels)
            == 1
        )

    rows = {
        kind: moved(before, after, "theset_import_rows_written_total", kind=kind)
        for kind in ("shows", "venues", "tracks")
    }
    assert rows == {
        "shows": run.counters["shows"],
        "venues": run.counters["venues"],
        "tracks": run.counters["tracks_kept"],
    }
    assert rows == {
        "shows": Show.objects.filter(bill__artist_id=run.artist_id).count(),
        "venues": Venue.objects.count(),
        "tracks": ArtistTrack.objects.filter(artist_id=run.artist_id).count(),
    }
    assert rows["shows"] > 0 and rows["tracks"] > 0

    for secret in (*SECRETS.values(), token):
        assert secret not in body


@pytest.mark.django_db
def test_a_failed_phase_counts_its_requests_and_its_duration(client, sandbox):
    _, before = scrape(client)
    with sandbox():
        started = import_run_create(tm_attraction_id="K8vZ917NoSuchId")
        run = run_import(started.import_id)
    _, after = scrape(client)
    assert run.status == ImportStatus.FAILED
    not_found = {"provider": "ticketmaster", "status": "404"}
    assert moved(before, after, "theset_upstream_requests_total", **not_found) == 1
    identity_failed = {"phase": "identity", "status": "failed"}
    count = "theset_import_phase_duration_seconds_count"
    assert moved(before, after, count, **identity_failed) == 1
    assert moved(before, after, "theset_import_runs", status="failed") == 1


@pytest.mark.django_db
def test_queue_depth_counts_the_task_a_kickoff_leaves_without_a_cluster(client):
    _, before = scrape(client)
    start_import(profiles.BUILTIN_ATTRACTION_IDS["sparse"])
    _, after = scrape(client)
    assert moved(before, after, "theset_task_queue_depth") == 1
    assert moved(before, after, "theset_import_runs", status="queued") == 1
    assert moved(before, after, "theset_import_runs_active") == 1


@pytest.mark.django_db
def test_waiting_runs_are_counted_by_status_and_as_active(client):
    artist = artist_shell_upsert(tm_attraction_id=profiles.BUILTIN_ATTRACTION_IDS["sparse"])
    _, before = scrape(client)
    ImportRun.objects.create(
        artist=artist,
        status=ImportStatus.WAITING,
        waiting_until=timezone.now() + timedelta(hours=1),
    )
    _, after = scrape(client)
    assert moved(before, after, "theset_import_runs", status="waiting") == 1
    assert moved(before, after, "theset_import_runs_active") == 1


# --- The upstream quotas ---------------------------------------------------------------


def quota_lines(body: str) -> list[str]:
    """The samples of the quota ledger's families, as the text shows them."""
    return [line for line in body.splitlines() if line.startswith("theset_upstream_quota_")]


def closed_port() -> int:
    """A 127.0.0.1 port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.django_db
def test_each_upstream_key_shows_where_it_stands_against_its_quota(client):
    ticketmaster = QuotaLedger("ticketmaster:test", clock=an_hour_before_the_reset)
    ticketmaster.observe(QuotaObservation(limit=5000, available=120, reset_at=QUOTA_RESET))
    tm = 'key="ticketmaster:test",provider="ticketmaster"'

    body, _ = scrape(client)

    assert quota_lines(body) == [
        f"theset_upstream_quota_limit{{{tm}}} 5000.0",
        f"theset_upstream_quota_available{{{tm}}} 120.0",
        f"theset_upstream_quota_used{{{tm}}} 4880.0",
        f"theset_upstream_quota_reset_timestamp_seconds{{{tm}}} 4.1024448e+09",
        f"theset_upstream_quota_blocked_until_timestamp_seconds{{{tm}}} 0.0",
        f"theset_upstream_quota_refusals_total{{{tm}}} 0.0",
    ]
    for name in QUOTA_METRICS:
        kind = "counter" if name.endswith("_total") else "gauge"
        assert f"# TYPE {name} {kind}" in body
        assert f"# HELP {name} " in body

    # The quota is spent: blocked until the window resets, which the ledger knows.
    ticketmaster.refuse(reason=HoldReason.QUOTA, retry_after=None)
    # Spotify asked for a wait; it sends no quota figures, so they have no samples.
    QuotaLedger("spotify:test", clock=lambda: QUOTA_RESET - 100).refuse(
        reason=HoldReason.RETRY_AFTER, retry_after=30
    )
    # A window that is over has its budget back, and no reset time is known.
    QuotaLedger("ticketmaster:old").observe(
        QuotaObservation(limit=5000, available=3, reset_at=1_000_000.0)
    )
    old = 'key="ticketmaster:old",provider="ticketmaster"'
    sp = 'key="spotify:test",provider="spotify"'

    body, _ = scrape(client)

    assert quota_lines(body) == [
        f"theset_upstream_quota_limit{{{old}}} 5000.0",
        f"theset_upstream_quota_limit{{{tm}}} 5000.0",
        f"theset_upstream_quota_available{{{old}}} 5000.0",
        f"theset_upstream_quota_available{{{tm}}} 0.0",
        f"theset_upstream_quota_used{{{old}}} 0.0",
        f"theset_upstream_quota_used{{{tm}}} 5000.0",
        f"theset_upstream_quota_reset_timestamp_seconds{{{tm}}} 4.1024448e+09",
        f"theset_upstream_quota_blocked_until_timestamp_seconds{{{sp}}} 4.10244473e+09",
        f"theset_upstream_quota_blocked_until_timestamp_seconds{{{old}}} 0.0",
        f"theset_upstream_quota_blocked_until_timestamp_seconds{{{tm}}} 4.1024448e+09",
        f"theset_upstream_quota_refusals_total{{{sp}}} 1.0",
        f"theset_upstream_quota_refusals_total{{{old}}} 0.0",
        f"theset_upstream_quota_refusals_total{{{tm}}} 1.0",
    ]


@pytest.mark.django_db
def test_the_resync_reserve_is_a_gauge(client, settings):
    settings.RESYNC_QUOTA_RESERVE = 0.35

    body, _ = scrape(client)

    assert "# TYPE theset_resync_quota_reserve_ratio gauge" in body
    assert "\ntheset_resync_quota_reserve_ratio 0.35\n" in body


@pytest.mark.django_db
def test_a_ledger_that_cannot_be_read_leaves_its_families_out(client, settings):
    QuotaLedger("ticketmaster:test", clock=an_hour_before_the_reset).observe(
        QuotaObservation(limit=5000, available=120, reset_at=QUOTA_RESET)
    )
    settings.REDIS_URL = f"redis://127.0.0.1:{closed_port()}/0"  # the ledger's Redis is down

    body, samples = scrape(client)

    assert "theset_upstream_quota_" not in body
    assert samples["theset_resync_quota_reserve_ratio", frozenset()] == 0.2
    assert "# TYPE theset_import_runs gauge" in body


# --- The cumulative counters -------------------------------------------------------------


@pytest.mark.django_db
def test_two_increments_of_a_series_add_up_and_leave_other_series_alone():
    requests_200 = series(
        "theset_upstream_requests", provider="spotify", endpoint="token", status="200"
    )
    retries = series("theset_upstream_retries", provider="spotify")
    metric_counters_add({requests_200: 2, retries: 0.5})
    metric_counters_add({requests_200: 3})
    stored = {
        (name, labels): value
        for name, labels, value in MetricCounter.objects.values_list("name", "labels", "value")
    }
    assert stored == {requests_200: 5, retries: 0.5}


@pytest.mark.django_db(transaction=True)
def test_increments_from_concurrent_connections_all_count():
    """Phases ending together in different processes: each connection's upserts add up."""
    token = series("theset_upstream_requests", provider="spotify", endpoint="token", status="200")

    def add_many() -> None:
        try:
            for _ in range(20):
                metric_counters_add({token: 1})
        finally:
            connection.close()

    threads = [threading.Thread(target=add_many) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert MetricCounter.objects.get(name=token[0], labels=token[1]).value == 80


@pytest.mark.django_db
def test_phase_durations_fill_the_histogram_buckets(client):
    artist = artist_shell_upsert(tm_attraction_id=profiles.BUILTIN_ATTRACTION_IDS["sparse"])
    _, before = scrape(client)
    now = timezone.now()
    for seconds in (0.3, 45):
        run = ImportRun.objects.create(artist=artist, status=ImportStatus.SUCCEEDED)
        ImportPhase.objects.create(
            run=run,
            phase=PhaseName.SHOWS,
            status=ImportStatus.SUCCEEDED,
            started_at=now - timedelta(seconds=seconds),
            finished_at=now,
        )
        import_phase_metrics_record(run_id=run.pk, phase=PhaseName.SHOWS, counters={"shows": 7})
    _, after = scrape(client)
    labels = {"phase": "shows", "status": "succeeded"}
    bucket = "theset_import_phase_duration_seconds_bucket"
    assert moved(before, after, bucket, le="0.5", **labels) == 1
    assert moved(before, after, bucket, le="30.0", **labels) == 1
    assert moved(before, after, bucket, le="60.0", **labels) == 2
    assert moved(before, after, bucket, le="+Inf", **labels) == 2
    assert moved(
        before, after, "theset_import_phase_duration_seconds_sum", **labels
    ) == pytest.approx(45.3)
    assert moved(before, after, "theset_import_rows_written_total", kind="shows") == 14


# --- Upstream stats ---------------------------------------------------------------------


@respx.mock
def test_upstream_stats_count_answers_by_status_and_clients_are_collected():
    respx.get("https://upstream.test/v1/thing").mock(
        side_effect=[httpx.Response(503), httpx.ReadTimeout("slow"), httpx.Response(200, json={})]
    )

    async def no_sleep(seconds: float) -> None:
        return None

    async def go():
        with collect_stats() as collected:
            async with UpstreamClient(
                provider="Spotify",
                base_url="https://upstream.test",
                retry=RetryPolicy(retries=3, retry_after_cap_seconds=60, sleep=no_sleep),
            ) as upstream:
                await upstream.get_json("thing", "/v1/thing")
        async with UpstreamClient(provider="Spotify", base_url="https://upstream.test"):
            pass  # opened outside: not collected
        return collected, upstream.stats

    collected, stats = asyncio.run(go())
    assert collected == [("Spotify", stats)]
    assert stats.responses == {("thing", "503"): 1, ("thing", "timeout"): 1, ("thing", "200"): 1}
    assert stats.as_dict()["responses"] == {"thing": {"200": 1, "503": 1, "timeout": 1}}
    assert stats.as_dict()["requests"] == {"thing": 3}
