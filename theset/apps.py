import asyncio
import gc

from django.apps import AppConfig
from django.conf import settings

# The cyclic garbage collector's first threshold (Python's default is 700 allocations).
# An import parses megabytes of JSON into millions of objects, none of them cyclic
# garbage: at 700 the collector ran some 300 times per prolific import and cost about
# 0.25 s of its CPU (bench/README.md). Memory freed by reference counting is unaffected.
GC_GEN0_THRESHOLD = 20_000


class ThesetConfig(AppConfig):
    name = "theset"
    verbose_name = "TheSet"

    def ready(self) -> None:
        # What is loaded by now (modules, models, settings, the admin) lives as long as
        # the process: out of the collector's way, and not copied on write into the
        # processes a task cluster forks from this one.
        gc.freeze()
        _, gen1, gen2 = gc.get_threshold()
        gc.set_threshold(GC_GEN0_THRESHOLD, gen1, gen2)
        if settings.IMPORT_EVENT_LOOP == "uvloop":
            # Every new event loop of this process (asgiref's `async_to_sync` starts one
            # per call in a worker or the CLI) is uvloop's. uvicorn sets its own.
            import uvloop

            asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
