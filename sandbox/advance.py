"""`POST /_sandbox/advance`: the world changes the way time changes it.

New shows are announced, shows are cancelled, rescheduled or taken off sale
altogether, an act drops off a bill, an artist puts out an album or a single,
a label re-releases an album for another region. `advance_world` applies such
changes to a `World` in place (the app then rebuilds its lookups), so a
re-sync can be checked against `sandbox.truth` of the changed world.

The body (every key optional; README "Advancing the world" has it in full):

- `seed`: seeds every choice below; the same world and body give the same
  changes, ids included.
- `add_events`: `{"tm_attraction_id", "count"}`: `count` (default 1) new dated
  shows of that act alone, after the world's anchor, mostly at venues of the world.
- `cancel_events`: `{"tm_event_id"}`: status "cancelled", still listed.
- `reschedule_events`: `{"tm_event_id", "days"}`: the date moved by `days`
  (from the anchor for a date to be announced), status "rescheduled"; the new
  date must come after the anchor.
- `drop_from_bill`: `{"tm_event_id", "tm_attraction_id"}`: that act no longer
  on the bill, the others keep the event; an event's last act cannot drop.
- `remove_events`: `{"tm_event_id"}`: listed by no one any more.
- `release`: `{"tm_attraction_id", "kind", "tracks"}`: a new album of new
  songs, or a single (an album song's ISRC again or a new song, then B-sides),
  or (`kind` "remaster", one track) a single holding one of the artist's album
  songs newly remastered: a new recording of that song with its own ISRC;
  released on the anchor date.
- `regional_rerelease`: `{"tm_attraction_id", "spotify_album_id", "markets"}`:
  an album released again with its own ids for other markets, same ISRCs; the
  original is no longer sold there (`profiles.releases.regional_release`).
- `random`: `{"share"}`: that share of the world's artists, chosen by the
  seed, each get a realistic mix of the changes above.

Everything is checked before anything changes: an unknown id or a malformed
body raises `AdvanceError` naming the field, and the world is as it was.
Explicit changes apply in the order of the list above, then `random`.
"""

from __future__ import annotations

import dataclasses
import datetime
import random
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import jsonschema

from sandbox.common import digest_int
from sandbox.profiles.catalog import Catalog, Song
from sandbox.profiles.ids import BASE36, BASE62, Ids, base62, random_chars
from sandbox.profiles.releases import REGIONS, regional_release
from sandbox.profiles.specs import SPECS
from sandbox.profiles.venues import new_venue
from sandbox.profiles.words import TOUR_WORDS
from sandbox.scenario import schema_problems
from sandbox.world import Album, Artist, Event, TrackTruth, Venue, World, check_ids_unique

MAX_NEW_EVENTS = 50  # per `add_events` item
MAX_ALBUM_TRACKS = 60
MAX_SINGLE_TRACKS = 6  # a lead and B-sides, as an EP typed "single" has at most
RELEASE_KINDS = ("album", "single", "remaster")
MAX_DAYS = 3650
NEW_EVENT_SPAN_DAYS = 365  # new shows fall within a year of the anchor
NEW_VENUE_SHARE = 0.1  # of new shows, at a venue the world did not have
SINGLE_REPEATS_SHARE = 0.6  # of singles, led by a song already on an album
IMPORTER_MARKET = "US"  # the market the importer asks for (settings.SPOTIFY_MARKET)
SHOW_TIMES = ("19:00:00", "19:30:00", "20:00:00", "21:00:00")
CHANGE_KINDS = (
    "events_added",
    "events_cancelled",
    "events_rescheduled",
    "events_removed",
    "dropped_from",
    "albums_released",
    "albums_rereleased",
)


