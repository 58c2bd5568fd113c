"""Where the Google emulator is, for every process of one checkout.

`tandem up --fake-google-port N` starts the emulator on N and writes its address to
``var/fake-google-url``; the web app, the worker, beat and any later `tandem sync` or
`tandem status` read it here, through the settings' ``FAKE_GOOGLE_URL`` (issue 15,
finding 10: the CLI used to assume port 8765 and reported Google "busy or unreachable").
``FAKE_GOOGLE_URL`` in the environment overrides the file.

Pure Python (no Django): the settings module imports it.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

DEFAULT_EMULATOR_URL = "http://127.0.0.1:8765"
EMULATOR_URL_FILE = "fake-google-url"


def emulator_url(*, var_dir: Path, environ: Mapping[str, str]) -> str:
    """The emulator's base address: the environment's, else the one `tandem up` wrote."""
    if environ.get("FAKE_GOOGLE_URL"):
        return environ["FAKE_GOOGLE_URL"]
    try:
        remembered = (var_dir / EMULATOR_URL_FILE).read_text().strip()
    except OSError:
        remembered = ""
    return remembered or DEFAULT_EMULATOR_URL


def remember_emulator_url(*, var_dir: Path, url: str) -> None:
    """Called by `tandem up` once it has chosen the emulator's port."""
    var_dir.mkdir(parents=True, exist_ok=True)
    (var_dir / EMULATOR_URL_FILE).write_text(url + "\n")
