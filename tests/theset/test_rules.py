"""The security rules (theset.rules), table-driven: client addresses behind proxies, the
/metrics guard, rates, which reads are counted, and when failed logins lock."""

from __future__ import annotations

import pytest

from theset.rules import (
    Lockout,
    Rate,
    address_in,
    client_address_of,
    counted_read,
    failures_toward_lockout,
    lockout_of,
    metrics_access,
    networks_of,
    parse_rate,
    proxied_past_trust,
    retry_after_seconds,
    throttle_ident,
)

PROXIES = networks_of(["10.0.0.0/8", "127.0.0.1"], setting="TRUSTED_PROXIES")
LOOPBACK = networks_of(["127.0.0.1", "::1"], setting="METRICS_ALLOWED_ADDRESSES")


@pytest.mark.parametrize(
    ("remote", "forwarded", "trusted", "expected"),
    [
        pytest.param("203.0.113.9", "", PROXIES, "203.0.113.9", id="direct-client"),
        pytest.param(
            "203.0.113.9",
            "198.51.100.1",
            PROXIES,
            "203.0.113.9",
            id="untrusted-peer-header-ignored",
        ),
        pytest.param(
            "127.0.0.1", "198.51.100.1", (), "127.0.0.1", id="no-trusted-proxy-configured"
        ),
        pytest.param("127.0.0.1", "198.51.100.1", PROXIES, "198.51.100.1", id="one-trusted-proxy"),
        pytest.param(
            "127.0.0.1", "198.51.100.1, 10.1.2.3", PROXIES, "198.51.100.1", id="two-trusted-proxies"
        ),
        pytest.param(
            "127.0.0.1",
            "6.6.6.6, 198.51.100.1",
            PROXIES,
            "198.51.100.1",
            id="client-forged-left-entries-ignored",
        ),
        pytest.param("127.0.0.1", "", PROXIES, "127.0.0.1", id="trusted-proxy-without-header"),
        pytest.param("127.0.0.1", " , ", PROXIES, "127.0.0.1", id="empty-entries"),
        pytest.param(
            "127.0.0.1", "6.6.6.6, 1.2.3.4:5678", PROXIES, "127.0.0.1", id="hop-with-port-stops"
        ),
        pytest.param(
            "127.0.0.1",
            "6.6.6.6, junk, 10.0.0.5",
            PROXIES,
            "10.0.0.5",
            id="junk-hop-stops-at-the-nearest-valid",
        ),
        pytest.param("127.0.0.1", "10.0.0.5", PROXIES, "10.0.0.5", id="all-hops-trusted-leftmost"),
        pytest.param(
            "::ffff:127.0.0.1", "198.51.100.1", PROXIES, "198.51.100.1", id="ipv4-mapped-peer"
        ),
    ],
)
def test_client_address_of(remote, forwarded, trusted, expected):
    assert client_address_of(remote, forwarded, trusted) == expected


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("127.0.0.1", True),
        ("::1", True),
        ("::ffff:127.0.0.1", True),
        ("127.0.0.2", False),
        ("203.0.113.9", False),
        ("not-an-address", False),
        ("", False),
    ],
)
def test_address_in(address, expected):
    assert address_in(address, LOOPBACK) is expected


def test_networks_of_names_the_setting_and_the_bad_item():
    with pytest.raises(ValueError, match=r"TRUSTED_PROXIES: 'proxy.local' is not an IP address"):
        networks_of(["10.0.0.1", "proxy.local"], setting="TRUSTED_PROXIES")


@pytest.mark.parametrize(
    ("address", "authorization", "token", "expected"),
    [
        pytest.param("127.0.0.1", "", "", True, id="loopback-no-token"),
        pytest.param("203.0.113.9", "", "", False, id="remote-no-token-set"),
        pytest.param(
            "203.0.113.9", "Bearer s3cret", "", False, id="no-token-set-any-bearer-refused"
        ),
        pytest.param("203.0.113.9", "Bearer s3cret", "s3cret", True, id="remote-right-token"),
        pytest.param("203.0.113.9", "bearer  s3cret ", "s3cret", True, id="scheme-case-and-spaces"),
        pytest.param("203.0.113.9", "Bearer wrong", "s3cret", False, id="remote-wrong-token"),
        pytest.param("203.0.113.9", "Basic s3cret", "s3cret", False, id="other-scheme"),
        pytest.param("203.0.113.9", "s3cret", "s3cret", False, id="token-without-scheme"),
        pytest.param("127.0.0.1", "Bearer wrong", "s3cret", True, id="allowed-address-wrong-token"),
    ],
)
def test_metrics_access(address, authorization, token, expected):
    assert (
        metrics_access(
            address=address,
            authorization=authorization,
            allowed=LOOPBACK,
            token=token,
            proxied=False,
        )
        is expected
    )


@pytest.mark.parametrize(
    ("authorization", "token", "expected"),
    [
        pytest.param("", "", False, id="loopback-through-an-untrusted-proxy"),
        pytest.param("Bearer s3cret", "s3cret", True, id="the-token-still-works"),
    ],
)
def test_metrics_access_through_an_untrusted_proxy(authorization, token, expected):
    allowed = metrics_access(
        address="127.0.0.1",
        authorization=authorization,
        allowed=LOOPBACK,
        token=token,
        proxied=True,
    )
    assert allowed is expected


