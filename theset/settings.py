"""Settings for the TheSet import service, read from the environment.

Every value has a default that works on a fresh machine: SQLite in the project
folder, the ORM queue broker, no Redis, no upstream keys.
"""

import contextlib
import importlib.util
import os
from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from redis.connection import parse_url as redis_url_options

from theset.durations import parse_duration
from theset.logs import configure_structlog
from theset.logs import formatter as log_formatter

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# --- Core ------------------------------------------------------------------

DEBUG = env.bool("DEBUG", default=True)
SECRET_KEY = env.str(
    "SECRET_KEY",
    default="django-insecure-local-only-set-SECRET_KEY-in-production-0f3c9a",
)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_q",
    "django_prometheus",
    # Admin login lockout: failed logins counted per account and per address (theset.logins).
    "axes",
    # Its templates and static files: /api/docs loads Swagger UI from here, not a CDN.
    "ninja",
    "theset",
    "catalog",
    "shows",
    "imports",
    "sandbox",
]

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "theset.logs.request_id_middleware",
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy on every response (CONTENT_SECURITY_POLICY below).
    "csp.middleware.CSPMiddleware",
    "theset.static.StaticFilesMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Anonymous reads per client address (after authentication: staff are not counted).
    "theset.security.anonymous_read_throttle",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
    # Last, as django-axes asks: it answers a locked-out login with theset.logins' page.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out account or address before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "theset.urls"
WSGI_APPLICATION = "theset.wsgi.application"
ASGI_APPLICATION = "theset.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database --------------------------------------------------------------

SQLITE_BUSY_TIMEOUT_SECONDS = env.int("SQLITE_BUSY_TIMEOUT_SECONDS", default=20)

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'theset.sqlite3'}"),
}


def _tune_database(database: dict) -> dict:
    """WAL and a busy timeout on every SQLite connection; pooled-ish PostgreSQL."""
    if database["ENGINE"] == "django.db.backends.sqlite3":
        options = database.setdefault("OPTIONS", {})
        # Readers never block the writer, and a writer waits instead of failing
        # with "database is locked" while the queue worker writes too.
        options.setdefault(
            "init_command",
            "PRAGMA journal_mode=WAL;"
            "PRAGMA synchronous=NORMAL;"
            f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_SECONDS * 1000};",
        )
        options.setdefault("timeout", SQLITE_BUSY_TIMEOUT_SECONDS)
        # Take the write lock at BEGIN so concurrent writers queue up instead of
        # deadlocking on a read-to-write lock upgrade.
        options.setdefault("transaction_mode", "IMMEDIATE")
        # An in-memory test database cannot use WAL; tests use a file like production.
        name = Path(str(database["NAME"]))
        database.setdefault("TEST", {}).setdefault("NAME", str(name.with_name(f"test_{name.name}")))
    else:
        database.setdefault("CONN_MAX_AGE", env.int("DB_CONN_MAX_AGE", default=0))
        database.setdefault("CONN_HEALTH_CHECKS", True)
    return database


DATABASES["default"] = _tune_database(DATABASES["default"])
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis, queue -----------------------------------------------------------

REDIS_URL = env.str("REDIS_URL", default="") or None
# Without Redis, the upstream rate limits are shared by the processes of one machine
# (web, workers, CLI) through this SQLite file; with Redis, by every machine.
RATE_LIMIT_FILE = env.path("RATE_LIMIT_FILE", default=BASE_DIR / "var" / "ratelimit.sqlite3")
# The quota ledger (integrations.http.quota), shared the same way: in Redis under this
# prefix, otherwise in this SQLite file.
QUOTA_LEDGER_FILE = env.path("QUOTA_LEDGER_FILE", default=BASE_DIR / "var" / "quota.sqlite3")
QUOTA_LEDGER_REDIS_PREFIX = env.str("QUOTA_LEDGER_REDIS_PREFIX", default="theset:quota")
# A spent quota whose reset nobody told us (a refusal before any answer with the quota
# headers, or a quota refusal with no Retry-After) parks its phase for this long.
QUOTA_UNKNOWN_RESET_WAIT_SECONDS = env.float("QUOTA_UNKNOWN_RESET_WAIT_SECONDS", default=900.0)

