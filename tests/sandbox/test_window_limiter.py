"""The sandbox's rolling-window limiter, by arrival times (pure, no server)."""

from __future__ import annotations

import pytest
from pyrate_limiter import Duration, Rate

from sandbox.gateway import WindowLimiter


@pytest.mark.parametrize(
    ("arrivals_ms", "admitted"),
    [
        # The window holds what arrived in the last second, its first millisecond too.
        ([0, 1000], [True, False]),
        ([0, 1001], [True, True]),
        ([0, 1001, 2001], [True, True, False]),
        ([0, 1001, 2002], [True, True, True]),
        # Admitted out of order (the later arrival served first): each is counted no
        # earlier than the last counted, so the window is never crowded behind it.
        ([1000, 990, 2001], [True, False, True]),
        ([1000, 1, 2000], [True, False, False]),
    ],
)
def test_a_request_is_counted_at_its_arrival_never_before_the_last(arrivals_ms, admitted):
    limiter = WindowLimiter([Rate(1, Duration.SECOND)])
    start = 1_800_000_000_000
    got = [limiter.admit("key", start + at) is None for at in arrivals_ms]
    assert got == admitted


def test_identities_have_windows_of_their_own():
    limiter = WindowLimiter([Rate(1, Duration.SECOND)])
    assert limiter.admit("a", 5_000) is None
    assert limiter.admit("b", 5_001) is None
    assert limiter.admit("a", 5_002) is not None
