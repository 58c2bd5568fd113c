"""Where Google is, for every process of a checkout (issue 15, finding 10 and 9): the
address `tandem up --fake-google-port` chose reaches a later `tandem` command, and the
emulator's client secret is in no command line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings

from tandem.google_location import DEFAULT_EMULATOR_URL, emulator_url, remember_emulator_url
from tandem.up import CLIENT_SECRET_VARIABLE, children_for


def _settings_in_a_new_process(var_dir: Path, **extra: str) -> str:
    """FAKE_GOOGLE_URL as a fresh `tandem` process of that checkout reads it."""
    environment = {k: v for k, v in os.environ.items() if k != "FAKE_GOOGLE_URL"}
    environment |= {
        "TANDEM_VAR_DIR": str(var_dir),
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
    }
    environment |= extra
    code = "from django.conf import settings; print(settings.FAKE_GOOGLE_URL)"
    result = subprocess.run(
        [sys.executable, "-c", code], env=environment, capture_output=True, text=True, check=True
    )
    return result.stdout.strip()


def test_a_later_command_finds_the_emulator_where_tandem_up_started_it(tmp_path: Path) -> None:
    remember_emulator_url(var_dir=tmp_path, url="http://127.0.0.1:9876")

    assert _settings_in_a_new_process(tmp_path) == "http://127.0.0.1:9876"


def test_the_environment_overrides_the_remembered_address(tmp_path: Path) -> None:
    remember_emulator_url(var_dir=tmp_path, url="http://127.0.0.1:9876")

    found = _settings_in_a_new_process(tmp_path, FAKE_GOOGLE_URL="http://127.0.0.1:7000")

    assert found == "http://127.0.0.1:7000"


def test_without_tandem_up_the_default_port_is_used(tmp_path: Path) -> None:
    assert emulator_url(var_dir=tmp_path, environ={}) == DEFAULT_EMULATOR_URL


def test_no_secret_is_on_a_command_line_tandem_up_starts() -> None:
    children = children_for(python="python", host="127.0.0.1", port=8000, fake_google_port=9876)

    for child in children:
        assert settings.GOOGLE_CLIENT_SECRET not in " ".join(child.argv), child.name
        assert settings.SECRET_KEY not in " ".join(child.argv), child.name
    [google] = [child for child in children if child.name == "google"]
    assert google.env == {CLIENT_SECRET_VARIABLE: settings.GOOGLE_CLIENT_SECRET}
    assert "--port" in google.argv and "9876" in google.argv
