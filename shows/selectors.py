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


def upcoming_shows(
    *, artist_id: int, date_from: date | None = None, date_to: date | None = None
) -> QuerySet[Show]:
    """The shows the artist is billed on and still listed for that are today or later
    (by the local date as stored) or not dated yet (TBA), with their venues and current
    bills (`show.lineup`, in order), soonest first and TBA last. `date_from` / `date_to`
    (inclusive) keep dated shows in that range only.
    """
    today = timezone.localdate()
    shows = Show.objects.filter(
        bill__artist_id=artist_id,
        bill__removed_upstream_at__isnull=True,
        removed_upstream_at__isnull=True,
    ).filter(Q(local_date__gte=today) | Q(local_date__isnull=True))
    if date_from is not None:
        shows = shows.filter(local_date__gte=date_from)
    if date_to is not None:
        shows = shows.filter(local_date__lte=date_to)
    return (
        shows.select_related("venue")
        .prefetch_related(Prefetch("bill", queryset=current_bill(), to_attr="lineup"))
        .order_by(F("local_date").asc(nulls_last=True), F("local_time").asc(nulls_last=True), "pk")
    )
