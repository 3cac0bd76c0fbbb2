"""Studio-only catalog rules: which Spotify tracks an artist's catalog keeps, and why.

Pure functions over plain data: no ORM, no HTTP, no Django. The importer builds
`RawTrack`s from Spotify answers, calls `decide_studio_tracks`, stores the kept
tracks and records the per-reason counts on the run.

Names are split into a *main* part and *descriptors*: the text in brackets and
the text after a spaced dash ("Song - Live at Wembley / 1986", "Song (Live)").
Spotify puts version notes (live, remaster, remix, radio edit) in descriptors,
so "live" as a word counts there, while a main title such as "Live Wire" or
"Live and Let Die" is a song name and is kept.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from integrations.spotify.records import SpotifyAlbumSummary


class DropReason(StrEnum):
    """Why a track is left out of the studio catalog."""

    LIVE_ALBUM = "live_album"
    LIVE_TITLE = "live_title"
    LIVENESS = "liveness"
    DUPLICATE_ISRC = "duplicate_isrc"
    DUPLICATE_TITLE = "duplicate_title"
    CURATOR_DROP = "curator_drop"


class KeepReason(StrEnum):
    """Why a track is in the studio catalog."""

    STUDIO = "studio"
    CURATOR_KEEP = "curator_keep"


class CuratorDecision(StrEnum):
    """A curator's override for one track (by Spotify id) or recording (by ISRC)."""

    ALWAYS_KEEP = "always_keep"
    ALWAYS_DROP = "always_drop"


@dataclass(frozen=True, slots=True)
class RawTrack:
    """One track as Spotify lists it on one album."""

    spotify_id: str
    name: str
    duration_ms: int
    isrc: str | None
    popularity: int | None  # None: development-mode apps get no popularity
    album_spotify_id: str
    album_name: str
    album_type: str  # album|single|compilation
    release_date: str  # YYYY / YYYY-MM / YYYY-MM-DD
    liveness: float | None  # None: audio features null or unavailable


@dataclass(frozen=True, slots=True)
class TrackDecision:
    """The verdict on one track, with the reason a run shows to staff."""

    spotify_id: str
    keep: bool
    reason: DropReason | KeepReason
    is_remix: bool
    duplicate_of: str | None = None  # spotify id of the kept version

    def __post_init__(self) -> None:
        if self.keep != isinstance(self.reason, KeepReason):
            raise ValueError(f"keep={self.keep} contradicts reason {self.reason!r}")


@dataclass(frozen=True, slots=True)
class CatalogDecision:
    """Decisions for a whole catalog: one per input track, in input order."""

    decisions: tuple[TrackDecision, ...]

    @property
    def kept(self) -> tuple[str, ...]:
        """Spotify ids of the kept tracks, in input order."""
        return tuple(decision.spotify_id for decision in self.decisions if decision.keep)

    @property
    def drop_counts(self) -> dict[str, int]:
        """Dropped tracks per `DropReason` value; reasons with no drops are absent."""
        counts = Counter(decision.reason for decision in self.decisions if not decision.keep)
        return {reason.value: counts[reason] for reason in DropReason if counts[reason]}

    @property
    def keep_counts(self) -> dict[str, int]:
        """Kept tracks per `KeepReason` value; reasons with no tracks are absent."""
        counts = Counter(decision.reason for decision in self.decisions if decision.keep)
        return {reason.value: counts[reason] for reason in KeepReason if counts[reason]}


# --- Names -------------------------------------------------------------------------------

