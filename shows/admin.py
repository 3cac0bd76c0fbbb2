from django.contrib import admin

from shows.models import Show, Venue


@admin.register(Venue)
class VenueAdmin(admin.ModelAdmin):
    list_display = ("name", "city", "state_code", "country_code", "timezone", "tm_venue_id")
    list_filter = ("country_code",)
    search_fields = ("name", "city", "tm_venue_id", "postal_code")
    readonly_fields = ("created_at", "updated_at")


@admin.register(Show)
class ShowAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "artist",
        "venue",
        "local_date",
        "local_time",
        "status",
        "removed_upstream_at",
    )
    list_filter = ("status", "date_tba", ("removed_upstream_at", admin.EmptyFieldListFilter))
    search_fields = ("name", "tm_event_id", "artist__name", "venue__name", "venue__city")
    date_hierarchy = "local_date"
    list_select_related = ("artist", "venue")
    raw_id_fields = ("artist", "venue")
    readonly_fields = ("created_at", "updated_at")
