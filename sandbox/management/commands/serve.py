"""`python manage.py serve`: the web server, the task cluster and (without API keys) the
sandbox upstream, together, for local use; Ctrl-C stops all three."""

from __future__ import annotations

import errno
import os
import signal
import socket
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from sandbox.server import importer_environment


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--sandbox-port", type=int, default=8765)
        parser.add_argument(
            "--sandbox",
            action="store_true",
            help="use the sandbox upstream even when API keys are set",
        )

    def handle(self, *args, host: str, port: int, sandbox_port: int, **options) -> None:
        have_keys = settings.TICKETMASTER_API_KEY and settings.SPOTIFY_CLIENT_ID
        use_sandbox = options["sandbox"] or not have_keys
        env = dict(os.environ)
        commands: list[tuple[str, list[str]]] = []
        # Before starting anything: a second `serve` must not leave a cluster behind.
        _check_free(host, port, option="--port")
        if use_sandbox:
            _check_free("127.0.0.1", sandbox_port, option="--sandbox-port")
            env |= importer_environment(f"http://127.0.0.1:{sandbox_port}")
            commands.append(
                (
                    "sandbox",
                    [sys.executable, "manage.py", "sandbox_upstream", "--port", str(sandbox_port),
                     "--latency-ms", "50", "--jitter-ms", "10"],
                )
            )  # fmt: skip
        commands += [
            ("cluster", [sys.executable, "manage.py", "qcluster"]),
            (
                "web",
                [sys.executable, "-m", "uvicorn", "theset.asgi:application",
                 "--host", host, "--port", str(port)],
            ),
        ]  # fmt: skip

        def stop(signum: int, frame: object) -> None:
            raise KeyboardInterrupt

        # Ctrl-C or a TERM from a supervisor stops everything (also when started in the
        # background, where SIGINT would otherwise be ignored).
        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        processes = {
            name: subprocess.Popen(command, cwd=settings.BASE_DIR, env=env, start_new_session=True)
            for name, command in commands
        }
        self.stdout.write(
            f"Serving http://{host}:{port}/ (admin at /admin/, API docs at /api/docs)"
            + (f", sandbox upstream at http://127.0.0.1:{sandbox_port}" if use_sandbox else "")
            + ". Ctrl-C stops everything."
        )
        stopped: list[str] = []
        try:
            while all(process.poll() is None for process in processes.values()):
                time.sleep(0.5)
            stopped = [name for name, process in processes.items() if process.poll() is not None]
            self.stderr.write(f"{', '.join(stopped)} stopped; stopping the rest")
        except KeyboardInterrupt:
            pass
        finally:
            for process in processes.values():
                if process.poll() is None:
                    os.killpg(process.pid, signal.SIGTERM)
            for process in processes.values():
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
        if stopped:  # one of them ended on its own (a port taken meanwhile, a crash)
            raise CommandError(f"{', '.join(stopped)} stopped on its own; see its output above")


def _check_free(host: str, port: int, *, option: str) -> None:
    """Raise a one-line CommandError if nothing can listen on `host:port`: usually
    another server (a second `make serve`) is there already."""
    try:
        family, kind, _, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except OSError as exc:
        raise CommandError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    with socket.socket(family, kind) as probe:
        # As the servers bind: a port left in TIME_WAIT by the last run is free.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise CommandError(
                    f"port {port} on {host} is already in use: another server (another "
                    f"`make serve`?) is probably running; stop it or pass {option}"
                ) from None
            raise CommandError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
