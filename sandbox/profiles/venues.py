"""The venue pool every artist of one world tours."""

from __future__ import annotations

import random
from collections.abc import Collection
from dataclasses import dataclass

from sandbox.profiles.ids import pick_indexes, quota, random_chars
from sandbox.profiles.words import (
    ADJECTIVES,
    CITIES,
    COUNTRY_NAMES,
    NOUNS,
    STREETS,
    SURNAMES,
    VENUE_FORMS,
)
from sandbox.world import Venue


@dataclass(frozen=True, slots=True)
class VenuePool:
    """Venues shared by every artist of one world, as arenas host many tours.

    `stray_whitespace`, `without_location` and `non_ascii` list the positions
    of the venues carrying those quirks, so each tour can be made to visit at
    least one of each.
    """

    venues: tuple[Venue, ...]
    stray_whitespace: tuple[int, ...]
    without_location: tuple[int, ...]
    non_ascii: tuple[int, ...]

    @classmethod
    def build(cls, *, seed: int, size: int = 600) -> VenuePool:
        """The pool of `size` venues for `seed`: equal pools for equal arguments."""
        rng = random.Random(f"venues:{seed}:{size}")
        whitespace = pick_indexes(rng, size, quota(size, 0.03, 3))
        no_location = pick_indexes(rng, size, quota(size, 0.03, 3))
        used_ids: set[str] = set()
        venues = []
        for position in range(size):
            venue_id = _venue_id(rng)
            while venue_id in used_ids:
                venue_id = _venue_id(rng)
            used_ids.add(venue_id)
            venues.append(_venue(rng, venue_id, position in whitespace, position in no_location))
        non_ascii = tuple(i for i, venue in enumerate(venues) if not venue.name.isascii())
        return cls(tuple(venues), tuple(sorted(whitespace)), tuple(sorted(no_location)), non_ascii)


def new_venue(rng: random.Random, taken_ids: Collection[str]) -> Venue:
    """A venue in the pool's style (ids, names, places) whose id is none of `taken_ids`:
    one that opened after the world was built."""
    venue_id = _venue_id(rng)
    while venue_id in taken_ids:
        venue_id = _venue_id(rng)
    return _venue(rng, venue_id, stray_whitespace=False, no_location=False)


def _venue_id(rng: random.Random) -> str:
    if rng.random() < 0.85:
        return "KovZ" + random_chars(rng, rng.randint(6, 8))
    return "Z6r" + random_chars(rng, rng.randint(7, 9))


def _venue(rng: random.Random, venue_id: str, stray_whitespace: bool, no_location: bool) -> Venue:
    city, state, state_code, country_code, timezone, lat, lon = rng.choice(CITIES)
    name = rng.choice(VENUE_FORMS).format(
        city=city,
        surname=rng.choice(SURNAMES),
        adj=rng.choice(ADJECTIVES),
        noun=rng.choice(NOUNS),
    )
    city_name = rng.choice((f" {city}", f"{city} ", f"  {city}  ")) if stray_whitespace else city
    latitude = longitude = None
    if not no_location:
        # Ticketmaster sends coordinates as strings with eight decimals.
        latitude = f"{lat + rng.uniform(-0.05, 0.05):.8f}"
        longitude = f"{lon + rng.uniform(-0.05, 0.05):.8f}"
    return Venue(
        tm_venue_id=venue_id,
        name=name,
        city=city_name,
        state=state,
        state_code=state_code,
        country=COUNTRY_NAMES[country_code],
        country_code=country_code,
        postal_code=f"{rng.randint(1000, 99999):05d}",
        address_line1=f"{rng.randint(1, 2400)} {rng.choice(STREETS)}",
        timezone=timezone,
        latitude=latitude,
        longitude=longitude,
    )