class AdvanceError(ValueError):
    """The body cannot be applied: `field` is its JSON path, `unknown_id` the id not found."""

    def __init__(
        self,
        field: str,
        message: str,
        *,
        unknown_id: str | None = None,
        problems: list[str] | None = None,
    ) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.unknown_id = unknown_id
        self.problems = problems or [str(self)]

    def body(self) -> dict[str, Any]:
        """The 400 answer: `{"error": {"status", "message", "field", "id"?, "problems"}}`."""
        error: dict[str, Any] = {"status": 400, "message": str(self), "field": self.field}
        if self.unknown_id is not None:
            error["id"] = self.unknown_id
        error["problems"] = self.problems
        return {"error": error}


# --- the body's schema --------------------------------------------------------------


def _item(required: tuple[str, ...], properties: dict[str, Any]) -> dict[str, Any]:
    """A list of objects with exactly these fields."""
    return {
        "type": "array",
        "maxItems": 10_000,
        "items": {
            "type": "object",
            "required": list(required),
            "properties": properties,
            "additionalProperties": False,
        },
    }


_ID = {"type": "string", "minLength": 1, "maxLength": 64}
_MARKET = {"type": "string", "pattern": r"^[A-Z]{2}$", "description": "a two-letter market code"}
ADVANCE_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "seed": {"type": "integer", "minimum": 0, "maximum": 2**53 - 1},
        "add_events": _item(
            ("tm_attraction_id",),
            {
                "tm_attraction_id": _ID,
                "count": {"type": "integer", "minimum": 1, "maximum": MAX_NEW_EVENTS},
            },
        ),
        "cancel_events": _item(("tm_event_id",), {"tm_event_id": _ID}),
        "reschedule_events": _item(
            ("tm_event_id", "days"),
            {
                "tm_event_id": _ID,
                "days": {"type": "integer", "minimum": -MAX_DAYS, "maximum": MAX_DAYS},
            },
        ),
        "remove_events": _item(("tm_event_id",), {"tm_event_id": _ID}),
        "drop_from_bill": _item(
            ("tm_event_id", "tm_attraction_id"), {"tm_event_id": _ID, "tm_attraction_id": _ID}
        ),
        "release": _item(
            ("tm_attraction_id",),
            {
                "tm_attraction_id": _ID,
                "kind": {"enum": list(RELEASE_KINDS)},
                "tracks": {"type": "integer", "minimum": 1, "maximum": MAX_ALBUM_TRACKS},
            },
        ),
        "regional_rerelease": _item(
            ("tm_attraction_id",),
            {
                "tm_attraction_id": _ID,
                "spotify_album_id": _ID,
                "markets": {
                    "type": "array",
                    "items": _MARKET,
                    "minItems": 1,
                    "uniqueItems": True,
                },
            },
        ),
        "random": {
            "type": "object",
            "required": ["share"],
            "properties": {"share": {"type": "number", "minimum": 0, "maximum": 1}},
            "additionalProperties": False,
        },
    },
}
_VALIDATOR = jsonschema.Draft202012Validator(ADVANCE_SCHEMA)


# --- the world as the advance sees it -----------------------------------------------


@dataclass(slots=True)
class _State:
    """Lookups over the world, kept up to date as changes apply."""

    anchor: datetime.date
    artists: dict[str, Artist]
    events: dict[str, Event]
    bills: dict[str, list[Artist]]  # event id -> acts listing it, in world order
    venues: list[Venue]  # every venue of the world, first description of each id
    venue_ids: set[str]
    taken: set[str]  # every id and ISRC in use: new ones must differ
    isrc_prefixes: set[str]  # country and registrant of every ISRC in use

    @classmethod
    def of(cls, world: World) -> _State:
        anchor = world.anchor or datetime.datetime.now(datetime.UTC).date()
        state = cls(anchor, {}, {}, {}, [], set(), set(), set())
        for artist in world.artists:
            state.artists.setdefault(artist.tm_attraction_id, artist)
            state.taken.add(artist.tm_attraction_id)
            for event in artist.events:
                state.events.setdefault(event.tm_event_id, event)
                bill = state.bills.setdefault(event.tm_event_id, [])
                if all(act is not artist for act in bill):
                    bill.append(artist)
                state.taken.add(event.tm_event_id)
                if event.venue is not None and event.venue.tm_venue_id not in state.venue_ids:
                    state.venue_ids.add(event.venue.tm_venue_id)
                    state.venues.append(event.venue)
        for artist in [*world.artists, *world.decoy_spotify_artists]:
            if artist.spotify_id:
                state.taken.add(artist.spotify_id)
            for album in artist.albums:
                state.taken.add(album.spotify_id)
                for track in album.tracks:
                    state.taken.add(track.spotify_id)
                    if track.isrc:
                        state.taken.add(track.isrc)
                        state.isrc_prefixes.add(track.isrc[:5])
        return state

    def bill_ids(self, event: Event) -> list[str]:
        return [act.tm_attraction_id for act in self.bills.get(event.tm_event_id, [])]


