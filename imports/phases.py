"""The phases of an import, declared once: what each is called, what share of the
run's percent it stands for, what it waits for and the function that runs it.

    identity ──┬── shows & venues ──┬── finalize
               └── catalog ─────────┘

Everything that knows the flow reads it from here: the cluster's tasks (which phase
to queue next), the inline runner, the progress weights, the queue order of the
broker, the stale-run sweeper and the selectors that read queued tasks. Plain data
and pure functions: no ORM and no queue here (a phase's own function does its I/O).
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterable
from dataclasses import dataclass

from asgiref.sync import async_to_sync, sync_to_async
from django.db import models
from django.utils.module_loading import import_string


class PhaseName(models.TextChoices):
    """A phase of an import (`ImportPhase.phase`)."""

    IDENTITY = "identity", "Identity"
    SHOWS = "shows", "Shows & venues"
    CATALOG = "catalog", "Catalog"
    FINALIZE = "finalize", "Finalize"


class RunStage(models.TextChoices):
    """Where a run is (`ImportRun.stage`): queued, in one of its phases, or done."""

    QUEUED = "queued", "Queued"
    IDENTITY = PhaseName.IDENTITY.value, PhaseName.IDENTITY.label
    SHOWS = PhaseName.SHOWS.value, PhaseName.SHOWS.label
    CATALOG = PhaseName.CATALOG.value, PhaseName.CATALOG.label
    FINALIZE = PhaseName.FINALIZE.value, PhaseName.FINALIZE.label
    DONE = "done", "Done"


class PhaseFailed(Exception):
    """A phase failed; its error is already recorded on the run."""


class PhaseParked(Exception):
    """A phase stopped to wait for an upstream; it is recorded as waiting and its
    resumption is scheduled."""


@dataclass(frozen=True, slots=True)
class Phase:
    name: PhaseName
    # Share of the run's percent (0-100) this phase stands for.
    weight: int
    # The phases that must have succeeded before this one starts.
    waits_for: tuple[PhaseName, ...]
    # Dotted path of the function running the phase: `(run_id)`, sync or async, raising
    # `PhaseFailed` once a failure is recorded. A path, since the pipeline imports the
    # models, which import this module.
    function: str

    def run(self, run_id: int) -> None:
        """Run this phase of a run, from synchronous code (a cluster task)."""
        function = import_string(self.function)
        if inspect.iscoroutinefunction(function):
            async_to_sync(function)(run_id)
        else:
            function(run_id)

    async def arun(self, run_id: int) -> None:
        """Run this phase of a run, from asynchronous code (the inline runner)."""
        function = import_string(self.function)
        if inspect.iscoroutinefunction(function):
            await function(run_id)
        else:
            await sync_to_async(function)(run_id)

    @property
    def next(self) -> tuple[Phase, ...]:
        """The phases waiting for this one, in flow order."""
        return next_phases(self.name)


# In flow order: every phase comes after all it waits for.
PHASES: tuple[Phase, ...] = (
    Phase(
        PhaseName.IDENTITY,
        weight=10,
        waits_for=(),
        function="imports.pipeline.identity_phase",
    ),
    Phase(
        PhaseName.SHOWS,
        weight=40,
        waits_for=(PhaseName.IDENTITY,),
        function="imports.pipeline.shows_phase",
    ),
    Phase(
        PhaseName.CATALOG,
        weight=45,
        waits_for=(PhaseName.IDENTITY,),
        function="imports.pipeline.catalog_phase",
    ),
    Phase(
        PhaseName.FINALIZE,
        weight=5,
        waits_for=(PhaseName.SHOWS, PhaseName.CATALOG),
        function="imports.pipeline.finalize_phase",
    ),
)

_BY_NAME = {phase.name: phase for phase in PHASES}

FIRST_PHASE = PHASES[0]
LAST_PHASE = PHASES[-1]


def phase_get(name: str) -> Phase:
    """The phase called `name`; KeyError if there is none."""
    try:
        return _BY_NAME[PhaseName(name)]
    except ValueError:
        raise KeyError(f"no import phase called {name!r}") from None


def next_phases(name: str) -> tuple[Phase, ...]:
    """The phases that wait for `name`, in flow order."""
    return tuple(phase for phase in PHASES if name in phase.waits_for)


def is_ready(name: str, succeeded: Iterable[str]) -> bool:
    """Whether everything phase `name` waits for has succeeded."""
    done = set(succeeded)
    return all(prerequisite in done for prerequisite in phase_get(name).waits_for)


def phases_still_needed(succeeded: Iterable[str]) -> tuple[PhaseName, ...]:
    """The phases a run must run next, given those that succeeded: in flow order, those
    not done whose prerequisites are all done. A phase counts as done only if it
    succeeded after everything it waits for: when identity runs again (its worker died
    before the task was acknowledged) while shows and catalog had succeeded, identity
    is needed, not finalize too. Empty once all succeeded."""
    succeeded = set(succeeded)
    done: set[PhaseName] = set()
    needed: list[PhaseName] = []
    for phase in PHASES:  # flow order: prerequisites are decided first
        if not is_ready(phase.name, done):
            continue
        if phase.name in succeeded:
            done.add(phase.name)
        else:
            needed.append(phase.name)
    return tuple(needed)


# --- Queued tasks ------------------------------------------------------------------

# Every queued phase task is named `import-<run id>-<phase>`.
_TASK_NAME = re.compile(
    r"import-(?P<run>\d+)-(?P<phase>{})".format("|".join(phase.name for phase in PHASES))
)


def phase_task_name(run_id: int, name: str) -> str:
    """The name of the queued task running phase `name` of a run."""
    return f"import-{run_id}-{PhaseName(name).value}"


def parse_phase_task_name(task_name: str) -> tuple[int, PhaseName] | None:
    """The run id and phase of a queued phase task's name; None for another task."""
    match = _TASK_NAME.fullmatch(task_name or "")
    if match is None:
        return None
    return int(match["run"]), PhaseName(match["phase"])
