"""bench/floor.py: the real floor of an import's request chain (pure, no database).

bench/ is not a package (its scripts import each other as top-level modules), so its
directory goes on sys.path, as when a script runs.
"""

from __future__ import annotations

import math
import random
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from floor import Chain, catalog_round_trips, chain_from_counters, real_floor

L = 0.05  # the sandbox's latency in the benchmarks

# (case, chains, requests per rolling second, expected floor in seconds) at 50 ms latency.
CASES = [
    # attraction sent at 0, answered at L; the one events page at L, answered at 2L.
    ("one import, attraction and one page", [Chain(1, 1)], 5, 2 * L),
    # Pages after the attraction's answer (0.05), Spotify's 6 round trips on: 0.35.
    ("Spotify's chain is longer", [Chain(1, 1, spotify_round_trips=6)], 5, 7 * L),
    # Shows phase skipped (no pages): the attraction, then 2 Spotify round trips.
    ("no events fetched", [Chain(0, 0, spotify_round_trips=2)], 5, 3 * L),
    # Name search in the identity phase: attraction 0-0.05, search 0.05-0.10; then the
    # page 0.10-0.15 and the catalog's 4 round trips 0.10-0.30.
    ("searched on Spotify", [Chain(1, 1, 1, 4)], 5, 6 * L),
    # A 5-request burst: attraction at 0, first page at 0.05, the 3 others at 0.10: five
    # sends in the first second, none waits; last answer 0.15.
    ("5 requests, one window", [Chain(1, 4)], 5, 3 * L),
    # A 6th request: the window (t-1, t] holds 5 sends until the one at 0 leaves it at
    # t = 1.0; sent then, answered at 1.05.
    ("6 requests, one waits a window", [Chain(1, 5)], 5, 1.0 + L),
    # Five imports at once: 5 attractions at 0 fill the window; their 5 first pages go
    # at 1.0, answered at 1.05.
    ("5 imports' attractions in one burst", [Chain(1, 1)] * 5, 5, 1.0 + L),
    # Prolific-like: 1,350 events = window 1 (pages 0..5, 1,200 events) + window 2
    # (1 page), the second window starting where the first one's last event does:
    #   0.00 attraction                    (window (t-1, t]: 1 sent)
    #   0.05 window 1, page 0              (2)
    #   0.10 pages 1, 2, 3                 (5: full until the send at 0 leaves at 1.00)
    #   1.00 page 4   (window (0, 1]: 0.05, 0.10 x3 -> 4 sent, one more allowed)
    #   1.05 page 5   (window (0.05, 1.05]: 0.10 x3, 1.00 -> 4)
    #   1.10 window 2, page 0, after every page of window 1 answered (page 5 at 1.10)
    #   1.15 its answer: the floor; Spotify's 4 round trips end at 0.25.
    # (Were both windows' first pages sent after the attraction's answer, as if the
    # windows were independent, it would be 1.10: pages 0 and 0' at 0.05, two more at
    # 0.10, the last three at 1.00, 1.05, 1.05.)
    ("prolific, 2 windows, 7 pages", [Chain(2, 7, 0, 4)], 5, 1.15),
    # Three windows (6 + 6 + 1 pages) and a name search (attraction 0-0.05, search
    # 0.05-0.10):
    #   0.10 window 1, page 0;  0.15 pages 1-3 (5 sent in (t-1, t])
    #   1.00 page 4 (the send at 0 left);  1.10 page 5 (the one at 0.10 left)
    #   1.15 window 2, page 0 (window 1 all answered);  1.20 pages 1-2
    #   2.00, 2.10, 2.15 pages 3, 4, 5 (each as a send of a second before leaves)
    #   2.20 window 3, page 0, answered at 2.25.
    ("3 windows, searched", [Chain(3, 13, 1, 4)], 5, 2.25),
    # Two imports on a 3-per-second key: sending A's page the moment it is ready would
    # fill the window and hold B's first page (and so its second) to 1.0 -> 1.10; the
    # floor keeps the slot for B's first page (ready at 0.10, after B's name search),
    # then A's page and B's second go at 1.0 -> 1.05.
    ("hold a slot for the deeper request", [Chain(1, 1, 0, 1), Chain(1, 2, 1, 1)], 3, 1.0 + L),
]


@pytest.mark.parametrize(
    ("chains", "rate", "expected"), [case[1:] for case in CASES], ids=[case[0] for case in CASES]
)
def test_floor(chains, rate, expected):
    floor = real_floor(chains, latency=L, rate=rate, window=1.0)
    assert floor.seconds == pytest.approx(expected)
    assert floor.exact
    assert floor.requests == sum(chain.requests for chain in chains)


