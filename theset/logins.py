"""Admin login lockout, through django-axes' own extension points (settings AXES_*).

Failed logins are counted in the database (axes' AccessAttempt rows), which every web
process shares in both deployments, per account and per client address over the
cool-off window (LOGIN_COOLOFF):

- an **account** is locked after AXES_FAILURE_LIMIT failures (LOGIN_FAILURE_LIMIT,
  default 20), from any address: a guesser spreading over many addresses is stopped;
- an **address** after LOGIN_ADDRESS_FAILURE_LIMIT (default 100), whatever the
  accounts: a guesser trying many accounts from one place is stopped, while staff
  sharing an address with a locked account still log in.

A failure while locked starts the cool-off again (axes' default). A successful login
clears its account's failures from its address only (see `reset_user_attempts`). An
IPv6 client is counted per /64 (theset.security.client_ident). Staff unlock an
account or an address early in the admin (Access attempts → "Unlock"). Failures,
lockouts and unlocks are counted in the metric counters (`/metrics`), and the locks in
force are read at scrape time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_cool_off
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Max, Q, QuerySet, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from theset.rules import Lockout, failures_toward_lockout, lockout_of
from theset.services import metric_counters_add, series

LOGIN_FAILURES = "theset_admin_login_failures"
LOGIN_LOCKOUTS = "theset_admin_login_lockouts"
LOGIN_UNLOCKS = "theset_admin_login_unlocks"
ACCOUNT, ADDRESS = "account", "address"


@dataclass(frozen=True, slots=True)
class Failures:
    """Failed logins within the cool-off window, of one account and of one address."""

    account: int
    address: int


def _account_limit() -> int:
    return int(settings.AXES_FAILURE_LIMIT)


def _address_limit() -> int:
    return int(settings.LOGIN_ADDRESS_FAILURE_LIMIT)


def _window_start(request: HttpRequest | None = None) -> datetime:
    if request is not None and getattr(request, "axes_attempt_time", None) is not None:
        return get_cool_off_threshold(request)
    return timezone.now() - cool_off()


def cool_off() -> timedelta:
    """How long failed logins count (LOGIN_COOLOFF)."""
    return get_cool_off() or timedelta(0)


def _sum(attempts: QuerySet[AccessAttempt]) -> int:
    return attempts.aggregate(failures=Sum("failures_since_start"))["failures"] or 0


def _failures(request: HttpRequest, credentials: dict | None) -> Failures:
    since = _window_start(request)
    recent = AccessAttempt.objects.filter(attempt_time__gte=since)
    username = get_client_username(request, credentials)
    account = _sum(recent.filter(username=username)) if username else 0
    address = _sum(recent.filter(ip_address=request.axes_ip_address))
    return Failures(account=account, address=address)


def _lockout(failures: Failures) -> Lockout:
    return lockout_of(
        account=failures.account,
        address=failures.address,
        account_limit=_account_limit(),
        address_limit=_address_limit(),
    )


class LoginLockoutHandler(AxesDatabaseHandler):
    """axes' database handler with a limit per account and a higher one per address."""

    def get_failures(self, request: HttpRequest, credentials: dict | None = None) -> int:
        failures = _failures(request, credentials)
        request.theset_login_failures = failures  # type: ignore[attr-defined]
        return failures_toward_lockout(
            account=failures.account,
            address=failures.address,
            account_limit=_account_limit(),
            address_limit=_address_limit(),
        )

    def reset_user_attempts(self, request: HttpRequest, credentials: dict | None = None) -> int:
        """After a successful login: that account's failures from this address only.
        Clearing the address's (axes' reset) would let one staff login unlock a guesser
        working from the same address on another account; clearing the account's from
        everywhere would hand a guesser elsewhere a fresh allowance."""
        username = get_client_username(request, credentials)
        if not username:
            return 0
        count, _ = AccessAttempt.objects.filter(
            username=username, ip_address=request.axes_ip_address
        ).delete()
        return count

    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs) -> None:
        # The counts as the backend saw them before this failure (its lock check).
        before: Failures | None = getattr(request, "theset_login_failures", None)
        super().user_login_failed(sender, credentials, request, **kwargs)
        if request is None:
            return
        increments = {series(LOGIN_FAILURES): 1.0}
        after: Failures | None = getattr(request, "theset_login_failures", None)
        if before is not None and after is not None:
            # A lockout starts with the failure that takes a count to its limit.
            for kind, was, now, limit in (
                (ACCOUNT, before.account, after.account, _account_limit()),
                (ADDRESS, before.address, after.address, _address_limit()),
            ):
                if was < limit <= now:
                    increments[series(LOGIN_LOCKOUTS, kind=kind)] = 1.0
        metric_counters_add(increments)


