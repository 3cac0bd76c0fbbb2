"""Who may start imports through the HTTP API, and how often.

Reads are public. Starting an import takes an API key in the `X-API-Key` header
(`theset.auth.ApiKeyAuth`), or the session of a staff user who may start imports in
the admin (the "add import run" permission), with Django's CSRF check, as for any
cookie-borne credential. No credentials: 401; a revoked key, a non-staff session or
staff without that permission: 403.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.cache import BaseCache, caches
from django.http import HttpRequest
from ninja.errors import AuthorizationError
from ninja.security import SessionAuthIsStaff
from ninja.throttling import SimpleRateThrottle

from theset.auth import ApiKeyAuth
from theset.models import ApiKey
from theset.security import CACHE_ERRORS, StoreOutage, cache_scope

# The permission the admin's "Import artists" page asks for (imports.admin): a session
# may start no more through the API than through the admin.
START_IMPORTS_PERMISSION = "imports.add_importrun"

logger = logging.getLogger(__name__)


class StaffSessionAuth(SessionAuthIsStaff):
    """A logged-in staff user's session (as in the admin), CSRF-checked like a form post,
    of a user allowed to start imports in the admin."""

    def _get_key(self, request: HttpRequest) -> str | None:
        # Without a logged-in user there is nothing to check CSRF for: the request
        # is simply unauthenticated (401), not a forgery (403).
        if not request.user.is_authenticated:
            return None
        return super()._get_key(request)

    def authenticate(self, request: HttpRequest, key: str | None) -> AbstractBaseUser | None:
        """The staff user; None when nobody is logged in; 403 for a non-staff user and for
        staff without the permission to start imports."""
        if not request.user.is_authenticated:
            return None
        user = super().authenticate(request, key)
        if user is None:
            raise AuthorizationError(message="Only staff users may start imports")
        if not user.has_perm(START_IMPORTS_PERMISSION):
            raise AuthorizationError(
                message="This staff user may not start imports (permission: add import run)"
            )
        return user


KICKOFF_THROTTLE_UNAVAILABLE = (
    "Imports cannot be started with an API key right now: the store that counts "
    "kickoffs per key (Redis) does not answer. Try again in a minute."
)


# Seconds a key is told to wait (Retry-After) while its kickoffs cannot be counted.
KICKOFF_THROTTLE_UNAVAILABLE_WAIT = 60
# The cache outage, per process: not asked again for a few seconds after a failure,
# logged once a minute, not once per request.
_outage = StoreOutage()

# Tried in order: a request carrying a key is judged by its key.
write_auth = [ApiKeyAuth(), StaffSessionAuth()]


class ImportKickoffThrottle(SimpleRateThrottle):
    """At most `IMPORT_KICKOFF_RATE` kickoffs (e.g. "60/min") per API key or staff user.

    Counts live in the `api_throttle` cache: Redis when `REDIS_URL` is set, so every
    web process shares them; per process otherwise. When that cache does not answer,
    a key's kickoff is refused (503, saying why) and a staff session's allowed. The
    rate is read on each request, so a settings change applies at once. (ninja keeps a
    check's state on the throttle object; sync views run on one thread per process
    under ASGI.)
    """

    scope = "import_kickoff"

    @property
    def cache(self) -> BaseCache:  # type: ignore[override]
        return caches["api_throttle"]

    def get_rate(self) -> str:
        return settings.IMPORT_KICKOFF_RATE

    def allow_request(self, request: HttpRequest) -> bool:
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        self.unavailable = False
        if _outage.ongoing():
            return self._uncounted(request)
        try:
            return super().allow_request(request)
        except CACHE_ERRORS:
            if _outage.failed():
                logger.warning(
                    "import kickoff throttle unavailable (its cache does not answer); "
                    "API keys refused with 503, staff sessions allowed",
                    exc_info=True,
                )
            return self._uncounted(request)

    def _uncounted(self, request: HttpRequest) -> bool:
        """A kickoff the cache cannot count. An API key is a program that may start
        imports in bulk: it waits (503, theset.api says why). A staff session is a
        person in the admin's place: allowed."""
        if not isinstance(getattr(request, "auth", None), ApiKey):
            return True
        self.unavailable = True
        request.throttle_unavailable = KICKOFF_THROTTLE_UNAVAILABLE  # type: ignore[attr-defined]
        return False

    def wait(self) -> float | None:
        if self.unavailable:
            return float(KICKOFF_THROTTLE_UNAVAILABLE_WAIT)
        return super().wait()

    def get_cache_key(self, request: HttpRequest) -> str | None:
        caller: Any = getattr(request, "auth", None)
        if isinstance(caller, ApiKey):
            ident = f"key-{caller.prefix}"
        elif caller is not None:
            ident = f"user-{caller.pk}"
        else:
            return None  # unauthenticated requests never get this far
        # One Redis may serve several deployments (and test databases): name ours.
        scope = f"{self.scope}_{cache_scope()}"
        return self.cache_format % {"scope": scope, "ident": ident}
