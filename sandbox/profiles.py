"""Built-in artist profiles (`sparse`, `mid`, `prolific`) generated from a seed.

Generation is deterministic: every random choice comes from a `random.Random`
seeded with a string built from the profile, the artist index and the seed
(never the global generator, never `hash()`, which is salted per process), so
the same seed and anchor date give equal artists on every machine. Event dates
are `anchor + N days`, which keeps every profile upcoming whatever the day.

The catalogs carry the traps real ones have (see SANDBOX.md "Scenarios") and
label every track with the truth the generator intended (`TrackTruth`), so
`truth.py` can say what a correct importer keeps without re-using name rules:

- live albums, named with an explicit marker (`LIVE_ALBUM_FORMS`);
- live versions with a marker in the title (`LIVE_TITLE_FORMS`) and without
  any marker but liveness > 0.8 (`LIVE_UNMARKED`, never with null liveness);
- deluxe editions, remasters, box sets, compilations and singles whose copies
  of a studio recording share its ISRC (popularity usually highest on the
  original, sometimes tied, sometimes higher on the re-release);
- studio songs whose titles contain live/radio/tour/session words
  (`STUDIO_WORD_TITLES`), remixes with their own ISRC (`is_remix`), radio
  edits, demos and instrumentals (studio recordings with their own ISRC);
- studio tracks without ISRC, some re-released without ISRC under the same
  title and duration (same second), and studio tracks with null audio features;
- albums with more than 50 tracks, non-ASCII names everywhere;
- events without venue, with TBA date or time, every status (both spellings of
  cancelled), listed twice by the search, without timezone, several shows on
  one date; venues with stray whitespace in the city or without coordinates.
"""

from __future__ import annotations

import datetime
import math
import random
import string
import unicodedata
from collections.abc import Callable, Collection
from dataclasses import dataclass

from sandbox.world import Album, Artist, Event, Track, TrackTruth, Venue

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
# ISRC registrant code (see `_isrc_registrant`).
MAX_GENERATED_PER_PROFILE = 12_000

# Studio songs a word-boundary live/radio/tour/session rule must keep.
STUDIO_WORD_TITLES: tuple[str, ...] = (
    "Live Wire",
    "Live and Let Die",
    "Alive",
    "Live Forever",
    "Radio Ga Ga",
    "Tour de France",
    "Session Man",
    "Deliver",
    "Oliver's Army",
    "Livewire",
    "Radioactive",
    "Tourniquet",
)

# Live markers in track titles; "{t}" is the song title, "{place}" a venue or city.
LIVE_TITLE_FORMS: tuple[str, ...] = (
    "{t} (Live)",
    "{t} [Live]",
    "{t} - Live",
    "{t} (Live Version)",
    "{t} - Live at {place}",
    "{t} - Live in {place}",
    "{t} - Live from {place}",
    "{t} - Live / Remastered 2011",
    "{t} (Live at {place})",
)
# Live markers in album names; "{p}" is a phrase, "{place}" a venue or city.
LIVE_ALBUM_FORMS: tuple[str, ...] = (
    "Live at {place}",
    "Live in {place}",
    "Live from {place}",
    "{p} (Live)",
    "{p} [Live]",
    "{place} - Live",
    "Live in {place} (Live)",
    "{p} (Live at {place})",
)
REMIX_FORMS: tuple[str, ...] = (
    "{t} (Remix)",
    "{t} - Club Mix",
    "{t} ({remixer} Remix)",
    "{t} - Extended Mix",
    "{t} - {remixer} Remix",
)
# Studio recordings of a song with their own ISRC (not remixes, not live).
STUDIO_VARIANT_FORMS: tuple[str, ...] = (
    "{t} - Radio Edit",
    "{t} - Demo",
    "{t} (Demo)",
    "{t} - Instrumental",
    "{t} - Alternate Take",
    "{t} - Early Version",
    "{t} - Acoustic",
    "{t} - Single Version",
)

_BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
_BASE36 = string.digits + string.ascii_uppercase
_MARKETS = ("GB", "DE", "SE", "JP", "CA", "FR", "BR", "IS", "MX", "AU")
_ISRC_COUNTRIES = ("US", "GB", "SE", "DE", "IS", "JP", "FR", "CA")


@dataclass(frozen=True, slots=True)
class _Spec:
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


