"""Admin of the project package: HTTP API keys (create, see, revoke; never read back),
failed admin logins and their locks (django-axes' models), and what every app's admin
shares: timestamps that name their zone, read-only upstream rows."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from axes.admin import AccessAttemptAdmin as AxesAccessAttemptAdmin
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib import admin, messages
from django.db import models
from django.db.models import OuterRef, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.utils import timezone
from django.utils.formats import date_format

from theset import logins
from theset.auth import API_KEY_HEADER
from theset.models import ApiKey
from theset.rules import lockout_of
from theset.services import api_key_issue, api_keys_revoke
from theset.text import count_noun

# "6 Dec 2026, 14:05 UTC": the site's zone (settings.TIME_ZONE), named.
ADMIN_TIME_FORMAT = "j M Y, H:i T"


def admin_time(value: datetime | None, format: str = ADMIN_TIME_FORMAT) -> str | None:
    """A timestamp as the admin shows it, in the site's zone and naming it; None (the
    admin's "-") when there is none."""
    if value is None:
        return None
    return date_format(timezone.localtime(value), format)


def time_column(field_name: str, description: str) -> Callable[[Any, models.Model], str]:
    """An admin method showing the datetime field `field_name` with its zone: a list
    column that sorts on the field, or a read-only field of a change page."""

    @admin.display(description=description, ordering=field_name)
    def column(model_admin: Any, obj: models.Model) -> str:
        return admin_time(getattr(obj, field_name)) or model_admin.get_empty_value_display()

    return column


class TimestampColumns:
    """An admin mixin: `created_time` and `updated_time`, the timestamps every model has
    (theset.models.TimestampedModel), with their zone, for list columns and read-only
    fields."""

    created_time = time_column("created_at", "created")
    updated_time = time_column("updated_at", "updated")


class UpstreamOwnedAdmin(admin.ModelAdmin):
    """Rows an upstream owns and imports write: staff read them, nobody adds, edits or
    deletes them here (admin actions still run)."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    """Creating a key shows its plaintext once, in a message; afterwards only its
    public prefix is shown. The hash is never displayed. Revoking is final."""

    list_display = ("name", "prefix", "created", "last_used", "revoked")
    list_filter = (("revoked_at", admin.EmptyFieldListFilter),)
    search_fields = ("name", "prefix")
    fields = ("name", "prefix", "created", "last_used", "revoked")
    readonly_fields = ("prefix", "created", "last_used", "revoked")
    created = time_column("created_at", "created")
    last_used = time_column("last_used_at", "last used")
    revoked = time_column("revoked_at", "revoked")
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


# --- Admin logins (django-axes' models; theset.logins) -----------------------------


def _failures_in_window(field: str) -> Coalesce:
    recent = AccessAttempt.objects.filter(attempt_time__gte=timezone.now() - logins.cool_off())
    total = (
        recent.filter(**{field: OuterRef(field)})
        .order_by()
        .values(field)
        .annotate(failures=Sum("failures_since_start"))
        .values("failures")[:1]
    )
    return Coalesce(Subquery(total), 0)


admin.site.unregister(AccessAttempt)


@admin.register(AccessAttempt)
class LoginAttemptAdmin(AxesAccessAttemptAdmin):
    """axes' failed-login counts, with what they lock now (per account and per address,
    over the cool-off window) and an Unlock action; unlocks are counted in /metrics."""

    actions = ["unlock", *AxesAccessAttemptAdmin.actions]

    # axes' "locked out" filter judges one row against the account limit: the lock column
    # judges the account's and the address's failures together.
    list_filter = ["attempt_time", "path_info"]

    def get_list_display(self, request: HttpRequest) -> list[str]:
        columns = [column for column in super().get_list_display(request) if column != "status"]
        return [*columns, "lock"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[AccessAttempt]:
        return (
            super()
            .get_queryset(request)
            .annotate(
                account_failures=_failures_in_window("username"),
                address_failures=_failures_in_window("ip_address"),
            )
        )

    @admin.display(description="lock")
    def lock(self, obj: AccessAttempt) -> str:
        state = lockout_of(
            account=getattr(obj, "account_failures", 0),
            address=getattr(obj, "address_failures", 0),
            account_limit=settings.AXES_FAILURE_LIMIT,
            address_limit=settings.LOGIN_ADDRESS_FAILURE_LIMIT,
        )
        if state.account and state.address:
            return "account and address locked"
        if state.account:
            return "account locked"
        if state.address:
            return "address locked"
        return "-"

    @admin.action(
        description="Unlock the accounts and addresses of the selected rows",
        permissions=["delete"],
    )
    def unlock(self, request: HttpRequest, queryset: QuerySet[AccessAttempt]) -> None:
        usernames = {name for name in queryset.values_list("username", flat=True) if name}
        addresses = {ip for ip in queryset.values_list("ip_address", flat=True) if ip}
        unlocked = logins.login_attempts_clear(usernames=usernames, addresses=addresses)
        self.message_user(
            request,
            f"Unlocked {count_noun(unlocked['account'], 'account')} and "
            f"{count_noun(unlocked['address'], 'address', 'addresses')}; "
            "their failed logins are cleared.",
            messages.SUCCESS,
        )

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[AccessAttempt]) -> None:
        logins.login_attempts_delete(queryset)

    def delete_model(self, request: HttpRequest, obj: AccessAttempt) -> None:
        logins.login_attempts_delete(AccessAttempt.objects.filter(pk=obj.pk))
