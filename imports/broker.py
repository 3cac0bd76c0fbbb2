"""django-q2's brokers, handing out what a person started before re-syncs, and the later
phases of started imports before new imports.

Re-syncs (`imports.tasks.task_group`: their tasks are in a `resync-<run>` group) come
after every import a person started, so a re-sync round never delays the import
someone is watching. On the ORM broker that is the queue order below; on the Redis
broker, a second list the workers read only when the first is empty.

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
from time import monotonic, sleep

from django.utils import timezone
from django_q.brokers.orm import ORM
from django_q.brokers.redis_broker import Redis
from django_q.conf import Conf
from django_q.signing import SignedPackage

from imports.phases import parse_phase_task_name, phase_get

# While tasks are being handed out, an empty queue is asked again this often: an
# import's next phases are queued the moment its phase ends, and each of the three
# hand-overs of an import (kickoff, identity, the shows and catalog phases) would
# otherwise wait up to a whole idle poll (Q_CLUSTER["poll"]).
BUSY_POLL_SECONDS = 0.02
# How long after the last task handed out the broker counts as busy.
BUSY_FOR_SECONDS = 30.0

# How far ahead of a first phase the later phases of a started import go.
FOLLOW_UP_HEAD_START = timedelta(days=1)
# How far ahead of every re-sync task a person's tasks go.
PERSON_HEAD_START = 2 * FOLLOW_UP_HEAD_START


def is_resync_task(group: str) -> bool:
    """Whether a queued task belongs to a re-sync (its group, `imports.tasks.task_group`)."""
    return group.startswith("resync-")


def queue_lock(task_name: str, now, group: str = ""):
    """When a task becomes available: now, earlier for the later phase of an import, and
    earlier still for anything a person started."""
    lock = now
    parsed = parse_phase_task_name(task_name)
    if parsed and phase_get(parsed[1]).waits_for:
        lock -= FOLLOW_UP_HEAD_START
    if not is_resync_task(group):
        lock -= PERSON_HEAD_START
    return lock


def poll_interval(*, since_last_handout: float | None, idle_poll: float) -> float:
    """How long an empty queue waits before it is asked again: briefly while imports
    are under way (a task was handed out within BUSY_FOR_SECONDS), else the cluster's
    own poll, which spares the database when nothing happens."""
    if since_last_handout is not None and since_last_handout < BUSY_FOR_SECONDS:
        return min(BUSY_POLL_SECONDS, idle_poll)
    return idle_poll


def _name_and_group(task) -> tuple[str, str]:
    try:
        package = SignedPackage.loads(task)
    except Exception:
        return "", ""
    return str(package.get("name") or ""), str(package.get("group") or "")


class PhaseOrderBroker(ORM):
    _last_handout: float | None = None  # monotonic time of the last tasks handed out

    def enqueue(self, task):
        name, group = _name_and_group(task)
        package = self.get_connection().create(
            key=self.list_key or Conf.CLUSTER_NAME,
            payload=task,
            lock=queue_lock(name, timezone.now(), group),
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
            if taken:
                self._last_handout = monotonic()
            return taken
        since = None if self._last_handout is None else monotonic() - self._last_handout
        sleep(poll_interval(since_last_handout=since, idle_poll=Conf.POLL))
        return None


class PriorityRedisBroker(Redis):
    """django-q2's Redis broker with a second list for re-syncs: BLPOP takes from the
    first list of those given that holds a task, so re-syncs wait while anything a
    person started is queued."""

    @property
    def later_key(self) -> str:
        return f"{self.list_key}:resync"

    def enqueue(self, task):
        _, group = _name_and_group(task)
        key = self.later_key if is_resync_task(group) else self.list_key
        return self.connection.rpush(key, task)

    def dequeue(self):
        task = self.connection.blpop([self.list_key, self.later_key], 1)
        if task:
            return [(None, task[1])]
        return None

    def queue_size(self):
        return self.connection.llen(self.list_key) + self.connection.llen(self.later_key)

    def delete_queue(self):
        return self.connection.delete(self.list_key, self.later_key)

    def purge_queue(self):
        self.connection.ltrim(self.later_key, 1, 0)
        return self.connection.ltrim(self.list_key, 1, 0)

    def queued_payloads(self) -> list[bytes]:
        """Every task waiting in either list, people's first."""
        return [
            *self.connection.lrange(self.list_key, 0, -1),
            *self.connection.lrange(self.later_key, 0, -1),
        ]
