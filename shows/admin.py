"""Admin for venues and shows, as Ticketmaster lists them: read only (imports write them).

Places read as people write them (`rules.place_line`, `rules.country_name`); a show's
date and time are the venue's local ones and say so, with the venue's zone.
"""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Func, OuterRef, Prefetch, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.html import format_html

from catalog.admin import artist_name_html
from shows.models import Billing, Show, Venue
from shows.rules import country_name, place_line, zone_abbreviation
from shows.selectors import current_bill
from theset.admin import TimestampColumns, UpstreamOwnedAdmin, time_column

BILL_NAMES_LISTED = 3  # acts named in the show list's bill column; the rest are counted


def venue_country(venue: Venue) -> str:
    return country_name(code=venue.country_code, name=venue.country)


def venue_place(venue: Venue) -> str:
    """Where the venue is, in a line: "Glasgow, United Kingdom"."""
    return place_line(venue.city, venue.state, venue_country(venue))


def show_local_time(show: Show) -> str | None:
    """The show's date and time on the venue's clock, naming it: "6 Dec 2026, 20:00 GMT
    (Europe/London)"; "TBA" parts as Ticketmaster says; None (the admin's "-") if neither."""
    if show.local_date is None:
        return "date TBA" if show.date_tba else None
    day = date_format(show.local_date, "j M Y")
    if show.time_tba or show.local_time is None:
        when = f"{day}, time TBA" if show.time_tba else day
        local_time = None
    else:
        when = f"{day}, {show.local_time:%H:%M}"
        local_time = show.local_time
    zone = show.venue.timezone if show.venue else ""
    if not zone:
        return f"{when} (venue's local time; its zone is unknown)"
    abbreviation = zone_abbreviation(local_date=show.local_date, local_time=local_time, zone=zone)
    if local_time is not None and abbreviation:
        when = f"{when} {abbreviation}"
    return f"{when} ({zone})"


@admin.register(Venue)
class VenueAdmin(TimestampColumns, UpstreamOwnedAdmin):
    list_display = ("name", "city", "state_code", "country_column", "timezone", "tm_venue_id")
    list_filter = ("country_code",)
    search_fields = ("name", "city", "tm_venue_id", "postal_code")
    fields = (
        "name",
        "tm_venue_id",
        "address",
        "place",
        "postal_code",
        "country_column",
        "timezone",
        "latitude",
        "longitude",
        "created_time",
        "updated_time",
    )
    readonly_fields = fields

    @admin.display(description="country", ordering="country_code")
    def country_column(self, venue: Venue) -> str:
        return venue_country(venue)

    @admin.display(description="place")
    def place(self, venue: Venue) -> str:
        return venue_place(venue)

    def view_on_site(self, venue: Venue) -> str:
        return venue.get_absolute_url()


class BillingInline(admin.TabularInline):
    """The show's bill in Ticketmaster's order, as imports wrote it."""

    model = Billing
    fields = (
        "position",
        "artist_link",
        "headliner",
        "imported",
        "listed_time",
        "removed_upstream_time",
    )
    readonly_fields = fields
    ordering = ("position", "artist__tm_attraction_id")
    extra = 0
    can_delete = False
    show_change_link = False
    verbose_name = "act on the bill"
    verbose_name_plural = "bill"

    listed_time = time_column("listed_at", "listed")
    removed_upstream_time = time_column("removed_upstream_at", "removed upstream")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Billing]:
        return super().get_queryset(request).select_related("artist")

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.display(description="artist")
    def artist_link(self, obj: Billing) -> str:
        url = reverse("admin:catalog_artist_change", args=[obj.artist_id])
        return format_html('<a href="{}">{}</a>', url, artist_name_html(obj.artist))

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
class ShowAdmin(TimestampColumns, UpstreamOwnedAdmin):
    list_display = (
        "name",
        "venue_column",
        "local_time_column",
        "status",
        "bill_summary",
        "removed_upstream_time",
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
    fields = (
        "name",
        "tm_event_id",
        "venue_column",
        "local_time_column",
        "starts_time",
        "status",
        "url",
        "image_url",
        "removed_upstream_time",
        "created_time",
        "updated_time",
    )
    readonly_fields = fields
    inlines = [BillingInline]

    starts_time = time_column("starts_at", "start")
    removed_upstream_time = time_column("removed_upstream_at", "removed upstream")

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

    @admin.display(description="venue", ordering="venue__name")
    def venue_column(self, obj: Show) -> str:
        """The venue, linked to its admin page, and where it is."""
        if obj.venue is None:
            return self.get_empty_value_display()
        url = reverse("admin:shows_venue_change", args=[obj.venue_id])
        return format_html(
            '<a href="{}">{}</a><br><span class="quiet">{}</span>',
            url,
            obj.venue.name or obj.venue.tm_venue_id,
            venue_place(obj.venue),
        )

    @admin.display(description="date and time (venue's local time)", ordering="local_date")
    def local_time_column(self, obj: Show) -> str:
        return show_local_time(obj) or self.get_empty_value_display()

    @admin.display(description="bill", ordering="act_count")
    def bill_summary(self, obj: Show) -> str:
        """The first acts of the current bill, and how many more."""
        shown = ", ".join(str(place.artist) for place in obj.first_acts)
        more = obj.act_count - len(obj.first_acts)
        return f"{shown} + {more} more" if more > 0 else shown
