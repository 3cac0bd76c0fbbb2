"""Ids and small counting helpers: unique by construction, random-looking."""

from __future__ import annotations

import random
import string
from collections.abc import Callable, Collection

from sandbox.profiles.specs import MAX_GENERATED_PER_PROFILE, PROFILES

BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
BASE36 = string.digits + string.ascii_uppercase


def base62(number: int, width: int) -> str:
    """`number` in base 62, left-padded to `width` digits."""
    digits = []
    for _ in range(width):
        number, remainder = divmod(number, 62)
        digits.append(BASE62[remainder])
    if number:
        raise ValueError(f"number does not fit in {width} base-62 digits")
    return "".join(reversed(digits))


def random_chars(rng: random.Random, count: int, alphabet: str = BASE62) -> str:
    return "".join(rng.choice(alphabet) for _ in range(count))


def pick_indexes(
    rng: random.Random, population: int, count: int, *, exclude: Collection[int] = ()
) -> set[int]:
    """`count` distinct indexes below `population`, none in `exclude` (all left if fewer)."""
    candidates = (
        [i for i in range(population) if i not in exclude] if exclude else range(population)
    )
    return set(rng.sample(candidates, min(count, len(candidates))))


def quota(total: int, share: float, minimum: int) -> int:
    """How many of `total` items get a trap: `share` of them, at least `minimum`."""
    return max(minimum, round(total * share)) if total else 0


def generated_attraction_id(profile: str, index: int) -> str:
    return f"K8vZ91{profile[0].upper()}{base62(index, 4)}"


def isrc_registrant(profile: str, index: int | None) -> str:
    """A three-character ISRC registrant code unique to one artist.

    Built-ins start with "Z"; generated artists count in base 36 below 36,000,
    whose first digit is at most "R", so the two never meet.
    """
    if index is None:
        return {"sparse": "ZSP", "mid": "ZMD", "prolific": "ZPR"}[profile]
    number = PROFILES.index(profile) * MAX_GENERATED_PER_PROFILE + index
    digits = []
    for _ in range(3):
        number, remainder = divmod(number, 36)
        digits.append(BASE36[remainder])
    return "".join(reversed(digits))


class Ids:
    """Ids for one artist: unique by construction (artist tag + counter), random-looking."""

    def __init__(
        self,
        rng: random.Random,
        tag: str,
        isrc_country: str,
        registrant: str,
        *,
        taken: set[str] | None = None,
    ) -> None:
        self._rng = rng
        self._tag = tag  # five characters unique to the artist
        self._spotify_counter = 0
        self._event_counter = 0
        self._isrc_counter = 0
        self._isrc_prefix = isrc_country + registrant
        # For an artist that already has ids (an advance adds to a built world): every
        # id the world uses, and every id handed out here is added to it.
        self._taken = taken

    def _unused(self, value: str, make: Callable[[], str]) -> str:
        """`value`, else `make()` again until it is not taken (always `value` without `taken`)."""
        if self._taken is None:
            return value
        while value in self._taken:
            value = make()
        self._taken.add(value)
        return value

    def spotify(self) -> str:
        """A 22-character base-62 Spotify id never handed out before."""
        return self._unused(self._spotify(), self._spotify)

    def _spotify(self) -> str:
        self._spotify_counter += 1
        return random_chars(self._rng, 13) + self._tag + base62(self._spotify_counter, 4)

    def event(self) -> str:
        """A Ticketmaster event id, 13 to 18 characters of [A-Za-z0-9_-]."""
        return self._unused(self._event(), self._event)

    def _event(self) -> str:
        self._event_counter += 1
        head = self._rng.choice(("vvG1", "G5v", "Z7r9j", "1A", "k7"))
        tail = random_chars(self._rng, self._rng.randint(3, 5), BASE62 + "_-")
        return head + self._tag + base62(self._event_counter, 3) + tail

    def isrc(self, year: int) -> str:
        """A 12-character ISRC (country, registrant, year, designation) unique to the artist."""
        return self._unused(self._isrc(year), lambda: self._isrc(year))

    def _isrc(self, year: int) -> str:
        self._isrc_counter += 1
        return f"{self._isrc_prefix}{year % 100:02d}{self._isrc_counter:05d}"
