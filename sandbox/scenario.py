"""Scenario files: artists, events and catalogs written by hand (SANDBOX.md "Scenarios").

Validation is strict, because a typo must not silently change a scenario: a
JSON Schema with `additionalProperties: false` everywhere checks fields,
types, enums and formats, then a few cross-record rules no schema can express
(ids used twice, one venue id with two descriptions, one shared event with two
descriptions). Every error names the file and the JSON path of the field, e.g.
`scenario.json: artists[0].albums[1].tracks[3].duration: unknown field (did you
mean 'duration_ms'?)`.

Events are shared the way Ticketmaster shares them: the same `tm_event_id`
listed under several artists is one event with all of them on its bill, in
the order the artists appear in the file. Its fields are merged from every
listing; a field given in several listings must have the same value there.
"""

from __future__ import annotations

import difflib
import json
import math
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import jsonschema
from jsonschema.exceptions import ValidationError

from sandbox.world import Album, Artist, Event, ScenarioError, Track, TrackTruth, Venue

__all__ = [
    "SCENARIO_SCHEMA",
    "ScenarioError",
    "load_scenario_file",
    "parse_scenario",
    "schema_problems",
]

# Ticketmaster spells it "cancelled" live and "canceled" in its spec; both occur.
EVENT_STATUSES = ("onsale", "offsale", "cancelled", "canceled", "postponed", "rescheduled")
# Shown in messages: at most this many errors, the rest counted.
_MAX_REPORTED_ERRORS = 20


def _string(pattern: str | None = None, *, hint: str | None = None, nullable: bool = False) -> dict:
    """A string schema; `hint` says in messages what `pattern` expects."""
    schema: dict[str, Any] = {"type": ["string", "null"] if nullable else "string"}
    if pattern:
        schema["pattern"] = pattern
    if hint:
        schema["description"] = hint
    return schema


def _object(required: Iterable[str], properties: dict[str, dict]) -> dict:
    return {
        "type": "object",
        "required": list(required),
        "properties": properties,
        "additionalProperties": False,
    }


# Ids as long as the importer's columns hold (Spotify 32, Ticketmaster 64).
_SPOTIFY_ID = _string(r"^[A-Za-z0-9]{1,32}$", hint="a base-62 Spotify id of 1 to 32 characters")
_TM_ID = _string(
    r"^[A-Za-z0-9_-]{1,64}$",
    hint="a Ticketmaster id of 1 to 64 letters, digits, '_' and '-'",
)
_NAME = {"type": "string", "minLength": 1}
_OPTIONAL_TEXT = {"type": ["string", "null"]}
_POPULARITY = {"type": "integer", "minimum": 0, "maximum": 100}
# Integers the sandbox serves as JSON numbers: within what any JSON reader holds exactly.
_MAX_JSON_INTEGER = 2**53 - 1
_DAY_MS = 24 * 60 * 60 * 1000  # no recording Spotify lists is longer
_DATE = {
    "type": "string",
    "pattern": r"^\d{4}-\d{2}-\d{2}$",
    "format": "date",
    "description": "a date YYYY-MM-DD",
}
_LATITUDE = _string(
    r"^-?(90(\.0+)?|[1-8]?\d(\.\d+)?)$",
    hint='a latitude from -90 to 90 as a string, e.g. "30.26"',
    nullable=True,
)
_LONGITUDE = _string(
    r"^-?(180(\.0+)?|(1[0-7]\d|[1-9]?\d)(\.\d+)?)$",
    hint='a longitude from -180 to 180 as a string, e.g. "-97.74"',
    nullable=True,
)

