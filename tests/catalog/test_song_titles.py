"""`catalog.rules.song_title`: a recording's title read as its song (title, version kind),
and `main_recording_key`, the order that puts a song's main recording first. Table-driven:
each row is a title as Spotify lists it, the song it is of, and what version it is."""

from __future__ import annotations

import pytest

from catalog.rules import VersionKind, main_recording_key, normalise_title, song_title

OG = VersionKind.ORIGINAL
RM = VersionKind.REMASTER
D = VersionKind.DEMO
A = VersionKind.ALTERNATE
E = VersionKind.EDIT
MO = VersionKind.MONO
ST = VersionKind.STEREO
B = VersionKind.BONUS
RR = VersionKind.RERECORDED
AC = VersionKind.ACOUSTIC
I = VersionKind.INSTRUMENTAL  # noqa: E741
RX = VersionKind.REMIX
L = VersionKind.LIVE

CASES = [
    # --- plain titles, and titles whose own words look like markers: they stay whole
    ("Alive", "Alive", OG),
    ("Demolition Man", "Demolition Man", OG),
    ("Edit the Heart", "Edit the Heart", OG),
    ("Remix the World", "Remix the World", OG),
    ("Mono No Aware", "Mono No Aware", OG),
    ("Acoustic Girl", "Acoustic Girl", OG),
    ("Take Five", "Take Five", OG),
    ("Demo Tape Blues", "Demo Tape Blues", OG),
    ("Radio Ga Ga", "Radio Ga Ga", OG),
    ("Single Ladies", "Single Ladies", OG),
    ("Early Morning Rain", "Early Morning Rain", OG),
    ("Stereo Love", "Stereo Love", OG),
    ("Bonus Round", "Bonus Round", OG),
    ("Instrumental Girl", "Instrumental Girl", OG),
    ("Mixed Emotions", "Mixed Emotions", OG),
    ("Live Wire", "Live Wire", OG),
    ("Original Sin", "Original Sin", OG),
    ("Version of Me", "Version of Me", OG),
    ("Ob-La-Di, Ob-La-Da", "Ob-La-Di, Ob-La-Da", OG),
    ("(I Can't Get No) Satisfaction", "(I Can't Get No) Satisfaction", OG),
    ("Song (Part 2)", "Song (Part 2)", OG),
    ("Song (Interlude)", "Song (Interlude)", OG),
    ("Song - Part 2", "Song - Part 2", OG),
    ("Song (Take Me Home)", "Song (Take Me Home)", OG),
    ("Song (Radio Silence)", "Song (Radio Silence)", OG),
    ("Song (Early Days)", "Song (Early Days)", OG),
    ("Song - The Early Years", "Song - The Early Years", OG),
    ("Song (Album of the Year)", "Song (Album of the Year)", OG),
    ("Song (2019)", "Song (2019)", OG),
    ("Song (I Live for You)", "Song (I Live for You)", OG),
    ('Song (From "The Movie")', 'Song (From "The Movie")', OG),
    # --- remasters
    ("Alive - Remastered", "Alive", RM),
    ("Alive (Remastered)", "Alive", RM),
    ("Alive [Remastered]", "Alive", RM),
    ("Alive - Remaster", "Alive", RM),
    ("Alive - 2011 Remaster", "Alive", RM),
    ("Alive - Remastered 2011", "Alive", RM),
    ("Alive (2015 Remastered Version)", "Alive", RM),
    ("Alive - Remastered Version", "Alive", RM),
    ("Alive (Digitally Remastered)", "Alive", RM),
    ("Alive - Digital Remaster 2001", "Alive", RM),
    ("Alive (Remastered 2009 Edition)", "Alive", RM),
    ("alive - REMASTERED", "alive", RM),
    ("Alive \N{EN DASH} Remastered 2011", "Alive", RM),
    ("Alive \N{EM DASH} 2011 Remaster", "Alive", RM),
    ("Alive (Remasterd)", "Alive", RM),
    ("Alive (2019 Mix)", "Alive", RM),
    ("Alive - 2009 Mix", "Alive", RM),
    ("Alive (Remasterised)", "Alive", RM),
    # --- demos
    ("Alive (Demo)", "Alive", D),
    ("Alive - Demo", "Alive", D),
    ("Alive [Demo]", "Alive", D),
    ("Alive - Demo Version", "Alive", D),
    ("Alive (Original Demo)", "Alive", D),
    ("Alive (Demo 1994)", "Alive", D),
    ("Alive (1994 Demo)", "Alive", D),
    ("Alive (Home Demo)", "Alive (Home Demo)", OG),  # "home" is not a version word: stays
    ("Alive - demo", "Alive", D),
    # --- early / alternate versions, takes
    ("Alive - Early Version", "Alive", A),
    ("Alive (Early Version)", "Alive", A),
    ("Alive (Alternate Version)", "Alive", A),
    ("Alive - Alternative Version", "Alive", A),
    ("Alive (Alternate Take)", "Alive", A),
    ("Alive (Take 3)", "Alive", A),
    ("Alive - Take 2", "Alive", A),
    ("Alive (Take Two)", "Alive", A),
    ("Alive (Outtake)", "Alive", A),
    ("Alive [Alternate Take 4]", "Alive", A),
    # --- single / album / radio versions and edits
    ("Alive - Single Version", "Alive", E),
    ("Alive (Single Version)", "Alive", E),
    ("Alive - Album Version", "Alive", E),
    ("Alive (Radio Version)", "Alive", E),
    ("Alive - Radio Edit", "Alive", E),
    ("Alive (Radio Edit)", "Alive", E),
    ("Alive (Edit)", "Alive", E),
    ("Alive - Edit", "Alive", E),
    ("Alive (Single Edit)", "Alive", E),
    ("Alive [Single]", "Alive", E),
    ("Alive (Album Mix)", "Alive", E),
    # --- mono, stereo
    ("Alive - Mono", "Alive", MO),
    ("Alive (Mono)", "Alive", MO),
    ("Alive (Mono Version)", "Alive", MO),
    ("Alive - Mono Mix", "Alive", MO),
    ("Alive (Stereo)", "Alive", ST),
    ("Alive - Stereo Version", "Alive", ST),
    ("Alive (Stereo Mix)", "Alive", ST),
    # --- bonus tracks
    ("Alive (Bonus Track)", "Alive", B),
    ("Alive - Bonus Track", "Alive", B),
    ("Alive [Bonus]", "Alive", B),
    ("Alive (Bonustrack)", "Alive", B),
    # --- re-recorded
    ("Alive (Re-Recorded)", "Alive", RR),
    ("Alive - Re-recorded Version", "Alive", RR),
    ("Alive (Rerecorded 2020)", "Alive", RR),
    ("Love Story (Taylor's Version)", "Love Story", RR),
    ("Love Story (Taylor\N{RIGHT SINGLE QUOTATION MARK}s Version)", "Love Story", RR),
    ("Alive (Nova's Version)", "Alive", RR),
    ("Alive (Re-Recording)", "Alive", RR),
    # --- acoustic, instrumental
    ("Alive (Acoustic)", "Alive", AC),
    ("Alive - Acoustic", "Alive", AC),
    ("Alive - Acoustic Version", "Alive", AC),
    ("Alive [Acoustic Version]", "Alive", AC),
    ("Alive (Instrumental)", "Alive", I),
    ("Alive - Instrumental", "Alive", I),
    ("Alive (Instrumental Version)", "Alive", I),
    # --- remixes: still a recording of the song, marked so
    ("Alive (Remix)", "Alive", RX),
    ("Alive (Neon Cartel Remix)", "Alive", RX),
    ("Alive - Neon Cartel Remix", "Alive", RX),
    ("Alive [DJ Halcyon Remix]", "Alive", RX),
    ("Alive (Remixed by Night Owls)", "Alive", RX),
    ("Alive (Club Mix)", "Alive", RX),
    ("Alive - Extended Mix", "Alive", RX),
    ("Alive (Dub Mix)", "Alive", RX),
    ("Alive (RMX)", "Alive", RX),
    ("Alive (Rework)", "Alive", RX),
    ("Alive (Original Mix)", "Alive", OG),
    ("Alive (Original Version)", "Alive", OG),
    # --- live (the catalog drops these; the rule still names them)
    ("Alive - Live", "Alive", L),
    ("Alive (Live at Wembley)", "Alive", L),
    ("Alive - Live / Remastered 2011", "Alive", L),
    ("Alive (En Vivo)", "Alive", L),
    ("Alive (Ao Vivo)", "Alive", L),
    # --- several markers: the one that changes the recording most
    ("Alive (Remastered 2011 / Mono)", "Alive", RM),
    ("Alive - Mono / Remastered", "Alive", RM),
    ("Alive (Demo) - Remastered", "Alive", D),
    ("Alive - Radio Edit - Remastered", "Alive", E),
    ("Alive (Acoustic) [Remastered]", "Alive", AC),
    ("Alive (Neon Cartel Remix) - Radio Edit", "Alive", RX),
    ("Alive (Single Version) [Mono]", "Alive", E),
    ("Alive [2011 Remaster, Stereo]", "Alive", RM),
    # --- feat. credits are not the song's title
    ("Alive (feat. Noémie)", "Alive", OG),
    ("Alive [feat. Noémie]", "Alive", OG),
    ("Alive (ft. Noémie)", "Alive", OG),
    ("Alive (featuring Noémie)", "Alive", OG),
    ("Alive (with Noémie)", "Alive", OG),
    ("Alive feat. Noémie", "Alive", OG),
    ("Alive ft. Noémie", "Alive", OG),
    ("Alive (feat. Noémie) - Remastered", "Alive", RM),
    ("Alive - Radio Edit (feat. Noémie)", "Alive", E),
    ("Alive (feat. Noémie) [Neon Cartel Remix]", "Alive", RX),
    ("Dance With Me", "Dance With Me", OG),
    # --- Spanish
    ("Canción - Remasterizado", "Canción", RM),
    ("Canción (Remasterizado 2015)", "Canción", RM),
    ("Canción - Remasterizada", "Canción", RM),
    ("Canción (Versión Demo)", "Canción", D),
    ("Canción - Maqueta", "Canción", D),
    ("Canción (Versión Acústica)", "Canción", AC),
    ("Canción - Versión Instrumental", "Canción", I),
    ("Canción (Versión Alternativa)", "Canción", A),
    ("Canción - Versión Sencillo", "Canción", E),
    ("Canción (Versión Radio)", "Canción", E),
    ("Canción (Remezcla)", "Canción", RX),
    ("Canción - Regrabada", "Canción", RR),
    ("Canción (En Directo)", "Canción", L),
    ("Canción (Primera Versión)", "Canción", A),
    # --- Portuguese
    ("Canção - Remasterizado", "Canção", RM),
    ("Canção (Versão Demo)", "Canção", D),
    ("Canção - Versão Acústica", "Canção", AC),
    ("Canção (Versão Alternativa)", "Canção", A),
    ("Canção (Versão Instrumental)", "Canção", I),
    ("Canção - Versão Single", "Canção", E),
    ("Canção (Regravada)", "Canção", RR),
    ("Canção (Primeira Versão)", "Canção", A),
    # --- French
    ("Chanson - Remasterisé", "Chanson", RM),
    ("Chanson (Remasterisée 2012)", "Chanson", RM),
    ("Chanson (Version acoustique)", "Chanson", AC),
    ("Chanson - Version Démo", "Chanson", D),
    ("Chanson (Version alternative)", "Chanson", A),
    ("Chanson (Version instrumentale)", "Chanson", I),
    ("Chanson - Version radio", "Chanson", E),
    ("Chanson (Version single)", "Chanson", E),
    ("Chanson (Réenregistrée)", "Chanson", RR),
    ("Chanson (Première version)", "Chanson", A),
    # --- German
    ("Lied - Remastered", "Lied", RM),
    ("Lied (Remastert)", "Lied", RM),
    ("Lied (Frühe Fassung)", "Lied", A),
    ("Lied - Alternative Fassung", "Lied", A),
    ("Lied (Akustik)", "Lied", AC),
    ("Lied - Akustikversion", "Lied", AC),
    ("Lied (Akustische Fassung)", "Lied", AC),
    ("Lied (Demoversion)", "Lied", D),
    ("Lied (Instrumentalversion)", "Lied", I),
    ("Lied - Singleversion", "Lied", E),
    ("Lied (Neu aufgenommen)", "Lied", RR),
    ("Lied (Neuaufnahme)", "Lied", RR),
    # --- spacing and punctuation
    ("  Alive   (Demo)  ", "Alive", D),
    ("Alive -  Remastered ", "Alive", RM),
    ("Alive: Remastered", "Alive: Remastered", OG),  # a colon is not a version separator
    ("Remastered", "Remastered", OG),  # a whole title is never stripped away
    ("(Demo)", "(Demo)", OG),
]


