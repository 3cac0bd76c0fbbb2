"""The sweeper's decisions, table-driven: plain data in, plain data out."""

import pytest

from imports.phases import phases_still_needed
from imports.rules import SweepAction, stale_run_decision


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
