"""Process set-up done when Django starts (theset.apps)."""

import gc
import subprocess
import sys

import pytest
from django.conf import settings

from theset.apps import GC_GEN0_THRESHOLD


def test_django_start_freezes_what_it_loaded_and_raises_the_collectors_threshold():
    # In a fresh process: this one's collector is the test runner's to set.
    script = (
        "import django, gc; django.setup(); "
        "print(gc.get_threshold()[0], gc.get_freeze_count() > 10_000)"
    )
    env = {"DJANGO_SETTINGS_MODULE": "theset.settings", "PATH": "/usr/bin:/bin"}
    out = subprocess.run(
        [sys.executable, "-c", script],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert out == [str(GC_GEN0_THRESHOLD), "True"]
    assert gc.get_threshold()[0] > 0  # the collector is still on


def _fresh_process(script: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", script],
        cwd=settings.BASE_DIR,
        env={"DJANGO_SETTINGS_MODULE": "theset.settings", "PATH": "/usr/bin:/bin", **env},
        capture_output=True,
        text=True,
    )


# The loop a phase runs on in a worker or the CLI: asgiref's async_to_sync starts one.
LOOP_OF_A_PHASE = (
    "import asyncio, django; django.setup(); "
    "from asgiref.sync import async_to_sync\n"
    "async def phase(): return type(asyncio.get_running_loop()).__module__\n"
    "print(async_to_sync(phase)())"
)


@pytest.mark.parametrize(
    ("setting", "module"), [({}, "uvloop"), ({"IMPORT_EVENT_LOOP": "asyncio"}, "asyncio")]
)
def test_phases_run_on_the_event_loop_the_settings_name(setting, module):
    result = _fresh_process(LOOP_OF_A_PHASE, **setting)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().split(".")[0] == module


def test_an_unknown_event_loop_is_refused_by_name():
    result = _fresh_process(LOOP_OF_A_PHASE, IMPORT_EVENT_LOOP="trio")
    assert result.returncode != 0
    assert "IMPORT_EVENT_LOOP must be uvloop or asyncio, not 'trio'" in result.stderr
