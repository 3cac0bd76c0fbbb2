"""The profiles' names, the built-in artists' fixed ids and each profile's size and shape."""

from __future__ import annotations

from dataclasses import dataclass

PROFILES: tuple[str, ...] = ("sparse", "mid", "prolific")

# Fixed so docs, demos and tests can name the built-in artists whatever the seed.
BUILTIN_ATTRACTION_IDS: dict[str, str] = {
    "sparse": "K8vZ917Gq0f",
    "mid": "K8vZ917Mx3d",
    "prolific": "K8vZ917Pr7k",
}
BUILTIN_SPOTIFY_IDS: dict[str, str] = {
    "sparse": "4sbxSparseArtist0Gq0f0",
    "mid": "6mdCafeLumiere00Mx3d00",
    "prolific": "1prVelvetRovers0Pr7k00",
}
BUILTIN_NAMES: dict[str, str] = {
    "sparse": "Hollow Pines",
    "mid": "Café Lumière",
    "prolific": "The Velvet Rövers",
}

# Generated artists encode profile and index in their ids, which keeps them
# distinct by construction; the index must fit in four base-62 digits and the
# ISRC registrant code (see `ids.isrc_registrant`).
MAX_GENERATED_PER_PROFILE = 12_000


@dataclass(frozen=True, slots=True)
class Spec:
    """The size and shape of one profile."""

    events: int
    event_span_days: int
    tour_venues: int
    first_year: int
    last_year: int
    studio_albums: int
    studio_tracks: tuple[int, int]
    deluxe: int
    remasters: int
    live_albums: int
    live_tracks: tuple[int, int]
    box_sets: int
    box_tracks: tuple[int, int]
    compilations: int
    compilation_tracks: tuple[int, int]
    singles: int
    appears_on: int
    spotify_linked: bool
    popularity: int
    followers: int
    genres: tuple[str, ...]


SPECS: dict[str, Spec] = {
    "sparse": Spec(
        events=0,
        event_span_days=0,
        tour_venues=0,
        first_year=2023,
        last_year=2023,
        studio_albums=1,
        studio_tracks=(9, 11),
        deluxe=0,
        remasters=0,
        live_albums=0,
        live_tracks=(0, 0),
        box_sets=0,
        box_tracks=(0, 0),
        compilations=0,
        compilation_tracks=(0, 0),
        singles=0,
        appears_on=0,
        spotify_linked=True,
        popularity=18,
        followers=2_400,
        genres=("Folk",),
    ),
    "mid": Spec(
        events=150,
        event_span_days=365,
        tour_venues=110,
        first_year=2006,
        last_year=2024,
        studio_albums=9,
        studio_tracks=(10, 13),
        deluxe=2,
        remasters=1,
        live_albums=2,
        live_tracks=(13, 17),
        box_sets=1,
        box_tracks=(60, 70),
        compilations=1,
        compilation_tracks=(16, 20),
        singles=14,
        appears_on=1,
        # The importer must find this one by a strict-name Spotify search.
        spotify_linked=False,
        popularity=57,
        followers=310_000,
        genres=("Alternative",),
    ),
    "prolific": Spec(
        events=1_350,
        event_span_days=540,
        tour_venues=420,
        first_year=1979,
        last_year=2024,
        studio_albums=32,
        studio_tracks=(10, 14),
        deluxe=12,
        remasters=12,
        live_albums=32,
        live_tracks=(14, 22),
        box_sets=11,
        box_tracks=(60, 120),
        compilations=12,
        compilation_tracks=(16, 24),
        singles=80,
        appears_on=3,
        spotify_linked=True,
        popularity=81,
        followers=6_800_000,
        genres=("Rock",),
    ),
}
