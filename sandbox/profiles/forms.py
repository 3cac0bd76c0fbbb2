"""The trap titles and name forms the generator plants, which `truth.py` also reads."""

from __future__ import annotations

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
# Studio recordings of a song with their own ISRC (not remixes, not live), in other
# languages: a song-title rule must read their markers too.
NON_ENGLISH_VARIANT_FORMS: tuple[str, ...] = (
    "{t} - Versión Acústica",
    "{t} (Versión Instrumental)",
    "{t} - Remasterizado 2011",
    "{t} (Versão Demo)",
    "{t} - Versão Acústica",
    "{t} - Remasterisé",
    "{t} (Version acoustique)",
    "{t} (Akustische Fassung)",
    "{t} - Demoversion",
)
# Studio recordings of a song with their own ISRC (not remixes, not live); "{artist}"
# is the artist's first name or word, "{guest}" a guest artist.
STUDIO_VARIANT_FORMS: tuple[str, ...] = (
    "{t} - Radio Edit",
    "{t} - Demo",
    "{t} (Demo)",
    "{t} - Instrumental",
    "{t} - Alternate Take",
    "{t} - Early Version",
    "{t} - Acoustic",
    "{t} - Single Version",
    "{t} [Mono]",
    "{t} - Bonus Track",
    "{t} (Take 2)",
    "{t} ({artist}'s Version)",
    "{t} (feat. {guest})",
    *NON_ENGLISH_VARIANT_FORMS,
)
# Titles of remastered recordings; "{year}" is the year of the remaster.
REMASTER_FORMS: tuple[str, ...] = (
    "{t} - {year} Remaster",
    "{t} - Remastered {year}",
    "{t} - Remastered",
    "{t} (Remastered {year})",
    "{t} - Remasterizado {year}",
)

# Studio songs whose own titles hold a version word, each with a version of it whose
# marker repeats that word: a song-title rule must take the marker off, not the word.
SONG_WORD_VERSIONS: dict[str, str] = {
    "Demolition Man": "{t} (Demo)",
    "Edit the Heart": "{t} - Radio Edit",
    "Remix the World": "{t} (Remix)",
    "Mono No Aware": "{t} [Mono]",
    "Acoustic Girl": "{t} - Acoustic",
    "Demo Tape Love": "{t} - Demo",
    "Bonus Round": "{t} - Bonus Track",
    "Take Me Home": "{t} (Take 2)",
}
SONG_WORD_TITLES: tuple[str, ...] = tuple(SONG_WORD_VERSIONS)
