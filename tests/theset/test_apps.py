"""Process set-up done when Django starts (theset.apps)."""

import gc
import subprocess
import sys

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
