"""Admin login lockout (django-axes through theset.logins), tried as a guesser would with
the Django test client: per account, per address, the cool-off, the admin's Unlock, and
what /metrics shows."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from axes.models import AccessAttempt, AccessFailureLog
from django.contrib.auth import get_user_model
from django.db.models import F
from django.test import Client

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/?next=/admin/"
PASSWORD = "correct horse battery staple"
GUESSER = "203.0.113.7"
OFFICE = "198.51.100.20"


@pytest.fixture(autouse=True)
def _fast_password_hashes(settings):
    """A login checks a password hash; Django's default hasher takes about a second here
    by design, and these tests log in wrongly dozens of times."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def make_staff(username: str, **fields):
    return get_user_model().objects.create_user(
        username, password=PASSWORD, is_staff=True, **fields
    )


def log_in(client: Client, username: str, password: str, address: str = GUESSER):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=address)


def logged_in(response) -> bool:
    return response.status_code == 302 and response["Location"] == "/admin/"


def refused_as_locked(response) -> bool:
    return response.status_code == 429 and b"Login locked" in response.content


def wait_out_the_cool_off(settings) -> None:
    """Every failure is now older than the cool-off (time moved on, without a sleep)."""
    AccessAttempt.objects.update(
        attempt_time=F("attempt_time") - settings.AXES_COOLOFF_TIME - timedelta(seconds=1)
    )


def metric(client: Client, name: str, **labels: str) -> float | None:
    body = client.get("/metrics").content.decode()
    label_text = ",".join(f'{key}="{value}"' for key, value in sorted(labels.items()))
    pattern = "^" + re.escape(f"{name}{{{label_text}}}" if labels else name) + r" (\S+)$"
    match = re.search(pattern, body, re.MULTILINE)
    return float(match[1]) if match else None


def test_twenty_wrong_passwords_lock_the_account_until_the_cool_off(settings):
    settings.AXES_COOLOFF_TIME = timedelta(minutes=1)  # short, and then waited out
    make_staff("alice")
    make_staff("bob")
    client = Client()

    guesses = [log_in(client, "alice", f"guess-{n}") for n in range(20)]

    # 19 wrong passwords are plain failures; the 20th locks the account.
    assert all(answer.status_code == 200 for answer in guesses[:19])
    assert refused_as_locked(guesses[19])
    # The right password is refused while the account is locked, saying why and until when.
    refused = log_in(client, "alice", PASSWORD)
    assert refused_as_locked(refused)
    text = refused.content.decode()
    assert "The account <strong>alice</strong> is locked: 20 failed logins within 1 minute" in text
    assert "Try again after" in text
    assert "Unlock" in text
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert "_auth_user_id" not in client.session
    # Another staff account logs in, from the same address too.
    assert logged_in(log_in(Client(), "bob", PASSWORD, address=GUESSER))
    # After the cool-off the right password logs in again.
    wait_out_the_cool_off(settings)
    assert logged_in(log_in(client, "alice", PASSWORD))


def test_the_lock_follows_the_account_from_address_to_address():
    make_staff("alice")
    for n in range(20):
        log_in(Client(), "alice", "wrong", address=f"192.0.2.{n + 1}")

    assert refused_as_locked(log_in(Client(), "alice", PASSWORD, address="192.0.2.200"))


def test_an_address_guessing_many_accounts_is_locked_but_not_the_accounts(settings):
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 30
    make_staff("alice")
    client = Client()
    answers = [log_in(client, f"user{n % 3}", "wrong") for n in range(30)]

    assert all(answer.status_code == 200 for answer in answers[:29])
    assert refused_as_locked(answers[29])
    page = log_in(client, "alice", PASSWORD)
    assert refused_as_locked(page)
    assert "Logins from your address are paused: 30 failed logins" in page.content.decode()
    # The same staff account from another address is not locked.
    assert logged_in(log_in(Client(), "alice", PASSWORD, address=OFFICE))


def test_a_successful_login_clears_only_its_accounts_failures_from_its_address():
    make_staff("alice")
    make_staff("bob")
    for _ in range(5):
        log_in(Client(), "alice", "wrong")
    for _ in range(3):
        log_in(Client(), "bob", "wrong")
    for _ in range(2):
        log_in(Client(), "bob", "wrong", address=OFFICE)

    assert logged_in(log_in(Client(), "bob", PASSWORD))

    # alice's (another account) and bob's from elsewhere (maybe a guesser) still count.
    assert sorted(
        AccessAttempt.objects.values_list("username", "ip_address", "failures_since_start")
    ) == [("alice", GUESSER, 5), ("bob", OFFICE, 2)]