@dataclass(slots=True)
class _Changes:
    """What changed, for the answer: one list per kind, and per artist."""

    events_added: list[dict[str, Any]] = field(default_factory=list)
    events_cancelled: list[dict[str, Any]] = field(default_factory=list)
    events_rescheduled: list[dict[str, Any]] = field(default_factory=list)
    events_removed: list[dict[str, Any]] = field(default_factory=list)
    bill_drops: list[dict[str, Any]] = field(default_factory=list)
    albums_released: list[dict[str, Any]] = field(default_factory=list)
    albums_rereleased: list[dict[str, Any]] = field(default_factory=list)
    artists: dict[str, dict[str, list[str]]] = field(default_factory=dict)

    def note(self, attraction_ids: list[str], kind: str, value: str) -> None:
        for attraction_id in attraction_ids:
            lists = self.artists.setdefault(attraction_id, {k: [] for k in CHANGE_KINDS})
            lists[kind].append(value)


# --- the plan: the body checked against the world ----------------------------------


@dataclass(slots=True)
class _Plan:
    seed: int = 0
    add_events: list[tuple[Artist, int | None]] = field(default_factory=list)
    cancel_events: list[Event] = field(default_factory=list)
    reschedule_events: list[tuple[Event, int]] = field(default_factory=list)
    remove_events: list[Event] = field(default_factory=list)
    drop_from_bill: list[tuple[Event, Artist]] = field(default_factory=list)
    release: list[tuple[Artist, str, int | None]] = field(default_factory=list)
    regional_rerelease: list[tuple[Artist, Album | None, tuple[str, ...] | None]] = field(
        default_factory=list
    )
    random_share: float | None = None


