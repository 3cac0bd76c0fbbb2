"""The stream load test's readiness rule: how many /health/ probes in a row a readiness
probe would count as failed (not 200, or slower than its timeout)."""

import pytest

from tests.reliability.test_stream_load import failures_in_a_row


def probe(at: float, status: int | None, seconds: float) -> tuple[float, int | None, float, dict]:
    return (at, status, seconds, {})


@pytest.mark.parametrize(
    ("probes", "expected"),
    [
        ([], 0),
        ([probe(0, 200, 0.1), probe(1, 200, 0.9)], 0),
        ([probe(0, 200, 1.64)], 1),  # one slow answer
        ([probe(0, 200, 1.2), probe(1, 200, 0.2), probe(2, 200, 1.5)], 1),
        ([probe(0, 200, 1.2), probe(1, 200, 1.1), probe(2, 200, 0.2)], 2),
        ([probe(0, 200, 1.2), probe(1, 503, 0.1), probe(2, None, 10.0)], 3),
        ([probe(0, 200, 1.0)], 0),  # at the timeout, still in time
        # Counted in the order they were sent, whatever the order of the list.
        ([probe(2, 200, 2.0), probe(0, 200, 2.0), probe(1, 200, 0.1)], 1),
    ],
)
def test_failures_in_a_row(probes, expected):
    assert failures_in_a_row(probes, 1.0) == expected
