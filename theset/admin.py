"""Admin of the project package: HTTP API keys (create, see, revoke; never read back)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from theset.auth import API_KEY_HEADER
from theset.models import ApiKey
from theset.services import api_key_issue, api_keys_revoke


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    """Creating a key shows its plaintext once, in a message; afterwards only its
    public prefix is shown. The hash is never displayed. Revoking is final."""

    list_display = ("name", "prefix", "created_at", "last_used_at", "revoked_at")
    list_filter = (("revoked_at", admin.EmptyFieldListFilter),)
    search_fields = ("name", "prefix")
    fields = ("name", "prefix", "created_at", "last_used_at", "revoked_at")
    readonly_fields = ("prefix", "created_at", "last_used_at", "revoked_at")
    actions = ["revoke"]

    def save_model(self, request: HttpRequest, obj: ApiKey, form, change: bool) -> None:
        if change:
            obj.save(update_fields=["name", "updated_at"])
            return
        plaintext = api_key_issue(api_key=obj)
        messages.warning(
            request,
            f"API key “{obj.name}” created. Copy it now, it will not be shown again: "
            f"{plaintext} (send it in the {API_KEY_HEADER} header)",
        )

    @admin.action(description="Revoke selected API keys")
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> None:
        revoked = api_keys_revoke(api_keys=queryset)
        self.message_user(request, f"{revoked} API key(s) revoked.", messages.SUCCESS)
