"""A test database of its own for each mutant of a mutation run over the engine
(``MUTATION_ENGINE=1 bash scripts/mutation.sh``), loaded with ``pytest -p
tests.mutation_database``; a normal test run never imports it.

mutmut runs every mutant's tests in a child forked from the process that already ran the
whole selection once, so the settings, and the test database's name that
``config/settings/test.py`` derived from the process id, are the parent's: every mutant
would create, fill and drop the same file. Named again after the child's process id here,
before the first test asks for the database, a mutant killed in the middle of its run (a
timeout) leaves its file behind instead of handing it to the next mutant.
"""

from __future__ import annotations

import os

import pytest


@pytest.hookimpl(trylast=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    from django.conf import settings

    database = settings.DATABASES["default"]
    test = database.setdefault("TEST", {})
    if database["ENGINE"] == "django.db.backends.sqlite3":
        folder = settings.VAR_DIR / "test-databases"
        folder.mkdir(parents=True, exist_ok=True)
        test["NAME"] = str(folder / f"test-mutant-{os.getpid()}.sqlite3")
    else:
        test["NAME"] = f"test_{database['NAME']}_mutant_{os.getpid()}"