def _plan(body: object, state: _State) -> _Plan:
    """The checked body, or AdvanceError naming the first field that is wrong."""
    problems = schema_problems(_VALIDATOR, body)
    if problems:
        field_path = problems[0].partition(": ")[0]
        raise AdvanceError(field_path, problems[0].partition(": ")[2], problems=problems)
    assert isinstance(body, dict)
    plan = _Plan(seed=body.get("seed", 0))

    def artist(path: str, attraction_id: str, *, spotify: bool = False) -> Artist:
        found = state.artists.get(attraction_id)
        if found is None:
            raise AdvanceError(
                path, f"unknown tm_attraction_id {attraction_id!r}", unknown_id=attraction_id
            )
        if spotify and not found.spotify_id:
            raise AdvanceError(path, f"attraction {attraction_id!r} has no Spotify artist")
        return found

    def event(path: str, event_id: str) -> Event:
        found = state.events.get(event_id)
        if found is None:
            raise AdvanceError(path, f"unknown tm_event_id {event_id!r}", unknown_id=event_id)
        return found

    for n, item in enumerate(body.get("add_events", [])):
        found = artist(f"add_events[{n}].tm_attraction_id", item["tm_attraction_id"])
        plan.add_events.append((found, item.get("count")))
    for n, item in enumerate(body.get("cancel_events", [])):
        plan.cancel_events.append(event(f"cancel_events[{n}].tm_event_id", item["tm_event_id"]))
    dates: dict[str, datetime.date] = {}
    for n, item in enumerate(body.get("reschedule_events", [])):
        found = event(f"reschedule_events[{n}].tm_event_id", item["tm_event_id"])
        days = item["days"]
        if days == 0:
            raise AdvanceError(f"reschedule_events[{n}].days", "must not be 0")
        moved = dates.get(found.tm_event_id, _date(found, state.anchor)) + datetime.timedelta(days)
        if moved <= state.anchor:
            raise AdvanceError(
                f"reschedule_events[{n}].days",
                f"moves event {found.tm_event_id!r} to {moved}, not after the anchor "
                f"{state.anchor}",
            )
        dates[found.tm_event_id] = moved
        plan.reschedule_events.append((found, days))
    for n, item in enumerate(body.get("remove_events", [])):
        plan.remove_events.append(event(f"remove_events[{n}].tm_event_id", item["tm_event_id"]))
    bills = {event_id: list(bill) for event_id, bill in state.bills.items()}
    for n, item in enumerate(body.get("drop_from_bill", [])):
        found = event(f"drop_from_bill[{n}].tm_event_id", item["tm_event_id"])
        act = artist(f"drop_from_bill[{n}].tm_attraction_id", item["tm_attraction_id"])
        bill = bills[found.tm_event_id]
        if all(other is not act for other in bill):
            raise AdvanceError(
                f"drop_from_bill[{n}].tm_attraction_id",
                f"{act.tm_attraction_id!r} is not on the bill of event {found.tm_event_id!r}",
            )
        if len(bill) == 1:
            raise AdvanceError(
                f"drop_from_bill[{n}].tm_attraction_id",
                f"{act.tm_attraction_id!r} is the only act of event {found.tm_event_id!r} "
                "(remove_events takes an event away)",
            )
        bill[:] = [other for other in bill if other is not act]
        plan.drop_from_bill.append((found, act))
    for n, item in enumerate(body.get("release", [])):
        found = artist(f"release[{n}].tm_attraction_id", item["tm_attraction_id"], spotify=True)
        kind, tracks = item.get("kind", "album"), item.get("tracks")
        if kind == "single" and tracks is not None and tracks > MAX_SINGLE_TRACKS:
            raise AdvanceError(
                f"release[{n}].tracks",
                f"a single has 1 to {MAX_SINGLE_TRACKS} tracks, got {tracks}",
            )
        if kind == "remaster":
            if tracks is not None and tracks != 1:
                raise AdvanceError(
                    f"release[{n}].tracks", f"a remaster release holds 1 track, got {tracks}"
                )
            if not _album_songs(found, state.anchor.year):
                raise AdvanceError(
                    f"release[{n}].tm_attraction_id",
                    f"attraction {found.tm_attraction_id!r} has no song on an album to remaster",
                )
        plan.release.append((found, kind, tracks))
    for n, item in enumerate(body.get("regional_rerelease", [])):
        path = f"regional_rerelease[{n}]"
        found = artist(f"{path}.tm_attraction_id", item["tm_attraction_id"], spotify=True)
        album: Album | None = None
        if "spotify_album_id" in item:
            album_id = item["spotify_album_id"]
            album = next((a for a in found.albums if a.spotify_id == album_id), None)
            if album is None:
                raise AdvanceError(
                    f"{path}.spotify_album_id",
                    f"unknown album {album_id!r} of attraction {found.tm_attraction_id!r}",
                    unknown_id=album_id,
                )
            if not album.tracks:
                raise AdvanceError(f"{path}.spotify_album_id", f"album {album_id!r} has no tracks")
        elif not _rereleasable(found):
            raise AdvanceError(
                f"{path}.tm_attraction_id",
                f"attraction {found.tm_attraction_id!r} has no album sold in "
                f"{IMPORTER_MARKET} to re-release",
            )
        markets = tuple(item["markets"]) if "markets" in item else None
        plan.regional_rerelease.append((found, album, markets))
    if "random" in body:
        plan.random_share = body["random"]["share"]
    return plan


