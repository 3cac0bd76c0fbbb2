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