def test_an_ipv6_client_is_counted_per_64(settings):
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 3
    make_staff("alice")
    answers = [
        log_in(Client(), f"user{n}", "wrong", address=f"2001:db8:1:2::{n + 1:x}") for n in range(3)
    ]

    assert refused_as_locked(answers[-1])
    assert refused_as_locked(log_in(Client(), "alice", PASSWORD, address="2001:db8:1:2::ff"))
    assert logged_in(log_in(Client(), "alice", PASSWORD, address="2001:db8:1:3::1"))
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"2001:db8:1:2::"}


def test_a_locked_login_through_the_async_handler_gets_the_page():
    """Under uvicorn axes' middleware runs its async branch (it passes the credentials
    in another place)."""
    from asgiref.sync import async_to_sync
    from django.test import AsyncClient

    make_staff("alice")
    client = AsyncClient()
    post = async_to_sync(client.post)
    for _ in range(20):
        answer = post(LOGIN, {"username": "alice", "password": "wrong"}, REMOTE_ADDR=GUESSER)

    assert refused_as_locked(answer)
    assert "The account <strong>alice</strong> is locked" in answer.content.decode()
    assert int(answer["Retry-After"]) >= 1


def test_passwords_and_csrf_tokens_are_never_stored():
    make_staff("alice")
    client = Client()
    client.post(
        LOGIN,
        {"username": "alice", "password": "hunter2-secret", "csrfmiddlewaretoken": "tok-XYZ"},
        REMOTE_ADDR=GUESSER,
    )

    stored = AccessAttempt.objects.get()
    assert "hunter2-secret" not in stored.post_data
    assert "tok-XYZ" not in stored.post_data
    assert stored.ip_address == GUESSER


def test_the_client_address_behind_a_trusted_proxy(settings):
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    make_staff("alice")
    log_in(
        Client(),
        "alice",
        "wrong",
        address="127.0.0.1",
    )
    Client().post(
        LOGIN,
        {"username": "alice", "password": "wrong"},
        REMOTE_ADDR="127.0.0.1",
        HTTP_X_FORWARDED_FOR=f"6.6.6.6, {GUESSER}",
    )

    assert sorted(AccessAttempt.objects.values_list("ip_address", flat=True)) == [
        "127.0.0.1",
        GUESSER,
    ]


def test_lockouts_and_unlocks_in_the_admin_and_in_metrics(settings, client):
    admin_user = make_staff("admin", is_superuser=True)
    make_staff("alice")
    for _ in range(20):
        log_in(Client(), "alice", "wrong")

    for _ in range(3):  # refused while locked: the lockout goes on, none starts
        log_in(Client(), "alice", "wrong")

    assert metric(client, "theset_admin_login_failures_total") == 23
    assert metric(client, "theset_admin_login_lockouts_total", kind="account") == 1
    assert metric(client, "theset_admin_login_locked", kind="account") == 1
    assert metric(client, "theset_admin_login_locked", kind="address") == 0
    assert AccessFailureLog.objects.filter(username="alice", locked_out=True).count() == 4

    # Staff see the lock in the admin's Access attempts, and lift it.
    client.force_login(admin_user)
    listing = client.get("/admin/axes/accessattempt/")
    assert listing.status_code == 200
    assert "account locked" in listing.content.decode()
    attempt = AccessAttempt.objects.get(username="alice")
    unlocked = client.post(
        "/admin/axes/accessattempt/",
        {"action": "unlock", "_selected_action": [attempt.pk]},
        follow=True,
    )
    assert "Unlocked 1 account and 0 addresses" in unlocked.content.decode()

    assert metric(client, "theset_admin_login_unlocks_total", kind="account") == 1
    assert metric(client, "theset_admin_login_locked", kind="account") == 0
    assert logged_in(log_in(Client(), "alice", PASSWORD))


def test_deleting_a_locking_row_in_the_admin_counts_as_an_unlock(client):
    admin_user = make_staff("admin", is_superuser=True)
    for _ in range(20):
        log_in(Client(), "mallory", "wrong")
    client.force_login(admin_user)
    attempt = AccessAttempt.objects.get(username="mallory")

    client.post(f"/admin/axes/accessattempt/{attempt.pk}/delete/", {"post": "yes"})

    assert not AccessAttempt.objects.exists()
    assert metric(client, "theset_admin_login_unlocks_total", kind="account") == 1
