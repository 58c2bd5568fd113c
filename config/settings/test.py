"""Tests: fast password hashing, eager nothing (tests run real workers where they need them)."""

import os

from .base import *  # noqa: F403
from .base import DATABASES, REST_FRAMEWORK, VAR_DIR

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
ALLOWED_HOSTS = ["*"]
# Sync requests are queued in memory: no broker file, no worker; tests read the queue state.
CELERY_BROKER_URL = "memory://"
# Connections close after each request, as before: servers a test runs in its own threads
# (waitress in tests/deploy) would keep theirs open past the test otherwise, and PostgreSQL
# will not drop a test database still in use. A real worker started by a test runs the
# base settings, which keep its connection (tests/sync/test_worker_connections.py).
DATABASES["default"]["CONN_MAX_AGE"] = 0
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not memory, so a real Celery worker started by a test (tests/sync/test_worker.py)
    # and threads racing for the lock see the same database. One per test process, so
    # several pytest runs in the same checkout never share it (pytest-xdist adds _gwN).
    DATABASES["default"]["TEST"] = {
        "NAME": str(VAR_DIR / "test-databases" / f"test-{os.getpid()}.sqlite3")
    }
    (VAR_DIR / "test-databases").mkdir(parents=True, exist_ok=True)

# Static files come from the source folders (no collectstatic before tests); an empty
# STATIC_ROOT keeps WhiteNoise from warning on every request that it has none.
WHITENOISE_USE_FINDERS = True
STATIC_ROOT = VAR_DIR / "test-static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)

# Sign-in lockout and API throttles count across tests otherwise (Django's test client signs
# in without a request, which django-axes refuses): their own tests switch them on
# (tests/web/test_sign_in_lockout.py, tests/api/test_throttling.py).
AXES_ENABLED = False
REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_THROTTLE_RATES": {"address": None, "user": None},
}