def _date(event: Event, anchor: datetime.date) -> datetime.date:
    """The event's date; the anchor for a date to be announced."""
    return datetime.date.fromisoformat(event.local_date) if event.local_date else anchor


def _rereleasable(artist: Artist) -> list[Album]:
    """Albums a label would re-release for a region: the artist's own albums sold in the
    importer's market, studio albums first when it has any."""
    albums = [
        album
        for album in artist.albums
        if album.group == "album" and album.tracks and IMPORTER_MARKET in album.available_markets
    ]
    studio = [a for a in albums if all(t.truth is TrackTruth.STUDIO for t in a.tracks)]
    return studio or albums


# --- the changes ------------------------------------------------------------------


def _tag(artist: Artist) -> str:
    """Five base-62 characters for the artist's new ids, as `Ids` takes: the attraction
    id's last five when they are base-62, else derived from it."""
    tail = artist.tm_attraction_id[-5:]
    if len(tail) == 5 and all(char in BASE62 for char in tail):
        return tail
    return base62(digest_int("advance-tag", artist.tm_attraction_id) % 62**5, 5)


def _ids(artist: Artist, rng: random.Random, state: _State) -> Ids:
    """Ids for new records of `artist`: its tag, its ISRC prefix, none already taken."""
    prefixes = Counter(
        track.isrc[:5] for album in artist.albums for track in album.tracks if track.isrc
    )
    if prefixes:
        prefix = prefixes.most_common(1)[0][0]
    else:
        # No ISRC yet: a registrant no track of the world has ("QA" is no generator's).
        prefix = "QA" + random_chars(rng, 3, BASE36)
        while prefix in state.isrc_prefixes:
            prefix = "QA" + random_chars(rng, 3, BASE36)
        state.isrc_prefixes.add(prefix)
    return Ids(rng, _tag(artist), prefix[:2], prefix[2:], taken=state.taken)


def _add_events(
    artist: Artist, count: int, rng: random.Random, state: _State, changes: _Changes
) -> None:
    """`count` new shows of `artist` alone, after the anchor, mostly at known venues."""
    ids = _ids(artist, rng, state)
    tour = f"{rng.choice(TOUR_WORDS)} Tour"
    for _ in range(count):
        if state.venues and rng.random() >= NEW_VENUE_SHARE:
            venue = rng.choice(state.venues)
        else:
            venue = new_venue(rng, state.venue_ids)
            state.venue_ids.add(venue.tm_venue_id)
            state.venues.append(venue)
        local_date = state.anchor + datetime.timedelta(days=rng.randint(1, NEW_EVENT_SPAN_DAYS))
        event = Event(
            tm_event_id=ids.event(),
            name=artist.name if rng.random() < 0.6 else f"{artist.name}: {tour}",
            local_date=local_date.isoformat(),
            local_time=rng.choice(SHOW_TIMES),
            venue=venue,
            timezone=venue.timezone,
        )
        artist.events = [*artist.events, event]
        state.events[event.tm_event_id] = event
        state.bills[event.tm_event_id] = [artist]
        changes.events_added.append(
            {
                "tm_event_id": event.tm_event_id,
                "tm_attraction_id": artist.tm_attraction_id,
                "name": event.name,
                "local_date": event.local_date,
                "tm_venue_id": venue.tm_venue_id,
            }
        )
        changes.note([artist.tm_attraction_id], "events_added", event.tm_event_id)


def _cancel(event: Event, state: _State, changes: _Changes) -> None:
    event.status = "cancelled"
    bill = state.bill_ids(event)
    changes.events_cancelled.append(
        {"tm_event_id": event.tm_event_id, "status": event.status, "bill": bill}
    )
    changes.note(bill, "events_cancelled", event.tm_event_id)


