"""The queue hands out what a person started before re-syncs, and the later phases of
started imports before new first phases."""

import uuid
from datetime import timedelta

import pytest
import redis
from django.utils import timezone
from django_q.conf import Conf
from django_q.models import OrmQ
from django_q.signing import SignedPackage

from imports.broker import (
    BUSY_FOR_SECONDS,
    BUSY_POLL_SECONDS,
    FOLLOW_UP_HEAD_START,
    PERSON_HEAD_START,
    PhaseOrderBroker,
    PriorityRedisBroker,
    poll_interval,
    queue_lock,
)

NOW = timezone.now()
FOLLOW, PERSON = FOLLOW_UP_HEAD_START, PERSON_HEAD_START


@pytest.mark.parametrize(
    ("name", "group", "lock"),
    [
        ("import-7-identity", "import-7", NOW - PERSON),
        ("import-7-shows", "import-7", NOW - PERSON - FOLLOW),
        ("import-7-catalog", "import-7", NOW - PERSON - FOLLOW),
        ("import-7-finalize", "import-7", NOW - PERSON - FOLLOW),
        ("import-7-identity", "resync-7", NOW),
        ("import-7-shows", "resync-7", NOW - FOLLOW),
        ("someone-elses-task", "", NOW - PERSON),
        ("", "", NOW - PERSON),
    ],
    ids=[
        "person-first-phase",
        "person-shows",
        "person-catalog",
        "person-finalize",
        "resync-first-phase",
        "resync-shows",
        "other-task",
        "nameless",
    ],
)
def test_queue_lock(name, group, lock):
    assert queue_lock(name, NOW, group) == lock


def test_every_person_task_goes_before_every_resync_task():
    person_first = queue_lock("import-1-identity", NOW, "import-1")
    resync_follow_up = queue_lock("import-2-finalize", NOW, "resync-2")
    assert person_first < resync_follow_up


def package(name: str, group: str = "") -> str:
    group = group or (f"import-{name.split('-')[1]}" if name.startswith("import-") else "")
    return SignedPackage.dumps(
        {"id": name, "name": name, "group": group, "func": "x", "args": (), "kwargs": {}}
    )


@pytest.mark.django_db
def test_later_phases_are_handed_out_first_then_first_come_first_served():
    broker = PhaseOrderBroker(list_key=Conf.CLUSTER_NAME)
    for name in (
        "import-1-identity",
        "import-2-identity",
        "import-1-shows",
        "import-3-identity",
        "import-1-catalog",
    ):
        broker.enqueue(package(name))

    handed_out = []
    while batch := broker.dequeue():
        for _, payload in batch:
            handed_out.append(SignedPackage.loads(payload)["name"])
    assert handed_out == [
        "import-1-shows",
        "import-1-catalog",
        "import-1-identity",
        "import-2-identity",
        "import-3-identity",
    ]


@pytest.mark.django_db
def test_a_persons_import_is_handed_out_before_queued_resyncs():
    broker = PhaseOrderBroker(list_key=Conf.CLUSTER_NAME)
    broker.enqueue(package("import-1-identity", "resync-1"))
    broker.enqueue(package("import-1-shows", "resync-1"))
    broker.enqueue(package("import-2-identity", "import-2"))
    broker.enqueue(package("import-3-identity", "resync-3"))

    handed_out = []
    while batch := broker.dequeue():
        handed_out.extend(SignedPackage.loads(payload)["name"] for _, payload in batch)
    assert handed_out == [
        "import-2-identity",
        "import-1-shows",
        "import-1-identity",
        "import-3-identity",
    ]


def test_the_redis_broker_reads_resyncs_only_when_nothing_else_is_queued(settings):
    if not settings.REDIS_URL:
        pytest.skip("the Redis broker runs in the PostgreSQL + Redis lane")
    broker = PriorityRedisBroker(list_key=f"test-{uuid.uuid4().hex[:8]}")
    broker.connection = redis.from_url(settings.REDIS_URL)
    try:
        broker.enqueue(package("import-1-identity", "resync-1"))
        broker.enqueue(package("import-2-identity", "import-2"))
        broker.enqueue(package("import-3-identity", "resync-3"))
        broker.enqueue(package("import-4-shows", "import-4"))
        assert broker.queue_size() == 4
        assert len(broker.queued_payloads()) == 4
        handed_out = []
        while batch := broker.dequeue():
            handed_out.extend(SignedPackage.loads(payload)["name"] for _, payload in batch)
        assert handed_out == [
            "import-2-identity",
            "import-4-shows",
            "import-1-identity",
            "import-3-identity",
        ]
    finally:
        broker.delete_queue()


@pytest.mark.django_db
def test_a_taken_task_comes_back_only_after_the_retry_delay():
    broker = PhaseOrderBroker(list_key=Conf.CLUSTER_NAME)
    broker.enqueue(package("import-1-catalog"))
    [(task_id, _)] = broker.dequeue()
    assert broker.dequeue() is None  # locked while a worker has it
    OrmQ.objects.filter(pk=task_id).update(lock=timezone.now() - timedelta(seconds=1))
    assert [t for t, _ in broker.dequeue()] == [task_id]


@pytest.mark.parametrize(
    ("since_last_handout", "idle_poll", "expected"),
    [
        (None, 0.1, 0.1),  # nothing handed out yet: the cluster's own poll
        (0.5, 0.1, BUSY_POLL_SECONDS),  # an import under way: its next phases soon
        (BUSY_FOR_SECONDS - 0.01, 0.1, BUSY_POLL_SECONDS),
        (BUSY_FOR_SECONDS, 0.1, 0.1),  # quiet again: spare the database
        (1.0, 0.01, 0.01),  # a cluster polling faster than that keeps its pace
    ],
)
def test_an_empty_queue_is_asked_again_soon_while_imports_are_under_way(
    since_last_handout, idle_poll, expected
):
    assert poll_interval(since_last_handout=since_last_handout, idle_poll=idle_poll) == expected