# Phases are idempotent, so a phase whose worker died is simply run again.
# `retry` must exceed `timeout`, or a slow task is handed out twice while running.
IMPORT_PHASE_TIMEOUT_SECONDS = env.int("IMPORT_PHASE_TIMEOUT_SECONDS", default=900)
# How long a task taken by a worker that died waits before the ORM broker hands it out again.
IMPORT_PHASE_RETRY_SECONDS = max(
    env.int("IMPORT_PHASE_RETRY_SECONDS", default=IMPORT_PHASE_TIMEOUT_SECONDS + 60),
    IMPORT_PHASE_TIMEOUT_SECONDS + 1,
)

# A run with no progress for this long, and no task left in the broker, is re-queued
# once by the sweeper (a schedule, every minute), then failed if it stalls again.
# Past the retry delay, so the ORM broker hands out a dead worker's task first.
IMPORT_STALE_AFTER_SECONDS = env.int(
    "IMPORT_STALE_AFTER_SECONDS", default=IMPORT_PHASE_RETRY_SECONDS + 60
)

# Scheduled re-sync (every 10 minutes): artists whose shows or catalog were synced
# longer ago than these are re-imported, the stalest first, at most
# RESYNC_BATCH_SIZE per round so the upstream rate limits keep room for other imports.
RESYNC_SHOWS_AFTER = parse_duration(env.str("RESYNC_SHOWS_AFTER", default="24h"))
RESYNC_CATALOG_AFTER = parse_duration(env.str("RESYNC_CATALOG_AFTER", default="7d"))
RESYNC_BATCH_SIZE = env.int("RESYNC_BATCH_SIZE", default=100)
# Re-syncs fetch identity again only once it is older than this (an import a person
# starts always fetches it).
RESYNC_IDENTITY_AFTER = parse_duration(env.str("RESYNC_IDENTITY_AFTER", default="7d"))
# Shows re-syncs are batched: one events query over several attraction ids, packed by the
# artists' last known upcoming events to stay under Ticketmaster's 1,000-result paging
# depth (an artist with more gets a query of its own, paged through date windows).
RESYNC_SHOWS_BATCH_EVENTS = env.int("RESYNC_SHOWS_BATCH_EVENTS", default=800)
RESYNC_SHOWS_BATCH_ARTISTS = env.int("RESYNC_SHOWS_BATCH_ARTISTS", default=100)
# Re-sync runs (catalog, identity) are queued in groups: one task runs this many runs,
# RESYNC_RUNS_CONCURRENCY of them side by side.
RESYNC_RUNS_PER_TASK = env.int("RESYNC_RUNS_PER_TASK", default=25)
RESYNC_RUNS_CONCURRENCY = env.int("RESYNC_RUNS_CONCURRENCY", default=4)
# At most this many artists' shows are queued for re-sync per round.
RESYNC_SHOWS_ROUND_ARTISTS = env.int("RESYNC_SHOWS_ROUND_ARTISTS", default=5000)
for _name, _value, _top in (
    ("RESYNC_SHOWS_BATCH_EVENTS", RESYNC_SHOWS_BATCH_EVENTS, 1000),
    ("RESYNC_SHOWS_BATCH_ARTISTS", RESYNC_SHOWS_BATCH_ARTISTS, 500),
    ("RESYNC_SHOWS_ROUND_ARTISTS", RESYNC_SHOWS_ROUND_ARTISTS, 1_000_000),
    ("RESYNC_RUNS_PER_TASK", RESYNC_RUNS_PER_TASK, 1000),
    ("RESYNC_RUNS_CONCURRENCY", RESYNC_RUNS_CONCURRENCY, 100),
):
    if not 1 <= _value <= _top:
        raise ImproperlyConfigured(f"{_name} must be from 1 to {_top}, not {_value}")
