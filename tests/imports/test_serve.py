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