def test_the_table_is_large_enough():
    assert len(CASES) >= 150


@pytest.mark.parametrize(("title", "song", "kind"), CASES, ids=[c[0] for c in CASES])
def test_song_title(title, song, kind):
    read = song_title(title)
    assert (read.title, read.kind) == (song, kind)
    assert read.key == normalise_title(song)


def test_versions_of_one_song_share_its_key():
    versions = [
        "Alive",
        "Alive (Demo)",
        "Alive - Early Version",
        "Alive - Remastered",
        "Alive (Neon Cartel Remix)",
        "ALIVE (feat. Noémie)",
    ]
    assert {song_title(title).key for title in versions} == {"alive"}


def recording(kind, album_type="album", release_date="2001-05-01", spotify_id="b" * 22):
    return main_recording_key(
        kind=kind, album_type=album_type, release_date=release_date, spotify_id=spotify_id
    )


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (recording(OG, "single"), recording(RM, "album")),
        (recording(OG, "compilation"), recording(D, "album")),
        (recording(OG, release_date="2010"), recording(E, release_date="1990")),
        (recording(MO), recording(AC)),
        (recording(OG, "album"), recording(OG, "single")),
        (recording(OG, "single"), recording(OG, "compilation")),
        (recording(OG, release_date="1990-01"), recording(OG, release_date="1990-02-01")),
        (recording(OG, spotify_id="a" * 22), recording(OG, spotify_id="b" * 22)),
        (recording(OG), recording(A)),
        (recording(RR), recording(RX)),
    ],
    ids=[
        "original single before remastered album",
        "original compilation before album demo",
        "original before an earlier edit",
        "mono before acoustic",
        "album before single",
        "single before compilation",
        "earlier release first",
        "smallest Spotify id breaks a tie",
        "original before alternate",
        "re-recorded before remix",
    ],
)
def test_main_recording_order(first, second):
    assert first < second
