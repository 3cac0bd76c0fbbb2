from django.contrib import admin
from django.db.models import Func, OuterRef, Prefetch, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from shows.models import Billing, Show, Venue
from shows.selectors import current_bill

BILL_NAMES_LISTED = 3  # acts named in the show list's bill column; the rest are counted


@admin.register(Venue)
class VenueAdmin(admin.ModelAdmin):
    list_display = ("name", "city", "state_code", "country_code", "timezone", "tm_venue_id")
    list_filter = ("country_code",)
    search_fields = ("name", "city", "tm_venue_id", "postal_code")
    readonly_fields = ("created_at", "updated_at")


class BillingInline(admin.TabularInline):
    """The show's bill in Ticketmaster's order, as imports wrote it."""

    model = Billing
    fields = (
        "position",
        "artist_link",
        "headliner",
        "imported",
        "listed_at",
        "removed_upstream_at",
    )
    readonly_fields = fields
    ordering = ("position", "artist__tm_attraction_id")
    extra = 0
    can_delete = False
    show_change_link = False
    verbose_name = "act on the bill"
    verbose_name_plural = "bill"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Billing]:
        return super().get_queryset(request).select_related("artist")

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.display(description="artist")
    def artist_link(self, obj: Billing) -> str:
        url = reverse("admin:catalog_artist_change", args=[obj.artist_id])
        return format_html('<a href="{}">{}</a>', url, obj.artist)

    @admin.display(description="imported", boolean=True)
    def imported(self, obj: Billing) -> bool:
        return obj.artist.is_imported


class BilledArtistFilter(admin.SimpleListFilter):
    """Shows with more than one act, or with one (for finding shared events)."""

    title = "bill"
    parameter_name = "bill"

    def lookups(self, request, model_admin):
        return [("shared", "Several acts"), ("single", "One act")]

    def queryset(self, request, queryset):
        # `act_count` is ShowAdmin's annotation.
        if self.value() == "shared":
            return queryset.filter(act_count__gt=1)
        if self.value() == "single":
            return queryset.filter(act_count=1)
        return queryset


@admin.register(Show)
class ShowAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "venue",
        "local_date",
        "local_time",
        "status",
        "bill_summary",
        "removed_upstream_at",
    )
    list_filter = (
        "status",
        "date_tba",
        BilledArtistFilter,
        ("removed_upstream_at", admin.EmptyFieldListFilter),
    )
    # `bill__artist__id__exact` in the URL (the artist page's "shows" link) lists an
    # artist's shows; searching an act's name finds the shows it is billed on.
    search_fields = ("name", "tm_event_id", "bill__artist__name", "venue__name", "venue__city")
    date_hierarchy = "local_date"
    list_select_related = ("venue",)
    raw_id_fields = ("venue",)
    readonly_fields = ("created_at", "updated_at")
    inlines = [BillingInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Show]:
        # A subquery, not a join: the search on acts' names joins the bill too, and a
        # joined count would multiply. Only the names shown are fetched (a sliced prefetch).
        acts = (
            current_bill()
            .filter(show=OuterRef("pk"))
            .order_by()
            .values("show")
            .annotate(n=Func("pk", function="COUNT"))
            .values("n")
        )
        return (
            super()
            .get_queryset(request)
            .annotate(act_count=Coalesce(Subquery(acts), 0))
            .prefetch_related(
                Prefetch("bill", queryset=current_bill()[:BILL_NAMES_LISTED], to_attr="first_acts")
            )
        )

    def lookup_allowed(self, lookup: str, value: str, request: HttpRequest | None = None) -> bool:
        return lookup == "bill__artist__id__exact" or super().lookup_allowed(lookup, value, request)

    @admin.display(description="bill", ordering="act_count")
    def bill_summary(self, obj: Show) -> str:
        """The first acts of the current bill, and how many more."""
        shown = ", ".join(str(place.artist) for place in obj.first_acts)
        more = obj.act_count - len(obj.first_acts)
        return f"{shown} + {more} more" if more > 0 else shown
