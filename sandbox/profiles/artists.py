"""Built-in and generated artists, and the decoys Spotify search must not pick."""

from __future__ import annotations

import datetime
import math
import random
import unicodedata
from collections.abc import Callable

from sandbox.profiles.catalog import Catalog
from sandbox.profiles.events import build_events
from sandbox.profiles.ids import Ids, generated_attraction_id, isrc_registrant, random_chars
from sandbox.profiles.releases import build_catalog
from sandbox.profiles.specs import (
    BUILTIN_ATTRACTION_IDS,
    BUILTIN_NAMES,
    BUILTIN_SPOTIFY_IDS,
    MAX_GENERATED_PER_PROFILE,
    PROFILES,
    SPECS,
)
from sandbox.profiles.venues import VenuePool
from sandbox.profiles.words import ADJECTIVES, ISRC_COUNTRIES, NOUNS
from sandbox.world import Artist

_GENERATED_FORMS: tuple[Callable[[str, str], str], ...] = (
    lambda adjective, noun: f"{adjective} {noun}",
    lambda adjective, noun: f"The {adjective} {noun}",
    lambda adjective, noun: f"{adjective} {noun} Club",
    lambda adjective, noun: f"{adjective} {noun} Orchestra",
    lambda adjective, noun: f"{adjective} {noun} Society",
)
_GENERATED_ADJECTIVES = (*ADJECTIVES, "Blå", "Lumière", "Über", "Señor", "Mörk", "Hōshi")
_GENERATED_NOUNS = (*NOUNS, "Fjörd", "Café", "Niño", "Ælf", "Søster", "Kōri")
_NAME_STRIDE = 7_919  # a prime: coprime to the name space unless it divides it


def _generated_name(profile: str, index: int, seed: int) -> str:
    """A name distinct for every (profile, index) of one seed.

    Each (profile, index) has its own ordinal; the ordinal modulo the name
    space goes through a seed-shifted permutation to a (form, adjective, noun)
    triple, and ordinals past the space get a number, so no two names collide.
    """
    sizes = (len(_GENERATED_FORMS), len(_GENERATED_ADJECTIVES), len(_GENERATED_NOUNS))
    space = sizes[0] * sizes[1] * sizes[2]
    ordinal = index * len(PROFILES) + PROFILES.index(profile)
    lap, ordinal = divmod(ordinal, space)
    # Multiplying by a number coprime to the space permutes it.
    assert math.gcd(_NAME_STRIDE, space) == 1
    number = (ordinal * _NAME_STRIDE + seed) % space
    number, noun = divmod(number, sizes[2])
    form, adjective = divmod(number, sizes[1])
    name = _GENERATED_FORMS[form](_GENERATED_ADJECTIVES[adjective], _GENERATED_NOUNS[noun])
    return f"{name} {lap + 1}" if lap else name


def build_profile(
    name: str,
    *,
    seed: int,
    anchor: datetime.date,
    venue_pool: VenuePool | None = None,
    index: int | None = None,
) -> Artist:
    """The artist of profile `name`; equal arguments give equal artists.

    `index=None` gives the built-in artist, whose attraction id, Spotify id
    and name are fixed (`BUILTIN_*`) whatever the seed. An `index` gives the
    index-th generated artist of the profile: distinct attraction id, Spotify
    id and name per (profile, index). Events fall on `anchor + 1` onwards.
    `venue_pool` defaults to `VenuePool.build(seed=seed)`, the pool
    `build_world` shares between all artists of a seed.
    """
    if name not in SPECS:
        raise ValueError(f"unknown profile {name!r} (choose from {', '.join(PROFILES)})")
    if index is not None and not 0 <= index < MAX_GENERATED_PER_PROFILE:
        raise ValueError(f"index must be in 0..{MAX_GENERATED_PER_PROFILE - 1}, got {index}")
    spec = SPECS[name]
    pool = venue_pool or VenuePool.build(seed=seed)
    rng = random.Random(f"profile:{name}:{'builtin' if index is None else index}:{seed}")

    if index is None:
        attraction_id = BUILTIN_ATTRACTION_IDS[name]
        artist_name = BUILTIN_NAMES[name]
        spotify_linked = spec.spotify_linked
    else:
        attraction_id = generated_attraction_id(name, index)
        artist_name = _generated_name(name, index, seed)
        # One generated artist in five must be found by Spotify search.
        spotify_linked = index % 5 != 2
    tag = attraction_id[-5:]
    spotify_id = BUILTIN_SPOTIFY_IDS[name] if index is None else random_chars(rng, 17) + tag
    ids = Ids(rng, tag, rng.choice(ISRC_COUNTRIES), isrc_registrant(name, index))

    albums = build_catalog(Catalog(rng, ids, spec, artist_name))
    events = build_events(rng, ids, spec, artist_name, anchor, pool)
    return Artist(
        tm_attraction_id=attraction_id,
        name=artist_name,
        spotify_id=spotify_id,
        spotify_linked=spotify_linked,
        genres=list(spec.genres),
        popularity=spec.popularity,
        followers=spec.followers,
        albums=albums,
        events=events,
        profile=name,
    )


def generate_artists(
    profile: str,
    count: int,
    *,
    seed: int,
    anchor: datetime.date,
    start: int = 0,
    venue_pool: VenuePool | None = None,
) -> list[Artist]:
    """`count` generated artists of `profile` (indexes `start`..), sharing one venue pool.

    Equal arguments give equal artists; every artist has its own ids and name.
    """
    if count < 0:
        raise ValueError(f"count must not be negative, got {count}")
    pool = venue_pool or VenuePool.build(seed=seed)
    return [
        build_profile(profile, seed=seed, anchor=anchor, venue_pool=pool, index=index)
        for index in range(start, start + count)
    ]


def decoy_spotify_artists(artist: Artist, *, seed: int) -> list[Artist]:
    """Spotify-only artists whose names resemble `artist`'s, for search to trip on.

    Only the exact name is the artist: the decoys differ by extra words, a
    plural, case or accents. One decoy is more popular than the real artist,
    so "take the most popular hit" is wrong too. Decoys have no attraction id
    (empty string) and no releases.
    """
    rng = random.Random(f"decoys:{artist.tm_attraction_id}:{seed}")
    base = artist.name.removeprefix("The ")
    names = [f"{artist.name} Tribute", f"The {base}s", artist.name.upper()]
    stripped = _strip_accents(artist.name)
    if stripped != artist.name:
        names.append(stripped)
    decoys = []
    for number, decoy_name in enumerate(names):
        popularity = artist.popularity + 10 if number == 1 else rng.randint(1, 25)
        decoys.append(
            Artist(
                tm_attraction_id="",
                name=decoy_name,
                spotify_id=random_chars(rng, 22),
                spotify_linked=False,
                genres=list(artist.genres),
                popularity=min(100, popularity),
                followers=rng.randint(50, 50_000),
                profile="decoy",
            )
        )
    return decoys


def _strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))