def _reschedule(event: Event, days: int, state: _State, changes: _Changes) -> None:
    before = event.local_date
    event.local_date = (_date(event, state.anchor) + datetime.timedelta(days)).isoformat()
    event.date_tba = False
    event.status = "rescheduled"
    bill = state.bill_ids(event)
    changes.events_rescheduled.append(
        {
            "tm_event_id": event.tm_event_id,
            "from": before,
            "to": event.local_date,
            "status": event.status,
            "bill": bill,
        }
    )
    changes.note(bill, "events_rescheduled", event.tm_event_id)


def _drop(event: Event, act: Artist, state: _State, changes: _Changes) -> None:
    act.events = [listed for listed in act.events if listed is not event]
    bill = state.bills[event.tm_event_id]
    bill[:] = [other for other in bill if other is not act]
    changes.bill_drops.append(
        {
            "tm_event_id": event.tm_event_id,
            "tm_attraction_id": act.tm_attraction_id,
            "bill": state.bill_ids(event),
        }
    )
    changes.note([act.tm_attraction_id], "dropped_from", event.tm_event_id)


def _remove(event: Event, world: World, state: _State, changes: _Changes) -> None:
    bill = state.bill_ids(event)
    for artist in world.artists:
        if any(listed is event for listed in artist.events):
            artist.events = [listed for listed in artist.events if listed is not event]
    state.bills[event.tm_event_id] = []
    changes.events_removed.append({"tm_event_id": event.tm_event_id, "bill": bill})
    changes.note(bill, "events_removed", event.tm_event_id)


def _catalog(artist: Artist, rng: random.Random, state: _State) -> Catalog:
    """A catalog builder continuing `artist`'s: its ids, its titles kept off, this year."""
    year = state.anchor.year
    spec = dataclasses.replace(SPECS["mid"], first_year=year, last_year=year)
    catalog = Catalog(rng, _ids(artist, rng, state), spec, artist.name)
    catalog.reserve_titles(
        name
        for album in artist.albums
        for name in (album.name, *(track.name for track in album.tracks))
    )
    return catalog


def _release(
    artist: Artist,
    kind: str,
    tracks: int | None,
    rng: random.Random,
    state: _State,
    changes: _Changes,
) -> None:
    """A new album of new songs, a single, or a remastered album song, out on the anchor
    date."""
    catalog = _catalog(artist, rng, state)
    year = state.anchor.year
    known = {t.isrc for album in artist.albums for t in album.tracks if t.isrc}
    if kind == "album":
        songs = [catalog.new_song(year) for _ in range(tracks or rng.randint(10, 13))]
        name = rng.choice(songs).title if rng.random() < 0.4 else catalog.phrase()
        album = catalog.add_album(name, "album", year, [catalog.original(s) for s in songs])
    elif kind == "remaster":
        remaster = catalog.remaster_track(rng.choice(_album_songs(artist, year)), year)
        album = catalog.add_album(remaster.name, "single", year, [remaster])
    else:
        album_songs = _album_songs(artist, year)
        if album_songs and rng.random() < SINGLE_REPEATS_SHARE:
            song = rng.choice(album_songs)
            lead = catalog.copy_of(song)
        else:
            song = catalog.new_song(year)
            lead = catalog.original(song)
        b_side_kinds = (catalog.remix_track, catalog.variant_track, catalog.live_title_track)
        b_sides = [rng.choice(b_side_kinds)(song) for _ in range((tracks or rng.randint(1, 2)) - 1)]
        album = catalog.add_album(song.title, "single", year, [lead, *b_sides])
    album.release_date = state.anchor.isoformat()
    artist.albums = [*artist.albums, album]
    changes.albums_released.append(
        {
            "spotify_album_id": album.spotify_id,
            "tm_attraction_id": artist.tm_attraction_id,
            "spotify_artist_id": artist.spotify_id,
            "kind": kind,
            "name": album.name,
            "release_date": album.release_date,
            "available_markets": list(album.available_markets),
            "tracks": [
                {
                    "spotify_id": track.spotify_id,
                    "name": track.name,
                    "isrc": track.isrc,
                    "truth": track.truth.value,
                    "song": track.song,
                }
                for track in album.tracks
            ],
            "repeated_isrcs": sorted({t.isrc for t in album.tracks if t.isrc in known}),
        }
    )
    changes.note([artist.tm_attraction_id], "albums_released", album.spotify_id)