_VENUE = _object(
    ("tm_venue_id", "name"),
    {
        "tm_venue_id": _TM_ID,
        "name": _NAME,
        "city": _OPTIONAL_TEXT,
        "state": _OPTIONAL_TEXT,
        "state_code": _OPTIONAL_TEXT,
        "country": _OPTIONAL_TEXT,
        "country_code": _string(r"^[A-Z]{2}$", hint="a two-letter country code", nullable=True),
        "postal_code": _OPTIONAL_TEXT,
        "address_line1": _OPTIONAL_TEXT,
        "timezone": _OPTIONAL_TEXT,
        "latitude": _LATITUDE,
        "longitude": _LONGITUDE,
    },
)
_EVENT = _object(
    ("tm_event_id", "name", "local_date"),
    {
        "tm_event_id": _TM_ID,
        "name": _NAME,
        # null: the date is to be announced (date_tba defaults to true then).
        "local_date": {**_DATE, "type": ["string", "null"]},
        "local_time": _string(
            r"^([01]\d|2[0-3]):[0-5]\d:[0-5]\d$", hint="a time HH:MM:SS", nullable=True
        ),
        "status": {
            "enum": ["onsale", "offsale", "cancelled", "canceled", "postponed", "rescheduled"]
        },
        # Object keywords ignore null, so this is "a venue or null".
        "venue": {**_VENUE, "type": ["object", "null"]},
        "timezone": _OPTIONAL_TEXT,
        "date_tba": {"type": "boolean"},
        "time_tba": {"type": "boolean"},
        "listed_twice": {"type": "boolean"},
    },
)
_TRACK = _object(
    ("spotify_id", "name", "duration_ms"),
    {
        "spotify_id": _SPOTIFY_ID,
        "name": _NAME,
        "duration_ms": {"type": "integer", "minimum": 1, "maximum": _DAY_MS},
        "isrc": _string(
            r"^[A-Z]{2}[A-Z0-9]{3}\d{7}$",
            hint="a 12-character ISRC, e.g. USAB11900001",
            nullable=True,
        ),
        "popularity": _POPULARITY,
        "liveness": {"type": ["number", "null"], "minimum": 0, "maximum": 1},
        "explicit": {"type": "boolean"},
        "disc_number": {"type": "integer", "minimum": 1, "maximum": 1000},
        "track_number": {"type": "integer", "minimum": 1, "maximum": 1000},
        "truth": {"enum": [truth.value for truth in TrackTruth]},
        "is_remix": {"type": "boolean"},
        # The song the track is a recording of, for `truth.expected_songs`; never served.
        "song": {"type": "string", "minLength": 1, "maxLength": 500},
    },
)
_ALBUM = _object(
    ("spotify_id", "name", "album_type", "release_date"),
    {
        "spotify_id": _SPOTIFY_ID,
        "name": _NAME,
        "album_type": {"enum": ["album", "single", "compilation"]},
        "album_group": {"enum": ["album", "single", "compilation", "appears_on"]},
        "release_date": {
            **_string(
                r"^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?$",
                hint="a release date YYYY, YYYY-MM or YYYY-MM-DD",
            ),
            # A full date must exist: not 2019-02-31.
            "if": {"type": "string", "minLength": 10},
            "then": {"format": "date", "description": "a release date that exists"},
        },
        "tracks": {"type": "array", "items": _TRACK},
        "available_markets": {
            "type": "array",
            "items": _string(r"^[A-Z]{2}$", hint="a two-letter market code"),
            "uniqueItems": True,
        },
        "label": {"type": "string"},
        "popularity": _POPULARITY,
    },
)
_ARTIST = _object(
    ("tm_attraction_id", "name"),
    {
        "tm_attraction_id": _TM_ID,
        "name": _NAME,
        "spotify_id": {**_SPOTIFY_ID, "type": ["string", "null"]},
        "spotify_linked": {"type": "boolean"},
        "genres": {"type": "array", "items": {"type": "string"}},
        "popularity": _POPULARITY,
        "followers": {"type": "integer", "minimum": 0, "maximum": _MAX_JSON_INTEGER},
        "albums": {"type": "array", "items": _ALBUM},
        "events": {
            "type": "array",
            "items": _EVENT,
            "description": (
                "the artist's events; an event id listed under several artists is one "
                "event with all of them on its bill, in file order"
            ),
        },
    },
)
SCENARIO_SCHEMA: dict = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    **_object(("artists",), {"artists": {"type": "array", "items": _ARTIST}}),
}
_VALIDATOR = jsonschema.Draft202012Validator(
    SCENARIO_SCHEMA, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
)


