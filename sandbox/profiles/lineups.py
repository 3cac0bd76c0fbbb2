"""Events shared between artists, the way Ticketmaster shares them (SANDBOX.md).

`build_world` applies this after every built-in and generated artist is built:

- Support acts: real world artists (profile "support": an attraction, a linked
  Spotify artist, one studio album) with no events of their own. About three
  dates in four of each built-in or generated headliner get support, about 55%
  of all its dates one act of its roster and about 20% two. The built-in
  `mid` and `prolific` have fixed rosters of fixed acts (`SUPPORT_ACTS`);
  generated headliners share generated acts, one per four headliners, more
  when needed to keep every act under 1,000 events (Ticketmaster's paging
  depth: a support act is no prolific artist).
- Co-headlined runs: about ten of prolific's dates with mid, and about 5% of
  the dates of the first of each pair of consecutive generated headliners with
  the second. These have no support.
- Festivals among the generated artists with shows (at least 20 of them): one
  per 30 such artists, a bill of 20 to 80 of them, one to three days.

One `Event` object is put in the `events` of every act on its bill. The bill's
order is world order (`Ticketmaster.reindex`), so support acts are appended to
the world after every other artist and a headliner always comes first; titles
keep to the convention an importer reads: co-headliners are named before any
" with ", support acts only after it ("A with S1 & S2") or not at all.

Deterministic: every choice comes from a `random.Random` seeded with a string
naming its purpose and the seed.
"""

from __future__ import annotations

import dataclasses
import datetime
import itertools
import math
import random
from collections.abc import Sequence

from sandbox.profiles.catalog import Catalog
from sandbox.profiles.events import EVENING_PREFIX
from sandbox.profiles.ids import BASE36, BASE62, Ids, base62, random_chars
from sandbox.profiles.releases import build_catalog
from sandbox.profiles.specs import BUILTIN_ATTRACTION_IDS, PROFILES, SPECS
from sandbox.profiles.venues import VenuePool
from sandbox.profiles.words import (
    ADJECTIVES,
    FESTIVAL_WORDS,
    FIRST_NAMES,
    NOUNS,
    SUPPORT_ACTS,
    SURNAMES,
    TOUR_WORDS,
)
from sandbox.world import Artist, Event

SUPPORT_PROFILE = "support"
# Fixed so docs, demos and tests can name them whatever the seed ("7O" is no
# built-in's or generated artist's: those use K8vZ917<G|M|P> and K8vZ91<S|M|P>).
SUPPORT_ATTRACTION_IDS: tuple[str, ...] = (
    "K8vZ917Op1a",
    "K8vZ917Op2b",
    "K8vZ917Op3c",
    "K8vZ917Op4d",
    "K8vZ917Op5e",
)
SUPPORT_SPOTIFY_IDS: tuple[str, ...] = (
    "2spLanterns00000Op1a00",
    "2spSjoberg000000Op2b00",
    "2spPaperComets00Op3c00",
    "2spNoemie0000000Op4d00",
    "2spGlassHarbour0Op5e00",
)
# Positions in SUPPORT_ACTS of each built-in headliner's roster.
BUILTIN_ROSTERS: dict[str, tuple[int, ...]] = {"mid": (0, 1), "prolific": (2, 3, 4)}

SUPPORTED_SHARE = 0.75  # of a headliner's dates, with one or two support acts
TWO_ACT_SHARE = 0.20  # of a headliner's dates, with two (when its roster has two)
BUILTIN_CO_HEADLINED_DATES = 10
GENERATED_CO_HEADLINED_SHARE = 0.05
HEADLINERS_PER_SUPPORT_ACT = 4
# Planned events per generated support act at most: under the 1,000 an events
# search can page through, as a support act's tour is.
SUPPORT_ACT_MAX_EVENTS = 900
FESTIVAL_ACTS = (20, 80)
ARTISTS_PER_FESTIVAL = 30
FESTIVAL_DAYS = (1, 3)

