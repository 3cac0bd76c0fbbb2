"""Settings for `DJANGO_ENV=production`, star-imported at the end of theset.settings.

Everything `manage.py check --deploy` asks for, behind a TLS proxy. The process
refuses to start without a real SECRET_KEY and ALLOWED_HOSTS, or with DEBUG on,
rather than serve with a development default. Names private to this module start
with an underscore, so the star import brings in settings only.
"""

import environ
from django.core.exceptions import ImproperlyConfigured

# theset.settings has already read the .env file into os.environ.
_env = environ.Env()


def _refuse(variable: str, problem: str) -> ImproperlyConfigured:
    return ImproperlyConfigured(f"{variable} {problem} (DJANGO_ENV=production).")


if _env.bool("DEBUG", default=False):
    raise _refuse("DEBUG", "must be false: debug pages show settings and stack frames")
DEBUG = False

SECRET_KEY = _env.str("SECRET_KEY", default="")
# The same test as Django's security.W009: the development default starts with the prefix.
if len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5 or SECRET_KEY.startswith("django-insecure-"):
    raise _refuse(
        "SECRET_KEY",
        "must be set to 50 or more random characters, not the development default; generate "
        "one with: python -c 'from django.core.management.utils import get_random_secret_key; "
        "print(get_random_secret_key())'",
    )

ALLOWED_HOSTS = _env.list("ALLOWED_HOSTS", default=[])
if not ALLOWED_HOSTS:
    raise _refuse("ALLOWED_HOSTS", "must name the site's host names, comma-separated")

# --- HTTPS ---------------------------------------------------------------------------
# TLS ends at a proxy. uvicorn already takes the scheme from X-Forwarded-Proto when the
# proxy is in --forwarded-allow-ips (default 127.0.0.1); otherwise name the header the
# proxy sets, e.g. SECURE_PROXY_SSL_HEADER=HTTP_X_FORWARDED_PROTO, and make sure the
# proxy overwrites it on every request (a client must not be able to send it).
_proxy_ssl_header = _env.str("SECURE_PROXY_SSL_HEADER", default="")
SECURE_PROXY_SSL_HEADER = (_proxy_ssl_header, "https") if _proxy_ssl_header else None
SECURE_SSL_REDIRECT = _env.bool("SECURE_SSL_REDIRECT", default=True)
# Health probes and metrics scrapers talk to the web process directly, over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^health/$", r"^metrics$"]
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = _env.int("SECURE_HSTS_SECONDS", default=31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = _env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = _env.bool("SECURE_HSTS_PRELOAD", default=True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Turning these off is a decision (the proxy redirects to HTTPS; no preload list), not
# an oversight, so `check --deploy` stays quiet about it.
SILENCED_SYSTEM_CHECKS = [
    check
    for check, enabled in (
        ("security.W008", SECURE_SSL_REDIRECT),
        ("security.W021", SECURE_HSTS_PRELOAD),
    )
    if not enabled
]