_DASHES = str.maketrans(dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58", "-"))
_BRACKETED = re.compile(r"[(\[{]([^)\]}]*)[)\]}]?")
# Spaced only: "Ob-La-Di" and "Live 1975-85" are not descriptors.
_DASH_SEPARATOR = re.compile(r"\s+-+(?:\s+|$)")
# Quoted text is another work's title: "(From "Live and Let Die")" is not a live take.
_QUOTED = re.compile(r'"[^"]*"|“[^”]*”|«[^»]*»|「[^」]*」')
_FEATURING = re.compile(r"^\s*(?:feat\.?|ft\.?|featuring|with)\s")

# "live" is a version note only next to words that describe a recording, so a
# subtitle such as "(I Live for You)" or "(Live Forever)" stays a song name.
_LIVE_BEFORE = (
    r"(?:acoustic|recorded|performed|unplugged|tour|remaster|remastered|studio|bbc|radio)"
)
_LIVE_AFTER = (
    r"(?:at|in|from|on|with|version|recording|session|sessions|acoustic|unplugged|performance"
    r"|take|edit|mix|remaster|remastered|bootleg|demo|vocal|tour|radio|bbc|tv|lounge|band"
    r"|solo|orchestral|audio|mitschnitt|aufnahme|(?:&|and) (?:acoustic|unplugged|direct)"
    r"|'?\d{2,4})"
)
_LIVE_IN_SEGMENT = re.compile(rf"(?:^|\b{_LIVE_BEFORE}\s+)live(?:$|[\s-]+{_LIVE_AFTER}\b)")
# Descriptors hold several notes: "Live / Remastered 2011", "2011 Remaster - Live".
_SEGMENT_SEPARATOR = re.compile(r"\s*[/,;:|+]\s*|\s+-+\s+")
_LIVE_WITH_YEAR = r"(?<![\w'-])live!?\s+(?:(?:19|20)\d{2}|'\d{2})(?:\s*-\s*\d{2,4})?(?!\w)"
_BROADCAST_SESSION = (
    r"\b(?:bbc|peel|radio|maida vale|kcrw|spotify|live)(?:\s+[\w.]+){0,2}?\s+sessions?\b"
    r"|\bin session\b"
)
_NOT_ENGLISH_LIVE = (
    r"\b(?:en vivo|ao vivo|dal vivo|en directo|en concierto|en concert|en public|na żywo)\b"
    r"|ライブ|ライヴ"
)

# Anywhere in a track title or album name.
_ANYWHERE = re.compile(rf"\bmtv unplugged\b|\btour live\b|{_LIVE_WITH_YEAR}")
# In a descriptor of a track title or album name.
_IN_DESCRIPTOR = re.compile(
    rf"\bunplugged\b|\bin concert\b|{_BROADCAST_SESSION}|{_NOT_ENGLISH_LIVE}"
)
# In the main part of an album name: only the shapes live albums take, since
# "Live Through This" and "Long Live" are studio albums.
_IN_ALBUM_MAIN = re.compile(
    r"^live\s*!?$|^live (?:at|in|from|on)\b|\blive (?:at|from)\b|: live (?:in|on)\b"
    rf"|\bunplugged\b|\bin concert\b|{_BROADCAST_SESSION}|{_NOT_ENGLISH_LIVE}"
)

_REMIX_WORD = re.compile(r"\b(?:re-?mix(?:ed)?|rmx)\b")
_WORD_BEFORE_MIX = re.compile(r"(\w+)\s+mix\b")
# A new mix of the same recording, not a remix: "2019 Mix", "Mono Mix", "Original Mix".
_NOT_REMIX_MIXES = frozenset({"original", "album", "single", "mono", "stereo", "main"})

_APOSTROPHES = re.compile("['\u2019\u02bc`\u00b4]")
_NOT_WORD = re.compile(r"[\W_]+")


def _fold(text: str) -> str:
    """Compatibility-normalised, casefolded, ASCII dashes, single spaces."""
    folded = unicodedata.normalize("NFKC", text).translate(_DASHES).casefold()
    return " ".join(folded.split())


def _split_name(text: str) -> tuple[str, list[str]]:
    """Split a folded name into its main part and its descriptors."""
    descriptors = [match.strip() for match in _BRACKETED.findall(text)]
    outside_brackets = _BRACKETED.sub(" ", text)
    main, *after_dashes = _DASH_SEPARATOR.split(f"{outside_brackets} ")
    descriptors.extend(part.strip() for part in after_dashes)
    cleaned = (_QUOTED.sub(" ", descriptor) for descriptor in descriptors)
    return main.strip(), [d for d in cleaned if d.strip() and not _FEATURING.match(d)]


@functools.lru_cache(maxsize=16_384)  # an album's name is asked once per track of it
def has_live_marker(text: str, *, album: bool = False) -> bool:
    """True when a track title (or, with `album=True`, an album name) marks a live recording.

    Live markers are word-bounded, case-insensitive and accept unicode dashes:
    "(Live)", "- Live at Wembley / 1986", "(Acoustic Live)", "(Unplugged)",
    "(BBC Session)", "- Peel Session", "(En Vivo)", "(Ao Vivo)", "MTV Unplugged",
    "Tour Live", "Live 1975-85". Album names also count when they start with
    "Live at/in/from/on" or are just "Live"/"Live!". Studio songs such as
    "Live Wire", "Alive", "Radio Ga Ga", "Session Man", "X - Radio Edit" and
    studio-session albums ("The Basement Sessions") are not live.
    """
    folded = _fold(text)
    if _ANYWHERE.search(folded):
        return True
    main, descriptors = _split_name(folded)
    if album and _IN_ALBUM_MAIN.search(main):
        return True
    return any(_descriptor_is_live(descriptor) for descriptor in descriptors)


def _descriptor_is_live(descriptor: str) -> bool:
    if _IN_DESCRIPTOR.search(descriptor):
        return True
    segments = (part.strip(" !.?*") for part in _SEGMENT_SEPARATOR.split(descriptor))
    return any(_LIVE_IN_SEGMENT.search(segment) for segment in segments)


def is_remix(title: str) -> bool:
    """True when a track title's descriptors name a remix.

    "(Remix)", "- X Remix", "[X Remix]", "(Remixed by X)", "(Club Mix)",
    "- Extended Mix" are remixes; "Radio Edit", "Remastered", "2019 Mix",
    "Mono Mix", "Original Mix" and main titles such as "Mixed Emotions" or
    "Mix Tape" are not.
    """
    _, descriptors = _split_name(_fold(title))
    for descriptor in descriptors:
        if _REMIX_WORD.search(descriptor):
            return True
        for word in _WORD_BEFORE_MIX.findall(descriptor):
            if word not in _NOT_REMIX_MIXES and not word.isdigit():
                return True
    return False


def _is_latin(char: str) -> bool:
    # Latin blocks up to IPA, plus Latin Extended Additional (Vietnamese).
    return ord(char) < 0x0250 or 0x1E00 <= ord(char) <= 0x1EFF


@functools.lru_cache(maxsize=16_384)
def normalise_title(title: str) -> str:
    """Comparable form of a title: casefolded, Latin accents and punctuation removed.

    "Ça Plane Pour Moi" and "ca plane pour moi" compare equal, as do
    "Don't Stop" / "Dont Stop" and "Live-Wire" (any dash) / "live wire". Marks
    on other scripts are kept, so "ライブ" (live) and "ライフ" (life) stay different.
    (Cached: a catalog judges the same album and track names many times over.)
    """
    if title.isascii():  # nothing to decompose: no accents, no other scripts
        text = title.casefold()
        return " ".join(_NOT_WORD.sub(" ", _APOSTROPHES.sub("", text)).split())
    decomposed = unicodedata.normalize("NFKD", title)
    kept: list[str] = []
    base = ""
    for char in decomposed:
        if unicodedata.combining(char):
            if base and _is_latin(base):
                continue
        else:
            base = char
        kept.append(char)
    text = unicodedata.normalize("NFC", "".join(kept)).casefold()
    text = _NOT_WORD.sub(" ", _APOSTROPHES.sub("", text))
    return " ".join(text.split())


# --- Choosing one version -------------------------------------------------------------------

_ALBUM_TYPE_RANK = {"album": 0, "single": 1, "compilation": 2}
_RELEASE_DATE = re.compile(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?$")

PreferenceKey = tuple[int, int, int, int, int, int, str]


def _release_date_key(release_date: str) -> tuple[int, int, int, int]:
    """(unknown, year, month, day); missing month/day pad to 1, the earliest."""
    match = _RELEASE_DATE.match(release_date.strip())
    # Spotify sends "0000" for an unknown date: it must not win "earliest".
    if match is None or int(match[1]) == 0:
        return (1, 0, 0, 0)
    year, month, day = (int(part) if part else 1 for part in match.groups())
    return (0, year, month, day)


def release_preference_key(track: RawTrack, *, use_popularity: bool = True) -> PreferenceKey:
    """Sort key putting the best version of a recording first.

    Order: highest popularity (only when `use_popularity`; a missing popularity
    then sorts last), album over single over compilation (other types after),
    earliest release date (YYYY and YYYY-MM pad to the first day; unknown
    dates last), smallest Spotify id. Distinct ids never tie, so the choice
    does not depend on input order.
    """
    if not use_popularity:
        popularity_rank = 0
    elif track.popularity is None:
        popularity_rank = 1
    else:
        popularity_rank = -track.popularity
    album_type_rank = _ALBUM_TYPE_RANK.get(track.album_type.strip().casefold(), 3)
    return (
        popularity_rank,
        album_type_rank,
        *_release_date_key(track.release_date),
        track.spotify_id,
    )


# CC-XXX-YY-NNNNN without the dashes: country, registrant, year, designation.
ISRC = re.compile(r"^[A-Z]{2}[0-9A-Z]{3}[0-9]{7}$")


def normalise_isrc(value: str) -> str:
    """An ISRC as Spotify sends it: upper case, no dashes or spaces ("" stays "")."""
    return re.sub(r"[\s-]+", "", value).upper()


def _isrc_key(isrc: str | None) -> str | None:
    return normalise_isrc(isrc or "") or None


def _duration_seconds(duration_ms: int) -> int:
    # Half-up, not Python's banker's rounding, so x.5 s always goes the same way.
    return (duration_ms + 500) // 1000


# --- The decision ---------------------------------------------------------------------------


class CuratorLookup:
    """Curator decisions keyed by Spotify id (exact) or ISRC (case/space/dash-insensitive):
    the one way to tell which override applies to a track, for the rules and the admin."""

    def __init__(self, curator_decisions: Mapping[str, CuratorDecision]) -> None:
        self._by_spotify_id = {key.strip(): value for key, value in curator_decisions.items()}
        self._by_isrc: dict[str, CuratorDecision] = {}
        for key, value in curator_decisions.items():
            isrc = _isrc_key(key)
            if isrc is None:
                continue
            # Two keys folding to one ISRC and disagreeing: keeping loses nothing.
            if self._by_isrc.get(isrc) is not CuratorDecision.ALWAYS_KEEP:
                self._by_isrc[isrc] = CuratorDecision(value)

    def decision_for(self, *, spotify_id: str, isrc: str | None) -> CuratorDecision | None:
        """The decision on the track `spotify_id` (recording `isrc`), or None."""
        # The Spotify id names one version, so it outranks a rule for the whole recording.
        by_id = self._by_spotify_id.get(spotify_id)
        if by_id is not None:
            return CuratorDecision(by_id)
        isrc = _isrc_key(isrc)
        return self._by_isrc.get(isrc) if isrc else None


@functools.lru_cache(maxsize=16_384)  # asked twice per track in a catalog phase
def name_drop_reason(track_name: str, album_name: str) -> DropReason | None:
    """LIVE_ALBUM or LIVE_TITLE when the names alone show live material, else None.

    The importer asks this before fetching track details, so it must be the
    very rule `decide_studio_tracks` applies.
    """
    # A single named after its song carries the song's name, not a live-album name.
    album_is_song_name = normalise_title(album_name) == normalise_title(track_name)
    if has_live_marker(album_name, album=not album_is_song_name):
        return DropReason.LIVE_ALBUM
    if has_live_marker(track_name):
        return DropReason.LIVE_TITLE
    return None


def _name_or_liveness_drop(
    track: RawTrack, *, audio_features_available: bool, liveness_threshold: float
) -> DropReason | None:
    if reason := name_drop_reason(track.name, track.album_name):
        return reason
    if (
        audio_features_available
        and track.liveness is not None
        and track.liveness > liveness_threshold
    ):
        return DropReason.LIVENESS
    return None


def decide_studio_tracks(
    tracks: Sequence[RawTrack],
    *,
    audio_features_available: bool,
    curator_decisions: Mapping[str, CuratorDecision] | None = None,
    liveness_threshold: float = 0.8,
) -> CatalogDecision:
    """Decide, for every track, whether the studio catalog keeps it, and why.

    In order: curator overrides (keyed by Spotify id, or by ISRC for every
    version of a recording; an always-keep is never dropped later and wins its
    duplicate group); live album name; live marker in the title; liveness above
    the threshold, only when audio features are available (a null liveness
    keeps the track); then one version per ISRC and, for tracks without ISRC,
    per normalised title + duration in seconds, chosen by
    `release_preference_key` (popularity used only when the whole group has
    it). The result is independent of input order and has one decision per
    track, in input order.
    """
    curator = CuratorLookup(curator_decisions or {})
    reasons: list[DropReason | KeepReason | None] = []
    for track in tracks:
        curator_decision = curator.decision_for(spotify_id=track.spotify_id, isrc=track.isrc)
        if curator_decision is CuratorDecision.ALWAYS_DROP:
            reasons.append(DropReason.CURATOR_DROP)
        elif curator_decision is CuratorDecision.ALWAYS_KEEP:
            reasons.append(KeepReason.CURATOR_KEEP)
        else:
            reasons.append(
                _name_or_liveness_drop(
                    track,
                    audio_features_available=audio_features_available,
                    liveness_threshold=liveness_threshold,
                )
            )

    groups: dict[tuple[str | int, ...], list[int]] = {}
    for index, track in enumerate(tracks):
        if reasons[index] not in (None, KeepReason.CURATOR_KEEP):
            continue
        isrc = _isrc_key(track.isrc)
        key: tuple[str | int, ...] = (
            ("isrc", isrc)
            if isrc
            else ("title", normalise_title(track.name), _duration_seconds(track.duration_ms))
        )
        groups.setdefault(key, []).append(index)

    duplicate_of: dict[int, str] = {}
    for key, members in groups.items():
        use_popularity = all(tracks[index].popularity is not None for index in members)
        ranked = sorted(
            members,
            key=lambda index: (
                reasons[index] is not KeepReason.CURATOR_KEEP,
                release_preference_key(tracks[index], use_popularity=use_popularity),
            ),
        )
        winner_id = tracks[ranked[0]].spotify_id
        duplicate_reason = (
            DropReason.DUPLICATE_ISRC if key[0] == "isrc" else DropReason.DUPLICATE_TITLE
        )
        for index in ranked[1:]:
            if reasons[index] is not KeepReason.CURATOR_KEEP:
                reasons[index] = duplicate_reason
                duplicate_of[index] = winner_id

    decisions: list[TrackDecision] = []
    for index, track in enumerate(tracks):
        reason = reasons[index] or KeepReason.STUDIO
        decisions.append(
            TrackDecision(
                spotify_id=track.spotify_id,
                keep=isinstance(reason, KeepReason),
                reason=reason,
                is_remix=is_remix(track.name),
                duplicate_of=duplicate_of.get(index),
            )
        )
    return CatalogDecision(decisions=tuple(decisions))


# --- Incremental sync ----------------------------------------------------------------------


class AlbumListing(Protocol):
    """What Spotify's album list says of a release, and what a stored release says."""

    @property
    def spotify_id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def album_type(self) -> str: ...
    @property
    def release_date(self) -> str: ...
    @property
    def release_date_precision(self) -> str: ...
    @property
    def total_tracks(self) -> int: ...


def _listing_fields(album: AlbumListing) -> tuple[str, str, str, str, int]:
    # The fields the rules read, and the track count: a release differing in any of
    # them is fetched again (new tracks, a renamed album, a corrected date).
    return (
        album.name,
        album.album_type,
        album.release_date,
        album.release_date_precision,
        album.total_tracks,
    )


def releases_to_fetch(
    listed: Sequence[AlbumListing], stored: Mapping[str, AlbumListing]
) -> list[str]:
    """Spotify ids of the listed releases whose details must be fetched, in listing order:
    those not stored yet, and those whose track count (or name, type, release date) in
    the list differs from the stored release. Each id once."""
    wanted: dict[str, None] = {}
    for album in listed:
        known = stored.get(album.spotify_id)
        if known is None or _listing_fields(known) != _listing_fields(album):
            wanted[album.spotify_id] = None
    return list(wanted)


@dataclass(frozen=True, slots=True)
class CuratorNeeds:
    """What of the curator decisions changes which tracks need details: a track kept
    by ISRC is only recognised once its details give the ISRC, so such an override
    costs the details of the tracks the names alone would drop."""

    spotify_ids: frozenset[str]
    keeps_by_isrc: bool

    @classmethod
    def of(cls, curator_decisions: Mapping[str, CuratorDecision]) -> CuratorNeeds:
        return cls(
            spotify_ids=frozenset(curator_decisions),
            keeps_by_isrc=any(
                CuratorDecision(decision) is CuratorDecision.ALWAYS_KEEP
                and ISRC.fullmatch(normalise_isrc(key)) is not None
                for key, decision in curator_decisions.items()
            ),
        )


def details_needed(
    *, spotify_id: str, track_name: str, album_name: str, curator: CuratorNeeds
) -> bool:
    """Whether deciding this track needs its details (ISRC, popularity) and liveness:
    not when its names alone drop it, unless a curator decision could apply to it."""
    if curator.keeps_by_isrc or spotify_id in curator.spotify_ids:
        return True
    return name_drop_reason(track_name, album_name) is None


def details_to_fetch(needed: Iterable[str], stored_with_details: Iterable[str]) -> list[str]:
    """The needed track ids whose details are not stored yet, in order, each once."""
    have = set(stored_with_details)
    return list(dict.fromkeys(track_id for track_id in needed if track_id not in have))


class AudioFeatures(StrEnum):
    """What Spotify answered when a track's audio features were asked for."""

    MEASURED = "measured"  # answered (a null row too: then no liveness, and the track stays)
    REFUSED = "refused"  # refused to this app (403): names alone judge live versions


@dataclass(frozen=True, slots=True)
class AudioFeaturesPlan:
    """Which tracks' audio features to ask for, and whether the catalog can use them.

    With nothing to fetch, `available` is the answer; otherwise the fetch decides
    (answered: available; refused: the name-rules fallback for the whole catalog)."""

    fetch: tuple[str, ...]
    available: bool


def audio_features_plan(
    needed: Iterable[str], stored: Mapping[str, AudioFeatures]
) -> AudioFeaturesPlan:
    """Decide audio features as a full import would, asking only what is not stored.

    Every needed track measured: available, nothing fetched. Some never asked: ask for
    them (and for those refused before, so that an answer covers the whole catalog).
    Asked before and refused (none new): unavailable without asking again, since
    Spotify refuses features per app; a mix of measured and refused asks the refused
    ones again, as the app may have changed.
    """
    needed = list(dict.fromkeys(needed))
    unknown = [track_id for track_id in needed if track_id not in stored]
    refused = [track_id for track_id in needed if stored.get(track_id) is AudioFeatures.REFUSED]
    if not unknown and not refused:
        return AudioFeaturesPlan(fetch=(), available=True)
    if not unknown and len(refused) == len(needed):
        return AudioFeaturesPlan(fetch=(), available=False)
    return AudioFeaturesPlan(fetch=tuple(unknown + refused), available=True)


# --- Identity ------------------------------------------------------------------------------


def _name_key(name: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())


def pick_spotify_artist(name: str, candidates: Sequence[tuple[str, str]]) -> str | None:
    """The Spotify id of the artist called exactly `name` among search results.

    `candidates` are (spotify id, name) in Spotify's order. An identical name
    wins; else a name equal but for case and spacing, if only one artist has
    it. Accents count ("Sigur Ros" is not "Sigur Rós") and so does every word
    ("The Example Band Tribute" is not "Example Band"): a wrong artist's
    catalog is worse than none.
    """
    for spotify_id, candidate in candidates:
        if candidate == name:
            return spotify_id
    loose = {
        spotify_id
        for spotify_id, candidate in candidates
        if _name_key(candidate) == _name_key(name)
    }
    return loose.pop() if len(loose) == 1 else None


def listing_digest(
    listing: Iterable[SpotifyAlbumSummary], curator_decisions: Mapping[str, CuratorDecision]
) -> str:
    """A digest of what a catalog decision is made from, short of the stored releases:
    the artist's listed releases (as the rules read them) and its curators' decisions.
    A re-sync whose listing has the digest of the last decision would decide the same
    catalog again, and may keep it as it is."""
    releases = sorted(
        {(a.spotify_id, a.total_tracks, a.name, a.album_type, a.release_date) for a in listing}
    )
    decisions = sorted((key, str(value)) for key, value in curator_decisions.items())
    payload = json.dumps([releases, decisions], separators=(",", ":"))
    return hashlib.sha256(payload.encode()).hexdigest()


# --- Songs: one title, its recordings ---------------------------------------------------


class VersionKind(StrEnum):
    """What a recording is of its song, from the markers its title carries."""

    ORIGINAL = "original"
    REMASTER = "remaster"  # also a new mix of the same recording: "(2019 Mix)"
    DEMO = "demo"
    ALTERNATE = "alternate"  # early / alternate version, take N, outtake
    EDIT = "edit"  # single / album / radio version, radio edit, edit
    MONO = "mono"
    STEREO = "stereo"
    BONUS = "bonus"
    RERECORDED = "re-recorded"  # also "(Taylor's Version)"
    ACOUSTIC = "acoustic"
    INSTRUMENTAL = "instrumental"
    REMIX = "remix"
    LIVE = "live"


@dataclass(frozen=True, slots=True)
class SongTitle:
    """A recording's title read as its song: the title as people say it, the song's key
    among the artist's songs, and the version the markers name."""

    title: str
    key: str
    kind: VersionKind


# When one title names several versions ("Radio Edit - Remix"), the one that changes the
# recording most is what it is.
_KIND_PRIORITY = (
    VersionKind.LIVE,
    VersionKind.REMIX,
    VersionKind.ACOUSTIC,
    VersionKind.INSTRUMENTAL,
    VersionKind.DEMO,
    VersionKind.ALTERNATE,
    VersionKind.RERECORDED,
    VersionKind.EDIT,
    VersionKind.REMASTER,
    VersionKind.MONO,
    VersionKind.STEREO,
    VersionKind.BONUS,
    VersionKind.ORIGINAL,
)
# Words that name a version (after `normalise_title`: lower case, Latin accents off),
# in English, Spanish, Portuguese, French and German.
_VERSION_WORDS: dict[str, VersionKind] = {
    **dict.fromkeys(
        [
            "remaster",
            "remastered",
            "remasterd",
            "remasterised",
            "remasterized",
            "remasterizado",
            "remasterizada",
            "remasterizacion",
            "remasterise",
            "remasterisee",
            "remasterisation",
            "remastert",
            "remasterizadas",
            "remasterizados",
        ],
        VersionKind.REMASTER,
    ),
    **dict.fromkeys(["demo", "demoversion", "maqueta"], VersionKind.DEMO),
    **dict.fromkeys(
        [
            "alternate",
            "alternative",
            "alternativa",
            "alternativo",
            "outtake",
            "early",
            "fruhe",
            "fruhere",
            "primera",
            "primeira",
            "premiere",
        ],
        VersionKind.ALTERNATE,
    ),
    **dict.fromkeys(
        [
            "edit",
            "radio",
            "single",
            "album",
            "sencillo",
            "singleversion",
            "radioversion",
            "albumversion",
        ],
        VersionKind.EDIT,
    ),
    "mono": VersionKind.MONO,
    "stereo": VersionKind.STEREO,
    **dict.fromkeys(["bonus", "bonustrack"], VersionKind.BONUS),
    **dict.fromkeys(
        [
            "rerecorded",
            "rerecording",
            "regrabada",
            "regrabado",
            "regravada",
            "regravado",
            "reenregistre",
            "reenregistree",
            "neuaufnahme",
        ],
        VersionKind.RERECORDED,
    ),
    **dict.fromkeys(
        [
            "acoustic",
            "acustica",
            "acustico",
            "acoustique",
            "akustik",
            "akustikversion",
            "akustisch",
            "akustische",
            "unplugged",
        ],
        VersionKind.ACOUSTIC,
    ),
    **dict.fromkeys(
        ["instrumental", "instrumentale", "instrumentalversion"], VersionKind.INSTRUMENTAL
    ),
    **dict.fromkeys(
        ["remix", "remixed", "remixes", "rmx", "rework", "remezcla"], VersionKind.REMIX
    ),
}
# Words that may stand beside a version word without changing what it says.
_VERSION_FILLER = frozenset(
    [
        "version",
        "versao",
        "versione",
        "fassung",
        "edition",
        "edicion",
        "edicao",
        "track",
        "pista",
        "faixa",
        "recording",
        "take",
        "digital",
        "digitally",
        "new",
        "original",
        "the",
        "a",
        "de",
        "la",
        "do",
        "da",
        "der",
        "die",
        "version",
        "mix",
        "by",
    ]
)
# Joined before reading: "re-recorded" and "neu aufgenommen" are one word each here.
_VERSION_PHRASES = (
    (re.compile(r"\bre (record(?:ed|ing)?)\b"), r"re\1"),
    (re.compile(r"\bneu aufgenommen\b"), "neuaufnahme"),
    (re.compile(r"\bbonus track\b"), "bonustrack"),
)
_NUMBER_WORDS = frozenset(
    ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]
)
_YEAR_OR_NUMBER = re.compile(r"^(?:\d+|'\d{2})$")
_POSSESSIVE_VERSION = re.compile(r"^\w[\w .&]*['\u2019]s version$", re.IGNORECASE)
_CREDIT = re.compile(r"^(?:feat\.?|ft\.?|featuring|with)\s", re.IGNORECASE)
_UNBRACKETED_CREDIT = re.compile(r"\s+(?:feat\.|ft\.|featuring)\s.*$", re.IGNORECASE)
_TRAILING_BRACKET = re.compile(r"\s*[(\[]([^()\[\]]*)[)\]]\s*$")
_DASH_TAIL = re.compile(r"\s+-+\s+((?:(?!\s-+\s).)*?)\s*$")
_NOT_REMIX_MIX = {
    "original": VersionKind.ORIGINAL,
    "main": VersionKind.ORIGINAL,
    "album": VersionKind.EDIT,
    "single": VersionKind.EDIT,
    "radio": VersionKind.EDIT,
    "mono": VersionKind.MONO,
    "stereo": VersionKind.STEREO,
}


def _part_kind(part: str) -> VersionKind | None:
    """The version one part of a descriptor names ("Remastered 2011", "Neon Cartel
    Remix", "Take 3", "Versión Acústica"); None when it is not a version note."""
    if _POSSESSIVE_VERSION.match(part.strip()):
        return VersionKind.RERECORDED
    words = normalise_title(part)
    for pattern, joined in _VERSION_PHRASES:
        words = pattern.sub(joined, words)
    tokens = words.split()
    if not tokens:
        return None
    if has_live_marker(f"({part})"):
        return VersionKind.LIVE
    if any(_VERSION_WORDS.get(token) == VersionKind.REMIX for token in tokens):
        return VersionKind.REMIX  # "X Remix", "Remixed by X": any names beside it
    if tokens[-1] == "mix" and len(tokens) >= 2:
        before = tokens[-2]
        if before in _NOT_REMIX_MIX:
            return _NOT_REMIX_MIX[before]
        if _YEAR_OR_NUMBER.match(before):
            return VersionKind.REMASTER  # "2019 Mix": the same recording mixed anew
        return VersionKind.REMIX  # "Club Mix", "Extended Mix"
    if tokens[0] == "take":
        numbered = len(tokens) == 2 and (tokens[1].isdigit() or tokens[1] in _NUMBER_WORDS)
        return VersionKind.ALTERNATE if numbered else None
    kinds = [_VERSION_WORDS[token] for token in tokens if token in _VERSION_WORDS]
    rest = [
        token
        for token in tokens
        if token not in _VERSION_WORDS
        and token not in _VERSION_FILLER
        and not _YEAR_OR_NUMBER.match(token)
    ]
    if rest:
        return None
    if not kinds:
        # "(Original Version)", "(Original Mix)": the original, said so.
        return VersionKind.ORIGINAL if "original" in tokens and len(tokens) > 1 else None
    return min(kinds, key=_KIND_PRIORITY.index)


def _descriptor_kinds(descriptor: str) -> list[VersionKind] | None:
    """The versions a bracketed or dashed descriptor names, part by part ("Remastered
    2011 / Mono"); None unless every part is a version note."""
    parts = [part for part in _SEGMENT_SEPARATOR.split(descriptor) if part.strip(" !.?*")]
    kinds = [_part_kind(part) for part in parts]
    if not kinds or any(kind is None for kind in kinds):
        return None
    return [kind for kind in kinds if kind is not None]


def song_title(title: str) -> SongTitle:
    """A recording's title read as its song: version markers come off the end, in
    "(…)", "[…]" and " - …" forms, and become the recording's `VersionKind`; "feat."
    credits come off too. Words of the song's own title stay ("Demolition Man",
    "Edit the Heart", "Mono No Aware"), and so does a descriptor that is not a version
    note ("(Part 2)", "(I Can't Get No) Satisfaction")."""
    text = " ".join(unicodedata.normalize("NFC", title).translate(_DASHES).split())
    kinds: list[VersionKind] = []
    while True:
        text = _UNBRACKETED_CREDIT.sub("", text).strip()
        bracket = _TRAILING_BRACKET.search(text)
        dash = None if bracket else _DASH_TAIL.search(text)
        match = bracket or dash
        if match is None or match.start() == 0:
            break
        descriptor = _QUOTED.sub(" ", match[1]).strip()
        if _CREDIT.match(descriptor):
            text = text[: match.start()]
            continue
        found = _descriptor_kinds(descriptor) if descriptor else None
        if found is None:
            break
        kinds.extend(found)
        text = text[: match.start()]
    text = text.strip(" -:,;/")
    kind = min(kinds, key=_KIND_PRIORITY.index) if kinds else VersionKind.ORIGINAL
    said = text or " ".join(title.split())
    return SongTitle(title=said, key=song_key(said), kind=kind)


# The longest song key stored (`Song.key`); normalising can lengthen a title ("ß" -> "ss").
SONG_KEY_MAX_LENGTH = 500


def song_key(title: str) -> str:
    """A song's key among the artist's songs: its title compared for sameness
    (`normalise_title`), at most `SONG_KEY_MAX_LENGTH` characters; a title of punctuation
    alone ("!!!") is its own key."""
    key = normalise_title(title) or " ".join(title.casefold().split())
    return key[:SONG_KEY_MAX_LENGTH]


# The recordings a song's main one is chosen among first: the original studio take.
_MAIN_RANK = {
    VersionKind.ORIGINAL: 0,
    VersionKind.MONO: 1,
    VersionKind.STEREO: 1,
    VersionKind.BONUS: 1,
    VersionKind.ALTERNATE: 1,
    VersionKind.RERECORDED: 1,
}


def main_recording_key(
    *, kind: VersionKind, album_type: str, release_date: str, spotify_id: str
) -> tuple[int, int, tuple[int, int, int, int], str]:
    """Sorts a song's recordings with its main one first: not a demo, remaster, edit,
    live, acoustic, instrumental or remix when such a version exists; then album over
    single over compilation; then the earliest release; then the smallest Spotify id."""
    return (
        _MAIN_RANK.get(kind, 2),
        _ALBUM_TYPE_RANK.get(album_type, len(_ALBUM_TYPE_RANK)),
        _release_date_key(release_date),
        spotify_id,
    )


@dataclass(frozen=True, slots=True)
class Recording:
    """One kept studio track of an artist, as songs are made of: its name and release."""

    spotify_id: str
    name: str
    isrc: str = ""
    album_type: str = ""
    release_date: str = ""


@dataclass(frozen=True, slots=True)
class SongGroup:
    """One song of an artist: its key and title, and its recordings (Spotify track ids
    with their version kinds), the main recording first."""

    key: str
    title: str
    recordings: tuple[tuple[str, VersionKind], ...]

    @property
    def main(self) -> str:
        return self.recordings[0][0]


def group_songs(
    recordings: Iterable[Recording], assignments: Mapping[str, str] | None = None
) -> list[SongGroup]:
    """The artist's songs, by key, each with its recordings, main first.

    A recording belongs to the song its title reads as (`song_title`), unless a curator
    assigned it to a song by title: `assignments` maps a Spotify track id (that release)
    or an ISRC (the recording, wherever released) to the title of its song; the track id
    wins. Assigning a title no other recording reads as splits the recording off into a
    song of its own. A song's title is its main recording's: as read, or as assigned when
    the main recording was assigned. The version kind always comes from the track's name.
    """
    assignments = assignments or {}
    members: dict[str, list[tuple[tuple, str, VersionKind, str]]] = {}
    for recording in recordings:
        read = song_title(recording.name)
        assigned = assignments.get(recording.spotify_id) or (
            assignments.get(recording.isrc) if recording.isrc else None
        )
        title = " ".join(assigned.split()) if assigned and assigned.strip() else read.title
        order = main_recording_key(
            kind=read.kind,
            album_type=recording.album_type,
            release_date=recording.release_date,
            spotify_id=recording.spotify_id,
        )
        key = song_key(title)
        members.setdefault(key, []).append((order, recording.spotify_id, read.kind, title))
    songs = []
    for key in sorted(members):
        ordered = sorted(members[key])
        songs.append(
            SongGroup(
                key=key,
                title=ordered[0][3],
                recordings=tuple((spotify_id, kind) for _, spotify_id, kind, _ in ordered),
            )
        )
    return songs