# A support act's catalog: one studio album of about ten tracks, as sparse's.
_SUPPORT_SPEC = dataclasses.replace(
    SPECS["sparse"], popularity=24, followers=3_100, genres=("Indie",)
)
_NAME_STRIDE = 7_919  # a prime: coprime to the support name space (asserted)


def add_lineups(
    artists: Sequence[Artist], *, seed: int, anchor: datetime.date, venue_pool: VenuePool
) -> list[Artist]:
    """Share events between the built-in and generated `artists` (their `events` grow)
    and return the support acts, to be appended to the world after every artist.

    Scenario-file artists are left alone. Equal arguments give equal results.
    """
    position = {id(artist): number for number, artist in enumerate(artists)}
    builtin: dict[str, Artist] = {}
    generated: list[Artist] = []
    for artist in artists:
        if artist.profile not in PROFILES:
            continue
        if artist.tm_attraction_id == BUILTIN_ATTRACTION_IDS[artist.profile]:
            builtin.setdefault(artist.profile, artist)
        elif artist.events:
            generated.append(artist)
    taken_names = {artist.name.casefold() for artist in artists}
    co_headlined: set[str] = set()

    rng = random.Random(f"lineups:builtin:{seed}")
    if "mid" in builtin and "prolific" in builtin:
        co_headlined |= _co_headline(
            rng, builtin["prolific"], builtin["mid"], BUILTIN_CO_HEADLINED_DATES, position
        )
    fixed: dict[int, Artist] = {}
    for profile, roster_positions in BUILTIN_ROSTERS.items():
        if profile not in builtin:
            continue
        roster = []
        for number in roster_positions:
            fixed[number] = _fixed_support_act(number, seed)
            roster.append(fixed[number])
        _add_support(rng, builtin[profile], roster, co_headlined)
    support = [fixed[number] for number in sorted(fixed)]
    taken_names |= {act.name.casefold() for act in support}

    rng = random.Random(f"lineups:generated:{seed}")
    for first, second in zip(generated[::2], generated[1::2], strict=False):
        count = max(1, round(len(first.events) * GENERATED_CO_HEADLINED_SHARE))
        co_headlined |= _co_headline(rng, first, second, count, position)
    support += _generated_support(rng, generated, co_headlined, seed, taken_names)

    if len(generated) >= FESTIVAL_ACTS[0]:
        _festivals(random.Random(f"lineups:festivals:{seed}"), generated, anchor, venue_pool)
    return support


# --- co-headlined runs --------------------------------------------------------


def _co_headline(
    rng: random.Random, owner: Artist, partner: Artist, count: int, position: dict[int, int]
) -> set[str]:
    """`count` consecutive dates of `owner` shared with `partner`; their ids.

    The title names both acts in bill (world) order, joined by " & ".
    """
    events = owner.events
    count = min(count, len(events))
    start = rng.randrange(len(events) - count + 1)
    run = events[start : start + count]
    acts = sorted((owner, partner), key=lambda artist: position[id(artist)])
    title = " & ".join(artist.name for artist in acts)
    tour = f"{title}: {rng.choice(TOUR_WORDS)} Tour"
    for event in run:
        event.name = tour if rng.random() < 0.5 else title
        partner.events.append(event)
    return {event.tm_event_id for event in run}


# --- support acts ---------------------------------------------------------------


def _support_plan(total: int, roster_size: int) -> tuple[int, int]:
    """(dates with one support act, dates with two) of a headliner with `total` dates."""
    two = round(total * TWO_ACT_SHARE) if roster_size > 1 else 0
    return round(total * SUPPORTED_SHARE) - two, two


def _most_events_per_act(total: int, roster_size: int) -> int:
    """The most support slots one act of the roster gets from `_add_support`."""
    one, two = _support_plan(total, roster_size)
    pairs = math.comb(roster_size, 2)
    return math.ceil(one / roster_size) + (math.ceil(two / pairs) * (roster_size - 1) if two else 0)


