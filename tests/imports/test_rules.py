"""The sweeper's and the shows re-sync batches' decisions, table-driven: plain data in,
plain data out."""

from datetime import UTC, datetime, timedelta

import pytest

from imports.phases import phases_still_needed
from imports.rules import (
    BatchMember,
    MissingPart,
    SweepAction,
    batches_within,
    pack_shows_batches,
    parts_missing_after_failure,
    shows_batch_requests,
    stale_identity,
    stale_run_decision,
)


@pytest.mark.parametrize(
    ("succeeded", "needed"),
    [
        ((), ("identity",)),
        (("shows",), ("identity",)),  # cannot happen, but identity still comes first
        (("identity",), ("shows", "catalog")),
        (("identity", "shows"), ("catalog",)),
        (("identity", "catalog"), ("shows",)),
        (("identity", "shows", "catalog"), ("finalize",)),
        (("identity", "shows", "catalog", "finalize"), ()),
    ],
)
def test_phases_still_needed(succeeded, needed):
    assert phases_still_needed(succeeded) == needed


@pytest.mark.parametrize(
    ("succeeded", "queued", "requeued_before", "action", "phases"),
    [
        # The broker still holds the task: leave it to the broker.
        ((), {"identity"}, False, SweepAction.WAIT, ("identity",)),
        ((), {"identity"}, True, SweepAction.WAIT, ("identity",)),
        (("identity",), {"catalog"}, False, SweepAction.WAIT, ("catalog",)),
        # A task of a phase already done does not count.
        (("identity",), {"identity"}, False, SweepAction.REQUEUE, ("shows", "catalog")),
        # Tasks gone: re-queue what is still needed, once.
        ((), set(), False, SweepAction.REQUEUE, ("identity",)),
        (("identity", "shows"), set(), False, SweepAction.REQUEUE, ("catalog",)),
        (("identity", "shows", "catalog"), set(), False, SweepAction.REQUEUE, ("finalize",)),
        # Every phase done yet the run still active: finalize again.
        (
            ("identity", "shows", "catalog", "finalize"),
            set(),
            False,
            SweepAction.REQUEUE,
            ("finalize",),
        ),
        # Re-queued before and stuck again: fail.
        ((), set(), True, SweepAction.FAIL, ("identity",)),
        (("identity",), set(), True, SweepAction.FAIL, ("shows", "catalog")),
    ],
)
def test_stale_run_decision(succeeded, queued, requeued_before, action, phases):
    decision = stale_run_decision(
        succeeded=succeeded, queued=queued, requeued_before=requeued_before
    )
    assert (decision.action, decision.phases) == (action, phases)


def test_reasons_name_the_phases_and_say_what_happened():
    requeue = stale_run_decision(succeeded=("identity",), queued=(), requeued_before=False)
    assert requeue.reason == ("shows and catalog re-queued: the task was lost (its worker died?)")
    fail = stale_run_decision(succeeded=("identity",), queued=(), requeued_before=True)
    assert fail.reason == (
        "stalled in shows and catalog: its task was lost, and re-queuing it did not finish the run"
    )


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("K8vZ9171ob7", True),
        ("a", True),
        ("-a_", True),
        ("K" * 64, True),
        ("K" * 65, False),
        ("--", False),
        ("_", False),
        ("-_-", False),
        ("", False),
        ("a b", False),
        ("a;b", False),
    ],
)
def test_attraction_ids_need_a_letter_or_digit_and_at_most_64_characters(value, valid):
    from imports.services import InvalidAttractionId, validate_tm_attraction_id

    if valid:
        assert validate_tm_attraction_id(value) == value
    else:
        with pytest.raises(InvalidAttractionId, match="is not a Ticketmaster attraction id"):
            validate_tm_attraction_id(value)


# --- Shows re-sync batches -----------------------------------------------------------


def members(**expected: int) -> list[BatchMember]:
    """Batch members by attraction id (keyword) and last known upcoming events."""
    return [BatchMember(tm_id, events) for tm_id, events in expected.items()]


def packed_ids(batches: list[tuple[BatchMember, ...]]) -> list[list[str]]:
    return [[m.tm_attraction_id for m in batch] for batch in batches]


