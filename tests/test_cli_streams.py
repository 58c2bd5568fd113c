"""What a script reads of the `tandem` commands it drives (issue 16), run as a script runs
them, in a process of their own: the answer on stdout, and on stderr only what went wrong.
Every run wrote the app's start ("AXES: BEGIN ...") and each Google request to stderr as
JSON log lines, mixed with the command's own message."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth.models import User

from tests.sync.test_worker import _database_url

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.django_db(transaction=True)


def _tandem(*argv: str, stdin: str = "", **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tandem.cli", *argv],
        cwd=ROOT,
        env={
            **{k: v for k, v in os.environ.items() if k != "LOG_LEVEL"},
            "DJANGO_SETTINGS_MODULE": "config.settings.base",
            "DATABASE_URL": _database_url(),
            **env,
        },
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_stderr_holds_only_what_went_wrong() -> None:
    User.objects.create_user("ann", password="a long enough passphrase 16")
    synced = _tandem("sync", "--user", "ann", "--json")
    assert synced.returncode == 4
    assert json.loads(synced.stdout)["status"] == "not_synced"
    assert synced.stderr == ""

    refused = _tandem("users", "create", "bo", "--password-stdin", stdin="short\n")
    assert refused.returncode == 1
    assert refused.stderr.splitlines() == [
        "tandem users: password: This password is too short. It must contain at least 8 characters."
    ]

    status = _tandem("status", "--json")
    assert status.returncode == 0 and status.stderr == ""
    assert set(json.loads(status.stdout)) == {"connected", "due", "failing"}


def test_log_level_still_decides_when_it_is_set() -> None:
    """An operator who wants the log lines asks for them."""
    shown = _tandem("status", "--json", LOG_LEVEL="INFO")
    assert shown.returncode == 0
    assert '"level": "INFO"' in shown.stderr
