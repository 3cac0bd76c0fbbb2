"""The anonymous read limit (theset.security) and the /metrics guard, with the Django
test client: a burst past the rate gets 429s with Retry-After while API keys, staff and
the operators' endpoints are not counted. Counts live in Redis when configured (the
PostgreSQL + Redis lane), in memory otherwise; the windows' clock stands still
(tests/conftest.py `ratelimit_clock`), so no test depends on when a window ends."""

from __future__ import annotations

import logging

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from theset import security
from theset.models import ApiKey
from theset.services import api_key_create, api_keys_revoke

pytestmark = pytest.mark.django_db

SCRAPER = "203.0.113.50"
NEIGHBOUR = "203.0.113.51"


@pytest.fixture
def limited(anonymous_read_rates, ratelimit_clock):
    anonymous_read_rates("5/m")
    return ratelimit_clock


def read(client: Client, url: str = "/api/artists", address: str = SCRAPER, **headers):
    return client.get(url, REMOTE_ADDR=address, headers=headers)


def test_a_burst_past_the_rate_gets_429_with_retry_after(limited):
    client = Client()
    answers = [read(client) for _ in range(8)]

    assert [answer.status_code for answer in answers] == [200] * 5 + [429] * 3
    refused = answers[5]
    assert refused["Content-Type"] == "application/json"
    assert refused.json() == {
        "detail": "Too many requests from your address: anonymous reads are limited to "
        f"5 a minute. Try again in {refused['Retry-After']} s, or use an API key (X-API-Key)."
    }
    assert 1 <= int(refused["Retry-After"]) <= 60
    # Another address has its own count.
    assert read(client, address=NEIGHBOUR).status_code == 200


def test_the_window_ends_when_retry_after_says(limited):
    client = Client()
    for _ in range(5):
        read(client)
    refused = read(client)
    assert refused.status_code == 429

    limited.now += int(refused["Retry-After"]) - 1
    assert read(client).status_code == 429
    limited.now += 1
    assert read(client).status_code == 200


def test_pages_count_too_and_get_an_html_429(limited):
    client = Client()
    answers = [read(client, "/") for _ in range(6)]

    assert [answer.status_code for answer in answers] == [200] * 5 + [429]
    refused = answers[-1]
    assert refused["Content-Type"].startswith("text/html")
    assert "anonymous reads are limited to 5 a minute" in refused.content.decode()
    assert int(refused["Retry-After"]) >= 1
    # The API and the pages share the address's count.
    assert read(client, "/api/artists").status_code == 429


def test_api_keys_reads_in_the_same_burst_are_not_counted(limited):
    key = api_key_create(name="partner")
    client = Client()
    anonymous, keyed = [], []
    for _ in range(8):
        anonymous.append(read(client).status_code)
        keyed.append(read(client, **{"X-API-Key": key.plaintext}).status_code)

    assert anonymous == [200] * 5 + [429] * 3
    assert keyed == [200] * 8


def test_a_revoked_or_made_up_key_is_counted(limited):
    key = api_key_create(name="old")
    api_keys_revoke(api_keys=ApiKey.objects.all())
    client = Client()
    answers = [read(client, **{"X-API-Key": key.plaintext}).status_code for _ in range(3)]
    answers += [
        read(client, **{"X-API-Key": "theset_0123456789ab_nope"}).status_code for _ in range(3)
    ]

    assert answers == [200] * 5 + [429]


def test_staff_are_not_counted(limited):
    staff = get_user_model().objects.create_user("ops", is_staff=True)
    client = Client()
    client.force_login(staff)

    assert [read(client).status_code for _ in range(8)] == [200] * 8


def test_operators_endpoints_and_static_files_are_not_counted(limited):
    client = Client()
    for _ in range(5):
        read(client)
    assert read(client).status_code == 429

    assert read(client, "/health/").status_code in (200, 503)
    assert read(client, "/metrics", address="127.0.0.1").status_code == 200
    assert read(client, "/static/admin/css/base.css").status_code == 200
    assert read(client, "/admin/login/").status_code == 200
    # Writes are not reads: a kickoff is judged by its credentials and its own throttle.
    assert client.post("/api/artists/import", REMOTE_ADDR=SCRAPER).status_code == 401


def test_the_proxy_header_counts_only_through_a_trusted_proxy(limited, settings):
    client = Client()
    # Untrusted: a client cannot escape its count by sending the header.
    forged = [
        read(client, address=SCRAPER, **{"X-Forwarded-For": f"192.0.2.{n}"}).status_code
        for n in range(6)
    ]
    assert forged == [200] * 5 + [429]

    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    behind_proxy = [
        read(client, address="127.0.0.1", **{"X-Forwarded-For": f"192.0.2.{n % 2}"}).status_code
        for n in range(12)
    ]
    # Two clients behind the proxy, five reads each.
    assert behind_proxy == [200] * 10 + [429] * 2


