"""The sandbox mounted in-process: an httpx transport with no socket.

Clients built with `httpx.AsyncClient(transport=sandbox_transport(world, config),
base_url="http://sandbox")` see the same answers as over HTTP, including
dropped connections, which surface as `httpx.RemoteProtocolError` just as a
truncated body does on a real socket.
"""

from __future__ import annotations

import httpx
from starlette.types import ASGIApp, Receive, Scope, Send

from sandbox.app import build_app
from sandbox.config import SandboxConfig
from sandbox.gateway import IN_PROCESS_EXTENSION, ConnectionDropped
from sandbox.world import World


class SandboxTransport(httpx.AsyncBaseTransport):
    """Wraps `httpx.ASGITransport`, mapping a dropped connection to an httpx error."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

        async def marked(scope: Scope, receive: Receive, send: Send) -> None:
            # Tell the app there is no socket: it must raise to drop the connection.
            extensions = {**scope.get("extensions", {}), IN_PROCESS_EXTENSION: {}}
            await app({**scope, "extensions": extensions}, receive, send)

        self._inner = httpx.ASGITransport(app=marked)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """The app's answer, or RemoteProtocolError where a socket would have closed."""
        try:
            return await self._inner.handle_async_request(request)
        except ConnectionDropped as exc:
            raise httpx.RemoteProtocolError(
                "peer closed connection without sending complete message body", request=request
            ) from exc

    async def aclose(self) -> None:
        await self._inner.aclose()


def sandbox_transport(world: World, config: SandboxConfig | None = None) -> SandboxTransport:
    """A transport serving `world` in-process with `config` (defaults if None)."""
    return SandboxTransport(build_app(world, config or SandboxConfig()))
