"""Fixtures for import tests: the sandbox upstream over HTTP, and settings pointing at it."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import httpx
import pytest

from imports.sandbox.config import SandboxConfig
from imports.sandbox.server import importer_environment, running_sandbox
from imports.sandbox.world import World, build_world


@pytest.fixture(scope="session")
def world() -> World:
    """The built-in profiles (sparse, mid, prolific), seed 0, dated from today."""
    return build_world(seed=0)


@pytest.fixture
def sandbox(world, settings):
    """`with sandbox(**config) as stats:` a sandbox over HTTP the importer is pointed at.

    It serves the built-in profiles, or the world given as `serve=`; `stats()`
    reads the sandbox's `/_sandbox/stats`.
    """

    @contextlib.contextmanager
    def start(*, serve: World | None = None, **config) -> Iterator:
        config.setdefault("tm_rps", 5)
        with running_sandbox(serve or world, SandboxConfig(port=0, **config)) as base_url:
            for name, value in importer_environment(base_url).items():
                setattr(settings, name, value)

            def stats() -> dict:
                return httpx.get(f"{base_url}/_sandbox/stats").json()

            yield stats

    return start