def test_every_rate_holds(anonymous_read_rates, ratelimit_clock):
    anonymous_read_rates("3/s", "5/h")
    client = Client()
    answers = []
    for _ in range(7):
        answers.append(read(client).status_code)
        ratelimit_clock.now += 1  # never more than one a second
    assert answers == [200] * 5 + [429] * 2


def test_reads_go_through_while_the_counts_cache_is_down(
    anonymous_read_rates, settings, monkeypatch, caplog
):
    anonymous_read_rates("1/m")
    settings.CACHES = {
        **settings.CACHES,
        "api_throttle": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
            "OPTIONS": {"socket_connect_timeout": 0.5},
        },
    }
    monkeypatch.setattr(security, "_throttle_outage", security.StoreOutage())
    client = Client()

    with caplog.at_level(logging.WARNING, logger="theset.security"):
        answers = [read(client).status_code for _ in range(3)]

    assert answers == [200, 200, 200]
    warnings = [r for r in caplog.records if "read throttle unavailable" in r.getMessage()]
    assert len(warnings) == 1


def test_a_bad_rate_setting_names_itself(anonymous_read_rates):
    from django.core.exceptions import ImproperlyConfigured

    anonymous_read_rates("60 per minute")
    with pytest.raises(ImproperlyConfigured, match="ANON_READ_RATES: '60 per minute'"):
        read(Client())


# --- /metrics ---------------------------------------------------------------------------


def test_metrics_answer_loopback_by_default(client):
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="::1").status_code == 200


def test_metrics_refuse_other_addresses_and_wrong_tokens(client, settings):
    settings.METRICS_BEARER_TOKEN = "scrape-me-0123456789"

    refused = client.get("/metrics", REMOTE_ADDR=SCRAPER)
    assert refused.status_code == 403
    assert "METRICS_ALLOWED_ADDRESSES" in refused.content.decode()
    assert b"scrape-me" not in refused.content
    wrong = client.get("/metrics", REMOTE_ADDR=SCRAPER, headers={"Authorization": "Bearer guess"})
    assert wrong.status_code == 403
    right = client.get(
        "/metrics",
        REMOTE_ADDR=SCRAPER,
        headers={"Authorization": "Bearer scrape-me-0123456789"},
    )
    assert right.status_code == 200
    assert b"theset_import_runs" in right.content


def test_metrics_allowed_networks_and_the_proxy(client, settings):
    settings.METRICS_ALLOWED_ADDRESSES = ["10.0.0.0/8"]
    assert client.get("/metrics", REMOTE_ADDR="10.20.30.40").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 403

    # Behind a trusted proxy the forwarded client is judged, not the proxy.
    settings.METRICS_ALLOWED_ADDRESSES = ["127.0.0.1"]
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    forwarded = client.get("/metrics", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=SCRAPER)
    assert forwarded.status_code == 403


def test_the_counts_are_shared_through_redis_when_configured(limited, settings):
    """Every web process counts into the same Redis keys (here read with a client of
    their own, as another process would); without Redis the count is the process's."""
    if not settings.REDIS_URL:
        pytest.skip("the PostgreSQL + Redis lane checks the shared counts")
    import redis

    client = Client()
    for _ in range(3):
        read(client)

    prefix = settings.CACHES["api_throttle"]["KEY_PREFIX"]
    other_process = redis.Redis.from_url(settings.REDIS_URL)
    keys = other_process.keys(f"{prefix}:*")
    assert [int(other_process.get(key)) for key in keys] == [3]  # one window, 3 reads


def test_a_cache_outage_is_not_asked_again_for_a_while(anonymous_read_rates, monkeypatch):
    """After the cache fails, the next reads do not each wait for its connect timeout."""
    from django_ratelimit.core import get_usage as real_get_usage
    from redis.exceptions import ConnectionError as RedisConnectionError

    anonymous_read_rates("1/m")
    asked = []

    def down(*args, **kwargs):
        asked.append(1)
        raise RedisConnectionError("nothing listens")

    clock = [100.0]
    monkeypatch.setattr(security, "get_usage", down)
    monkeypatch.setattr(security, "_throttle_outage", security.StoreOutage(clock=lambda: clock[0]))
    client = Client()

    assert [read(client).status_code for _ in range(3)] == [200, 200, 200]
    assert len(asked) == 1
    clock[0] += 10  # the outage's retry delay has passed: the cache is asked again
    monkeypatch.setattr(security, "get_usage", real_get_usage)
    assert [read(client).status_code for _ in range(2)] == [200, 429]


def test_refusals_are_not_logged_one_warning_each(limited, caplog):
    client = Client()
    with caplog.at_level(logging.WARNING, logger="django.request"):
        for _ in range(8):
            read(client)
        read(client, "/api/no-such-route", address=NEIGHBOUR)

    logged = [record.getMessage() for record in caplog.records if record.name == "django.request"]
    assert logged == ["Not Found: /api/no-such-route"]