# The share of Ticketmaster's daily quota re-syncs leave to imports people start: a round
# queues no more than the ledger says is left above it, and a re-sync's requests park
# once it is reached, until the quota resets.
RESYNC_QUOTA_RESERVE = env.float("RESYNC_QUOTA_RESERVE", default=0.2)
if not 0 <= RESYNC_QUOTA_RESERVE < 1:
    raise ImproperlyConfigured(
        f"RESYNC_QUOTA_RESERVE must be a share from 0 to below 1, not {RESYNC_QUOTA_RESERVE}"
    )

# Run history (a schedule, every 5 minutes): each artist's last RUN_HISTORY_KEEP runs
# keep their progress events and dropped-track rows; older runs keep only their row and
# phases. A round deletes at most RUN_HISTORY_PRUNE_BUDGET_ROWS rows, in short batches.
RUN_HISTORY_KEEP = env.int("RUN_HISTORY_KEEP", default=5)
if RUN_HISTORY_KEEP < 1:
    raise ImproperlyConfigured(
        f"RUN_HISTORY_KEEP must be at least 1 (the latest run keeps its history), "
        f"not {RUN_HISTORY_KEEP}"
    )
# The task queue's successful results kept (django-q2's Task rows; failures all kept).
Q_SUCCESS_KEEP = env.int("Q_SUCCESS_KEEP", default=1000)
if Q_SUCCESS_KEEP < 1:
    raise ImproperlyConfigured(f"Q_SUCCESS_KEEP must be at least 1, not {Q_SUCCESS_KEEP}")
RUN_HISTORY_PRUNE_BUDGET_ROWS = env.int("RUN_HISTORY_PRUNE_BUDGET_ROWS", default=100_000)
if RUN_HISTORY_PRUNE_BUDGET_ROWS < 1:
    raise ImproperlyConfigured(
        f"RUN_HISTORY_PRUNE_BUDGET_ROWS must be at least 1, not {RUN_HISTORY_PRUNE_BUDGET_ROWS}"
    )

Q_CLUSTER = {
    # Clusters sharing a database or Redis serve only the queue of their own name.
    "name": env.str("Q_NAME", default="theset"),
    # Phases wait on the network and on Ticketmaster's rate limit, not on the CPU:
    # two workers per core keep the limiter busy while others fetch from Spotify.
    "workers": env.int("Q_WORKERS", default=2 * (os.cpu_count() or 1)),
    "timeout": IMPORT_PHASE_TIMEOUT_SECONDS,
    "retry": IMPORT_PHASE_RETRY_SECONDS,
    "max_attempts": env.int("Q_MAX_ATTEMPTS", default=3),
    "ack_failures": False,
    # No pruning per task: django-q2's locks and loads up to `save_limit` result rows after
    # every task (about 5% of a busy cluster's CPU, bench/README.md). The history prune
    # (every 5 minutes) keeps the newest Q_SUCCESS_KEEP successes instead, in one delete.
    "save_limit": 0,
    "catch_up": False,
    # How often an idle cluster asks the ORM broker for work: the wait between phases.
    "poll": env.float("Q_POLL_SECONDS", default=0.1),
    "label": "Task queue",
}
# The ORM broker is the default even with Redis: it acknowledges tasks, so a task
# whose worker was killed is handed out again. django-q2's Redis broker pops tasks
# without acknowledgement (a killed worker loses its task); opt in with Q_BROKER=redis.
Q_BROKER = env.str("Q_BROKER", default="orm")
if Q_BROKER == "redis" and REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
    # A person's imports before re-syncs (imports.broker); prefetch little, so that
    # order holds (a full local queue of re-syncs would wait ahead of a person's).
    Q_CLUSTER["broker_class"] = "imports.broker.PriorityRedisBroker"
    Q_CLUSTER["queue_limit"] = Q_CLUSTER["workers"]
else:
    Q_CLUSTER["orm"] = "default"
    # Later phases of started imports first, then first come first served
    # (imports.broker); prefetch little, so that order holds.
    Q_CLUSTER["broker_class"] = "imports.broker.PhaseOrderBroker"
    Q_CLUSTER["queue_limit"] = Q_CLUSTER["workers"]

