"""`DJANGO_ENV=production` passes `check --deploy` and refuses to start half-configured.

Settings are read once per process, so every case runs Django in a subprocess with
its own environment.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SECRET_KEY = "p7#kq2-vz9!mw4@xr8$ln3^bt6&hc1*jd5(fs0)gy7_ua2+ei4=o"
DEVELOPMENT_SECRET_KEY = "django-insecure-local-only-set-SECRET_KEY-in-production-0f3c9a"
# Variables of the outer environment (or CI) that would change what a case tests.
PROFILE_VARIABLES = (
    "DJANGO_ENV",
    "DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "CSRF_TRUSTED_ORIGINS",
    "SECURE_PROXY_SSL_HEADER",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
)
PRODUCTION = {"DJANGO_ENV": "production", "SECRET_KEY": SECRET_KEY, "ALLOWED_HOSTS": "example.com"}
PRINT_SETTINGS = """
import json
from django.conf import settings
names = [name for name in dir(settings) if name.isupper()]
print(json.dumps({name: getattr(settings, name) for name in names}, default=str))
"""


def run(command: list[str], **variables: str | None) -> subprocess.CompletedProcess[str]:
    """Run `command` from the project root; a variable set to None is removed."""
    env = {k: v for k, v in os.environ.items() if k not in PROFILE_VARIABLES}
    env["DATABASE_URL"] = "sqlite:////tmp/theset_hB_sub.sqlite3"
    env["DJANGO_SETTINGS_MODULE"] = "theset.settings"
    for name, value in variables.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return subprocess.run(
        [sys.executable, *command], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def deploy_check(**variables: str | None) -> subprocess.CompletedProcess[str]:
    return run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], **variables)


def settings_of(**variables: str | None) -> dict:
    result = run(["-c", PRINT_SETTINGS], **variables)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_production_profile_passes_the_deploy_check_without_warnings():
    result = deploy_check(**PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout
    assert "WARNING" not in result.stderr


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        pytest.param("SECRET_KEY", None, "SECRET_KEY must be set", id="secret-key-unset"),
        pytest.param("SECRET_KEY", "", "SECRET_KEY must be set", id="secret-key-empty"),
        pytest.param(
            "SECRET_KEY", DEVELOPMENT_SECRET_KEY, "not the development default", id="dev-key"
        ),
        pytest.param("SECRET_KEY", "too-short-1234", "50 or more", id="secret-key-short"),
        pytest.param("ALLOWED_HOSTS", None, "ALLOWED_HOSTS must", id="allowed-hosts-unset"),
        pytest.param("ALLOWED_HOSTS", "", "ALLOWED_HOSTS must", id="allowed-hosts-empty"),
        pytest.param("DEBUG", "true", "DEBUG must be false", id="debug-on"),
    ],
)
def test_production_profile_refuses_to_start_half_configured(variable, value, message):
    result = deploy_check(**(PRODUCTION | {variable: value}))
    assert result.returncode != 0
    assert "django.core.exceptions.ImproperlyConfigured" in result.stderr
    assert message in result.stderr
    assert "(DJANGO_ENV=production)" in result.stderr


def test_production_profile_turns_on_secure_cookies_hsts_and_no_debug():
    settings = settings_of(**PRODUCTION, DEBUG="false")
    assert settings["DEBUG"] is False
    assert settings["SECRET_KEY"] == SECRET_KEY
    assert settings["ALLOWED_HOSTS"] == ["example.com"]
    assert settings["SESSION_COOKIE_SECURE"] is True
    assert settings["CSRF_COOKIE_SECURE"] is True
    assert settings["SECURE_SSL_REDIRECT"] is True
    assert settings["SECURE_HSTS_SECONDS"] == 31_536_000
    assert settings["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert settings["SECURE_HSTS_PRELOAD"] is True
    assert settings["SECURE_CONTENT_TYPE_NOSNIFF"] is True
    assert settings["SECURE_REFERRER_POLICY"] == "same-origin"
    assert settings["X_FRAME_OPTIONS"] == "DENY"
    assert settings["SECURE_PROXY_SSL_HEADER"] is None
    assert settings["SILENCED_SYSTEM_CHECKS"] == []


def test_production_profile_reads_proxy_hsts_and_csrf_origins_from_the_environment():
    settings = settings_of(
        **PRODUCTION,
        SECURE_PROXY_SSL_HEADER="HTTP_X_FORWARDED_PROTO",
        SECURE_HSTS_SECONDS="3600",
        CSRF_TRUSTED_ORIGINS="https://example.com,https://admin.example.com",
    )
    assert settings["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert settings["SECURE_HSTS_SECONDS"] == 3600
    assert settings["CSRF_TRUSTED_ORIGINS"] == ["https://example.com", "https://admin.example.com"]


def test_turning_off_the_redirect_or_preload_is_a_decision_the_deploy_check_respects():
    result = deploy_check(**PRODUCTION, SECURE_SSL_REDIRECT="false", SECURE_HSTS_PRELOAD="false")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues (2 silenced)" in result.stdout


def test_development_default_still_starts_without_the_production_variables():
    result = run(["manage.py", "check", "--fail-level", "WARNING"])
    assert result.returncode == 0, result.stdout + result.stderr
    settings = settings_of()
    assert settings["SESSION_COOKIE_SECURE"] is False
    assert settings["SECURE_HSTS_SECONDS"] == 0
