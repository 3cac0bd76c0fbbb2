"""The releases of one artist: studio albums, then deluxe editions, remasters, live
albums, box sets, compilations, singles, appearances and regional releases, each
carrying its traps."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from sandbox.profiles.catalog import Catalog, Song
from sandbox.profiles.forms import (
    REMASTER_FORMS,
    REMIX_FORMS,
    SONG_WORD_TITLES,
    SONG_WORD_VERSIONS,
    STUDIO_VARIANT_FORMS,
    STUDIO_WORD_TITLES,
)
from sandbox.profiles.ids import pick_indexes, quota
from sandbox.profiles.words import NON_ASCII_TITLES
from sandbox.world import Album, Track, TrackTruth

# Markets of regional releases. None holds "US", the market the importer asks for,
# so a correct import never sees them.
REGIONS: tuple[tuple[str, ...], ...] = (("JP",), ("DE", "AT", "CH"), ("BR",), ("GB", "IE"))
# About one studio album in this many also has a regional release (mid and up).
REGIONAL_SHARE = 1 / 8


def build_catalog(catalog: Catalog) -> list[Album]:
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
    # Last, so the releases above stay as they were before regional ones existed.
    count = quota(spec.studio_albums, REGIONAL_SHARE, 1)
    # Not the newest album: a regional release comes out a year or two later.
    for number, (album, _) in enumerate(rng.sample(studio[:-1], count)):
        regional_release(catalog, album, REGIONS[number % len(REGIONS)])
    return catalog.albums


def _studio_albums(catalog: Catalog) -> list[tuple[Album, list[Song]]]:
    rng, spec = catalog.rng, catalog.spec
    song_counts = [rng.randint(*spec.studio_tracks) for _ in range(spec.studio_albums)]
    total = sum(song_counts)
    traps = spec.studio_albums > 1
    # Trap titles and non-ASCII titles go to random positions across all albums.
    special_titles: dict[int, str] = {}
    if traps:
        titles = (*STUDIO_WORD_TITLES, *SONG_WORD_TITLES, *rng.sample(NON_ASCII_TITLES, 4))
        positions = rng.sample(range(total), len(titles))
        special_titles = dict(zip(positions, titles, strict=True))
        # No fresh title drawn before a trap title's turn may take it.
        catalog.reserve_titles(titles)
    no_isrc = pick_indexes(rng, total, quota(total, 0.05, 4)) if traps else set()
    null_features = pick_indexes(rng, total, quota(total, 0.04, 3)) if traps else set()
    non_ascii_album = rng.randrange(spec.studio_albums) if traps else -1

    span = spec.last_year - spec.first_year
    studio: list[tuple[Album, list[Song]]] = []
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


def _bonus_tracks(catalog: Catalog, songs: list[Song], count: int) -> list[Track]:
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


def _deluxe_edition(catalog: Catalog, album: Album, songs: list[Song]) -> None:
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


def _remaster(catalog: Catalog, album: Album, songs: list[Song]) -> None:
    rng = catalog.rng
    year = catalog.year_after(songs[0].year, 8, 30)
    name = rng.choice(
        (
            f"{album.name} ({year} Remaster)",
            f"{album.name} (Remastered)",
            f"{album.name} [{year} Remaster]",
        )
    )
    title_form = rng.choice(REMASTER_FORMS)
    tracks = [catalog.copy_of(s, title=title_form.format(t=s.title, year=year)) for s in songs]
    tracks.append(catalog.live_title_track(rng.choice(songs)))
    catalog.add_album(name, "album", year, tracks)


def _live_album(catalog: Catalog) -> None:
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


def _box_set(catalog: Catalog, number: int, no_isrc_songs: list[Song]) -> None:
    """60-120 tracks over several discs: studio copies, variants, live takes, remixes.

    The first box set has a variant in every form of STUDIO_VARIANT_FORMS."""
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
    variants = len(STUDIO_VARIANT_FORMS) if number == 0 else 6
    kinds = ["copy"] * 20 + ["variant"] * variants + ["live_title"] * 5 + ["live_unmarked"] * 3
    kinds += ["remix"] * 2 + ["no_isrc"] * 2 + ["new"] * 2
    weights = {"copy": 45, "variant": 15, "live_title": 15, "live_unmarked": 8, "remix": 7}
    kinds += rng.choices(list(weights), list(weights.values()), k=max(0, count - len(kinds)))
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


def _compilation(catalog: Catalog, number: int, no_isrc_songs: list[Song]) -> None:
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


def _singles(catalog: Catalog) -> None:
    """Singles: an album song or a new one, with B-sides of every kind; and one single
    for each song whose title holds a version word, with that version as its B-side."""
    rng, spec = catalog.rng, catalog.spec
    b_side_kinds = ("remix", "variant", "live_title", "live_unmarked", "remix_single")
    word_songs = [s for s in catalog.studio_songs if s.title in SONG_WORD_VERSIONS]
    count = max(0, spec.singles - len(b_side_kinds) - len(word_songs))
    kinds = [*b_side_kinds, *(rng.choice(b_side_kinds) for _ in range(count))]
    kinds += ["song_word"] * len(word_songs)
    rng.shuffle(kinds)
    for kind in kinds:
        if kind == "song_word":
            song = word_songs.pop()
            form = SONG_WORD_VERSIONS[song.title]
            version = (
                catalog.remix_track(song, form=form)
                if form in REMIX_FORMS
                else catalog.variant_track(song, form=form)
            )
            year = catalog.year_after(song.year, 0, 1)
            catalog.add_album(song.title, "single", year, [catalog.copy_of(song), version])
            continue
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


def regional_release(
    catalog: Catalog, album: Album, region: Sequence[str], *, release_date: str | None = None
) -> Album:
    """A separate release of `album` for `region`: own ids and markets, same recordings.

    Its tracks keep the ISRCs, names, durations and truth of the original's, with
    less popularity. The original is no longer sold in the region, as on Spotify,
    where the regional release stands in for it there. Released a year or two
    later (or on `release_date`), so the original stays the earliest copy of its
    songs. The release is appended to the catalog's albums and returned.
    """
    rng = catalog.rng
    album.available_markets = [m for m in album.available_markets if m not in region]
    year = catalog.year_after(int(album.release_date[:4]), 1, 2)
    tracks = [
        dataclasses.replace(
            track,
            spotify_id=catalog.ids.spotify(),
            popularity=max(0, track.popularity - rng.randint(1, 20)),
        )
        for track in album.tracks
    ]
    regional = Album(
        spotify_id=catalog.ids.spotify(),
        name=album.name,
        album_type=album.album_type,
        release_date=release_date or catalog.release_date(year),
        tracks=tracks,
        album_group=album.album_group,
        available_markets=list(region),
        label=album.label,
        popularity=max(0, album.popularity - rng.randint(5, 30)),
    )
    catalog.albums.append(regional)
    return regional
