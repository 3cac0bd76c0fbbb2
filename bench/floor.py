"""The real floor of an import: the earliest moment a perfect client could have had
every answer of the requests the import issued, given how they depend on each other,
the upstream's latency and Ticketmaster's rolling rate window.

Pure: plain numbers in (each import as a `Chain`, from its phases' counters by
`chain_from_counters`), seconds out. No Django, no I/O.

The model, as the code issues the requests (imports/pipeline.py, shows/sync.py,
integrations/ticketmaster/client.py, catalog/sync.py, integrations/spotify/client.py):

- Every request takes one round trip (`latency`) from being sent to being answered.
- Ticketmaster admits a request at time t only if fewer than `rate` requests were sent
  in (t - window, t] (the sandbox's rolling window, applied to arrival times, which
  are the send times shifted by the same latency).
- Identity: the attraction request, at t = 0. An artist without a Spotify link on
  Ticketmaster (`spotify_match` name_search or not_found) is then searched on Spotify
  by the attraction's name, inside the identity phase: one more round trip (one page
  of 50 in an extended app) before the shows and catalog phases start.
- Shows (`TicketmasterClient.upcoming_events`): W date windows with P pages in all
  (counters `events_windows`, `events_pages`). A window's first page gives its page
  count, then its other pages go out at once. **The windows are sequential**, not all
  hanging off the attraction: the next window starts at the start time of the last
  event the window listed, so its first page waits for every page of the window
  before it (`_events_window` returns that start only after `gather`-ing them all).
  Only a window that holds more than Ticketmaster's paging depth (pages 0..5 at size
  200) has a next one, so every window but the last has 6 pages, the last the rest.
  The first window's first page waits for the identity phase (the phase order: the
  events query itself needs only the attraction id, known before any request).
- Catalog (`sync_catalog`), after the identity phase: the first page of the artist's
  albums, the other pages at once, the album batches (with the long albums' extra
  track pages alongside), then the track-detail batches and the audio-features
  batches **side by side** (a task group), not one after the other: at most 4
  dependent round trips, fewer when a step has nothing to fetch. The token is not on
  the path: it depends on nothing, so a perfect client asks for it while the
  attraction is in flight (the importer asks once per worker process and keeps it).
  Neither is the importer's probe of an app of unknown kind (first batch alone, then
  the rest): a perfect client knows its app. Spotify has no per-second cap in the
  sandbox's default configuration, so this chain is latency only.

With one import, sending every request as early as its dependencies and the window
allow is optimal: the requests ready at any moment are interchangeable pages of one
window (or a single request). With several imports on one key they compete for the
window, and sending whatever is ready is not always optimal: a slot spent on a page
with nothing after it can make an attraction or a window's first page, ready a
moment later, wait a whole window. So two list schedules are tried (the ready
request with the most unconstrained work still hanging off it first; the same, but
holding the slot for such a request about to be ready) and the better one is the
floor (`seconds`), an achievable time. `lower_s` is a bound no schedule beats (for
every set of requests that cannot go before some time a: a, plus the windows it
takes to send them all, plus the least work after the last); when the two meet,
`exact` says the floor is the optimum. tests/bench/test_floor.py checks both against
an exhaustive search of every send order on small cases.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

# Ticketmaster serves pages 0..5 of a query at size 200 (integrations.ticketmaster.client).
PAGES_PER_FULL_WINDOW = 6
# Identity's Spotify search when Ticketmaster lists no Spotify link.
SEARCHED = ("name_search", "not_found")
# Times closer than this are the same moment (sums of floats).
EPSILON = 1e-9


@dataclass(frozen=True, slots=True)
class Chain:
    """One import's requests as plain numbers.

    `windows`, `pages`: the shows phase's date windows and event pages (0 and 0 when it
    fetched none); `search_round_trips`: Spotify round trips of the identity phase's
    name search (0 when Ticketmaster linked the artist); `spotify_round_trips`: the
    catalog phase's dependent Spotify round trips.
    """

    windows: int = 1
    pages: int = 1
    search_round_trips: int = 0
    spotify_round_trips: int = 0

    def window_pages(self, full: int = PAGES_PER_FULL_WINDOW) -> list[int]:
        """Pages per window: `full` for every window but the last, the rest in it."""
        if self.windows == 0 and self.pages == 0:
            return []
        last = self.pages - full * (self.windows - 1)
        if self.windows < 1 or last < 1:
            raise ValueError(
                f"{self.pages} pages cannot fill {self.windows} windows of {full} pages "
                "(all but the last full)"
            )
        return [full] * (self.windows - 1) + [last]

    @property
    def requests(self) -> int:
        """Ticketmaster requests: the attraction and the event pages."""
        return 1 + self.pages

    def describe(self) -> str:
        """'attraction, 2 date windows in turn (7 pages); Spotify: search, 4 round trips'"""
        windows = "date window" if self.windows == 1 else "date windows in turn"
        search = "search, " if self.search_round_trips else ""
        return (
            f"attraction, {self.windows} {windows} ({self.pages} pages); "
            f"Spotify: {search}{self.spotify_round_trips} round trips"
        )


@dataclass(frozen=True, slots=True)
class Floor:
    seconds: float  # the floor: the last answer of either upstream, by the best schedule
    lower_s: float  # what no schedule can beat; equal to `seconds` when that is exact
    ticketmaster_s: float  # the last Ticketmaster answer
    spotify_s: float  # the last Spotify answer (0 when there is none)
    requests: int  # Ticketmaster requests scheduled
    sends: tuple[float, ...]  # when each Ticketmaster request went out, in order

    @property
    def exact(self) -> bool:
        """Whether the schedule is proven optimal (it meets the lower bound)."""
        return self.seconds <= self.lower_s + EPSILON


@dataclass(slots=True)
class _Request:
    chain: int
    deps: list[int]
    extra: float  # seconds after the last dependency's answer before it may go
    after: float  # Spotify seconds that start at its answer (the attraction's)
    successors: list[int]
    level: float = 0.0  # its round trip plus the longest unconstrained work after it


def _requests(chains: Sequence[Chain], latency: float, full: int) -> list[_Request]:
    requests: list[_Request] = []

    def add(chain: int, deps: list[int], extra: float = 0.0, after: float = 0.0) -> int:
        requests.append(_Request(chain, deps, extra, after, []))
        for dep in deps:
            requests[dep].successors.append(len(requests) - 1)
        return len(requests) - 1

    for number, chain in enumerate(chains):
        search = chain.search_round_trips * latency
        attraction = add(number, [], after=search + chain.spotify_round_trips * latency)
        before = [attraction]
        extra = search
        for pages in chain.window_pages(full):
            first = add(number, before, extra)
            others = [add(number, [first]) for _ in range(pages - 1)]
            before, extra = [first, *others], 0.0
    for request in reversed(requests):  # successors come after their dependencies
        request.level = latency + max(
            [request.after, *(requests[s].extra + requests[s].level for s in request.successors)]
        )
    return requests


def _schedule(
    requests: list[_Request], *, latency: float, rate: int, window: float, patient: bool
) -> tuple[float, float, list[float]]:
    """Send the requests in list-schedule order: at each step, of those ready, the one
    with the highest level. `patient`: hold the slot for a request of a higher level
    that becomes ready before the window would have room for it again. The last
    Ticketmaster answer, the last Spotify answer and the send times."""
    answered: dict[int, float] = {}
    sends: list[float] = []
    waiting = set(range(len(requests)))

    def slot(sent: list[float], at: float) -> float:
        # Sends are in time order: one more goes `window` after the one `rate` back.
        return max(
            at, sent[-1] if sent else 0.0, sent[-rate] + window if len(sent) >= rate else 0.0
        )

    while waiting:
        ready_at = {
            n: max(answered[d] for d in requests[n].deps) + requests[n].extra
            if requests[n].deps
            else 0.0
            for n in waiting
            if all(d in answered for d in requests[n].deps)
        }
        now = slot(sends, min(ready_at.values()))
        chosen = min(
            (n for n, at in ready_at.items() if at <= now + EPSILON),
            key=lambda n: (-requests[n].level, requests[n].chain, n),
        )
        if patient:
            later = [
                n
                for n, at in ready_at.items()
                if at > now + EPSILON and requests[n].level > requests[chosen].level + EPSILON
            ]
            if later:
                held = min(later, key=lambda n: (-requests[n].level, ready_at[n], n))
                at = ready_at[held]
                if slot(sends, at) <= at + EPSILON < slot([*sends, now], at):
                    chosen, now = held, at
        sends.append(now)
        answered[chosen] = now + latency
        waiting.remove(chosen)
    ticketmaster = max(answered.values(), default=0.0)
    spotify = max((answered[n] + r.after for n, r in enumerate(requests) if r.after), default=0.0)
    return ticketmaster, spotify, sends


def _lower_bound(requests: list[_Request], *, latency: float, rate: int, window: float) -> float:
    """What no schedule beats: for every set S of the requests that cannot go before
    some time a and each have at least b of work after their send, a + the time the
    window needs to send |S| requests + b."""
    earliest: list[float] = []
    for request in requests:
        earliest.append(
            max(earliest[d] + latency for d in request.deps) + request.extra
            if request.deps
            else 0.0
        )
    pairs = sorted(zip(earliest, (r.level for r in requests), strict=True))
    bound = 0.0
    for start in sorted(set(earliest)):
        later = [level for at, level in pairs if at >= start - EPSILON]
        later.sort(reverse=True)
        # The j+1 deepest of them: the last one sent is at least j/rate windows on.
        for j, level in enumerate(later):
            bound = max(bound, start + (j // rate) * window + level)
    return bound


def real_floor(
    chains: Sequence[Chain],
    *,
    latency: float,
    rate: int = 5,
    window: float = 1.0,
    pages_per_window: int = PAGES_PER_FULL_WINDOW,
) -> Floor:
    """The earliest time every answer of `chains` (imports started together on one
    Ticketmaster key) could have arrived; see the module's docstring for the model."""
    if latency < 0 or rate < 1 or window < 0:
        raise ValueError("latency and window must be >= 0 and rate >= 1")
    requests = _requests(chains, latency, pages_per_window)
    best = min(
        (
            _schedule(requests, latency=latency, rate=rate, window=window, patient=patient)
            for patient in (False, True)
        ),
        key=lambda done: max(done[0], done[1]),
    )
    ticketmaster, spotify, sends = best
    seconds = max(ticketmaster, spotify)
    lower = _lower_bound(requests, latency=latency, rate=rate, window=window)
    return Floor(
        seconds=seconds,
        lower_s=lower,
        ticketmaster_s=ticketmaster,
        spotify_s=spotify,
        requests=len(requests),
        sends=tuple(sends),
    )


def catalog_round_trips(requests: Mapping[str, int]) -> int:
    """Dependent Spotify round trips of a catalog phase, from its requests per endpoint
    (`counters["spotify_requests"]["requests"]`): the albums' first page, their other
    pages, the album batches, then details and audio features side by side."""
    trips = 0
    if listing := requests.get("artist albums", 0):
        trips += 1 + (listing > 1)
    if requests.get("several albums", 0) or requests.get("album", 0):
        trips += 1
    if any(requests.get(e, 0) for e in ("several tracks", "track", "audio features")):
        trips += 1
    return trips


def chain_from_counters(
    identity: Mapping[str, Any], shows: Mapping[str, Any], catalog: Mapping[str, Any]
) -> Chain:
    """An import's chain from its identity, shows and catalog phases' counters."""
    spotify = (catalog.get("spotify_requests") or {}).get("requests") or {}
    return Chain(
        windows=shows.get("events_windows", 0),
        pages=shows.get("events_pages", 0),
        search_round_trips=1 if identity.get("spotify_match") in SEARCHED else 0,
        spotify_round_trips=catalog_round_trips(spotify),
    )