@pytest.mark.parametrize(
    ("expected", "max_events", "max_artists", "batches"),
    [
        pytest.param({}, 800, 100, [], id="nobody due: no batch"),
        pytest.param({"A": 10}, 800, 100, [["A"]], id="one artist"),
        pytest.param(
            {"A": 10, "B": 20, "C": 30}, 800, 100, [["A", "B", "C"]], id="all fit in one query"
        ),
        pytest.param(
            # Largest first: 500 opens a batch, 400 another, 300 joins the first (800),
            # 200 the second (600), 100 the second (700).
            {"A": 100, "B": 200, "C": 300, "D": 400, "E": 500},
            800,
            100,
            [["C", "E"], ["A", "B", "D"]],
            id="first fit, largest first",
        ),
        pytest.param(
            {"A": 400, "B": 400, "C": 1}, 800, 100, [["A", "B"], ["C"]], id="exactly max events"
        ),
        pytest.param(
            {"A": 1, "B": 1, "C": 1, "D": 1, "E": 1},
            800,
            2,
            [["A", "B"], ["C", "D"], ["E"]],
            id="max artists",
        ),
        pytest.param(
            {"BIG": 1350, "A": 5, "B": 5}, 800, 100, [["BIG"], ["A", "B"]], id="oversize alone"
        ),
        pytest.param(
            {"BIG": 900, "HUGE": 1350, "A": 0},
            800,
            100,
            [["HUGE"], ["BIG"], ["A"]],
            id="two oversize: each alone, nothing joins them",
        ),
        pytest.param(
            {"Z": 0, "M": 0, "A": 0}, 800, 100, [["A", "M", "Z"]], id="no events: key order"
        ),
        pytest.param(
            # Ties go by attraction id: A opens the batch and B fills it, C is left over.
            {"C": 300, "B": 300, "A": 300},
            600,
            100,
            [["A", "B"], ["C"]],
            id="ties by attraction id",
        ),
    ],
)
def test_pack_shows_batches(expected, max_events, max_artists, batches):
    packed = pack_shows_batches(members(**expected), max_events=max_events, max_artists=max_artists)
    assert packed_ids(packed) == batches
    # Every member in exactly one batch; each batch within its limits unless alone.
    assert sorted(m.tm_attraction_id for batch in packed for m in batch) == sorted(expected)
    for batch in packed:
        assert len(batch) <= max_artists
        assert len(batch) == 1 or sum(m.expected_events for m in batch) <= max_events


def test_packing_does_not_depend_on_the_order_artists_come_in():
    due = members(**{f"K{n:02d}": (n * 37) % 450 for n in range(40)})
    first = pack_shows_batches(due, max_events=800, max_artists=7)
    for shuffled in (list(reversed(due)), due[13:] + due[:13]):
        assert pack_shows_batches(shuffled, max_events=800, max_artists=7) == first


@pytest.mark.parametrize(
    ("expected_events", "requests"),
    [
        (0, 1),  # an empty answer is still a request
        (1, 1),
        (200, 1),
        (201, 2),
        (800, 4),
        (1000, 5),
        (1001, 7),  # 6 pages, and a second window
        (1350, 8),  # the prolific profile: 7 pages in 2 windows
        (2000, 11),
    ],
)
def test_shows_batch_requests(expected_events, requests):
    assert shows_batch_requests(expected_events) == requests


@pytest.mark.parametrize(
    ("events", "spendable", "artists", "chosen"),
    [
        pytest.param([(10, 10), (300,), (900,)], None, 100, [0, 1, 2], id="quota not known"),
        pytest.param([(10, 10), (300,), (900,)], 0, 100, [], id="nothing spendable"),
        # Costs 1, 2, 6: 3 requests pay for the first two.
        pytest.param([(10, 10), (300,), (900,)], 3, 100, [0, 1], id="spendable limits"),
        # 2 cannot pay for the 2-request batch, but the third (1) still fits after it.
        pytest.param([(10,), (300,), (5,)], 2, 100, [0, 2], id="a cheaper later batch fits"),
        pytest.param([(1, 1), (1, 1), (1,)], None, 3, [0, 2], id="artist cap"),
        pytest.param([(1, 1, 1, 1)], None, 3, [], id="a batch over the cap is left"),
    ],
)
def test_batches_within(events, spendable, artists, chosen):
    batches = [
        tuple(BatchMember(f"K{index}-{n}", e) for n, e in enumerate(batch))
        for index, batch in enumerate(events)
    ]
    assert batches_within(batches, spendable=spendable, artists=artists) == [
        batches[index] for index in chosen
    ]


NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    ("age", "stale"),
    [
        (None, True),  # never fetched
        (timedelta(days=8), True),
        (timedelta(days=7, seconds=1), True),
        (timedelta(days=7), False),  # exactly at the cut-off: not older
        (timedelta(hours=1), False),
    ],
)
def test_stale_identity(age, stale):
    assert (
        stale_identity(
            identity_synced_at=None if age is None else NOW - age,
            identity_before=NOW - timedelta(days=7),
        )
        is stale
    )


@pytest.mark.parametrize(
    ("failed", "shows_synced", "catalog_synced", "missing"),
    [
        (False, False, False, ()),
        (True, True, True, ()),
        (True, True, False, (MissingPart.SONGS,)),
        (True, False, True, (MissingPart.SHOWS,)),
        (True, False, False, (MissingPart.SHOWS, MissingPart.SONGS)),
    ],
    ids=["not failed", "complete before", "songs never synced", "shows never synced", "nothing"],
)
def test_parts_missing_after_failure(failed, shows_synced, catalog_synced, missing):
    assert (
        parts_missing_after_failure(
            latest_run_failed=failed, shows_synced=shows_synced, catalog_synced=catalog_synced
        )
        == missing
    )