def _add_support(
    rng: random.Random, headliner: Artist, roster: Sequence[Artist], co_headlined: set[str]
) -> None:
    """Put acts of `roster` on about 75% of `headliner`'s own dates, evenly.

    Co-headlined dates and "An Evening with" shows get none. Acts join the bill
    in roster order (world order); a plain title sometimes names them.
    """
    own = [event for event in headliner.events if event.tm_event_id not in co_headlined]
    eligible = [event for event in own if not event.name.startswith(EVENING_PREFIX)]
    one, two = _support_plan(len(own), len(roster))
    # Each act and each pair of acts takes its turn, so the roster shares the dates evenly.
    pairs = list(itertools.combinations(roster, 2))
    bills = [pairs[n % len(pairs)] for n in range(two)] + [
        (roster[n % len(roster)],) for n in range(one)
    ]
    bills = bills[: len(eligible)]
    rng.shuffle(bills)
    chosen = sorted(rng.sample(range(len(eligible)), len(bills)))
    for index, bill in zip(chosen, bills, strict=True):
        event = eligible[index]
        for act in bill:
            act.events.append(event)
        if event.name == headliner.name and rng.random() < 0.5:
            event.name = f"{headliner.name} with {' & '.join(act.name for act in bill)}"


def _fixed_support_act(number: int, seed: int) -> Artist:
    """The built-ins' support act at `number` in SUPPORT_ACTS; fixed ids, seeded catalog."""
    attraction_id = SUPPORT_ATTRACTION_IDS[number]
    rng = random.Random(f"support:fixed:{number}:{seed}")
    # Registrants "ZS1".."ZS5": built-ins have ZSP/ZMD/ZPR, generated artists start 0-R.
    ids = Ids(rng, attraction_id[-5:], "GB", f"ZS{number + 1}")
    return _support_act(rng, ids, attraction_id, SUPPORT_SPOTIFY_IDS[number], SUPPORT_ACTS[number])


def _generated_support(
    rng: random.Random,
    headliners: Sequence[Artist],
    co_headlined: set[str],
    seed: int,
    taken_names: set[str],
) -> list[Artist]:
    """Support acts for generated headliners: one per four, more when needed so none
    is planned more than SUPPORT_ACT_MAX_EVENTS events; each headliner draws 1-2."""
    if not headliners:
        return []
    acts: list[Artist] = []
    loads: list[int] = []

    def new_act() -> int:
        index = len(acts)
        acts.append(_generated_support_act(index, seed, taken_names))
        loads.append(0)
        return index

    for _ in range(max(1, math.ceil(len(headliners) / HEADLINERS_PER_SUPPORT_ACT))):
        new_act()
    for headliner in headliners:
        own = sum(event.tm_event_id not in co_headlined for event in headliner.events)
        size = rng.choice((1, 2))
        if _most_events_per_act(own, size) > SUPPORT_ACT_MAX_EVENTS:
            size = 2
        load = _most_events_per_act(own, size)
        room = [i for i, used in enumerate(loads) if used + load <= SUPPORT_ACT_MAX_EVENTS]
        while len(room) < size:
            room.append(new_act())
        chosen = sorted(rng.sample(room, size))
        for index in chosen:
            loads[index] += load
        _add_support(rng, headliner, [acts[index] for index in chosen], co_headlined)
    return acts


def _generated_support_act(index: int, seed: int, taken_names: set[str]) -> Artist:
    """The index-th generated support act: ids unique by construction ("O" is no
    profile's letter), a name no other artist of the world has (added to `taken_names`)."""
    attraction_id = f"K8vZ91O{base62(index, 4)}"
    tag = attraction_id[-5:]
    rng = random.Random(f"support:generated:{index}:{seed}")
    # ISRC country "QZ" is no other artist's; the registrant counts in base 36.
    ids = Ids(rng, tag, "QZ", _base36(index))
    name = _support_name(index, seed, taken_names)
    return _support_act(rng, ids, attraction_id, random_chars(rng, 17) + tag, name)