def _album_songs(artist: Artist, year: int) -> list[Song]:
    """The artist's studio songs on albums (with ISRC), each once, titled as its song
    label says (a track without one stands for a song of its own name): what a single
    repeats or a remaster remasters. A song's own recording (named as the song) stands
    for it rather than a version of it with its own ISRC."""
    recordings = [
        (album, track)
        for album in artist.albums
        if album.group == "album"
        for track in album.tracks
        if track.isrc and track.truth is TrackTruth.STUDIO and not track.is_remix
    ]
    # A stable sort: own recordings first, each kind in album order.
    recordings.sort(key=lambda pair: pair[1].name != (pair[1].song or pair[1].name))
    songs: dict[str, Song] = {}
    for album, track in recordings:
        title = track.song or track.name
        songs.setdefault(
            title,
            Song(
                title=title,
                isrc=track.isrc,
                duration_ms=track.duration_ms,
                popularity=track.popularity,
                liveness=track.liveness,
                explicit=track.explicit,
                year=min(year, int(album.release_date[:4])),
            ),
        )
    return list(songs.values())


def _rerelease(
    artist: Artist,
    album: Album | None,
    markets: tuple[str, ...] | None,
    rng: random.Random,
    world: World,
    state: _State,
    changes: _Changes,
) -> None:
    """`album` (else one chosen) released again for `markets` (else a region), today."""
    album = album or rng.choice(_rereleasable(artist))
    region = markets or rng.choice(REGIONS)
    catalog = _catalog(artist, rng, state)
    regional = regional_release(catalog, album, region, release_date=state.anchor.isoformat())
    owners = [a for a in world.artists if any(owned is album for owned in a.albums)]
    for owner in owners:
        owner.albums = [*owner.albums, regional]
    changes.albums_rereleased.append(
        {
            "spotify_album_id": regional.spotify_id,
            "original_spotify_album_id": album.spotify_id,
            "tm_attraction_id": artist.tm_attraction_id,
            "name": regional.name,
            "release_date": regional.release_date,
            "markets": list(regional.available_markets),
            "original_markets": list(album.available_markets),
            "track_ids": [track.spotify_id for track in regional.tracks],
            "isrcs": [track.isrc for track in regional.tracks],
        }
    )
    changes.note(
        [owner.tm_attraction_id for owner in owners], "albums_rereleased", regional.spotify_id
    )


def _random_changes(
    share: float, seed: int, world: World, state: _State, changes: _Changes
) -> list[str]:
    """A realistic mix of changes for `share` of the artists (at least one); their ids."""
    rng = random.Random(f"advance:{seed}:random")
    candidates = [a for a in world.artists if state.artists.get(a.tm_attraction_id) is a]
    if not candidates or share == 0:
        return []
    count = min(len(candidates), max(1, round(share * len(candidates))))
    chosen = [candidates[i] for i in sorted(rng.sample(range(len(candidates)), count))]
    for artist in chosen:
        _random_artist_changes(artist, rng, world, state, changes)
    return [artist.tm_attraction_id for artist in chosen]