def load_scenario_file(path: str | Path) -> list[Artist]:
    """The artists of the scenario file at `path`.

    Raises ScenarioError, prefixed with the path as given, when the file is
    missing or unreadable, is not JSON, or does not follow the format.
    """
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError(f"{source}: no such file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ScenarioError(f"{source}: cannot read: {error}") from None
    except ValueError as error:  # a NUL byte in the path
        raise ScenarioError(f"{source!r}: cannot read: {error}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise ScenarioError(
            f"{source}: line {error.lineno} column {error.colno}: invalid JSON ({error.msg})"
        ) from None
    except RecursionError:
        raise ScenarioError(f"{source}: invalid JSON (nested too deeply)") from None
    return parse_scenario(data, source=source)


def parse_scenario(data: object, *, source: str) -> list[Artist]:
    """The artists described by decoded scenario JSON `data`.

    Raises ScenarioError listing every problem, one per line, each as
    `<source>: <JSON path>: <what is wrong>`.
    """
    messages = schema_problems(_VALIDATOR, data)
    if not messages:
        messages = _cross_record_problems(data)  # type: ignore[arg-type]
    if messages:
        shown = [f"{source}: {message}" for message in messages[:_MAX_REPORTED_ERRORS]]
        if len(messages) > _MAX_REPORTED_ERRORS:
            shown.append(f"{source}: ... and {len(messages) - _MAX_REPORTED_ERRORS} more")
        raise ScenarioError("\n".join(shown))
    return _artists(data["artists"])  # type: ignore[index]


# --- messages ---------------------------------------------------------------


def schema_problems(validator: jsonschema.protocols.Validator, data: object) -> list[str]:
    """What `validator`'s schema and JSON serving find wrong in decoded JSON `data`: one
    message per problem, in document order, each `<JSON path>: <what is wrong>`."""
    errors = sorted(validator.iter_errors(data), key=_error_order)
    messages = list(dict.fromkeys(m for error in errors for m in _describe(error)))
    return messages + _unservable_values(data, [])


def _path(parts: Iterable[str | int]) -> str:
    """A JSON path in the form `artists[0].albums[1].name`."""
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else f".{part}" if text else part
    return text


def _at(parts: Iterable[str | int], message: str) -> str:
    path = _path(parts)
    return f"{path}: {message}" if path else f"(top level): {message}"


def _error_order(error: ValidationError) -> tuple:
    # Ints and strings do not compare: tag each part with its kind. On one
    # object, an unknown field comes first: its "did you mean" explains the
    # missing field reported after it.
    path = tuple((isinstance(part, str), part) for part in error.absolute_path)
    return path, error.validator != "additionalProperties"


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return {str: "string", list: "array", dict: "object"}.get(type(value), type(value).__name__)


def _short(value: object) -> str:
    """`repr(value)`, cut so a wrong top-level value cannot flood the message."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _describe(error: ValidationError) -> list[str]:
    """Messages for one schema error, each naming the JSON path of the field."""
    path = list(error.absolute_path)
    instance = error.instance
    validator = error.validator
    if validator == "additionalProperties":
        allowed = list(error.schema.get("properties", {}))
        messages = []
        for name in instance:
            if name in allowed:
                continue
            close = difflib.get_close_matches(name, allowed, n=1, cutoff=0.6)
            hint = f"did you mean {close[0]!r}?" if close else f"allowed: {', '.join(allowed)}"
            messages.append(_at([*path, name], f"unknown field ({hint})"))
        return messages
    if validator == "required":
        missing = [name for name in error.validator_value if name not in instance]
        return [_at([*path, name], "missing required field") for name in missing]
    if validator == "type":
        expected = error.validator_value
        expected = " or ".join(expected) if isinstance(expected, list) else expected
        return [_at(path, f"expected {expected}, got {_json_type(instance)} {_short(instance)}")]
    if validator == "enum":
        choices = ", ".join(repr(choice) for choice in error.validator_value)
        return [_at(path, f"{_short(instance)} is not one of {choices}")]
    if validator in {"pattern", "format"}:
        hint = error.schema.get("description", f"a string matching {error.schema.get('pattern')}")
        return [_at(path, f"expected {hint}, got {_short(instance)}")]
    if validator in {"minimum", "maximum"}:
        low, high = error.schema.get("minimum"), error.schema.get("maximum")
        bounds = f"between {low} and {high}" if high is not None else f"at least {low}"
        return [_at(path, f"must be {bounds}, got {instance!r}")]
    if validator == "minLength":
        return [_at(path, "must not be empty")]
    if validator == "maxLength":
        return [_at(path, f"must be at most {error.validator_value} characters long")]
    if validator == "uniqueItems":
        return [_at(path, "items must be unique")]
    return [_at(path, error.message)]


def _unservable_values(value: object, path: list[str | int]) -> list[str]:
    """Values JSON Schema lets through that the sandbox cannot serve as JSON: NaN and
    infinities (`NaN` is accepted by Python's JSON reader), strings with a lone
    surrogate (`"\\ud800"` decodes to one; no UTF-8 answer can carry it)."""
    if isinstance(value, float) and not math.isfinite(value):
        return [_at(path, f"expected a finite number, got {value!r}")]
    if isinstance(value, str):
        if any("\ud800" <= char <= "\udfff" for char in value):
            return [_at(path, f"text with a lone surrogate is not valid Unicode: {_short(value)}")]
        return []
    problems: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            problems += _unservable_values(key, path) if isinstance(key, str) else []
            problems += _unservable_values(item, [*path, str(key)])
    elif isinstance(value, list):
        for index, item in enumerate(value):
            problems += _unservable_values(item, [*path, index])
    return problems


def _cross_record_problems(data: dict) -> list[str]:
    """Problems a schema cannot see: ids used twice, a venue or a shared event described
    two ways. An event id listed under several artists is one shared event, not a
    duplicate; listed twice under one artist, it is."""
    problems: list[str] = []
    first_seen: dict[tuple[str, str], str] = {}
    venues: dict[str, tuple[str, dict]] = {}
    # Event id -> the artists listing it (with where) and where each field was first given.
    listings: dict[str, dict[int, list[str | int]]] = {}
    given: dict[str, dict[str, tuple[list[str | int], Any]]] = {}

    def claim(kind: str, value: str | None, path: list[str | int]) -> None:
        if value is None:
            return
        first = first_seen.setdefault((kind, value), _path(path))
        if first != _path(path):
            problems.append(_at(path, f"duplicate {kind} {value!r} (first at {first})"))

    for a, artist in enumerate(data["artists"]):
        claim("tm_attraction_id", artist["tm_attraction_id"], ["artists", a, "tm_attraction_id"])
        claim("spotify_id", artist.get("spotify_id"), ["artists", a, "spotify_id"])
        for b, album in enumerate(artist.get("albums", [])):
            claim("spotify_id", album["spotify_id"], ["artists", a, "albums", b, "spotify_id"])
            for t, track in enumerate(album.get("tracks", [])):
                track_path: list[str | int] = ["artists", a, "albums", b, "tracks", t, "spotify_id"]
                claim("spotify_id", track["spotify_id"], track_path)
        for e, event in enumerate(artist.get("events", [])):
            event_path: list[str | int] = ["artists", a, "events", e]
            event_id = event["tm_event_id"]
            listed_by = listings.setdefault(event_id, {})
            if a in listed_by:
                first = _path([*listed_by[a], "tm_event_id"])
                problems.append(
                    _at(
                        [*event_path, "tm_event_id"],
                        f"duplicate tm_event_id {event_id!r} (first at {first})",
                    )
                )
                continue
            listed_by[a] = event_path
            problems += _shared_event_conflicts(event, event_path, given.setdefault(event_id, {}))
            venue = event.get("venue")
            if venue is None:
                continue
            venue_path = _path([*event_path, "venue"])
            first_path, first_venue = venues.setdefault(venue["tm_venue_id"], (venue_path, venue))
            if first_venue != venue:
                problems.append(
                    f"{venue_path}: venue {venue['tm_venue_id']!r} differs from the one "
                    f"at {first_path} (one id, one description)"
                )
    return problems


def _shared_event_conflicts(
    event: dict, path: list[str | int], given: dict[str, tuple[list[str | int], Any]]
) -> list[str]:
    """Fields of one listing of an event that differ from another listing's.

    `given` holds, for each field given so far, where it was first given and its
    value; this listing's new fields are added to it. Venues compare by id: a
    venue id described two ways is the venue rule's to report.
    """
    problems = []
    for name, value in event.items():
        compared = _venue_key(value) if name == "venue" else value
        first = given.setdefault(name, (path, compared))
        if first[0] is not path and first[1] != compared:
            problems.append(
                _at(
                    [*path, name],
                    f"differs from {_path([*first[0], name])} for event "
                    f"{event['tm_event_id']!r} (one event, one description)",
                )
            )
    return problems


def _venue_key(venue: dict | None) -> str | None:
    return venue["tm_venue_id"] if venue is not None else None


# --- records ----------------------------------------------------------------


def _venue(raw: dict) -> Venue:
    return Venue(**raw)


def _event(raw: dict) -> Event:
    venue = _venue(raw["venue"]) if raw.get("venue") is not None else None
    local_date = raw["local_date"]
    local_time = raw.get("local_time")
    return Event(
        tm_event_id=raw["tm_event_id"],
        name=raw["name"],
        local_date=local_date,
        local_time=local_time,
        status=raw.get("status", "onsale"),
        venue=venue,
        # Absent: the venue's timezone, as Ticketmaster usually sends; null: none.
        timezone=raw.get("timezone", venue.timezone if venue else None),
        date_tba=raw.get("date_tba", local_date is None),
        time_tba=raw.get("time_tba", local_time is None),
        listed_twice=raw.get("listed_twice", False),
    )


def _track(raw: dict, position: int) -> Track:
    values = dict(raw)
    # JSON Schema counts 201000.0 as an integer; the records hold ints.
    for name in ("duration_ms", "popularity", "disc_number", "track_number"):
        if name in values:
            values[name] = int(values[name])
    if values.get("liveness") is not None:
        values["liveness"] = float(values["liveness"])
    values.setdefault("track_number", position + 1)
    if "truth" in values:
        values["truth"] = TrackTruth(values["truth"])
    return Track(**values)


def _album(raw: dict) -> Album:
    values = dict(raw)
    values["tracks"] = [_track(track, i) for i, track in enumerate(raw.get("tracks", []))]
    return Album(**values)


def _artists(raws: list[dict]) -> list[Artist]:
    """The artists of a checked file; an event id listed under several artists is one
    `Event` object in each of their `events`, built from its listings' fields merged."""
    merged: dict[str, dict] = {}
    for raw in raws:
        for event in raw.get("events", []):
            # Fields agree where given twice (checked), so merging keeps every one given.
            merged.setdefault(event["tm_event_id"], {}).update(event)
    events = {event_id: _event(fields) for event_id, fields in merged.items()}
    return [_artist(raw, events) for raw in raws]


def _artist(raw: dict, events: dict[str, Event]) -> Artist:
    values = dict(raw)
    values["albums"] = [_album(album) for album in raw.get("albums", [])]
    values["events"] = [events[event["tm_event_id"]] for event in raw.get("events", [])]
    return Artist(**values)
