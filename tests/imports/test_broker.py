"""The queue hands out the later phases of started imports before new first phases."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_q.conf import Conf
from django_q.models import OrmQ
from django_q.signing import SignedPackage

from imports.broker import FOLLOW_UP_HEAD_START, PhaseOrderBroker, queue_lock

NOW = timezone.now()


@pytest.mark.parametrize(
    ("name", "lock"),
    [
        ("import-7-identity", NOW),
        ("import-7-shows", NOW - FOLLOW_UP_HEAD_START),
        ("import-7-catalog", NOW - FOLLOW_UP_HEAD_START),
        ("import-7-finalize", NOW - FOLLOW_UP_HEAD_START),
        ("someone-elses-task", NOW),
        ("", NOW),
    ],
)
def test_queue_lock(name, lock):
    assert queue_lock(name, NOW) == lock


def package(name: str) -> str:
    return SignedPackage.dumps({"id": name, "name": name, "func": "x", "args": (), "kwargs": {}})


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
def test_a_taken_task_comes_back_only_after_the_retry_delay():
    broker = PhaseOrderBroker(list_key=Conf.CLUSTER_NAME)
    broker.enqueue(package("import-1-catalog"))
    [(task_id, _)] = broker.dequeue()
    assert broker.dequeue() is None  # locked while a worker has it
    OrmQ.objects.filter(pk=task_id).update(lock=timezone.now() - timedelta(seconds=1))
    assert [t for t, _ in broker.dequeue()] == [task_id]
