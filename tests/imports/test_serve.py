"""`manage.py serve` runs web, cluster and sandbox together and stops them all."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.mark.integration
def test_serve_starts_web_cluster_and_sandbox_and_stops_them_together(tmp_path):
    web, sandbox = free_port(), free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("TICKETMASTER_API_KEY", "SPOTIFY_CLIENT_ID", "SPOTIFY_CLIENT_SECRET")
    }
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'serve.sqlite3'}"
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True, timeout=120
    )
    serve = subprocess.Popen(
        [sys.executable, "manage.py", "serve", "--port", str(web), "--sandbox-port", str(sandbox)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while not (
            answers(f"http://127.0.0.1:{web}/admin/login/")
            and answers(f"http://127.0.0.1:{sandbox}/_sandbox/artists")
        ):
            assert time.monotonic() < deadline, "web server and sandbox did not come up"
            time.sleep(0.2)
        children = subprocess.run(
            ["pgrep", "-f", "--", f"--port {web}|--port {sandbox}"],
            capture_output=True,
            text=True,
        ).stdout.split()
        assert children
    finally:
        serve.send_signal(signal.SIGINT)
        output, _ = serve.communicate(timeout=30)
    assert f"Serving http://127.0.0.1:{web}/" in output
    assert not answers(f"http://127.0.0.1:{web}/admin/login/")
    assert not answers(f"http://127.0.0.1:{sandbox}/_sandbox/artists")


@pytest.fixture
def taken_port():
    """A port something already listens on (as a first `make serve` would)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


@pytest.fixture
def no_children(monkeypatch):
    """Fails the test if the command starts any process."""
    started: list = []
    monkeypatch.setattr(subprocess, "Popen", lambda *args, **kwargs: started.append(args))
    yield started
    assert started == [], "serve started processes although a port was taken"


@pytest.mark.parametrize("option", ["--port", "--sandbox-port"])
def test_serve_refuses_a_taken_port_before_starting_anything(option, taken_port, no_children):
    ports = {"--port": free_port(), "--sandbox-port": free_port()} | {option: taken_port}
    with pytest.raises(CommandError) as refused:
        call_command("serve", "--sandbox", *(str(a) for kv in ports.items() for a in kv))
    message = str(refused.value)
    assert "\n" not in message
    assert f"port {taken_port} on 127.0.0.1 is already in use" in message
    assert "another server" in message and f"pass {option}" in message


def test_a_second_serve_exits_with_one_line_and_no_traceback(taken_port):
    sandbox = free_port()
    serve = subprocess.run(
        [sys.executable, "manage.py", "serve", "--sandbox",
         "--port", str(taken_port), "--sandbox-port", str(sandbox)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )  # fmt: skip
    assert serve.returncode != 0
    assert "Traceback" not in serve.stderr and "Errno" not in serve.stderr
    assert serve.stderr.strip().splitlines() == [
        f"CommandError: port {taken_port} on 127.0.0.1 is already in use: another server "
        "(another `make serve`?) is probably running; stop it or pass --port"
    ]
    # Nothing was started (no sandbox on its port; the cluster starts after it).
    left = subprocess.run(
        ["pgrep", "-f", "--", f"--port {sandbox}"],
        capture_output=True,
        text=True,
    )
    assert left.stdout.split() == []
