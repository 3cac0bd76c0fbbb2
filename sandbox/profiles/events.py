"""One artist's upcoming events, with every event trap in quota."""

from __future__ import annotations

import datetime
import random

from sandbox.profiles.ids import Ids, pick_indexes, quota
from sandbox.profiles.specs import Spec
from sandbox.profiles.venues import VenuePool
from sandbox.profiles.words import CITIES, TOUR_WORDS
from sandbox.world import Event, Venue

# The title of a show with no support act; the lineups leave these without one.
EVENING_PREFIX = "An Evening with "


def _tour_venues(
    rng: random.Random, pool: VenuePool, count: int
) -> tuple[list[Venue], list[Venue]]:
    """`count` venues of the pool, and one venue of each quirk the tour must visit."""
    chosen = set(rng.sample(range(len(pool.venues)), min(count, len(pool.venues))))
    must_visit = [
        pool.venues[rng.choice(quirk)]
        for quirk in (pool.stray_whitespace, pool.without_location, pool.non_ascii)
        if quirk
    ]
    return [pool.venues[i] for i in sorted(chosen)], must_visit


def build_events(
    rng: random.Random,
    ids: Ids,
    spec: Spec,
    artist_name: str,
    anchor: datetime.date,
    pool: VenuePool,
) -> list[Event]:
    """`spec.events` upcoming events (day 1 onwards) with every event trap in quota."""
    total = spec.events
    if not total:
        return []
    venues, must_visit = _tour_venues(rng, pool, spec.tour_venues)
    # Quirky venues get events of their own, which no other trap takes away.
    forced_venue = dict(zip(rng.sample(range(total), len(must_visit)), must_visit, strict=True))
    # Each trap picks its events independently, so some events carry several.
    statuses: dict[int, str] = {}
    status_quotas = (
        ("cancelled", quota(total, 0.03, 2)),
        ("canceled", quota(total, 0.01, 1)),
        ("postponed", quota(total, 0.02, 1)),
        ("rescheduled", quota(total, 0.02, 1)),
        ("offsale", quota(total, 0.03, 1)),
    )
    picked = rng.sample(range(total), sum(count for _, count in status_quotas))
    for status, count in status_quotas:
        for index in picked[:count]:
            statuses[index] = status
        picked = picked[count:]
    no_venue = pick_indexes(rng, total, quota(total, 0.02, 2), exclude=forced_venue.keys())
    date_tba = pick_indexes(rng, total, quota(total, 0.01, 1))
    time_tba = pick_indexes(rng, total, quota(total, 0.03, 2))
    listed_twice = pick_indexes(rng, total, quota(total, 0.02, 2))
    no_timezone = pick_indexes(rng, total, round(total / 5))
    # Matinee and evening: the second show reuses the previous date and venue.
    second_show = pick_indexes(rng, total, quota(total, 0.03, 2), exclude={0, *forced_venue.keys()})

    tour_name = f"{rng.choice(TOUR_WORDS)} Tour"
    offsets = sorted(rng.randint(1, spec.event_span_days) for _ in range(total))
    events: list[Event] = []
    for index in range(total):
        venue = forced_venue.get(index) or rng.choice(venues)
        offset = offsets[index]
        local_time: str | None = rng.choice(("19:00:00", "19:30:00", "20:00:00", "21:00:00"))
        if index in second_show and events[-1].venue is not None:
            venue, offset, local_time = events[-1].venue, offsets[index - 1], "14:00:00"
        if index in no_venue:
            venue = None
        timezone = venue.timezone if venue else rng.choice(CITIES)[4]
        if index in no_timezone:
            timezone = None
        local_date: str | None = (anchor + datetime.timedelta(days=offset)).isoformat()
        if index in date_tba:
            local_date = local_time = None
        if index in time_tba:
            local_time = None
        events.append(
            Event(
                tm_event_id=ids.event(),
                name=_event_name(rng, artist_name, tour_name),
                local_date=local_date,
                local_time=local_time,
                status=statuses.get(index, "onsale"),
                venue=venue,
                timezone=timezone,
                date_tba=local_date is None,
                time_tba=local_time is None,
                listed_twice=index in listed_twice,
            )
        )
    return events


def _event_name(rng: random.Random, artist_name: str, tour_name: str) -> str:
    """The headliner's own title; support acts are named by the lineups that add them."""
    roll = rng.random()
    if roll < 0.6:
        return artist_name
    if roll < 0.92:
        return f"{artist_name}: {tour_name}"
    return f"{EVENING_PREFIX}{artist_name}"
