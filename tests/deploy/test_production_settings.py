"""Production refuses to start without its secrets and a real database, with one plain
message naming what is missing, and writes nothing on the way; with them, Django's
deployment checks are clean (issue 15, findings 3 and 4)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

GOOD = {
    "SECRET_KEY": "k7Q2-this-is-a-long-and-random-enough-secret-key-Zx81-p0Lm",
    "TOKEN_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
    "GOOGLE_ENDPOINTS": "google",
    "GOOGLE_CLIENT_ID": "1234-test.apps.googleusercontent.com",
    "GOOGLE_CLIENT_SECRET": "GOCSPX-test-secret",
    "DATABASE_URL": "postgres://tandem:pw@127.0.0.1:5432/tandem",
}


def _run(
    var_dir: Path, environment: dict[str, str], *command: str
) -> subprocess.CompletedProcess[str]:
    keep = {"PATH", "HOME", "LANG", "PYTHONPATH"}
    base = {k: v for k, v in os.environ.items() if k in keep}
    return subprocess.run(
        [sys.executable, "-m", "tandem.cli", "manage", *command],
        env=base
        | {"DJANGO_SETTINGS_MODULE": "config.settings.production", "TANDEM_VAR_DIR": str(var_dir)}
        | environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("SECRET_KEY", "SECRET_KEY is not set"),
        ("TOKEN_ENCRYPTION_KEYS", "TOKEN_ENCRYPTION_KEYS is not set"),
        ("GOOGLE_ENDPOINTS", "GOOGLE_ENDPOINTS is not set to google"),
        ("GOOGLE_CLIENT_ID", "GOOGLE_CLIENT_ID is not set"),
        ("GOOGLE_CLIENT_SECRET", "GOOGLE_CLIENT_SECRET is not set"),
        ("DATABASE_URL", "DATABASE_URL is not set"),
    ],
)
def test_a_missing_setting_stops_production_with_its_name(
    tmp_path: Path, name: str, words: str
) -> None:
    environment = {k: v for k, v in GOOD.items() if k != name}

    result = _run(tmp_path / "var", environment, "check")

    assert result.returncode == 1
    assert result.stderr.startswith("Tandem will not start with the production settings:")
    assert words in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "var").exists()  # no secret generated, no SQLite file


def test_everything_missing_is_named_in_one_message(tmp_path: Path) -> None:
    result = _run(tmp_path / "var", {}, "check")

    assert result.returncode == 1
    for name in GOOD:
        assert f"{name} is not set" in result.stderr
    assert result.stderr.count("\n  - ") == len(GOOD)


@pytest.mark.parametrize(
    ("overrides", "words"),
    [
        ({"SECRET_KEY": "abcde"}, "SECRET_KEY is weak"),
        ({"SECRET_KEY": "a" * 60}, "SECRET_KEY is weak"),
        ({"SECRET_KEY": "django-insecure-" + "x1y2z3" * 10}, "SECRET_KEY is weak"),
        ({"TOKEN_ENCRYPTION_KEYS": "not-a-key"}, "must be Fernet keys"),
        ({"DATABASE_URL": "sqlite:////tmp/tandem.sqlite3"}, "DATABASE_URL names SQLite"),
        ({"GOOGLE_ENDPOINTS": "emulator"}, "GOOGLE_ENDPOINTS is not set to google"),
    ],
)
def test_a_weak_or_wrong_setting_is_refused(
    tmp_path: Path, overrides: dict[str, str], words: str
) -> None:
    result = _run(tmp_path / "var", GOOD | overrides, "check")

    assert result.returncode == 1
    assert words in result.stderr
    assert overrides.get("SECRET_KEY", "no secret here") not in result.stderr


def test_the_deployment_checks_are_clean(tmp_path: Path) -> None:
    result = _run(tmp_path / "var", GOOD, "check", "--deploy", "--fail-level", "WARNING")

    assert result.returncode == 0, result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_hsts_is_a_year_with_subdomains(tmp_path: Path) -> None:
    code = (
        "from django.conf import settings as s; "
        "print(s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SECURE_SSL_REDIRECT)"
    )
    result = _run(tmp_path / "var", GOOD, "shell", "-c", code)

    assert result.stdout.split()[-3:] == ["31536000", "True", "True"], result.stderr
