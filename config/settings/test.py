"""Tests: fast password hashing, eager nothing (tests run real workers where they need them)."""

from .base import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
ALLOWED_HOSTS = ["*"]
# Sync requests are queued in memory: no broker file, no worker; tests read the queue state.
CELERY_BROKER_URL = "memory://"
