"""The embedded default: SQLite, the SQLite broker, the Google emulator, DEBUG off."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from tandem.google_location import emulator_url

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()

# Local state of the embedded default (database, broker, keys, emulator state). git-ignored.
VAR_DIR = Path(env.str("TANDEM_VAR_DIR", default=str(BASE_DIR / "var")))


def _local_secret(name: str) -> str:
    """A secret generated once for this checkout and kept in var/ (never in git)."""
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    path = VAR_DIR / name
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = env.str("SECRET_KEY", default="") or _local_secret("secret_key")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "axes",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "tandem.accounts",
    "tandem.meetings",
    "tandem.sync",
    "tandem.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "tandem.accounts.cache_headers.NoStoreWhenSignedInMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "tandem.accounts.middleware.UserTimezoneMiddleware",
    # Last, as django-axes asks: turns a locked-out sign-in into its lockout page.
    "axes.middleware.AxesMiddleware",
]

# Sign-in lockout (django-axes; issue 15, finding 1): after AXES_FAILURE_LIMIT wrong
# passwords for one username from one address, that pair is refused (429, the page
# registration/locked_out.html) for AXES_COOLOFF_TIME, on /login/ and /admin/login/ alike.
# An administrator unlocks it sooner in the admin (Axes > Access attempts: delete) or with
# `tandem manage axes_reset_username NAME`.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_HTTP_RESPONSE_CODE = 429

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "tandem" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "tandem.accounts.context_processors.google_connection_banner",
            ],
        },
    },
]


def _connection_max_age() -> int:
    """DATABASE_CONN_MAX_AGE, whole seconds, 0 or more; the process stops naming it otherwise."""
    given = env.str("DATABASE_CONN_MAX_AGE", default="300")
    if given.strip().isdecimal():
        return int(given)
    raise ImproperlyConfigured(
        "DATABASE_CONN_MAX_AGE must be a whole number of seconds, 0 or more (0 closes the "
        f"database connection after every request and task), not {given!r}."
    )


DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'tandem.sqlite3'}"),
}
# A process keeps its database connection for up to CONN_MAX_AGE seconds, instead of
# opening one per request and per Celery task (on PostgreSQL 0.85 ms of CPU and 6.7 ms of
# wall time each: docs/benchmarks.md). The worker's tasks close old connections as requests
# do (config/celery_connections.py); with health checks, a connection the server dropped
# meanwhile is found by the next request or task and replaced before its first query.
# The web app keeps one per waitress thread (a fixed pool); Django's development server
# still closes its connections after each request.
# https://docs.djangoproject.com/en/5.2/ref/databases/#persistent-connections
# These replace a conn_max_age or conn_health_checks written into DATABASE_URL's query
# (django-environ reads both there): DATABASE_CONN_MAX_AGE is the one setting, documented.
DATABASES["default"]["CONN_MAX_AGE"] = _connection_max_age()
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web app read while a sync worker writes; IMMEDIATE takes the write lock
    # at BEGIN so two writers queue instead of failing with "database is locked" mid-way.
    # A checkpoint (the WAL copied into the database) runs at a commit once the WAL holds
    # wal_autocheckpoint pages: at SQLite's 1,000 (4 MB) nearly every page of an import
    # commits with one, 40-50 ms of a 10,000-event import, its last page's included; at
    # 10,000 (40 MB) one in ten, each page of the database written once for many commits.
    # journal_size_limit gives the disk back after a checkpoint of a larger WAL. The price:
    # with synchronous=NORMAL the WAL reaches the disk at checkpoints, so a power cut (not a
    # crash of the process) may undo the commits since the last one, whole transactions
    # only, up to 40 MB of them instead of 4 (the sync's Google writes are safe to repeat;
    # PostgreSQL is the choice for production, README.md "Configuration").
    # https://www.sqlite.org/pragma.html#pragma_wal_autocheckpoint, sqlite.org/wal.html#ckpt
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                "PRAGMA wal_autocheckpoint=10000; PRAGMA journal_size_limit=67108864;"
            ),
        }
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "calendar"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "tandem" / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# Content-Security-Policy on every answer (django-csp; issue 15, finding 3): scripts and
# styles only from the CRM's own static files, no inline script or style; the one page with
# an inline <style> (the API reference) carries the request's nonce.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

REST_FRAMEWORK = {
    # Token first: DRF answers a request without credentials with the first class's
    # WWW-Authenticate challenge, so 401 (RFC 9110 §15.5.2); session auth has no challenge,
    # which made it 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "tandem.api.throttles.AddressThrottledTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # Per client address (before authentication) and per signed-in user: tandem/api/throttles.py.
    "DEFAULT_THROTTLE_CLASSES": ["tandem.api.throttles.PerUserRateThrottle"],
    # The client's address is REMOTE_ADDR, never a request's own X-Forwarded-For (which a
    # client writes as it likes: a fresh allowance per request). Behind the README's proxy,
    # waitress sets REMOTE_ADDR from the trusted proxy's X-Forwarded-For.
    "NUM_PROXIES": 0,
    "DEFAULT_THROTTLE_RATES": {
        "address": env.str("API_THROTTLE_ADDRESS", default="600/minute"),
        "user": env.str("API_THROTTLE_USER", default="300/minute"),
    },
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # JSON only, bounded in size and depth; bounded pages (tandem/api/limits.py).
    "DEFAULT_PARSER_CLASSES": ["tandem.api.limits.BoundedJSONParser"],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "DEFAULT_PAGINATION_CLASS": "tandem.api.limits.BoundedLimitOffsetPagination",
    "PAGE_SIZE": 100,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Tandem CRM API",
    "DESCRIPTION": (
        "Meetings, the Google connection and the sync of the signed-in user; a guide with a "
        "script in docs/api.md."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "tandem.api.limits.document_limits",
    ],
}

# Django's cache holds the API's throttle counts (tandem/api/throttles.py): per process by
# default; CACHE_URL=redis://host:6379/1 makes every web process count the same requests.
CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://")}

# Celery: the embedded default broker is a SQLite file through kombu's SQLAlchemy transport.
CELERY_BROKER_URL = env.str(
    "CELERY_BROKER_URL", default=f"sqla+sqlite:///{VAR_DIR / 'celery-broker.sqlite3'}"
)
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default="") or None
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)

# Where the Google emulator listens for the embedded default: the address `tandem up`
# chose (var/fake-google-url), unless FAKE_GOOGLE_URL says otherwise (tandem/google_location.py).
FAKE_GOOGLE_URL = emulator_url(var_dir=VAR_DIR, environ=os.environ)

# Structured (JSON lines, LOG_FORMAT=json) or plain logs; credentials are redacted from
# every record before it is written (tandem/sync/logging.py).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact_tokens": {"()": "tandem.sync.logging.RedactTokensFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "tandem.sync.logging.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": env.str("LOG_FORMAT", default="json"),
            "filters": ["redact_tokens"],
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# Google OAuth client. Defaults point at the emulator (FAKE_GOOGLE_URL); set both to a real
# Google Cloud OAuth client (and GOOGLE_ENDPOINTS=google) to talk to Google;
# docs/google-connect.md says how.
GOOGLE_CLIENT_ID = env.str("GOOGLE_CLIENT_ID", default="tandem-local.apps.googleusercontent.test")
GOOGLE_CLIENT_SECRET = env.str("GOOGLE_CLIENT_SECRET", default="") or _local_secret(
    "google-client-secret"
)
# Fernet keys for Google tokens at rest, newest first (tandem/accounts/crypto.py).
TOKEN_ENCRYPTION_KEYS = env.str("TOKEN_ENCRYPTION_KEYS", default="")
# Which Google: "emulator" (the default; FAKE_GOOGLE_URL) or "google" (the real one).
GOOGLE_ENDPOINTS = env.str("GOOGLE_ENDPOINTS", default="emulator")
# The OAuth redirect URI registered with Google; by default built from the request's host.
GOOGLE_REDIRECT_URI = env.str("GOOGLE_REDIRECT_URI", default="")

# Sync schedule (tandem/sync/scheduling.py): every 5 minutes per user, spread by jitter.
SYNC_INTERVAL_SECONDS = env.int("SYNC_INTERVAL_SECONDS", default=300)
SYNC_JITTER_SECONDS = env.int("SYNC_JITTER_SECONDS", default=30)
# A CRM edit or a Google push starts a sync this long after it arrives, so a burst of edits
# makes one sync. 0.5 s keeps edit-to-visible under 2 s at p95 (docs/benchmarks.md).
SYNC_DEBOUNCE_SECONDS = env.float("SYNC_DEBOUNCE_SECONDS", default=0.5)
# Requests per user per minute we allow ourselves (Google allows 600).
SYNC_REQUESTS_PER_MINUTE = env.int("SYNC_REQUESTS_PER_MINUTE", default=500)
# How long a worker's hold on a user lasts unless renewed (a dead worker's ends with it).
SYNC_LOCK_LEASE_SECONDS = env.int("SYNC_LOCK_LEASE_SECONDS", default=300)
# Public HTTPS base address of this CRM, for Google push notifications (empty: poll only).
PUBLIC_BASE_URL = env.str("PUBLIC_BASE_URL", default="")

CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Workers log through LOGGING above (JSON, tokens redacted) instead of Celery's own handlers.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BEAT_SCHEDULE = {
    "dispatch-due-syncs": {"task": "tandem.sync.tasks.dispatch_due_syncs", "schedule": 60.0},
    "retry-pending-revokes": {
        "task": "tandem.accounts.tasks.retry_pending_revokes",
        "schedule": 600.0,
    },
    "purge-tombstones": {"task": "tandem.meetings.tasks.purge_tombstones", "schedule": 86400.0},
    # Google push channels cannot be extended: replace those expiring within a day.
    "renew-push-channels": {"task": "tandem.sync.tasks.renew_push_channels", "schedule": 3600.0},
}