# --- Reads: the locks in force ------------------------------------------------------


def _over(field: str, limit: int) -> set[str]:
    rows = (
        AccessAttempt.objects.filter(attempt_time__gte=_window_start())
        .exclude(**{f"{field}__isnull": True})
        .order_by()
        .values(field)
        .annotate(failures=Sum("failures_since_start"))
        .filter(failures__gte=limit)
        .values_list(field, flat=True)
    )
    return set(rows)


def locked_accounts() -> set[str]:
    """Usernames locked out now."""
    return _over("username", _account_limit())


def locked_addresses() -> set[str]:
    """Client addresses locked out now."""
    return _over("ip_address", _address_limit())


def login_attempts_delete(attempts: QuerySet[AccessAttempt]) -> dict[str, int]:
    """Delete these failed-login rows, counting the locks that are gone with them
    (staff unlocking) in `/metrics`; returns the unlocks by kind."""
    accounts_before, addresses_before = locked_accounts(), locked_addresses()
    attempts.delete()
    unlocked = {
        ACCOUNT: len(accounts_before - locked_accounts()),
        ADDRESS: len(addresses_before - locked_addresses()),
    }
    increments = {series(LOGIN_UNLOCKS, kind=kind): float(n) for kind, n in unlocked.items() if n}
    metric_counters_add(increments)
    return unlocked


def login_attempts_clear(*, usernames: set[str], addresses: set[str]) -> dict[str, int]:
    """Unlock: clear every failed login of these accounts and from these addresses."""
    return login_attempts_delete(
        AccessAttempt.objects.filter(Q(username__in=usernames) | Q(ip_address__in=addresses))
    )


# --- The page a locked-out login gets -----------------------------------------------


def _locked_until(failures_of: QuerySet[AccessAttempt]) -> datetime:
    latest = failures_of.aggregate(latest=Max("attempt_time"))["latest"] or timezone.now()
    return latest + cool_off()


def locked_out_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: Any = None
) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: 429 with Retry-After and a page saying what is locked,
    until when, and how staff can unlock it sooner."""
    if isinstance(original_response, dict):
        # axes' async middleware passes the credentials second (its 2-argument form).
        credentials, original_response = original_response, None
    failures = getattr(request, "theset_login_failures", None) or _failures(request, credentials)
    lockout = _lockout(failures)
    recent = AccessAttempt.objects.filter(attempt_time__gte=_window_start(request))
    username = get_client_username(request, credentials)
    if lockout.account and username:
        until = _locked_until(recent.filter(username=username))
    else:
        until = _locked_until(recent.filter(ip_address=request.axes_ip_address))
    wait = max(1, math.ceil((until - timezone.now()).total_seconds()))
    context = {
        "lockout": lockout,
        "username": username or "",
        "account_limit": _account_limit(),
        "address_limit": _address_limit(),
        "cool_off_minutes": max(1, round(cool_off().total_seconds() / 60)),
        "locked_until": until,
        "wait_minutes": max(1, math.ceil(wait / 60)),
        "title": "Login locked",
        "site_header": "TheSet administration",
    }
    response = render(request, "admin/locked_out.html", context, status=429)
    response["Retry-After"] = str(wait)
    return response