# --- Upstream APIs ---------------------------------------------------------

TICKETMASTER_API_KEY = env.str("TICKETMASTER_API_KEY", default="")
SPOTIFY_CLIENT_ID = env.str("SPOTIFY_CLIENT_ID", default="")
SPOTIFY_CLIENT_SECRET = env.str("SPOTIFY_CLIENT_SECRET", default="")
TICKETMASTER_BASE_URL = env.str("TICKETMASTER_BASE_URL", default="https://app.ticketmaster.com")
SPOTIFY_API_URL = env.str("SPOTIFY_API_URL", default="https://api.spotify.com")
SPOTIFY_ACCOUNTS_URL = env.str("SPOTIFY_ACCOUNTS_URL", default="https://accounts.spotify.com")
SPOTIFY_APP_MODE = env.str("SPOTIFY_APP_MODE", default="auto")
SPOTIFY_MARKET = env.str("SPOTIFY_MARKET", default="US")

DEFAULT_CONCURRENCY = env.int("DEFAULT_CONCURRENCY", default=10)
DEFAULT_RETRIES = env.int("DEFAULT_RETRIES", default=5)
DEFAULT_TIMEOUT = env.float("DEFAULT_TIMEOUT", default=10.0)
RETRY_AFTER_CAP_SECONDS = env.float("RETRY_AFTER_CAP_SECONDS", default=60.0)
# The event loop the importer's phases run on (every `async_to_sync` in a worker or the
# CLI): uvloop, as uvicorn's web processes already use, costs a third less CPU per
# upstream request than asyncio's own loop (bench/README.md). `asyncio` for debugging.
IMPORT_EVENT_LOOP = env.str("IMPORT_EVENT_LOOP", default="uvloop")
if IMPORT_EVENT_LOOP not in ("uvloop", "asyncio"):
    raise ImproperlyConfigured(
        f"IMPORT_EVENT_LOOP must be uvloop or asyncio, not {IMPORT_EVENT_LOOP!r}"
    )
TICKETMASTER_RPS = env.float("TICKETMASTER_RPS", default=5.0)
# Widens each rate-limit window: network jitter must not turn a permitted request into a 429.
RATE_LIMIT_MARGIN_MS = env.int("RATE_LIMIT_MARGIN_MS", default=50)
# Spotify publishes no fixed rate (a rolling 30 s window per app): 0 = no limiter,
# 429s with Retry-After are honoured either way.
SPOTIFY_RPS = env.float("SPOTIFY_RPS", default=0.0)

# --- Health (GET /health/, theset.health) -------------------------------------
# A qcluster counts as alive while one ran or queued the every-minute stale-run sweeper
# within this many seconds.
HEALTH_CLUSTER_MAX_SILENCE_SECONDS = env.int("HEALTH_CLUSTER_MAX_SILENCE_SECONDS", default=180)
# The cluster check is reported; true makes a silent cluster fail the answer too. Off by
# default: a load balancer would take every web node out for a cluster outage, and the
# pages and the read API do not need the cluster.
HEALTH_REQUIRE_CLUSTER = env.bool("HEALTH_REQUIRE_CLUSTER", default=False)
# Probe Ticketmaster and Spotify on every call, not only on a staff ?upstream=1 (reported only).
HEALTH_CHECK_UPSTREAM = env.bool("HEALTH_CHECK_UPSTREAM", default=False)