_SPECS: dict[str, _Spec] = {
    "sparse": _Spec(
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
    "mid": _Spec(
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
    "prolific": _Spec(
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

# --- word lists -------------------------------------------------------------

_ADJECTIVES = (
    "Golden", "Broken", "Silent", "Electric", "Hollow", "Paper", "Crimson", "Velvet",
    "Northern", "Distant", "Restless", "Quiet", "Neon", "Wild", "Burning", "Frozen",
    "Lonely", "Secret", "Glass", "Silver", "Midnight", "Endless", "Faded", "Bitter",
    "Sweet", "Heavy", "Falling", "Crooked", "Little", "Holy", "Savage", "Tender",
    "Open", "Empty", "Hidden", "Borrowed", "Wandering", "Painted", "Shallow", "Sleepless",
)  # fmt: skip
_NOUNS = (
    "Heart", "River", "Highway", "Summer", "Window", "Ghost", "Harbor", "Garden",
    "Signal", "Mirror", "Engine", "Island", "Letter", "Thunder", "Shadow", "Morning",
    "Fever", "Ocean", "Machine", "Canyon", "Lantern", "Season", "Kingdom", "Stranger",
    "Feather", "Compass", "Avenue", "Satellite", "Horizon", "Echo", "Orchard", "Valley",
    "Diamond", "Promise", "Station", "Carnival", "Anthem", "Comet", "Bridge", "Wolf",
)  # fmt: skip
_VERBS = (
    "Carry", "Follow", "Hold", "Chase", "Remember", "Burn", "Break", "Leave",
    "Find", "Wake", "Call", "Save", "Dance", "Run", "Hide", "Believe",
)  # fmt: skip
_ADVERBS = ("Away", "Tonight", "Again", "Slowly", "Home", "Alone", "Together", "Down")
_NON_ASCII_TITLES = (
    "Sól", "Nacht über München", "Mañana", "Für immer", "Ångest", "Tōkyō Rain",
    "夜明けの歌", "東京の雨", "Smörgåsbord", "Crème de la Crème", "Naïve", "Þögn",
    "Jökull", "Mørketid", "Ça ira", "Sœur", "Größenwahn", "Čaj", "Niño", "雪の街",
)  # fmt: skip
_NON_ASCII_PHRASES = (
    "Nordlicht über Tromsø", "Été Indien", "Mørk Jord", "Kōfuku", "夏の終わり", "Straße der Träume",
    "Canción del Sur", "Öresund", "Ísland", "Château Noir",
)  # fmt: skip
_REMIXERS = ("Lumen Drift", "Kōji Ōta", "Mørk Sjø", "DJ Halcyon", "Neon Cartel", "Señor Búho")
_TOUR_WORDS = ("World", "Summer", "Farewell", "Anniversary", "Homecoming", "Arena")
_SUPPORT_ACTS = ("The Lanterns", "Sjöberg", "Paper Comets", "Noémie", "Glass Harbor")

# (city, state, state_code, country_code, timezone, latitude, longitude)
_CITIES: tuple[tuple[str, str | None, str | None, str, str, float, float], ...] = (
    ("Austin", "Texas", "TX", "US", "America/Chicago", 30.2672, -97.7431),
    ("New York", "New York", "NY", "US", "America/New_York", 40.7128, -74.006),
    ("Los Angeles", "California", "CA", "US", "America/Los_Angeles", 34.0522, -118.2437),
    ("Chicago", "Illinois", "IL", "US", "America/Chicago", 41.8781, -87.6298),
    ("Denver", "Colorado", "CO", "US", "America/Denver", 39.7392, -104.9903),
    ("Seattle", "Washington", "WA", "US", "America/Los_Angeles", 47.6062, -122.3321),
    ("Nashville", "Tennessee", "TN", "US", "America/Chicago", 36.1627, -86.7816),
    ("Atlanta", "Georgia", "GA", "US", "America/New_York", 33.749, -84.388),
    ("Boston", "Massachusetts", "MA", "US", "America/New_York", 42.3601, -71.0589),
    ("Phoenix", "Arizona", "AZ", "US", "America/Phoenix", 33.4484, -112.074),
    ("Minneapolis", "Minnesota", "MN", "US", "America/Chicago", 44.9778, -93.265),
    ("Detroit", "Michigan", "MI", "US", "America/Detroit", 42.3314, -83.0458),
    ("Salt Lake City", "Utah", "UT", "US", "America/Denver", 40.7608, -111.891),
    ("Honolulu", "Hawaii", "HI", "US", "Pacific/Honolulu", 21.3069, -157.8583),
    ("Anchorage", "Alaska", "AK", "US", "America/Anchorage", 61.2181, -149.9003),
    ("Toronto", "Ontario", "ON", "CA", "America/Toronto", 43.6532, -79.3832),
    ("Montréal", "Quebec", "QC", "CA", "America/Toronto", 45.5017, -73.5673),
    ("Vancouver", "British Columbia", "BC", "CA", "America/Vancouver", 49.2827, -123.1207),
    ("London", None, None, "GB", "Europe/London", 51.5072, -0.1276),
    ("Manchester", None, None, "GB", "Europe/London", 53.4808, -2.2426),
    ("Glasgow", None, None, "GB", "Europe/London", 55.8642, -4.2518),
    ("Dublin", None, None, "IE", "Europe/Dublin", 53.3498, -6.2603),
    ("Berlin", None, None, "DE", "Europe/Berlin", 52.52, 13.405),
    ("München", None, None, "DE", "Europe/Berlin", 48.1351, 11.582),
    ("Köln", None, None, "DE", "Europe/Berlin", 50.9375, 6.9603),
    ("Paris", None, None, "FR", "Europe/Paris", 48.8566, 2.3522),
    ("Amsterdam", None, None, "NL", "Europe/Amsterdam", 52.3676, 4.9041),
    ("Stockholm", None, None, "SE", "Europe/Stockholm", 59.3293, 18.0686),
    ("Malmö", None, None, "SE", "Europe/Stockholm", 55.605, 13.0038),
    ("Oslo", None, None, "NO", "Europe/Oslo", 59.9139, 10.7522),
    ("København", None, None, "DK", "Europe/Copenhagen", 55.6761, 12.5683),
    ("Reykjavík", None, None, "IS", "Atlantic/Reykjavik", 64.1466, -21.9426),
    ("Zürich", None, None, "CH", "Europe/Zurich", 47.3769, 8.5417),
    ("Wien", None, None, "AT", "Europe/Vienna", 48.2082, 16.3738),
    ("Kraków", None, None, "PL", "Europe/Warsaw", 50.0647, 19.945),
    ("Barcelona", None, None, "ES", "Europe/Madrid", 41.3874, 2.1686),
    ("Ciudad de México", None, None, "MX", "America/Mexico_City", 19.4326, -99.1332),
    ("São Paulo", None, None, "BR", "America/Sao_Paulo", -23.5558, -46.6396),
    ("Tokyo", None, None, "JP", "Asia/Tokyo", 35.6762, 139.6503),
    ("Ōsaka", None, None, "JP", "Asia/Tokyo", 34.6937, 135.5023),
    ("Sydney", "New South Wales", "NSW", "AU", "Australia/Sydney", -33.8688, 151.2093),
    ("Melbourne", "Victoria", "VIC", "AU", "Australia/Melbourne", -37.8136, 144.9631),
    ("Auckland", None, None, "NZ", "Pacific/Auckland", -36.8485, 174.7633),
)  # fmt: skip
_COUNTRY_NAMES = {
    "US": "United States Of America",
    "CA": "Canada",
    "GB": "Great Britain",
    "IE": "Ireland",
    "DE": "Germany",
    "FR": "France",
    "NL": "Netherlands",
    "SE": "Sweden",
    "NO": "Norway",
    "DK": "Denmark",
    "IS": "Iceland",
    "CH": "Switzerland",
    "AT": "Austria",
    "PL": "Poland",
    "ES": "Spain",
    "MX": "Mexico",
    "BR": "Brazil",
    "JP": "Japan",
    "AU": "Australia",
    "NZ": "New Zealand",
}
_SURNAMES = (
    "Fairmont", "Hartley", "Okonkwo", "Nakamura", "Lindqvist", "Müller", "Østergaard",
    "Dvořák", "Peña", "Coleman", "Ashby", "Marlow", "Brandt", "Sørensen", "Kowalczyk",
    "Delacroix", "Whitfield", "Castellanos",
)  # fmt: skip
_VENUE_FORMS: tuple[str, ...] = (
    "{city} Arena", "{surname} Theatre", "The {adj} Room", "{city} Music Hall",
    "{surname} Amphitheater", "{surname} Ballroom", "{city} Civic Center", "{surname} Hall",
    "Théâtre {surname}", "Sala {surname}", "{surname}-Halle", "{adj} Stage", "Club {noun}",
)  # fmt: skip
_LABELS = ("Sandbox Records", "Nordlys Musik", "Crooked Lantern", "Éditions Sœur")
_STREETS = ("Main St", "Congress Ave", "Broadway", "Hauptstraße", "Rue de Rivoli", "Kungsgatan")


# --- small helpers ----------------------------------------------------------


def _base62(number: int, width: int) -> str:
    """`number` in base 62, left-padded to `width` digits."""
    digits = []
    for _ in range(width):
        number, remainder = divmod(number, 62)
        digits.append(_BASE62[remainder])
    if number:
        raise ValueError(f"number does not fit in {width} base-62 digits")
    return "".join(reversed(digits))


def _random_chars(rng: random.Random, count: int, alphabet: str = _BASE62) -> str:
    return "".join(rng.choice(alphabet) for _ in range(count))


def _pick_indexes(
    rng: random.Random, population: int, count: int, *, exclude: Collection[int] = ()
) -> set[int]:
    """`count` distinct indexes below `population`, none in `exclude` (all left if fewer)."""
    candidates = (
        [i for i in range(population) if i not in exclude] if exclude else range(population)
    )
    return set(rng.sample(candidates, min(count, len(candidates))))


def _quota(total: int, share: float, minimum: int) -> int:
    """How many of `total` items get a trap: `share` of them, at least `minimum`."""
    return max(minimum, round(total * share)) if total else 0


def _generated_attraction_id(profile: str, index: int) -> str:
    return f"K8vZ91{profile[0].upper()}{_base62(index, 4)}"


def _isrc_registrant(profile: str, index: int | None) -> str:
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
        digits.append(_BASE36[remainder])
    return "".join(reversed(digits))


class _Ids:
    """Ids for one artist: unique by construction (artist tag + counter), random-looking."""

    def __init__(self, rng: random.Random, tag: str, isrc_country: str, registrant: str) -> None:
        self._rng = rng
        self._tag = tag  # five characters unique to the artist
        self._spotify_counter = 0
        self._event_counter = 0
        self._isrc_counter = 0
        self._isrc_prefix = isrc_country + registrant

    def spotify(self) -> str:
        """A 22-character base-62 Spotify id never handed out before."""
        self._spotify_counter += 1
        return _random_chars(self._rng, 13) + self._tag + _base62(self._spotify_counter, 4)

    def event(self) -> str:
        """A Ticketmaster event id, 13 to 18 characters of [A-Za-z0-9_-]."""
        self._event_counter += 1
        head = self._rng.choice(("vvG1", "G5v", "Z7r9j", "1A", "k7"))
        tail = _random_chars(self._rng, self._rng.randint(3, 5), _BASE62 + "_-")
        return head + self._tag + _base62(self._event_counter, 3) + tail

    def isrc(self, year: int) -> str:
        """A 12-character ISRC (country, registrant, year, designation) unique to the artist."""
        self._isrc_counter += 1
        return f"{self._isrc_prefix}{year % 100:02d}{self._isrc_counter:05d}"


# --- venues -----------------------------------------------------------------


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
        whitespace = _pick_indexes(rng, size, _quota(size, 0.03, 3))
        no_location = _pick_indexes(rng, size, _quota(size, 0.03, 3))
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


def _venue_id(rng: random.Random) -> str:
    if rng.random() < 0.85:
        return "KovZ" + _random_chars(rng, rng.randint(6, 8))
    return "Z6r" + _random_chars(rng, rng.randint(7, 9))


def _venue(rng: random.Random, venue_id: str, stray_whitespace: bool, no_location: bool) -> Venue:
    city, state, state_code, country_code, timezone, lat, lon = rng.choice(_CITIES)
    name = rng.choice(_VENUE_FORMS).format(
        city=city,
        surname=rng.choice(_SURNAMES),
        adj=rng.choice(_ADJECTIVES),
        noun=rng.choice(_NOUNS),
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
        country=_COUNTRY_NAMES[country_code],
        country_code=country_code,
        postal_code=f"{rng.randint(1000, 99999):05d}",
        address_line1=f"{rng.randint(1, 2400)} {rng.choice(_STREETS)}",
        timezone=timezone,
        latitude=latitude,
        longitude=longitude,
    )


# --- catalog ----------------------------------------------------------------


@dataclass(slots=True)
class _Song:
    """A studio recording; every copy of it on any release shares these values."""

    title: str
    isrc: str | None
    duration_ms: int
    popularity: int
    liveness: float | None
    explicit: bool
    year: int


class _Catalog:
    """Builds one artist's releases, keeping titles unique and traps in quota."""

    def __init__(self, rng: random.Random, ids: _Ids, spec: _Spec, artist_name: str) -> None:
        self.rng = rng
        self.ids = ids
        self.spec = spec
        self.artist_name = artist_name
        self.albums: list[Album] = []
        self.studio_songs: list[_Song] = []
        self._titles: set[str] = set()
        self._live_title_turn = rng.randrange(len(LIVE_TITLE_FORMS))
        self._live_album_turn = rng.randrange(len(LIVE_ALBUM_FORMS))
        self._remix_turn = rng.randrange(len(REMIX_FORMS))
        self._variant_turn = rng.randrange(len(STUDIO_VARIANT_FORMS))

    # songs and titles

    def _fresh_title(self) -> str:
        rng = self.rng
        while True:
            form = rng.randrange(7)
            if form == 0:
                title = f"{rng.choice(_ADJECTIVES)} {rng.choice(_NOUNS)}"
            elif form == 1:
                title = f"{rng.choice(_VERBS)} the {rng.choice(_NOUNS)}"
            elif form == 2:
                title = f"{rng.choice(_NOUNS)} of {rng.choice(_NOUNS)}s"
            elif form == 3:
                title = f"{rng.choice(_VERBS)} {rng.choice(_ADVERBS)}"
            elif form == 4:
                title = f"The {rng.choice(_ADJECTIVES)} {rng.choice(_NOUNS)}"
            elif form == 5:
                title = f"{rng.choice(_ADJECTIVES)} {rng.choice(_NOUNS)}s"
            else:
                title = f"{rng.choice(_NOUNS)} Song"
            if title.casefold() not in self._titles:
                return title

    def new_song(
        self,
        year: int,
        *,
        title: str | None = None,
        has_isrc: bool = True,
        null_features: bool = False,
    ) -> _Song:
        """A new studio song with a title unique within the artist."""
        rng = self.rng
        title = title or self._fresh_title()
        self._titles.add(title.casefold())
        # A few studio songs sit close to the threshold; none goes above 0.8.
        if null_features:
            liveness = None
        elif rng.random() < 0.06:
            liveness = round(rng.uniform(0.5, 0.79), 4)
        else:
            liveness = round(rng.uniform(0.03, 0.35), 4)
        seconds = rng.randint(150, 330)
        # Keep milliseconds clear of the half second so a re-release stays in
        # the same second whether an importer floors or rounds.
        return _Song(
            title=title,
            isrc=self.ids.isrc(year) if has_isrc else None,
            duration_ms=seconds * 1000 + rng.randint(100, 400),
            popularity=rng.randint(15, 85),
            liveness=liveness,
            explicit=rng.random() < 0.08,
            year=year,
        )

    # tracks

    def copy_of(self, song: _Song, *, title: str | None = None, demote: bool = True) -> Track:
        """A re-release of `song` sharing its ISRC (and, without ISRC, its title).

        `demote`: the copy is usually less popular than the original, sometimes
        tied, sometimes more popular.
        """
        rng = self.rng
        popularity = song.popularity
        if demote:
            roll = rng.random()
            if roll < 0.8:
                popularity -= rng.randint(1, 15)
            elif roll >= 0.95:
                popularity += rng.randint(1, 8)
        duration_ms = song.duration_ms
        if song.isrc is None:
            # Same second, different milliseconds, as separately mastered files have.
            duration_ms = song.duration_ms // 1000 * 1000 + rng.randint(100, 400)
        return Track(
            spotify_id=self.ids.spotify(),
            name=song.title if song.isrc is None or title is None else title,
            duration_ms=duration_ms,
            isrc=song.isrc,
            popularity=max(0, min(100, popularity)),
            liveness=song.liveness,
            explicit=song.explicit,
            truth=TrackTruth.STUDIO,
        )

    def original(self, song: _Song) -> Track:
        return self.copy_of(song, demote=False)

    def _live_liveness(self, *, high: bool) -> float:
        rng = self.rng
        return round(rng.uniform(0.82, 0.99) if high else rng.uniform(0.3, 0.7), 4)

    def live_version(self, song: _Song, *, truth: TrackTruth, name: str, high: bool) -> Track:
        """A live recording of `song`: its own ISRC, longer, never null liveness."""
        rng = self.rng
        return Track(
            spotify_id=self.ids.spotify(),
            name=name,
            duration_ms=song.duration_ms + rng.randint(8_000, 70_000),
            isrc=self.ids.isrc(rng.randint(song.year, self.spec.last_year)),
            popularity=max(0, song.popularity - rng.randint(10, 40)),
            liveness=self._live_liveness(high=high),
            explicit=song.explicit,
            truth=truth,
        )

    def live_title_track(self, song: _Song) -> Track:
        """A live version with a marker in its title, cycling through every form."""
        form = LIVE_TITLE_FORMS[self._live_title_turn % len(LIVE_TITLE_FORMS)]
        self._live_title_turn += 1
        name = form.format(t=song.title, place=self.place())
        # Mostly high liveness; a few low ones, where only the title tells.
        return self.live_version(
            song, truth=TrackTruth.LIVE_TITLE, name=name, high=self.rng.random() < 0.85
        )

    def live_unmarked_track(self, song: _Song) -> Track:
        """A live version with no marker anywhere: liveness > 0.8 is the only tell."""
        track = self.live_version(song, truth=TrackTruth.LIVE_UNMARKED, name=song.title, high=True)
        track.liveness = round(self.rng.uniform(0.85, 0.99), 4)
        return track

    def remix_track(self, song: _Song) -> Track:
        rng = self.rng
        form = REMIX_FORMS[self._remix_turn % len(REMIX_FORMS)]
        self._remix_turn += 1
        return Track(
            spotify_id=self.ids.spotify(),
            name=form.format(t=song.title, remixer=rng.choice(_REMIXERS)),
            duration_ms=song.duration_ms + rng.randint(20_000, 180_000),
            isrc=self.ids.isrc(rng.randint(song.year, self.spec.last_year)),
            popularity=max(0, song.popularity - rng.randint(5, 35)),
            liveness=round(rng.uniform(0.03, 0.3), 4),
            explicit=song.explicit,
            truth=TrackTruth.STUDIO,
            is_remix=True,
        )

    def variant_track(self, song: _Song) -> Track:
        """A studio variant (radio edit, demo, ...) with its own ISRC."""
        rng = self.rng
        form = STUDIO_VARIANT_FORMS[self._variant_turn % len(STUDIO_VARIANT_FORMS)]
        self._variant_turn += 1
        return Track(
            spotify_id=self.ids.spotify(),
            name=form.format(t=song.title),
            duration_ms=max(60_000, song.duration_ms + rng.randint(-40_000, 20_000)),
            isrc=self.ids.isrc(song.year),
            popularity=max(0, song.popularity - rng.randint(5, 40)),
            liveness=round(rng.uniform(0.03, 0.4), 4),
            explicit=song.explicit,
            truth=TrackTruth.STUDIO,
        )

    # names

    def place(self) -> str:
        rng = self.rng
        if rng.random() < 0.5:
            return rng.choice(_CITIES)[0]
        return rng.choice(
            (
                "Wembley",
                "the Royal Albert Hall",
                "Budokan",
                "the Fillmore",
                "Red Rocks",
                "Glastonbury",
                "the Olympia",
                "Harpa",
                "Paradiso",
            )
        )

    def phrase(self, *, non_ascii: bool = False) -> str:
        if non_ascii:
            return self.rng.choice(_NON_ASCII_PHRASES)
        while True:
            phrase = f"{self.rng.choice(_ADJECTIVES)} {self.rng.choice(_NOUNS)}s"
            if phrase.casefold() not in self._titles:
                self._titles.add(phrase.casefold())
                return phrase

    def live_album_name(self) -> str:
        form = LIVE_ALBUM_FORMS[self._live_album_turn % len(LIVE_ALBUM_FORMS)]
        self._live_album_turn += 1
        return form.format(p=self.phrase(), place=self.place())

    # albums

    def add_album(
        self,
        name: str,
        album_type: str,
        year: int,
        tracks: list[Track],
        *,
        album_group: str | None = None,
        disc_size: int = 0,
    ) -> Album:
        """Number the tracks (several discs when `disc_size`) and append the album."""
        rng = self.rng
        for position, track in enumerate(tracks):
            if disc_size:
                track.disc_number, track.track_number = divmod(position, disc_size)
                track.disc_number += 1
                track.track_number += 1
            else:
                track.track_number = position + 1
        album = Album(
            spotify_id=self.ids.spotify(),
            name=name,
            album_type=album_type,
            release_date=self.release_date(year),
            tracks=tracks,
            album_group=album_group,
            available_markets=["US", *rng.sample(_MARKETS, rng.randint(0, 3))],
            label=rng.choice(
                ("Sandbox Records", "Nordlys Musik", "Crooked Lantern", "Éditions Sœur")
            ),
            popularity=rng.randint(10, 80),
        )
        self.albums.append(album)
        return album

    def release_date(self, year: int) -> str:
        """Mostly day precision; older releases sometimes only year or month."""
        rng = self.rng
        month, day = rng.randint(1, 12), rng.randint(1, 28)
        roll = rng.random()
        if year < 1995 and roll < 0.3:
            return f"{year}"
        if roll < 0.1:
            return f"{year}-{month:02d}"
        return f"{year}-{month:02d}-{day:02d}"

    def year_after(self, year: int, low: int, high: int) -> int:
        return min(self.spec.last_year, year + self.rng.randint(low, high))

    def songs_until(self, year: int) -> list[_Song]:
        """Studio songs with ISRC recorded by `year`: a re-release never predates its song."""
        return [s for s in self.studio_songs if s.year <= year and s.isrc]

    def later_year(self) -> int:
        """A year for a collection (box set, compilation): late enough to have songs."""
        span = self.spec.last_year - self.spec.first_year
        return self.rng.randint(self.spec.first_year + span // 3, self.spec.last_year)


def _build_catalog(catalog: _Catalog) -> list[Album]:
    """All releases of a profile, with every trap kind at least once (mid and up)."""
    rng, spec = catalog.rng, catalog.spec
    studio = _studio_albums(catalog)
    if spec.studio_albums == 1:
        return catalog.albums  # sparse: one plain album
    no_isrc_songs = [s for s in catalog.studio_songs if s.isrc is None]

    # Not the newest album: its deluxe edition would share its release year.
    for album, songs in rng.sample(studio[:-1], spec.deluxe):
        _deluxe_edition(catalog, album, songs)
    # The oldest albums get remastered.
    for album, songs in studio[: spec.remasters]:
        _remaster(catalog, album, songs)
    for _ in range(spec.live_albums):
        _live_album(catalog)
    for number in range(spec.box_sets):
        _box_set(catalog, number, no_isrc_songs)
    for number in range(spec.compilations):
        _compilation(catalog, number, no_isrc_songs)
    _singles(catalog)
    for number in range(spec.appears_on):
        year = catalog.later_year()
        catalog.add_album(
            f"Festival Favourites {year} Vol. {number + 1}",
            "compilation",
            year,
            [catalog.copy_of(rng.choice(catalog.songs_until(year)))],
            album_group="appears_on",
        )
    return catalog.albums


def _studio_albums(catalog: _Catalog) -> list[tuple[Album, list[_Song]]]:
    rng, spec = catalog.rng, catalog.spec
    song_counts = [rng.randint(*spec.studio_tracks) for _ in range(spec.studio_albums)]
    total = sum(song_counts)
    traps = spec.studio_albums > 1
    # Trap titles and non-ASCII titles go to random positions across all albums.
    special_titles: dict[int, str] = {}
    if traps:
        positions = rng.sample(range(total), len(STUDIO_WORD_TITLES) + 4)
        non_ascii = rng.sample(_NON_ASCII_TITLES, 4)
        for position, title in zip(positions, (*STUDIO_WORD_TITLES, *non_ascii), strict=True):
            special_titles[position] = title
    no_isrc = _pick_indexes(rng, total, _quota(total, 0.05, 4)) if traps else set()
    null_features = _pick_indexes(rng, total, _quota(total, 0.04, 3)) if traps else set()
    non_ascii_album = rng.randrange(spec.studio_albums) if traps else -1

    span = spec.last_year - spec.first_year
    studio: list[tuple[Album, list[_Song]]] = []
    position = 0
    for number, count in enumerate(song_counts):
        year = spec.first_year + (span * number) // max(1, spec.studio_albums - 1)
        songs = []
        for _ in range(count):
            songs.append(
                catalog.new_song(
                    year,
                    title=special_titles.get(position),
                    has_isrc=position not in no_isrc,
                    null_features=position in null_features,
                )
            )
            position += 1
        catalog.studio_songs.extend(songs)
        # Often named after a song on it, so trap words reach album names too.
        if number == non_ascii_album:
            name = catalog.phrase(non_ascii=True)
        elif rng.random() < 0.4:
            name = rng.choice(songs).title
        else:
            name = catalog.phrase()
        album = catalog.add_album(name, "album", year, [catalog.original(s) for s in songs])
        studio.append((album, songs))
    return studio


def _bonus_tracks(catalog: _Catalog, songs: list[_Song], count: int) -> list[Track]:
    """Deluxe bonus tracks: at least a live-titled and an unmarked live version."""
    rng = catalog.rng
    with_isrc = [s for s in songs if s.isrc] or songs
    kinds = ["live_title", "live_unmarked"] + [
        rng.choice(("variant", "live_title", "live_unmarked", "new")) for _ in range(count - 2)
    ]
    tracks = []
    for kind in kinds:
        song = rng.choice(with_isrc)
        if kind == "live_title":
            tracks.append(catalog.live_title_track(song))
        elif kind == "live_unmarked":
            tracks.append(catalog.live_unmarked_track(song))
        elif kind == "variant":
            tracks.append(catalog.variant_track(song))
        else:
            tracks.append(catalog.original(catalog.new_song(song.year)))
    return tracks


def _deluxe_edition(catalog: _Catalog, album: Album, songs: list[_Song]) -> None:
    rng = catalog.rng
    suffix = rng.choice(("Deluxe Edition", "Deluxe", "Expanded Edition", "Deluxe Version"))
    year = catalog.year_after(songs[0].year, 1, 6)
    tracks = [catalog.copy_of(song) for song in songs]
    # Every deluxe edition has a song streamed more there than on the original
    # and one tied with it, so popularity alone never settles a duplicate.
    with_isrc = [i for i, song in enumerate(songs) if song.isrc]
    if len(with_isrc) >= 2:
        more_popular, tied = rng.sample(with_isrc, 2)
        tracks[more_popular].popularity = songs[more_popular].popularity + rng.randint(1, 8)
        tracks[tied].popularity = songs[tied].popularity
    tracks += _bonus_tracks(catalog, songs, rng.randint(3, 8))
    catalog.add_album(f"{album.name} ({suffix})", "album", year, tracks)


def _remaster(catalog: _Catalog, album: Album, songs: list[_Song]) -> None:
    rng = catalog.rng
    year = catalog.year_after(songs[0].year, 8, 30)
    name = rng.choice(
        (
            f"{album.name} ({year} Remaster)",
            f"{album.name} (Remastered)",
            f"{album.name} [{year} Remaster]",
        )
    )
    title_form = rng.choice(
        ("{t} - {year} Remaster", "{t} - Remastered {year}", "{t} - Remastered")
    )
    tracks = [catalog.copy_of(s, title=title_form.format(t=s.title, year=year)) for s in songs]
    tracks.append(catalog.live_title_track(rng.choice(songs)))
    catalog.add_album(name, "album", year, tracks)


def _live_album(catalog: _Catalog) -> None:
    rng, spec = catalog.rng, catalog.spec
    year = rng.randint(spec.first_year + 1, spec.last_year)
    candidates = [s for s in catalog.studio_songs if s.year <= year] or catalog.studio_songs
    count = min(len(candidates), rng.randint(*spec.live_tracks))
    songs = rng.sample(candidates, count)
    low = rng.randrange(count)  # the album name is the only reliable tell
    tracks = []
    for position, song in enumerate(songs):
        name = song.title
        if rng.random() < 0.2:
            name = rng.choice(("{t} - Live", "{t} (Live)")).format(t=song.title)
        tracks.append(
            catalog.live_version(
                song,
                truth=TrackTruth.LIVE_ALBUM,
                name=name,
                high=position != low and rng.random() < 0.92,
            )
        )
    catalog.add_album(catalog.live_album_name(), "album", year, tracks)


def _box_set(catalog: _Catalog, number: int, no_isrc_songs: list[_Song]) -> None:
    """60-120 tracks over several discs: studio copies, variants, live takes, remixes."""
    rng, spec = catalog.rng, catalog.spec
    year = catalog.later_year()
    first = rng.randint(spec.first_year, year - 1)
    name = rng.choice(
        (
            f"Anthology {first}-{year}",
            f"The Complete Recordings {first}-{year}",
            f"{catalog.phrase()} (Super Deluxe Edition)",
            f"The Vault: {catalog.phrase()} (Box Set)",
        )
    )
    count = rng.randint(*spec.box_tracks)
    # Fixed minimums guarantee every trap; the rest is a random mix.
    kinds = ["copy"] * 20 + ["variant"] * 6 + ["live_title"] * 5 + ["live_unmarked"] * 3
    kinds += ["remix"] * 2 + ["no_isrc"] * 2 + ["new"] * 2
    weights = {"copy": 45, "variant": 15, "live_title": 15, "live_unmarked": 8, "remix": 7}
    kinds += rng.choices(list(weights), list(weights.values()), k=count - len(kinds))
    rng.shuffle(kinds)
    remaster_form = rng.choice(("{t} - {year} Remaster", "{t}"))
    songs = catalog.songs_until(year)
    no_isrc_songs = [s for s in no_isrc_songs if s.year <= year]
    tracks = []
    for kind in kinds:
        song = rng.choice(songs)
        if kind == "copy":
            tracks.append(
                catalog.copy_of(song, title=remaster_form.format(t=song.title, year=year))
            )
        elif kind == "variant":
            tracks.append(catalog.variant_track(song))
        elif kind == "live_title":
            tracks.append(catalog.live_title_track(song))
        elif kind == "live_unmarked":
            tracks.append(catalog.live_unmarked_track(song))
        elif kind == "remix":
            tracks.append(catalog.remix_track(song))
        elif kind == "no_isrc" and no_isrc_songs:
            tracks.append(catalog.copy_of(rng.choice(no_isrc_songs)))
        else:
            tracks.append(catalog.original(catalog.new_song(year)))
    # One box set of a prolific catalog is typed as a compilation, as labels do.
    album_type = "compilation" if number == 1 else "album"
    catalog.add_album(name, album_type, year, tracks, disc_size=rng.randint(15, 25))


def _compilation(catalog: _Catalog, number: int, no_isrc_songs: list[_Song]) -> None:
    rng, spec = catalog.rng, catalog.spec
    year = catalog.later_year()
    name = rng.choice(
        (
            "Greatest Hits",
            f"The Best of {catalog.artist_name}",
            f"Singles {spec.first_year}-{year}",
            f"Essential {catalog.artist_name}",
            "Hits & Rarities",
            "Gold",
        )
    )
    if number:
        name = f"{name} Vol. {number + 1}"
    count = rng.randint(*spec.compilation_tracks)
    songs = rng.sample(catalog.songs_until(year), count - 3)
    tracks = [catalog.copy_of(song) for song in songs]
    no_isrc_songs = [s for s in no_isrc_songs if s.year <= year]
    if no_isrc_songs:
        tracks.append(catalog.copy_of(rng.choice(no_isrc_songs)))
    tracks.append(catalog.live_unmarked_track(rng.choice(songs)))
    tracks.append(catalog.remix_track(rng.choice(songs)))
    rng.shuffle(tracks)
    catalog.add_album(name, "compilation", year, tracks)


def _singles(catalog: _Catalog) -> None:
    """Singles: an album song or a new one, with B-sides of every kind."""
    rng, spec = catalog.rng, catalog.spec
    b_side_kinds = ("remix", "variant", "live_title", "live_unmarked", "remix_single")
    kinds = [*b_side_kinds, *(rng.choice(b_side_kinds) for _ in range(spec.singles - 5))]
    rng.shuffle(kinds)
    for kind in kinds:
        if rng.random() < 0.75:
            song = rng.choice(catalog.songs_until(spec.last_year))
            lead = catalog.copy_of(song)
        else:
            song = catalog.new_song(rng.randint(spec.first_year, spec.last_year))
            catalog.studio_songs.append(song)
            lead = catalog.original(song)
        year = catalog.year_after(song.year, 0, 1)
        tracks = [lead]
        if kind == "remix_single":
            tracks += [catalog.remix_track(song) for _ in range(rng.randint(2, 4))]
            catalog.add_album(f"{song.title} (Remixes)", "single", year, tracks)
            continue
        if kind == "remix":
            tracks.append(catalog.remix_track(song))
        elif kind == "variant":
            tracks.append(catalog.variant_track(song))
        elif kind == "live_title":
            tracks.append(catalog.live_title_track(song))
        else:
            tracks.append(catalog.live_unmarked_track(song))
        catalog.add_album(song.title, "single", year, tracks)


# --- events -----------------------------------------------------------------


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


def _events(
    rng: random.Random,
    ids: _Ids,
    spec: _Spec,
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
        ("cancelled", _quota(total, 0.03, 2)),
        ("canceled", _quota(total, 0.01, 1)),
        ("postponed", _quota(total, 0.02, 1)),
        ("rescheduled", _quota(total, 0.02, 1)),
        ("offsale", _quota(total, 0.03, 1)),
    )
    picked = rng.sample(range(total), sum(count for _, count in status_quotas))
    for status, count in status_quotas:
        for index in picked[:count]:
            statuses[index] = status
        picked = picked[count:]
    no_venue = _pick_indexes(rng, total, _quota(total, 0.02, 2), exclude=forced_venue.keys())
    date_tba = _pick_indexes(rng, total, _quota(total, 0.01, 1))
    time_tba = _pick_indexes(rng, total, _quota(total, 0.03, 2))
    listed_twice = _pick_indexes(rng, total, _quota(total, 0.02, 2))
    no_timezone = _pick_indexes(rng, total, round(total / 5))
    # Matinee and evening: the second show reuses the previous date and venue.
    second_show = _pick_indexes(
        rng, total, _quota(total, 0.03, 2), exclude={0, *forced_venue.keys()}
    )

    tour_name = f"{rng.choice(_TOUR_WORDS)} Tour"
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
        timezone = venue.timezone if venue else rng.choice(_CITIES)[4]
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
    roll = rng.random()
    if roll < 0.55:
        return artist_name
    if roll < 0.8:
        return f"{artist_name}: {tour_name}"
    if roll < 0.92:
        return f"{artist_name} with {rng.choice(_SUPPORT_ACTS)}"
    return f"An Evening with {artist_name}"


# --- artists ----------------------------------------------------------------

_GENERATED_FORMS: tuple[Callable[[str, str], str], ...] = (
    lambda adjective, noun: f"{adjective} {noun}",
    lambda adjective, noun: f"The {adjective} {noun}",
    lambda adjective, noun: f"{adjective} {noun} Club",
    lambda adjective, noun: f"{adjective} {noun} Orchestra",
    lambda adjective, noun: f"{adjective} {noun} Society",
)
_GENERATED_ADJECTIVES = (*_ADJECTIVES, "Blå", "Lumière", "Über", "Señor", "Mörk", "Hōshi")
_GENERATED_NOUNS = (*_NOUNS, "Fjörd", "Café", "Niño", "Ælf", "Søster", "Kōri")
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
    if name not in _SPECS:
        raise ValueError(f"unknown profile {name!r} (choose from {', '.join(PROFILES)})")
    if index is not None and not 0 <= index < MAX_GENERATED_PER_PROFILE:
        raise ValueError(f"index must be in 0..{MAX_GENERATED_PER_PROFILE - 1}, got {index}")
    spec = _SPECS[name]
    pool = venue_pool or VenuePool.build(seed=seed)
    rng = random.Random(f"profile:{name}:{'builtin' if index is None else index}:{seed}")

    if index is None:
        attraction_id = BUILTIN_ATTRACTION_IDS[name]
        artist_name = BUILTIN_NAMES[name]
        spotify_linked = spec.spotify_linked
    else:
        attraction_id = _generated_attraction_id(name, index)
        artist_name = _generated_name(name, index, seed)
        # One generated artist in five must be found by Spotify search.
        spotify_linked = index % 5 != 2
    tag = attraction_id[-5:]
    spotify_id = BUILTIN_SPOTIFY_IDS[name] if index is None else _random_chars(rng, 17) + tag
    ids = _Ids(rng, tag, rng.choice(_ISRC_COUNTRIES), _isrc_registrant(name, index))

    albums = _build_catalog(_Catalog(rng, ids, spec, artist_name))
    events = _events(rng, ids, spec, artist_name, anchor, pool)
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
                spotify_id=_random_chars(rng, 22),
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
