"""Built-in artist profiles (`sparse`, `mid`, `prolific`) generated from a seed.

Generation is deterministic: every random choice comes from a `random.Random`
seeded with a string built from the profile, the artist index and the seed
(never the global generator, never `hash()`, which is salted per process), so
the same seed and anchor date give equal artists on every machine. Event dates
are `anchor + N days`, which keeps every profile upcoming whatever the day.

The catalogs carry the traps real ones have (see SANDBOX.md "Scenarios") and
label every track with the truth the generator intended (`TrackTruth`) and with
the song it is a recording of (`Track.song`), so `truth.py` can say what a
correct importer keeps, and which songs, without re-using name rules:

- live albums, named with an explicit marker (`LIVE_ALBUM_FORMS`);
- live versions with a marker in the title (`LIVE_TITLE_FORMS`) and without
  any marker but liveness > 0.8 (`LIVE_UNMARKED`, never with null liveness);
- deluxe editions, remasters, box sets, compilations and singles whose copies
  of a studio recording share its ISRC (popularity usually highest on the
  original, sometimes tied, sometimes higher on the re-release);
- studio songs whose titles contain live/radio/tour/session words
  (`STUDIO_WORD_TITLES`), remixes with their own ISRC (`is_remix`), radio
  edits, demos, instrumentals, takes, mono mixes, "(X's Version)" and feat.
  credits, in English, Spanish, Portuguese, French and German (studio
  recordings with their own ISRC, `STUDIO_VARIANT_FORMS`: the first box set has
  every form);
- studio songs whose own titles hold a version word ("Demolition Man", "Acoustic
  Girl", `SONG_WORD_TITLES`), each on a single with a version of it whose marker
  repeats the word ("Acoustic Girl - Acoustic", `SONG_WORD_VERSIONS`);
- studio tracks without ISRC, some re-released without ISRC under the same
  title and duration (same second), and studio tracks with null audio features;
- albums with more than 50 tracks, non-ASCII names everywhere;
- events without venue, with TBA date or time, every status (both spellings of
  cancelled), listed twice by the search, without timezone, several shows on
  one date; venues with stray whitespace in the city or without coordinates.

Modules: `specs` (profile sizes, built-in ids), `forms` (trap titles and name
forms), `words` (word lists and places), `ids`, `venues`, `catalog` (songs and
tracks of one artist), `releases` (the albums built from them), `events`,
`artists` (`build_profile`, `generate_artists`, decoys) and `lineups` (events
shared between artists: support acts, co-headlined runs, festivals). This
module re-exports the public names.
"""

from sandbox.profiles.artists import build_profile, decoy_spotify_artists, generate_artists
from sandbox.profiles.forms import (
    LIVE_ALBUM_FORMS,
    LIVE_TITLE_FORMS,
    NON_ENGLISH_VARIANT_FORMS,
    REMASTER_FORMS,
    REMIX_FORMS,
    SONG_WORD_TITLES,
    SONG_WORD_VERSIONS,
    STUDIO_VARIANT_FORMS,
    STUDIO_WORD_TITLES,
)
from sandbox.profiles.lineups import (
    SUPPORT_ATTRACTION_IDS,
    SUPPORT_PROFILE,
    SUPPORT_SPOTIFY_IDS,
    add_lineups,
)
from sandbox.profiles.specs import (
    BUILTIN_ATTRACTION_IDS,
    BUILTIN_NAMES,
    BUILTIN_SPOTIFY_IDS,
    MAX_GENERATED_PER_PROFILE,
    PROFILES,
)
from sandbox.profiles.venues import VenuePool

__all__ = [
    "BUILTIN_ATTRACTION_IDS",
    "BUILTIN_NAMES",
    "BUILTIN_SPOTIFY_IDS",
    "LIVE_ALBUM_FORMS",
    "LIVE_TITLE_FORMS",
    "MAX_GENERATED_PER_PROFILE",
    "NON_ENGLISH_VARIANT_FORMS",
    "PROFILES",
    "REMASTER_FORMS",
    "REMIX_FORMS",
    "SONG_WORD_TITLES",
    "SONG_WORD_VERSIONS",
    "STUDIO_VARIANT_FORMS",
    "STUDIO_WORD_TITLES",
    "SUPPORT_ATTRACTION_IDS",
    "SUPPORT_PROFILE",
    "SUPPORT_SPOTIFY_IDS",
    "VenuePool",
    "add_lineups",
    "build_profile",
    "decoy_spotify_artists",
    "generate_artists",
]
