"""django-q2's ORM broker, handing out the later phases of started imports first.

With the stock broker the queue is first come, first served: when many imports
are queued at once, every identity phase runs before any catalog phase, so the
workers first all wait on Ticketmaster's rate limit (identity) and then all
crunch Spotify catalogs while the rate limit idles. Handing out an import's
later phases (every phase that waits for another, in `imports.phases`: shows,
catalog, finalize) before the next import's first phase
finishes what is started first and keeps both busy at once: Ticketmaster
requests of some imports overlap the catalog work of others.

The order is carried by the queue row's `lock` (the time before which no
cluster takes it): later phases are queued with a lock in the past, and tasks are
handed out oldest lock first. A task whose worker died is locked until the retry
delay has passed, then handed out again like any other.
"""

from __future__ import annotations

from datetime import timedelta
from time import sleep

from django.utils import timezone
from django_q.brokers.orm import ORM
from django_q.conf import Conf
from django_q.signing import SignedPackage

from imports.phases import parse_phase_task_name, phase_get

# How far ahead of a first phase the later phases of a started import go.
FOLLOW_UP_HEAD_START = timedelta(days=1)


def queue_lock(task_name: str, now):
    """When a task becomes available: now, or earlier for the later phase of an import."""
    parsed = parse_phase_task_name(task_name)
    if parsed and phase_get(parsed[1]).waits_for:
        return now - FOLLOW_UP_HEAD_START
    return now


class PhaseOrderBroker(ORM):
    def enqueue(self, task):
        try:
            name = SignedPackage.loads(task).get("name") or ""
        except Exception:
            name = ""
        package = self.get_connection().create(
            key=self.list_key or Conf.CLUSTER_NAME,
            payload=task,
            lock=queue_lock(name, timezone.now()),
        )
        return package.pk

    def dequeue(self):
        """The stock ORM dequeue, taking the rows in lock order."""
        tasks = (
            self.get_connection()
            .filter(key=self.list_key, lock__lt=timezone.now())
            .order_by("lock", "id")[: Conf.BULK]
        )
        if tasks:
            taken = []
            for task in tasks:
                # Another cluster may have been faster: take only what we locked.
                if (
                    self.get_connection()
                    .filter(id=task.id, lock=task.lock)
                    .update(lock=self.timeout(task))
                ):
                    taken.append((task.pk, task.payload))
            return taken
        sleep(Conf.POLL)  # an empty queue: spare the database
        return None