@pytest.mark.parametrize(
    ("remote", "forwarded", "expected"),
    [
        pytest.param("127.0.0.1", "203.0.113.9", True, id="header-from-an-untrusted-peer"),
        pytest.param("10.0.0.1", "203.0.113.9", False, id="header-from-a-trusted-proxy"),
        pytest.param("127.0.0.2", "", False, id="no-header"),
        pytest.param("127.0.0.2", "  ", False, id="blank-header"),
    ],
)
def test_proxied_past_trust(remote, forwarded, expected):
    trusted = networks_of(["10.0.0.0/8"], setting="TRUSTED_PROXIES")
    assert proxied_past_trust(remote, forwarded, trusted) is expected


@pytest.mark.parametrize(
    ("text", "rate", "described"),
    [
        ("60/m", Rate(60, 60), "60 a minute"),
        ("1000/h", Rate(1000, 3600), "1000 an hour"),
        ("5/s", Rate(5, 1), "5 a second"),
        ("20000/d", Rate(20000, 86400), "20000 a day"),
        ("5/15m", Rate(5, 900), "5 every 15 minutes"),
        (" 10 / 2h ", Rate(10, 7200), "10 every 2 hours"),
        ("7/90s", Rate(7, 90), "7 every 90 seconds"),
    ],
)
def test_parse_rate(text, rate, described):
    assert parse_rate(text, setting="ANON_READ_RATES") == rate
    assert rate.describe() == described


@pytest.mark.parametrize(
    "text", ["60", "60/minute", "0/m", "-1/m", "60/0m", "5/00m", "a/m", "", "60/m/h"]
)
def test_parse_rate_refuses_what_is_not_a_rate(text):
    with pytest.raises(ValueError, match=r"ANON_READ_RATES: .* is not a rate such as 60/m"):
        parse_rate(text, setting="ANON_READ_RATES")


EXEMPT = ("/health/", "/metrics", "/admin/", "/static/", "/favicon.ico")


@pytest.mark.parametrize(
    ("method", "path", "expected"),
    [
        pytest.param("GET", "/", True, id="home"),
        pytest.param("GET", "/artists/radiohead/", True, id="artist-page"),
        pytest.param("HEAD", "/venues/KovZpZA7AAEA/", True, id="head-counts"),
        pytest.param("GET", "/api/artists/1/shows", True, id="api-read"),
        pytest.param("GET", "/api/openapi.json", True, id="api-schema"),
        pytest.param("GET", "/nowhere", True, id="a-404-counts"),
        pytest.param("POST", "/api/artists/import", False, id="writes-not-reads"),
        pytest.param("OPTIONS", "/api/artists/1", False, id="options"),
        pytest.param("GET", "/api/artists/radiohead/stream", False, id="progress-stream"),
        pytest.param("GET", "/api/artists/radiohead/stream/x", True, id="not-a-stream"),
        pytest.param("GET", "/health/", False, id="health"),
        pytest.param("GET", "/metrics", False, id="metrics"),
        pytest.param("GET", "/static/theset/site.css", False, id="static"),
        pytest.param("GET", "/admin/login/", False, id="admin"),
    ],
)
def test_counted_read(method, path, expected):
    assert counted_read(method, path, exempt_prefixes=EXEMPT) is expected


@pytest.mark.parametrize(
    ("address", "ident"),
    [
        ("203.0.113.9", "203.0.113.9"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::"),
        ("2001:db8:1:2:ffff::1", "2001:db8:1:2::"),
        ("::ffff:203.0.113.9", "203.0.113.9"),
        ("garbage", "garbage"),
    ],
)
def test_throttle_ident(address, ident):
    assert throttle_ident(address) == ident


@pytest.mark.parametrize(("time_left", "seconds"), [(-1, 1), (0, 1), (0.2, 2), (1, 2), (59, 60)])
def test_retry_after_seconds(time_left, seconds):
    assert retry_after_seconds(time_left) == seconds


@pytest.mark.parametrize(
    ("account", "address", "toward", "lockout"),
    [
        pytest.param(0, 0, 0, Lockout(False, False), id="nothing"),
        pytest.param(19, 19, 19, Lockout(False, False), id="one-short-of-the-account-limit"),
        pytest.param(20, 20, 20, Lockout(True, False), id="account-limit"),
        pytest.param(3, 99, 19, Lockout(False, False), id="address-one-short"),
        pytest.param(3, 100, 20, Lockout(False, True), id="address-limit-other-accounts"),
        pytest.param(25, 120, 40, Lockout(True, True), id="both"),
    ],
)
def test_lockout(account, address, toward, lockout):
    limits = {"account_limit": 20, "address_limit": 100}
    assert failures_toward_lockout(account=account, address=address, **limits) == toward
    assert lockout_of(account=account, address=address, **limits) == lockout
    # django-axes locks when the count reaches its limit (the account's): the same verdict.
    assert (toward >= limits["account_limit"]) is lockout.locked
