"""Fixtures for the sandbox upstream: worlds, and clients over real HTTP or in-process.

No database: the sandbox only reads a `World`. Worlds come from the real
`build_world`, either from the built-in profiles or from the edge scenario of
`support.py`, written to a temporary JSON file so it goes through the scenario
loader too. Tests that take `open_sandbox` run twice: once against uvicorn on
a free 127.0.0.1 port, once through the in-process transport.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator, Callable

import httpx
import pytest

from sandbox import gateway
from sandbox.app import build_app
from sandbox.config import SandboxConfig
from sandbox.server import serve_in_thread
from sandbox.transport import sandbox_transport
from sandbox.world import World, build_world
from tests.sandbox.support import ANCHOR, edge_scenario


@pytest.fixture(scope="session")
def edge_world(tmp_path_factory: pytest.TempPathFactory) -> World:
    """The edge scenario, loaded through the scenario file loader."""
    path = tmp_path_factory.mktemp("scenario") / "edge.json"
    path.write_text(json.dumps(edge_scenario()), encoding="utf-8")
    return build_world(scenario_sources=[str(path)], anchor=ANCHOR)


@pytest.fixture(scope="session")
def builtin_world() -> World:
    """The three built-in profiles (sparse, mid, prolific) at a fixed anchor date."""
    return build_world(seed=0, anchor=ANCHOR)


class FakeClock:
    """Epoch milliseconds the sandbox's rate limits and quotas read instead of the wall clock."""

    def __init__(self, start_ms: int) -> None:
        self.now_ms = start_ms

    def __call__(self) -> int:
        return self.now_ms

    def advance(self, ms: int) -> None:
        self.now_ms += ms


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    """Time for the limits that moves only when the test says (the server thread too)."""
    fake = FakeClock(1_800_000_000_000)
    monkeypatch.setattr(gateway, "now_ms", fake)
    return fake


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(params=["http", "inprocess"])
def mode(request: pytest.FixtureRequest) -> str:
    """How the sandbox is reached: over a real socket, or through the transport."""
    return request.param


OpenSandbox = Callable[..., contextlib.AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture
def open_sandbox(mode: str) -> OpenSandbox:
    """`async with open_sandbox(world, config) as client:` a client on a fresh sandbox.

    The default config has no Ticketmaster per-second limit, so tests that do
    not test it are not slowed or tripped by it.
    """

    @contextlib.asynccontextmanager
    async def opener(
        world: World, config: SandboxConfig | None = None
    ) -> AsyncIterator[httpx.AsyncClient]:
        config = config or SandboxConfig(tm_rps=0)
        if mode == "http":
            with serve_in_thread(build_app(world, config)) as base_url:
                async with httpx.AsyncClient(base_url=base_url, timeout=10) as client:
                    yield client
        else:
            transport = sandbox_transport(world, config)
            async with httpx.AsyncClient(
                transport=transport, base_url="http://sandbox.test"
            ) as client:
                yield client

    return opener
