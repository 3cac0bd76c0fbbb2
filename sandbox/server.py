"""Running the sandbox over real HTTP: in the foreground or on a background thread."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterator

import uvicorn
from starlette.types import ASGIApp

from sandbox.app import build_app
from sandbox.config import SandboxConfig
from sandbox.world import World

STARTUP_TIMEOUT_SECONDS = 10.0
BACKLOG = 4096  # 500+ simultaneous connects must not be refused


def uvicorn_config(app: ASGIApp, host: str, port: int, log_level: str = "info") -> uvicorn.Config:
    """One process, one port, keep-alive long enough for pooled clients."""
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level=log_level,
        access_log=False,  # a load test would otherwise spend its time logging
        # No handlers of uvicorn's own: its lines go through Django's LOGGING (the
        # redacting formatter), like every other line.
        log_config=None,
        timeout_keep_alive=30,
        backlog=BACKLOG,
    )


def bind(host: str, port: int) -> tuple[socket.socket, str]:
    """A listening socket on host:port (0 = a free port) and its base URL."""
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(address)
    # Listening now lets clients connect as soon as the URL is announced: the kernel
    # queues them until uvicorn starts accepting.
    sock.listen(BACKLOG)
    bound_host = f"[{host}]" if family == socket.AF_INET6 else host
    return sock, f"http://{bound_host}:{sock.getsockname()[1]}"


def serve_forever(
    app: ASGIApp, host: str, port: int, announce: Callable[[str], None] = print
) -> None:
    """Serve `app` in the foreground until interrupted; `announce` gets the base URL first.

    The socket is bound before uvicorn starts so that port 0 can be announced
    as the real port.
    """
    sock, base_url = bind(host, port)
    announce(base_url)
    try:
        uvicorn.Server(uvicorn_config(app, host, port)).run(sockets=[sock])
    finally:
        sock.close()


@contextlib.contextmanager
def serve_in_thread(app: ASGIApp, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Serve `app` on a background thread; yield its base URL; stop it on exit.

    Port 0 binds a free port. The socket is bound before the thread starts,
    so the URL is valid as soon as it is yielded.
    """
    sock, base_url = bind(host, port)
    server = uvicorn.Server(uvicorn_config(app, host, port, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("sandbox server did not start")
        time.sleep(0.01)
    try:
        yield base_url
    finally:
        server.should_exit = True
        thread.join(timeout=STARTUP_TIMEOUT_SECONDS)
        sock.close()


@contextlib.contextmanager
def running_sandbox(world: World, config: SandboxConfig | None = None) -> Iterator[str]:
    """The sandbox for `world` served over HTTP on a free local port; yields the base URL."""
    config = config or SandboxConfig(port=0)
    with serve_in_thread(build_app(world, config), config.host, 0) as base_url:
        yield base_url


# Any non-empty credentials do: the sandbox accepts every key and client by default.
SANDBOX_CREDENTIALS = {
    "TICKETMASTER_API_KEY": "sandbox-key",
    "SPOTIFY_CLIENT_ID": "sandbox-client",
    "SPOTIFY_CLIENT_SECRET": "sandbox-secret",
}


def importer_environment(base_url: str) -> dict[str, str]:
    """The settings (as environment variables) that point the importer at a sandbox."""
    return SANDBOX_CREDENTIALS | {
        "TICKETMASTER_BASE_URL": base_url,
        "SPOTIFY_API_URL": base_url,
        "SPOTIFY_ACCOUNTS_URL": base_url,
    }
