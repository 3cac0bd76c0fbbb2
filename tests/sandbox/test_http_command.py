"""`manage.py sandbox_upstream` and the config it builds."""

from __future__ import annotations

import math
import os
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from django.core.management import CommandError, call_command

from sandbox.config import SandboxConfig
from sandbox.management.commands import sandbox_upstream

PROJECT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"fault_rate": 1.5}, "fault_rate must be between 0 and 1"),
        ({"audio_features": "off"}, "audio_features must be one of on, forbidden"),
        ({"spotify_app": "dev"}, "spotify_app must be one of extended, development"),
        ({"tm_rps": -1}, "tm_rps must be an integer >= 0"),
        ({"tm_daily_quota": 0}, "tm_daily_quota must be an integer >= 1"),
        ({"latency_ms": 10, "jitter_ms": 20}, "jitter_ms (20) must not exceed latency_ms"),
        ({"token_ttl_seconds": 0}, "token_ttl_seconds must be > 0"),
        ({"markets": ("US", "usa")}, "markets must be ISO 3166-1 alpha-2 codes"),
        ({"tm_api_key": ""}, "tm_api_key must be None"),
        ({"spotify_rps": 0.01}, "spotify_rps must allow at least one request per 30 s"),
        ({"tm_quota_window_seconds": 0}, "tm_quota_window_seconds must be > 0, got 0"),
        ({"tm_quota_window_seconds": -1.5}, "tm_quota_window_seconds must be > 0"),
        ({"tm_quota_window_seconds": math.inf}, "tm_quota_window_seconds must be > 0"),
        ({"spotify_retry_after_seconds": 0}, "spotify_retry_after_seconds must be None"),
        ({"spotify_retry_after_seconds": 1.5}, "spotify_retry_after_seconds must be None"),
    ],
)
def test_config_rejects_bad_values_by_name(fields, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        SandboxConfig(**fields)


def test_config_defaults():
    config = SandboxConfig()
    assert (config.port, config.tm_rps, config.spotify_rps) == (8765, 5, 0)
    assert config.token_ttl_seconds == 3600 and config.spotify_window_limit == 0
    assert SandboxConfig(spotify_rps=2).spotify_window_limit == 60  # per rolling 30 s
    assert config.tm_daily_quota == 5000 and config.tm_quota_window_seconds == 86_400
    assert config.tm_quota_window_ms == 86_400_000
    assert config.spotify_retry_after_seconds is None  # the real wait


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--scenario", "no-such-file.json"], "no-such-file.json: no such file"),
        (["--generate", "huge"], "--generate 'huge': expected PROFILE:COUNT"),
        (["--fault-rate", "2"], "fault_rate must be between 0 and 1"),
        (["--tm-quota-window", "0"], "tm_quota_window_seconds must be > 0"),
        (["--spotify-retry-after", "0"], "spotify_retry_after_seconds must be None"),
    ],
)
def test_command_reports_bad_input_as_command_error(args, message):
    with pytest.raises(CommandError, match=re.escape(message)):
        call_command("sandbox_upstream", *args)


def test_command_builds_world_and_config_then_serves(monkeypatch, capsys):
    served = {}

    def fake_serve(app, host, port, announce):
        served.update(app=app, host=host, port=port)
        announce("http://127.0.0.1:9999")

    monkeypatch.setattr(sandbox_upstream, "serve_forever", fake_serve)
    call_command(
        "sandbox_upstream",
        "--scenario", "sparse", "--generate", "sparse:2", "--port", "9999",
        "--spotify-app", "development", "--fault-rate", "0.1", "--seed", "4",
        "--tm-daily-quota", "50", "--tm-quota-window", "2.5", "--spotify-retry-after", "3600",
    )  # fmt: skip
    out = capsys.readouterr().out
    assert served["port"] == 9999 and served["host"] == "127.0.0.1"
    config = served["app"].state.gateway.config
    assert config.spotify_app == "development" and config.fault_rate == 0.1 and config.seed == 4
    assert (config.tm_daily_quota, config.tm_quota_window_seconds) == (50, 2.5)
    assert config.spotify_retry_after_seconds == 3600
    assert "(3 artists)" in out
    for variable in ("TICKETMASTER_BASE_URL", "SPOTIFY_API_URL", "SPOTIFY_ACCOUNTS_URL"):
        assert f"{variable}=http://127.0.0.1:9999" in out


def test_command_help_names_the_quota_and_retry_after_flags():
    parser = sandbox_upstream.Command().create_parser("manage.py", "sandbox_upstream")
    usage = " ".join(parser.format_help().split())  # argparse wraps lines
    assert "--tm-quota-window SECONDS" in usage
    assert "--spotify-retry-after SECONDS" in usage
    assert "resets all at once" in usage and "refused until it has passed" in usage


@pytest.mark.integration
def test_command_serves_over_http():
    """The real command in its own process, on a free port, until terminated."""
    process = subprocess.Popen(
        [sys.executable, "manage.py", "sandbox_upstream", "--port", "0", "--scenario", "sparse"],
        cwd=PROJECT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        first_line = process.stdout.readline()
        match = re.search(r"http://127\.0\.0\.1:\d+", first_line)
        assert match, first_line
        response = httpx.get(f"{match.group()}/_sandbox/artists", timeout=10)
        assert response.status_code == 200
        assert [a["profile"] for a in response.json()["artists"]] == ["sparse"]
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.mark.parametrize("command", ["sandbox_upstream", "demo", "serve"])
def test_without_the_sandbox_packages_a_command_says_which_list_installs_them(command):
    """A deployment installs requirements.txt only: the sandbox's commands then name
    requirements-sandbox.txt (a module set to None in sys.modules cannot be imported)."""
    code = (
        "import sys; sys.modules['starlette'] = None\n"
        "import django; django.setup()\n"
        "from django.core.management import call_command\n"
        f"call_command({command!r}, '--help')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=PROJECT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "theset.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert (
        "The sandbox commands need starlette: pip install -r requirements-sandbox.txt"
        in result.stderr
    )