def _random_artist_changes(
    artist: Artist, rng: random.Random, world: World, state: _State, changes: _Changes
) -> None:
    """What time might bring one artist: shows added, cancelled, moved, removed or left,
    a single, an album, a regional re-release. At least one of them."""
    # Shows announced just now are not cancelled, moved or removed at once.
    listed = list(artist.events)
    done = 0
    if rng.random() < (0.5 if artist.events else 0.3):
        _add_events(artist, rng.randint(1, 3), rng, state, changes)
        done += 1
    active = [e for e in listed if e.status not in ("cancelled", "canceled")]
    if active and rng.random() < 0.3:
        _cancel(active.pop(rng.randrange(len(active))), state, changes)
        done += 1
    movable = [e for e in active if _date(e, state.anchor) + datetime.timedelta(7) > state.anchor]
    if movable and rng.random() < 0.3:
        event = rng.choice(movable)
        days = rng.randint(7, 60) * rng.choice((1, 1, -1))
        if _date(event, state.anchor) + datetime.timedelta(days) <= state.anchor:
            days = -days
        _reschedule(event, days, state, changes)
        done += 1
    headlined = [e for e in listed if state.bills[e.tm_event_id][0] is artist]
    if headlined and rng.random() < 0.1:
        _remove(rng.choice(headlined), world, state, changes)
        done += 1
    shared = [e for e in artist.events if len(state.bills[e.tm_event_id]) > 1]
    if shared and rng.random() < 0.2:
        _drop(rng.choice(shared), artist, state, changes)
        done += 1
    if artist.spotify_id:
        if rng.random() < 0.3:
            _release(artist, "single", None, rng, state, changes)
            done += 1
        if rng.random() < 0.1:
            _release(artist, "album", None, rng, state, changes)
            done += 1
        if _rereleasable(artist) and rng.random() < 0.1:
            _rerelease(artist, None, None, rng, world, state, changes)
            done += 1
    if not done:
        if artist.spotify_id:
            _release(artist, "single", None, rng, state, changes)
        else:
            _add_events(artist, 1, rng, state, changes)


# --- entry point -----------------------------------------------------------------


def advance_world(world: World, body: object) -> dict[str, Any]:
    """Apply the changes `body` asks for to `world` in place; what changed, in detail.

    Raises AdvanceError (world unchanged) for a malformed body or an unknown id.
    The same world and body always give the same changes.
    """
    state = _State.of(world)
    plan = _plan(body, state)
    changes = _Changes()

    def rng(kind: str, number: int) -> random.Random:
        # One generator per item: an item's changes do not depend on the items before it.
        return random.Random(f"advance:{plan.seed}:{kind}:{number}")

    for number, (artist, count) in enumerate(plan.add_events):
        generator = rng("add_events", number)
        _add_events(artist, count or 1, generator, state, changes)
    for event in plan.cancel_events:
        _cancel(event, state, changes)
    for event, days in plan.reschedule_events:
        _reschedule(event, days, state, changes)
    for event, act in plan.drop_from_bill:
        _drop(event, act, state, changes)
    for event in plan.remove_events:
        _remove(event, world, state, changes)
    for number, (artist, kind, tracks) in enumerate(plan.release):
        _release(artist, kind, tracks, rng("release", number), state, changes)
    for number, (artist, album, markets) in enumerate(plan.regional_rerelease):
        generator = rng("regional_rerelease", number)
        _rerelease(artist, album, markets, generator, world, state, changes)
    random_artists: list[str] = []
    if plan.random_share is not None:
        random_artists = _random_changes(plan.random_share, plan.seed, world, state, changes)
    check_ids_unique(world)
    return {
        "seed": plan.seed,
        "anchor": state.anchor.isoformat(),
        "events_added": changes.events_added,
        "events_cancelled": changes.events_cancelled,
        "events_rescheduled": changes.events_rescheduled,
        "events_removed": changes.events_removed,
        "bill_drops": changes.bill_drops,
        "albums_released": changes.albums_released,
        "albums_rereleased": changes.albums_rereleased,
        "random_artists": random_artists,
        "artists": changes.artists,
    }
