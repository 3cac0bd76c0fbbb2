"""HTTP API authentication by API key: the `X-API-Key` header, keys made in the admin.

Apps choose which routes need credentials and what else a caller may use (the imports
app adds a staff session with its permission). A key that is not ours: 401; a revoked
key: 403.
"""

from __future__ import annotations

from django.http import HttpRequest
from ninja.errors import AuthenticationError, AuthorizationError
from ninja.security import APIKeyHeader

from theset.models import ApiKey
from theset.services import ApiKeyRevoked, api_key_authenticate

API_KEY_HEADER = "X-API-Key"


class ApiKeyAuth(APIKeyHeader):
    """An API key from the `X-API-Key` header (created in the admin)."""

    param_name = API_KEY_HEADER

    def authenticate(self, request: HttpRequest, key: str | None) -> ApiKey | None:
        """The key's row; None without a header (so a session may still authenticate);
        401 for a key that is not ours, 403 for a revoked one."""
        if not key:
            return None
        try:
            api_key = api_key_authenticate(plaintext=key)
        except ApiKeyRevoked as exc:
            raise AuthorizationError(message=f"{exc}; ask for a new key") from None
        if api_key is None:
            raise AuthenticationError(message=f"Invalid API key in {API_KEY_HEADER}")
        return api_key
