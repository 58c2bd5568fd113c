import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.db import connection


def test_embedded_default_uses_a_generated_secret_key_kept_out_of_git():
    """Without SECRET_KEY in the environment, a random key is generated once into var/."""
    key_file = settings.VAR_DIR / "secret_key"
    assert key_file.exists()
    assert key_file.read_text().strip() == settings.SECRET_KEY
    assert len(settings.SECRET_KEY) >= 50


def _shown_by_base_settings(expression: str, *, variable: str, value: str | None) -> str:
    """What a process on the base settings prints for ``expression`` (or its error), with
    the environment variable ``variable`` set to ``value`` (None: unset)."""
    environment = {k: v for k, v in os.environ.items() if k != variable}
    if value is not None:
        environment[variable] = value
    environment["DJANGO_SETTINGS_MODULE"] = "config.settings.base"
    shown = subprocess.run(
        [sys.executable, "-c", f"from django.conf import settings; print({expression})"],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    return shown.stdout + shown.stderr


def _caches_with(cache_url: str | None) -> str:
    return _shown_by_base_settings("settings.CACHES", variable="CACHE_URL", value=cache_url)


def test_the_cache_is_per_process_unless_cache_url_names_a_shared_one():
    """The API's throttle counts live in the cache: CACHE_URL lets web processes share it."""
    assert "LocMemCache" in _caches_with(None)
    shared = _caches_with("redis://127.0.0.1:6379/1")
    assert "django.core.cache.backends.redis.RedisCache" in shared
    assert "redis://127.0.0.1:6379/1" in shared


@pytest.mark.parametrize("url", ["nonsense://x", "memcache"])
def test_a_cache_url_that_names_no_cache_is_refused_with_its_scheme(url: str):
    assert "Invalid cache schema" in _caches_with(url)


def _connection_age_with(value: str | None) -> str:
    database = "settings.DATABASES['default']"
    return _shown_by_base_settings(
        f"{database}['CONN_MAX_AGE'], {database}['CONN_HEALTH_CHECKS']",
        variable="DATABASE_CONN_MAX_AGE",
        value=value,
    )


@pytest.mark.parametrize(("value", "kept"), [(None, "300"), ("600", "600"), ("0", "0")])
def test_a_database_connection_is_kept_for_database_conn_max_age_and_checked(
    value: str | None, kept: str
):
    """A process keeps its connection between requests and tasks for DATABASE_CONN_MAX_AGE
    seconds (config/celery_connections.py), checking first that the server still has it."""
    assert _connection_age_with(value).strip() == f"{kept} True"


@pytest.mark.parametrize("value", ["five minutes", "-1", "1.5", ""])
def test_a_database_conn_max_age_that_is_no_whole_number_of_seconds_is_refused(value: str):
    shown = _connection_age_with(value)
    assert "DATABASE_CONN_MAX_AGE must be a whole number of seconds, 0 or more" in shown
    assert f"not {value!r}." in shown


@pytest.mark.django_db
def test_sqlite_checkpoints_its_log_every_10000_pages_not_every_page_of_an_import():
    """config/settings/base.py: SQLite's default (1,000 pages) checkpoints at nearly every
    commit of an import's pages; the WAL file is cut back to 64 MB after a checkpoint."""
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's pragmas (CI's second pass runs on PostgreSQL)")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_autocheckpoint")
        assert cursor.fetchone()[0] == 10_000
        cursor.execute("PRAGMA journal_size_limit")
        assert cursor.fetchone()[0] == 64 * 1024 * 1024
        cursor.execute("PRAGMA synchronous")
        assert cursor.fetchone()[0] == 1  # NORMAL, as before
