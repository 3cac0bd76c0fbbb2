"""Writes of the project package: issuing, checking and revoking HTTP API keys."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from theset.models import ApiKey

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


def api_key_authenticate(*, plaintext: str) -> ApiKey | None:
    """The key `plaintext` stands for, or None if it is not one of ours.

    Raises `ApiKeyRevoked` for a genuine key that was revoked. The secret is
    compared in constant time; a successful check records when the key was used.
    """
    marker, _, rest = plaintext.partition("_")
    prefix, _, secret = rest.partition("_")
    if marker != API_KEY_MARKER or not prefix or not secret:
        return None
    if not _PREFIX.fullmatch(prefix):  # ours are hex; NUL or 10 kB never reach the database
        return None
    api_key = ApiKey.objects.filter(prefix=prefix).first()
    if api_key is None or not hmac.compare_digest(api_key.secret_sha256, _secret_sha256(secret)):
        return None
    if api_key.is_revoked:
        raise ApiKeyRevoked(f"API key {api_key.prefix} was revoked")
    api_key.last_used_at = timezone.now()
    ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=api_key.last_used_at)
    return api_key
