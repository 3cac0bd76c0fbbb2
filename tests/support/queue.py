"""The cluster's part, done by the test: run what is scheduled and queued."""

from __future__ import annotations

import ast

from django.db.models import Q
from django.utils.module_loading import import_string
from django_q.models import OrmQ, Schedule

# The schedules that resume parked work: an import's phase, a shows re-sync batch.
RESUMPTIONS = Q(name__startswith="import-") | Q(name__startswith="shows-batch-")


def run_queued_work() -> list[str]:
    """What a cluster would do once the waits are over: every schedule, then every queued
    task, until nothing is left; the names of what ran."""
    ran: list[str] = []
    while len(ran) < 20:  # a run that parks again at once would loop for ever
        schedule = Schedule.objects.filter(RESUMPTIONS).order_by("pk").first()
        task = OrmQ.objects.order_by("lock", "pk").first()
        if schedule is not None:
            func, args, name = schedule.func, ast.literal_eval(schedule.args), schedule.name
            kwargs = ast.literal_eval(schedule.kwargs or "{}")
            kwargs.pop("q_options", None)
            schedule.delete()
        elif task is not None:
            func, args, name = task.task["func"], task.task["args"], task.task["name"]
            kwargs = task.task["kwargs"]
            task.delete()
        else:
            return ran
        ran.append(name)
        import_string(func)(*args, **kwargs)
    raise AssertionError(f"still queued after {ran}")
