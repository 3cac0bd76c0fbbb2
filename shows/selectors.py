"""Reads about shows, their bills and venues."""

from __future__ import annotations

from datetime import date

from django.db.models import F, Prefetch, Q, QuerySet
from django.utils import timezone

from shows.models import Billing, Show


def current_bill() -> QuerySet[Billing]:
    """Places still on a bill, with their artists, in Ticketmaster's order."""
    return (
        Billing.objects.filter(removed_upstream_at__isnull=True)
        .select_related("artist")
        # Two acts each missing from the attractions both come last: the id breaks the tie.
        .order_by("position", "artist__tm_attraction_id")
    )


def _upcoming(shows: QuerySet[Show]) -> QuerySet[Show]:
    """Of `shows`, those still listed that are today or later (by the local date as
    stored) or not dated yet (TBA)."""
    today = timezone.localdate()
    return shows.filter(removed_upstream_at__isnull=True).filter(
        Q(local_date__gte=today) | Q(local_date__isnull=True)
    )


def _artist_upcoming(artist_id: int) -> QuerySet[Show]:
    return _upcoming(
        Show.objects.filter(bill__artist_id=artist_id, bill__removed_upstream_at__isnull=True)
    )


def _in_order(shows: QuerySet[Show]) -> QuerySet[Show]:
    """With venues and current bills (`show.lineup`, in order), soonest first, TBA last."""
    return (
        shows.select_related("venue")
        .prefetch_related(Prefetch("bill", queryset=current_bill(), to_attr="lineup"))
        .order_by(F("local_date").asc(nulls_last=True), F("local_time").asc(nulls_last=True), "pk")
    )


def upcoming_shows(
    *,
    artist_id: int,
    date_from: date | None = None,
    date_to: date | None = None,
    country_code: str = "",
) -> QuerySet[Show]:
    """The shows the artist is billed on and still listed for that are today or later
    (by the local date as stored) or not dated yet (TBA), with their venues and current
    bills (`show.lineup`, in order), soonest first and TBA last. `date_from` / `date_to`
    (inclusive) keep dated shows in that range only; `country_code` the shows at venues
    in that country.
    """
    shows = _artist_upcoming(artist_id)
    if date_from is not None:
        shows = shows.filter(local_date__gte=date_from)
    if date_to is not None:
        shows = shows.filter(local_date__lte=date_to)
    if country_code:
        shows = shows.filter(venue__country_code=country_code)
    return _in_order(shows)


def upcoming_show_months(*, artist_id: int) -> list[date]:
    """The months (their first days) in which the artist has dated upcoming shows."""
    return list(_artist_upcoming(artist_id).dates("local_date", "month"))


def upcoming_show_countries(*, artist_id: int) -> list[tuple[str, str]]:
    """(country code, Ticketmaster's country name) of the venues of the artist's upcoming
    shows, one per code, by code."""
    rows = (
        _artist_upcoming(artist_id)
        .filter(venue__isnull=False)
        .exclude(venue__country_code="")
        .values_list("venue__country_code", "venue__country")
        .order_by("venue__country_code")
        .distinct()
    )
    return list(dict(rows).items())


def venue_upcoming_shows(*, venue_id: int) -> QuerySet[Show]:
    """The venue's upcoming shows (as `upcoming_shows` orders and joins them)."""
    return _in_order(_upcoming(Show.objects.filter(venue_id=venue_id)))