# --- Static files, i18n ------------------------------------------------------

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# uvicorn serves no static files: WhiteNoise does, from STATIC_ROOT after
# `collectstatic`, else straight from the apps (the admin's CSS and JS).
WHITENOISE_USE_FINDERS = True
# django-eventstream's browser client (ReconnectingEventSource) is served from the package;
# the package is not an installed app (its models would be a second event table).
STATICFILES_DIRS = [
    (
        "django_eventstream",
        Path(importlib.util.find_spec("django_eventstream").submodule_search_locations[0])
        / "static"
        / "django_eventstream",
    )
]
with contextlib.suppress(OSError):  # WhiteNoise warns about a missing STATIC_ROOT
    STATIC_ROOT.mkdir(exist_ok=True)
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Structured logs (theset.logs): key=value lines on a terminal, JSON lines for log
# shippers (the production default). Secrets are redacted from every line.
LOG_FORMAT = env.str(
    "LOG_FORMAT",
    default="json" if env.str("DJANGO_ENV", default="") == "production" else "console",
)
configure_structlog()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"structured": log_formatter(LOG_FORMAT)},
    "filters": {"refusals_not_logged": {"()": "theset.logs.RefusalsNotLogged"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "structured"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "httpx": {"level": "WARNING"},
        # Django's own handlers (console copy under DEBUG, mail to ADMINS, django.server)
        # would skip the redacting formatter: its records go to the root handler only.
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        # One warning per 429 would flood the logs under a scraper (theset.logs).
        "django.request": {"handlers": [], "filters": ["refusals_not_logged"], "propagate": True},
        "django.server": {"handlers": [], "level": "INFO", "propagate": True},
        # redis-py gives this logger a plain stdout handler of its own unless it exists.
        "push_response": {"handlers": [], "level": "INFO", "propagate": True},
        # django-axes says "user login failed" at INFO for every failed login (its
        # warnings, with the username and address masked, still show).
        "axes": {"handlers": [], "level": "WARNING", "propagate": True},
        # django-eventstream says "added listener" at INFO for every stream opened.
        "django_eventstream": {"handlers": [], "level": "WARNING", "propagate": True},
    },
}

# --- Live progress (server-sent events) ---------------------------------------
# GET /api/artists/{id}/stream, served by django-eventstream (imports.stream). An open
# stream holds no database connection: it reads the run's stored events when it connects,
# on one of IMPORT_STREAM_DB_CONNECTIONS borrowed connections, then waits. New events
# reach it from one relay per web process, which reads them every
# IMPORT_STREAM_POLL_SECONDS (embedded default); with Redis, the workers publish them
# (django-eventstream's Redis bridge) and the relay only guards against a lost publish,
# every IMPORT_STREAM_REDIS_POLL_SECONDS.
IMPORT_STREAM_POLL_SECONDS = env.float("IMPORT_STREAM_POLL_SECONDS", default=0.25)
IMPORT_STREAM_REDIS_POLL_SECONDS = env.float("IMPORT_STREAM_REDIS_POLL_SECONDS", default=5.0)
IMPORT_STREAM_KEEPALIVE_SECONDS = env.float("IMPORT_STREAM_KEEPALIVE_SECONDS", default=15.0)
IMPORT_STREAM_DB_CONNECTIONS = env.int("IMPORT_STREAM_DB_CONNECTIONS", default=2)
# A run's final event reaches all its streams at once; their `end` (on which a browser
# reloads the page) is spread over up to this many seconds per thousand streams.
IMPORT_STREAM_END_SPREAD_SECONDS = env.float("IMPORT_STREAM_END_SPREAD_SECONDS", default=2.0)
# Events queued to one stream before it falls back to reading the database (the
# package's MAX_PENDING, set by imports.apps): a burst never costs a query per viewer.
IMPORT_STREAM_MAX_PENDING = env.int("IMPORT_STREAM_MAX_PENDING", default=1000)
EVENTSTREAM_STORAGE_CLASS = "imports.stream.ImportEventStorage"
if REDIS_URL:
    # django-eventstream's bridge between processes. No socket timeout: its subscriber
    # waits on the socket for as long as no event comes.
    EVENTSTREAM_REDIS = {
        **redis_url_options(REDIS_URL),
        "socket_connect_timeout": 1,
        "socket_keepalive": True,
    }