def _base36(number: int) -> str:
    """`number` as three base-36 digits (a support act's ISRC registrant)."""
    digits = []
    for _ in range(3):
        number, remainder = divmod(number, 36)
        digits.append(BASE36[remainder])
    if number:
        raise ValueError("too many generated support acts for three base-36 digits")
    return "".join(reversed(digits))


def _support_names() -> tuple[str, ...]:
    """The names generated support acts draw from: plural bands and solo artists."""
    bands = [f"{adjective} {noun}s" for adjective in ADJECTIVES for noun in NOUNS]
    solo = [f"{first} {surname}" for first in FIRST_NAMES for surname in SURNAMES]
    return (*bands, *solo)


_SUPPORT_NAMES = _support_names()


def _support_name(index: int, seed: int, taken_names: set[str]) -> str:
    """A name for the index-th generated support act, distinct from every name in
    `taken_names` (casefold), which it joins. A seed-shifted permutation of the name
    space; past it, or when taken, a number is added."""
    space = len(_SUPPORT_NAMES)
    assert math.gcd(_NAME_STRIDE, space) == 1
    lap, ordinal = divmod(index, space)
    base = _SUPPORT_NAMES[(ordinal * _NAME_STRIDE + seed) % space]
    name = f"{base} {lap + 1}" if lap else base
    number = lap + 1
    while name.casefold() in taken_names:
        number += 1
        name = f"{base} {number}"
    taken_names.add(name.casefold())
    return name


def _support_act(
    rng: random.Random, ids: Ids, attraction_id: str, spotify_id: str, name: str
) -> Artist:
    return Artist(
        tm_attraction_id=attraction_id,
        name=name,
        spotify_id=spotify_id,
        spotify_linked=True,  # found by its link: no decoys needed
        genres=list(_SUPPORT_SPEC.genres),
        popularity=rng.randint(15, 40),
        followers=rng.randint(800, 20_000),
        albums=build_catalog(Catalog(rng, ids, _SUPPORT_SPEC, name)),
        profile=SUPPORT_PROFILE,
    )


# --- festivals ------------------------------------------------------------------


def _festivals(
    rng: random.Random, acts: Sequence[Artist], anchor: datetime.date, pool: VenuePool
) -> None:
    """One festival per 30 of `acts` (at least one): a bill of 20-80 of them in world
    order, one to three days at one venue of the pool, each day one event of the bill."""
    words = list(FESTIVAL_WORDS)
    rng.shuffle(words)
    for number in range(max(1, round(len(acts) / ARTISTS_PER_FESTIVAL))):
        size = rng.randint(FESTIVAL_ACTS[0], min(FESTIVAL_ACTS[1], len(acts)))
        bill = [acts[index] for index in sorted(rng.sample(range(len(acts)), size))]
        venue = rng.choice(pool.venues)
        first_day = anchor + datetime.timedelta(days=rng.randint(30, 330))
        lap, word = divmod(number, len(words))
        title = f"{words[word]} Fest{f' {lap + 1}' if lap else ''} {first_day.year}"
        days = rng.randint(*FESTIVAL_DAYS)
        for day in range(days):
            event = Event(
                tm_event_id=_festival_event_id(rng, number, day),
                name=f"{title} - Day {day + 1}" if days > 1 else title,
                local_date=(first_day + datetime.timedelta(days=day)).isoformat(),
                local_time="12:00:00",
                venue=venue,
                timezone=venue.timezone,
            )
            for act in bill:
                act.events.append(event)


def _festival_event_id(rng: random.Random, number: int, day: int) -> str:
    """13 to 17 characters of [A-Za-z0-9_-]; "F" after the head is no artist's tag."""
    head = rng.choice(("vvG1", "G5v", "Z7r9j"))
    tail = random_chars(rng, rng.randint(4, 6), BASE62 + "_-")
    return f"{head}F{base62(number, 4)}{day}{tail}"
