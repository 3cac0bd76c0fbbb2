"""One artist's catalog under construction: studio songs, tracks of every kind, albums."""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass

from sandbox.profiles.forms import (
    LIVE_ALBUM_FORMS,
    LIVE_TITLE_FORMS,
    REMASTER_FORMS,
    REMIX_FORMS,
    STUDIO_VARIANT_FORMS,
)
from sandbox.profiles.ids import Ids
from sandbox.profiles.specs import Spec
from sandbox.profiles.words import (
    ADJECTIVES,
    ADVERBS,
    CITIES,
    FIRST_NAMES,
    LABELS,
    MARKETS,
    NON_ASCII_PHRASES,
    NOUNS,
    REMIXERS,
    SUPPORT_ACTS,
    VERBS,
)
from sandbox.world import Album, Track, TrackTruth


@dataclass(slots=True)
class Song:
    """A studio recording; every copy of it on any release shares these values, and
    every recording of it (copies, versions, live takes) carries `title` as its song."""

    title: str
    isrc: str | None
    duration_ms: int
    popularity: int
    liveness: float | None
    explicit: bool
    year: int


class Catalog:
    """Builds one artist's releases, keeping titles unique and traps in quota."""

    def __init__(self, rng: random.Random, ids: Ids, spec: Spec, artist_name: str) -> None:
        self.rng = rng
        self.ids = ids
        self.spec = spec
        self.artist_name = artist_name
        # What "(X's Version)" calls the artist: its first word, short of "The".
        self.artist_word = (artist_name.removeprefix("The ").split() or [artist_name])[0]
        self.albums: list[Album] = []
        self.studio_songs: list[Song] = []
        self._titles: set[str] = set()
        self._live_title_turn = rng.randrange(len(LIVE_TITLE_FORMS))
        self._live_album_turn = rng.randrange(len(LIVE_ALBUM_FORMS))
        self._remix_turn = rng.randrange(len(REMIX_FORMS))
        self._variant_turn = rng.randrange(len(STUDIO_VARIANT_FORMS))

    # songs and titles

    def reserve_titles(self, titles: Iterable[str]) -> None:
        """Keep new songs and phrases off `titles` (an existing catalog's names)."""
        self._titles.update(title.casefold() for title in titles)

    def _fresh_title(self) -> str:
        rng = self.rng
        while True:
            form = rng.randrange(7)
            if form == 0:
                title = f"{rng.choice(ADJECTIVES)} {rng.choice(NOUNS)}"
            elif form == 1:
                title = f"{rng.choice(VERBS)} the {rng.choice(NOUNS)}"
            elif form == 2:
                title = f"{rng.choice(NOUNS)} of {rng.choice(NOUNS)}s"
            elif form == 3:
                title = f"{rng.choice(VERBS)} {rng.choice(ADVERBS)}"
            elif form == 4:
                title = f"The {rng.choice(ADJECTIVES)} {rng.choice(NOUNS)}"
            elif form == 5:
                title = f"{rng.choice(ADJECTIVES)} {rng.choice(NOUNS)}s"
            else:
                title = f"{rng.choice(NOUNS)} Song"
            if title.casefold() not in self._titles:
                return title

    def new_song(
        self,
        year: int,
        *,
        title: str | None = None,
        has_isrc: bool = True,
        null_features: bool = False,
    ) -> Song:
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
        return Song(
            title=title,
            isrc=self.ids.isrc(year) if has_isrc else None,
            duration_ms=seconds * 1000 + rng.randint(100, 400),
            popularity=rng.randint(15, 85),
            liveness=liveness,
            explicit=rng.random() < 0.08,
            year=year,
        )

    # tracks

    def copy_of(self, song: Song, *, title: str | None = None, demote: bool = True) -> Track:
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
            song=song.title,
        )

    def original(self, song: Song) -> Track:
        return self.copy_of(song, demote=False)

    def _live_liveness(self, *, high: bool) -> float:
        rng = self.rng
        return round(rng.uniform(0.82, 0.99) if high else rng.uniform(0.3, 0.7), 4)

    def live_version(self, song: Song, *, truth: TrackTruth, name: str, high: bool) -> Track:
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
            song=song.title,
        )

    def live_title_track(self, song: Song) -> Track:
        """A live version with a marker in its title, cycling through every form."""
        form = LIVE_TITLE_FORMS[self._live_title_turn % len(LIVE_TITLE_FORMS)]
        self._live_title_turn += 1
        name = form.format(t=song.title, place=self.place())
        # Mostly high liveness; a few low ones, where only the title tells.
        return self.live_version(
            song, truth=TrackTruth.LIVE_TITLE, name=name, high=self.rng.random() < 0.85
        )

    def live_unmarked_track(self, song: Song) -> Track:
        """A live version with no marker anywhere: liveness > 0.8 is the only tell."""
        track = self.live_version(song, truth=TrackTruth.LIVE_UNMARKED, name=song.title, high=True)
        track.liveness = round(self.rng.uniform(0.85, 0.99), 4)
        return track

    def remix_track(self, song: Song, *, form: str | None = None) -> Track:
        """A remix with its own ISRC, named in `form` (else the next of REMIX_FORMS)."""
        rng = self.rng
        if form is None:
            form = REMIX_FORMS[self._remix_turn % len(REMIX_FORMS)]
            self._remix_turn += 1
        return Track(
            spotify_id=self.ids.spotify(),
            name=form.format(t=song.title, remixer=rng.choice(REMIXERS)),
            duration_ms=song.duration_ms + rng.randint(20_000, 180_000),
            isrc=self.ids.isrc(rng.randint(song.year, self.spec.last_year)),
            popularity=max(0, song.popularity - rng.randint(5, 35)),
            liveness=round(rng.uniform(0.03, 0.3), 4),
            explicit=song.explicit,
            truth=TrackTruth.STUDIO,
            is_remix=True,
            song=song.title,
        )

    def variant_track(self, song: Song, *, form: str | None = None) -> Track:
        """A studio variant (radio edit, demo, ...) with its own ISRC, named in `form`
        (else the next of STUDIO_VARIANT_FORMS, so every form comes in turn)."""
        rng = self.rng
        if form is None:
            form = STUDIO_VARIANT_FORMS[self._variant_turn % len(STUDIO_VARIANT_FORMS)]
            self._variant_turn += 1
        guests = [name for name in (*SUPPORT_ACTS, *FIRST_NAMES) if name != self.artist_name]
        return Track(
            spotify_id=self.ids.spotify(),
            name=form.format(t=song.title, artist=self.artist_word, guest=rng.choice(guests)),
            duration_ms=max(60_000, song.duration_ms + rng.randint(-40_000, 20_000)),
            isrc=self.ids.isrc(song.year),
            popularity=max(0, song.popularity - rng.randint(5, 40)),
            liveness=round(rng.uniform(0.03, 0.4), 4),
            explicit=song.explicit,
            truth=TrackTruth.STUDIO,
            song=song.title,
        )

    def remaster_track(self, song: Song, year: int) -> Track:
        """`song` remastered in `year` as a new recording: its own ISRC, named in one of
        REMASTER_FORMS, as long as the original to the second or two."""
        rng = self.rng
        form = rng.choice(REMASTER_FORMS)
        return Track(
            spotify_id=self.ids.spotify(),
            name=form.format(t=song.title, year=year),
            duration_ms=max(60_000, song.duration_ms + rng.randint(-2_000, 2_000)),
            isrc=self.ids.isrc(year),
            popularity=max(0, song.popularity - rng.randint(5, 30)),
            liveness=song.liveness,
            explicit=song.explicit,
            truth=TrackTruth.STUDIO,
            song=song.title,
        )

    # names

    def place(self) -> str:
        rng = self.rng
        if rng.random() < 0.5:
            return rng.choice(CITIES)[0]
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
            return self.rng.choice(NON_ASCII_PHRASES)
        while True:
            phrase = f"{self.rng.choice(ADJECTIVES)} {self.rng.choice(NOUNS)}s"
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
            available_markets=["US", *rng.sample(MARKETS, rng.randint(0, 3))],
            label=rng.choice(LABELS),
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

    def songs_until(self, year: int) -> list[Song]:
        """Studio songs with ISRC recorded by `year`: a re-release never predates its song."""
        return [s for s in self.studio_songs if s.year <= year and s.isrc]

    def later_year(self) -> int:
        """A year for a collection (box set, compilation): late enough to have songs."""
        span = self.spec.last_year - self.spec.first_year
        return self.rng.randint(self.spec.first_year + span // 3, self.spec.last_year)
