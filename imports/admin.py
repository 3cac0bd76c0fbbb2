from django.contrib import admin

from imports.models import ImportEvent, ImportRun


class ImportEventInline(admin.TabularInline):
    model = ImportEvent
    fields = ("at", "stage", "status", "percent", "message")
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ("id",)

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ImportRun)
class ImportRunAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "artist",
        "status",
        "stage",
        "percent",
        "attempt",
        "created_at",
        "finished_at",
    )
    list_filter = ("status", "stage", "spotify_app_mode", "created_at")
    search_fields = ("artist__name", "artist__tm_attraction_id", "error", "message")
    list_select_related = ("artist",)
    raw_id_fields = ("artist",)
    readonly_fields = (
        "status",
        "stage",
        "percent",
        "message",
        "counters",
        "drop_counts",
        "warnings",
        "spotify_app_mode",
        "error",
        "attempt",
        "created_at",
        "started_at",
        "finished_at",
        "updated_at",
    )
    inlines = [ImportEventInline]


@admin.register(ImportEvent)
class ImportEventAdmin(admin.ModelAdmin):
    """The progress log is history: readable, never edited."""

    list_display = ("id", "run", "at", "stage", "status", "percent", "message")
    list_filter = ("stage", "status")
    search_fields = ("message", "run__artist__name")
    list_select_related = ("run__artist",)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