def test_many_identical_small_imports_are_the_shared_rate():
    """100 imports of an attraction and one page: 200 requests at 5 in any second, so
    the last goes out at 39.0 s (requests 195..199) and is answered at 39.05 s: the
    shared-rate bound (200 / 5 = 40 s) less a window plus a round trip."""
    chains = [Chain(1, 1, 1 if n % 5 == 2 else 0, 4) for n in range(100)]
    floor = real_floor(chains, latency=L)
    total = sum(chain.requests for chain in chains)
    assert total == 200
    assert floor.seconds == pytest.approx(39.0 + L)
    assert abs(floor.seconds - total / 5) <= 1.0
    assert floor.exact
    # Never more than 5 sends in any rolling second.
    sends = floor.sends
    assert all(sends[i + 5] >= sends[i] + 1.0 - 1e-9 for i in range(len(sends) - 5))


def test_window_pages_split_as_the_client_pages():
    assert Chain(2, 7).window_pages() == [6, 1]
    assert Chain(3, 13).window_pages() == [6, 6, 1]
    assert Chain(1, 3).window_pages() == [3]
    assert Chain(0, 0).window_pages() == []
    with pytest.raises(ValueError):
        Chain(2, 6).window_pages()  # the first window would have to be full


@pytest.mark.parametrize(
    ("requests", "trips"),
    [
        ({}, 0),
        ({"token": 1, "artist albums": 1}, 1),
        ({"artist albums": 1, "several albums": 1}, 2),
        ({"artist albums": 2, "several albums": 4, "album tracks": 3, "several tracks": 2}, 4),
        ({"artist albums": 3, "several albums": 9, "audio features": 4}, 4),
        ({"artist albums": 5, "album": 40, "track": 120}, 4),  # a development-mode app
    ],
)
def test_catalog_round_trips(requests, trips):
    assert catalog_round_trips(requests) == trips


def test_chain_from_counters():
    identity = {"spotify_match": "name_search", "slug": "x"}
    shows = {"shows": 1350, "events_windows": 2, "events_pages": 7}
    catalog = {
        "spotify_requests": {
            "requests": {
                "token": 1,
                "artist albums": 3,
                "several albums": 8,
                "several tracks": 30,
                "audio features": 20,
            }
        }
    }
    assert chain_from_counters(identity, shows, catalog) == Chain(2, 7, 1, 4)
    assert chain_from_counters({"spotify_match": "external_link"}, {}, {}) == Chain(0, 0, 0, 0)


# --- against an exhaustive search ----------------------------------------------------


def _graph(chains: list[Chain], latency: float, full: int):
    """(dependencies, delay after them, Spotify work after the answer) per request,
    built from the model's words, apart from bench/floor.py's own builder."""
    nodes = []
    for chain in chains:
        search = chain.search_round_trips * latency
        nodes.append(((), 0.0, search + chain.spotify_round_trips * latency))
        before, delay = (len(nodes) - 1,), search
        for pages in chain.window_pages(full):
            nodes.append((before, delay, 0.0))
            first = len(nodes) - 1
            for _ in range(pages - 1):
                nodes.append(((first,), 0.0, 0.0))
            before, delay = tuple(range(first, len(nodes))), 0.0
    return nodes


def _optimum(chains, latency, rate, window, full) -> float:
    """The best over every send order, each request sent as early as that order, its
    dependencies and the window allow (any schedule is dominated by one of these)."""
    nodes = _graph(chains, latency, full)
    best = math.inf

    def search(sends: list[float], answered: dict[int, float]) -> None:
        nonlocal best
        if len(answered) == len(nodes):
            ends = [answered[n] + after for n, (_, _, after) in enumerate(nodes)]
            best = min(best, max(ends))
            return
        slot = max(sends[-1] if sends else 0.0, sends[-rate] + window if len(sends) >= rate else 0)
        for n, (deps, delay, _) in enumerate(nodes):
            if n in answered or any(d not in answered for d in deps):
                continue
            at = max(slot, max((answered[d] for d in deps), default=-delay) + delay)
            answered[n] = at + latency
            search([*sends, at], answered)
            del answered[n]

    search([], {})
    return best


def test_floor_against_every_send_order():
    """Small random cases (2 pages a full window, 1-3 imports, up to 7 requests):
    lower bound <= optimum <= floor, the floor is the optimum whenever it says exact,
    and it found the optimum in all but a few."""
    rng = random.Random(20240607)
    cases = missed = 0
    while cases < 120:
        chains = []
        for _ in range(rng.randint(1, 3)):
            windows = rng.randint(1, 2)
            pages = 2 * (windows - 1) + rng.randint(1, 2)
            chains.append(Chain(windows, pages, rng.choice((0, 0, 1)), rng.randint(0, 6)))
        if sum(chain.requests for chain in chains) > 7:
            continue
        cases += 1
        latency, rate = rng.choice((0.05, 0.2, 0.4)), rng.choice((1, 2, 3))
        floor = real_floor(chains, latency=latency, rate=rate, window=1.0, pages_per_window=2)
        best = _optimum(chains, latency, rate, 1.0, 2)
        assert floor.lower_s <= best + 1e-9 <= floor.seconds + 2e-9, (chains, latency, rate)
        if floor.exact:
            assert floor.seconds == pytest.approx(best)
        missed += floor.seconds > best + 1e-9
    assert missed <= 3
