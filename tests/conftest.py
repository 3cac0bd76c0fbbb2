"""Suite-wide fixtures. Tests never reach the internet: only 127.0.0.1."""

import os

import pytest


@pytest.fixture(autouse=True, scope="session")
def _private_rate_limit_file(tmp_path_factory):
    """The suite's upstream rate limits in a file of its own: not shared with a running
    `make serve`, a benchmark or another test session on this machine."""
    from django.conf import settings

    path = tmp_path_factory.mktemp("ratelimit") / "limits.sqlite3"
    os.environ["RATE_LIMIT_FILE"] = str(path)  # for the qcluster processes tests start
    settings.RATE_LIMIT_FILE = path
    yield


@pytest.fixture(autouse=True)
def _no_spotify_process_state():
    """Each test's upstream issues its own tokens and is its own kind of app."""
    from catalog.spotify import forget_process_state

    forget_process_state()
    yield
    forget_process_state()