# --- HTTP API ---
# django-ninja at /api/ (docs /api/docs). Starting an import needs an API key
# (X-API-Key, managed in the admin) or a staff session; reads are public.
# Kickoffs allowed per API key (or staff user): "N/s", "N/min", "N/hour" or "N/day";
# past it the API answers 429 with Retry-After.
IMPORT_KICKOFF_RATE = env.str("IMPORT_KICKOFF_RATE", default="60/min")
# Page size of the list endpoints (?limit=&offset=), and the largest limit accepted.
NINJA_PAGINATION_PER_PAGE = env.int("API_PAGE_SIZE", default=100)
NINJA_PAGINATION_MAX_LIMIT = env.int("API_PAGE_MAX_LIMIT", default=500)
# The kickoff throttle counts in the "api_throttle" cache: Redis when configured, so
# every web process shares one count per key; per process otherwise.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "api_throttle": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            # Deployments sharing one Redis keep their counts apart by this prefix.
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="theset"),
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "api"}
    ),
}

# --- Security: client addresses, logins, anonymous reads, CSP, /metrics -------
# (theset.security, theset.logins; README "Deploying" and "Operations".)

# The client's address is the connection's (REMOTE_ADDR) unless that is one of these
# proxies (addresses or networks, e.g. "10.0.0.0/8"): then X-Forwarded-For is read
# from the right, past every trusted proxy. Empty: the header is never believed.
TRUSTED_PROXIES = [item for item in env.list("TRUSTED_PROXIES", default=[]) if item]

# Admin logins (django-axes). An account is locked after LOGIN_FAILURE_LIMIT failed
# logins within LOGIN_COOLOFF, from anywhere; a client address after
# LOGIN_ADDRESS_FAILURE_LIMIT, whatever the accounts. A failure while locked starts
# the cool-off again; a successful login clears that account's failures from there.
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=20)
LOGIN_ADDRESS_FAILURE_LIMIT = env.int("LOGIN_ADDRESS_FAILURE_LIMIT", default=100)
AXES_COOLOFF_TIME = parse_duration(env.str("LOGIN_COOLOFF", default="15m"))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_HANDLER = "theset.logins.LoginLockoutHandler"
# Per client address, an IPv6 client per /64 (theset.security.client_ident).
AXES_CLIENT_IP_CALLABLE = "theset.security.client_ident"
AXES_LOCKOUT_CALLABLE = "theset.logins.locked_out_response"
AXES_RESET_ON_SUCCESS = True
AXES_ENABLE_ACCESS_FAILURE_LOG = True
# Never stored with an attempt (the password always is masked).
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "csrfmiddlewaretoken"]
AXES_VERBOSE = False

# Anonymous reads (the API and the public pages) per client address: each rate is a
# window ("N/s", "N/m", "N/h", "N/d", or e.g. "N/15m"), all must hold. Not counted: API
# keys, staff, /health/, /metrics, static files, the admin and the progress streams.
# Counted in the "api_throttle" cache (Redis when configured). Empty: no limit.
ANON_READ_RATES = [item for item in env.list("ANON_READ_RATES", default=["60/m", "1000/h"]) if item]
RATELIMIT_USE_CACHE = "api_throttle"
# A cache that does not answer lets reads through (logged once a minute).
RATELIMIT_FAIL_OPEN = True

# /metrics answers these client addresses (or networks), or a request carrying
# `Authorization: Bearer <METRICS_BEARER_TOKEN>`; anyone else gets 403.
METRICS_ALLOWED_ADDRESSES = env.list("METRICS_ALLOWED_ADDRESSES", default=["127.0.0.1", "::1"])
METRICS_BEARER_TOKEN = env.str("METRICS_BEARER_TOKEN", default="")

# Content-Security-Policy (django-csp): our own origin only, no inline script or style.
# Images come from the upstreams' image hosts: Ticketmaster's (artist portraits) and
# Spotify's (album covers).
CSP_IMAGE_SOURCES = env.list(
    "CSP_IMAGE_SOURCES", default=["https://s1.ticketm.net", "https://i.scdn.co"]
)
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:", *CSP_IMAGE_SOURCES],
        "connect-src": [SELF],
        "font-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# --- Production profile -------------------------------------------------------

# `DJANGO_ENV=production` turns on the settings `manage.py check --deploy` asks for.
DJANGO_ENV = env.str("DJANGO_ENV", default="development")
if DJANGO_ENV == "production":
    from theset.production import *  # noqa: F403
