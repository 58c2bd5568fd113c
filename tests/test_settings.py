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


def _caches_with(cache_url: str | None) -> str:
    environment = {k: v for k, v in os.environ.items() if k != "CACHE_URL"}
    if cache_url is not None:
        environment["CACHE_URL"] = cache_url
    environment["DJANGO_SETTINGS_MODULE"] = "config.settings.base"
    shown = subprocess.run(
        [sys.executable, "-c", "from django.conf import settings; print(settings.CACHES)"],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    return shown.stdout + shown.stderr


def test_the_cache_is_per_process_unless_cache_url_names_a_shared_one():
    """The API's throttle counts live in the cache: CACHE_URL lets web processes share it."""
    assert "LocMemCache" in _caches_with(None)
    shared = _caches_with("redis://127.0.0.1:6379/1")
    assert "django.core.cache.backends.redis.RedisCache" in shared
    assert "redis://127.0.0.1:6379/1" in shared


@pytest.mark.parametrize("url", ["nonsense://x", "memcache"])
def test_a_cache_url_that_names_no_cache_is_refused_with_its_scheme(url: str):
    assert "Invalid cache schema" in _caches_with(url)


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
