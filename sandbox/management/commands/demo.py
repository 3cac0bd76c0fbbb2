"""`python manage.py demo`: import the sandbox's prolific artist, no API keys needed."""

from __future__ import annotations

import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from catalog.models import Artist
from sandbox.config import SandboxConfig
from sandbox.profiles import BUILTIN_ATTRACTION_IDS
from sandbox.server import importer_environment, running_sandbox
from sandbox.world import build_world


class Command(BaseCommand):
    help = (
        "Start the sandbox upstream on a free local port and import one of its artists "
        "inline, with network-like latency."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--profile", choices=sorted(BUILTIN_ATTRACTION_IDS), default="prolific")
        parser.add_argument("--latency-ms", type=int, default=50)
        parser.add_argument("--jitter-ms", type=int, default=10)

    def handle(self, *args, profile: str, latency_ms: int, jitter_ms: int, **options) -> None:
        config = SandboxConfig(port=0, latency_ms=latency_ms, jitter_ms=jitter_ms, tm_rps=5)
        with running_sandbox(build_world(), config) as base_url:
            self.stdout.write(f"Sandbox upstream at {base_url} ({latency_ms} ms latency)")
            for name, value in importer_environment(base_url).items():
                setattr(settings, name, value)
            started = time.monotonic()
            call_command("import_artist", BUILTIN_ATTRACTION_IDS[profile], "--inline")
            self.stdout.write(f"Imported in {time.monotonic() - started:.1f} s.")
        artist = Artist.objects.get(tm_attraction_id=BUILTIN_ATTRACTION_IDS[profile])
        self.stdout.write(
            "\nSee it: run `make serve` (web server, task cluster and sandbox together), "
            "then open\n"
            f"  http://127.0.0.1:8000/artists/{artist.slug}/\n"
            f"  http://127.0.0.1:8000/api/artists/{artist.slug}\n"
            f"  http://127.0.0.1:8000/admin/  (after `.venv/bin/python manage.py createsuperuser`)"
        )
