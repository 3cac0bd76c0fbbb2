"""Rules about a show's bill: pure functions of Ticketmaster's data, tested table-driven."""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale

from integrations.ticketmaster.records import BilledAct, TicketmasterEvent

# Where an event's title stops naming its headliners: "A with B", "A w/ B", "A feat. B",
# "A + special guests B", "A, support: B". Acts named after it support.
SUPPORT_MARKER = re.compile(
    r"\s(?:with|w/|feat\.?|featuring|special guests?|support(?:ed by)?:?|\+)\s", re.IGNORECASE
)
# A bill this long is a festival's (Ticketmaster's concerts list at most about seven acts).
FESTIVAL_MIN_ACTS = 8


@dataclass(frozen=True, slots=True)
class BillSlot:
    """One act's place on an event's bill."""

    tm_attraction_id: str
    name: str
    position: int  # 0 = first in Ticketmaster's order
    headliner: bool


@dataclass(frozen=True, slots=True)
class EventBill:
    """An event's bill as one listing saw it.

    `complete` is False when the event did not embed its attractions: then only the
    listing act is known, and the other acts' places must be left as they are.
    """

    slots: tuple[BillSlot, ...]
    complete: bool


def _folded(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def headline_part(event_name: str) -> str:
    """The part of an event's title that names its headliners, folded for comparison."""
    return _folded(SUPPORT_MARKER.split(f" {event_name} ", maxsplit=1)[0])


@functools.lru_cache(maxsize=4096)
def _as_whole_words(name: str) -> re.Pattern[str] | None:
    """A pattern finding folded `name` as whole words in folded text; None for no name.
    (Cached: a tour's events name the same acts again and again.)"""
    folded = _folded(name)
    return re.compile(rf"(?<!\w){re.escape(folded)}(?!\w)") if folded else None


def event_bill(
    *, event_name: str, acts: Sequence[BilledAct] | None, listing: BilledAct
) -> EventBill:
    """The bill of an event found in `listing`'s events search.

    Acts keep Ticketmaster's order. The first act headlines, and so does every act the
    title names before a support marker ("A & B" are co-headliners, "A with B" is A's
    show with B supporting). The listing act is on the bill even where the event's
    attractions leave it out (it was found by its id): it is then added last.
    """
    if acts is None:
        return EventBill(
            slots=(BillSlot(listing.tm_attraction_id, listing.name, 0, True),), complete=False
        )
    ordered = list(acts)
    if all(act.tm_attraction_id != listing.tm_attraction_id for act in ordered):
        ordered.append(listing)
    named = named_headliners([act.name for act in ordered], headline_part(event_name))
    return EventBill(
        slots=tuple(
            BillSlot(
                tm_attraction_id=act.tm_attraction_id,
                name=act.name,
                position=position,
                headliner=position == 0 or act.name in named,
            )
            for position, act in enumerate(ordered)
        ),
        complete=True,
    )


def named_headliners(names: Sequence[str], headline: str) -> set[str]:
    """The names that folded `headline` names, longest first, each match taken out of
    the text: in "Head Band with Band" the act "Band" is named only inside "Head Band"."""
    found: set[str] = set()
    for name in sorted(set(names), key=lambda n: len(_folded(n)), reverse=True):
        pattern = _as_whole_words(name)
        if pattern is not None and pattern.search(headline):
            found.add(name)
            headline = pattern.sub("\x00", headline)
    return found


def is_festival(act_count: int) -> bool:
    return act_count >= FESTIVAL_MIN_ACTS


def events_by_listing(
    events: Sequence[TicketmasterEvent], attraction_ids: Sequence[str]
) -> tuple[dict[str, list[TicketmasterEvent]], list[TicketmasterEvent]]:
    """Hand each event of a query over several attraction ids to every one of them on its
    bill (`_embedded.attractions`): {attraction id: its events}, and the events that
    name none of them. A query over one id lists only its events, so nothing is left
    over then; over several, an event whose bill is unknown or names none of them
    cannot be placed from the answer alone."""
    by_id: dict[str, list[TicketmasterEvent]] = {tm_id: [] for tm_id in attraction_ids}
    unplaced = []
    for event in events:
        if len(attraction_ids) == 1:
            by_id[attraction_ids[0]].append(event)
            continue
        on_bill = {act.tm_attraction_id for act in event.bill or ()}
        listing = [tm_id for tm_id in attraction_ids if tm_id in on_bill]
        if not listing:
            unplaced.append(event)
        for tm_id in listing:
            by_id[tm_id].append(event)
    return by_id, unplaced


@dataclass(frozen=True, slots=True)
class StoredShow:
    """What a show looked like before a sync wrote it, to tell what changed."""

    name: str
    local_date: object
    local_time: object
    status: str
    tm_venue_id: str | None
    date_tba: bool
    time_tba: bool


def show_changed(stored: StoredShow, event: TicketmasterEvent) -> bool:
    """Whether a listed event differs from the stored show in what people see: its
    name, date, time, status or venue."""
    return stored != StoredShow(
        name=event.name,
        local_date=event.local_date,
        local_time=event.local_time,
        status=event.status,
        tm_venue_id=event.venue.tm_venue_id if event.venue else None,
        date_tba=event.date_tba,
        time_tba=event.time_tba,
    )


# --- How places read ---------------------------------------------------------------

_TERRITORIES = Locale("en").territories


def country_name(*, code: str, name: str = "") -> str:
    """The country as people write it in English ("United States", "United Kingdom"), from
    its ISO code (CLDR's names); Ticketmaster's own name ("United States Of America",
    "Great Britain") when the code is unknown or missing."""
    return _TERRITORIES.get(code.strip().upper()) or name.strip()


def place_line(*parts: str) -> str:
    """The non-empty parts, trimmed, joined by ", ": "Glasgow, United Kingdom", never
    "Glasgow,  United Kingdom" or a dangling comma."""
    return ", ".join(part.strip() for part in parts if part and part.strip())


def zone_abbreviation(*, local_date: date | None, local_time: time | None, zone: str) -> str:
    """What the venue's clock is called on that day ("BST", "CET", "EDT"; "+03" where the
    zone has no letters), for a time shown in the venue's local time; "" when the zone is
    unknown or not an IANA name. Without a time, noon of the day decides (daylight saving
    never changes at noon)."""
    if not zone or local_date is None:
        return ""
    try:
        tz = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        return ""
    moment = datetime.combine(local_date, local_time or time(12), tzinfo=tz)
    return moment.tzname() or ""


def month_bounds(value: str) -> tuple[date, date] | None:
    """The first and last day of the month "YYYY-MM"; None for anything else."""
    match = re.fullmatch(r"(\d{4})-(\d{2})", value.strip())
    if not match:
        return None
    year, month = int(match[1]), int(match[2])
    if not 1 <= month <= 12 or year < 1:
        return None
    first = date(year, month, 1)
    following = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    return first, date.fromordinal(following.toordinal() - 1)
