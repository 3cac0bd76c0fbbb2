"""Writes of the project package: issuing, checking and revoking HTTP API keys; adding to
the cumulative metric counters every process shares (`GET /metrics`)."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass

from django.db import IntegrityError, connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from theset.models import ApiKey, MetricCounter

API_KEY_MARKER = "theset"
PREFIX_BYTES = 6  # 12 hex characters: finds the row, is not a secret
SECRET_BYTES = 32


class ApiKeyRevoked(Exception):
    """The key is genuine but has been revoked."""


@dataclass(frozen=True, slots=True)
class IssuedApiKey:
    api_key: ApiKey
    plaintext: str  # shown once to whoever created the key; never stored


def _secret_sha256(secret: str) -> str:
    # The secret is 256 random bits, so a fast hash cannot be brute-forced; a slow
    # password hasher would only add latency to every authenticated request.
    return hashlib.sha256(secret.encode()).hexdigest()


def api_key_issue(*, api_key: ApiKey) -> str:
    """Give an unsaved key its prefix and hashed secret, save it, and return the
    plaintext key: the only moment it exists."""
    secret = secrets.token_urlsafe(SECRET_BYTES)
    api_key.secret_sha256 = _secret_sha256(secret)
    for _ in range(5):
        api_key.prefix = secrets.token_hex(PREFIX_BYTES)
        try:
            with transaction.atomic():
                api_key.save()
            break
        except IntegrityError:
            continue  # prefix collision (2^-48 odds): draw another
    else:
        raise RuntimeError("could not draw a unique API key prefix")
    return f"{API_KEY_MARKER}_{api_key.prefix}_{secret}"


def api_key_create(*, name: str) -> IssuedApiKey:
    """A new active key named `name`, with its plaintext (shown once, never stored)."""
    api_key = ApiKey(name=name)
    plaintext = api_key_issue(api_key=api_key)
    return IssuedApiKey(api_key=api_key, plaintext=plaintext)


def api_keys_revoke(*, api_keys: QuerySet[ApiKey]) -> int:
    """Revoke the keys not revoked yet; return how many were. Revoking is final."""
    return api_keys.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())


_PREFIX = re.compile(rf"[0-9a-f]{{{PREFIX_BYTES * 2}}}")


def _api_key_of(plaintext: str) -> ApiKey | None:
    """The row whose secret `plaintext` holds (compared in constant time), or None."""
    marker, _, rest = plaintext.partition("_")
    prefix, _, secret = rest.partition("_")
    if marker != API_KEY_MARKER or not prefix or not secret:
        return None
    if not _PREFIX.fullmatch(prefix):  # ours are hex; NUL or 10 kB never reach the database
        return None
    api_key = ApiKey.objects.filter(prefix=prefix).first()
    if api_key is None or not hmac.compare_digest(api_key.secret_sha256, _secret_sha256(secret)):
        return None
    return api_key


def api_key_authenticate(*, plaintext: str) -> ApiKey | None:
    """The key `plaintext` stands for, or None if it is not one of ours.

    Raises `ApiKeyRevoked` for a genuine key that was revoked. The secret is
    compared in constant time; a successful check records when the key was used.
    """
    api_key = _api_key_of(plaintext)
    if api_key is None:
        return None
    if api_key.is_revoked:
        raise ApiKeyRevoked(f"API key {api_key.prefix} was revoked")
    api_key.last_used_at = timezone.now()
    ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=api_key.last_used_at)
    return api_key


def api_key_valid(*, plaintext: str) -> bool:
    """Whether `plaintext` is one of our keys, not revoked (a read: records no use)."""
    api_key = _api_key_of(plaintext)
    return api_key is not None and not api_key.is_revoked


# --- Metric counters -------------------------------------------------------------


def series(name: str, **labels: str) -> tuple[str, str]:
    """The `MetricCounter` key of one series: its name and its labels as canonical JSON."""
    return name, json.dumps(labels, sort_keys=True, separators=(",", ":"))


def metric_counters_add(increments: Mapping[tuple[str, str], float]) -> None:
    """Add each amount to its series (keys from `series()`), creating missing series.

    Atomic per series against every other process: the database adds, not Python.
    Zeros are written too: a series that exists before its first event lets
    `increase()` see that event.
    """
    rows = sorted((name, labels, amount) for (name, labels), amount in increments.items())
    if not rows:
        return
    quote = connection.ops.quote_name
    table = quote(MetricCounter._meta.db_table)
    name, labels, value = quote("name"), quote("labels"), quote("value")
    # The ORM's upsert (bulk_create update_conflicts) can only overwrite a value, not add
    # to it; this statement is the same on SQLite (3.24+) and PostgreSQL. Sorted rows
    # lock in the same order in every process, so two phases ending together cannot
    # deadlock.
    sql = (
        f"INSERT INTO {table} ({name}, {labels}, {value}) VALUES (%s, %s, %s) "
        f"ON CONFLICT ({name}, {labels}) "
        f"DO UPDATE SET {value} = {table}.{value} + excluded.{value}"
    )
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(sql, rows)
