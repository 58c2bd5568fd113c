"""Package layering, read from the source: ``tandem.accounts`` never imports ``tandem.sync``
(the sync app listens to accounts' signals and plugs its views into accounts' pages), and
the sync engine is handed its Google client instead of building one.

Every ``.py`` file is parsed and its whole tree walked, so an import inside a function, a
relative import and ``import_module("tandem.sync…")`` count as much as a top-level one.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.test import Client

from tandem.accounts.google_services import calendar_client_for
from tandem.accounts.models import GoogleConnection
from tandem.google.calendar import CalendarClient
from tandem.sync.budget import BudgetedCounter
from tandem.sync.engine import sync_user_now
from tandem.sync.google_client import google_client_for
from tests.conftest import GoogleHarness
from tests.sync.harness import connect_user

ROOT = Path(__file__).resolve().parent.parent
ACCOUNTS = ROOT / "tandem" / "accounts"
ENGINE = ROOT / "tandem" / "sync" / "engine"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _resolve(module: str | None, level: int, importer: str, is_package: bool) -> str:
    """The absolute name a (possibly relative) ``from … import`` names."""
    if level == 0:
        return module or ""
    package = importer.split(".")
    if not is_package:
        package.pop()
    base = package[: len(package) - (level - 1)]
    return ".".join([*base, module] if module else base)


def imported_names(source: str, *, importer: str, is_package: bool = False) -> Iterator[str]:
    """Every module name the source imports, at any depth of its tree: ``import a.b``,
    ``from a import b`` (as ``a`` and ``a.b``), relative imports, and a string literal
    handed to a call such as ``import_module``, ``import_string`` or ``include``."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(node.module, node.level, importer, is_package)
            yield base
            yield from (f"{base}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Call):
            for argument in node.args[:1]:
                if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
                    yield argument.value


def _names_in(path: Path) -> set[str]:
    return set(
        imported_names(
            path.read_text(encoding="utf-8"),
            importer=_module_name(path),
            is_package=path.name == "__init__.py",
        )
    )


def _is_under(name: str, package: str) -> bool:
    return name == package or name.startswith(f"{package}.")


def _offenders(folder: Path, forbidden: tuple[str, ...]) -> list[str]:
    found = []
    for path in sorted(folder.rglob("*.py")):
        for name in sorted(_names_in(path)):
            if any(_is_under(name, package) for package in forbidden):
                found.append(f"{path.relative_to(ROOT)} imports {name}")
    return found


def test_accounts_never_imports_sync() -> None:
    """Not one module under tandem/accounts imports tandem.sync, at any depth."""
    files = list(ACCOUNTS.rglob("*.py"))
    assert len(files) > 10  # the walk found the package
    assert _offenders(ACCOUNTS, ("tandem.sync",)) == []


def test_the_engine_builds_no_google_client_itself() -> None:
    """The engine gets its client from a factory handed in (tandem.sync.google_client), so
    it imports neither the accounts' client builders nor httpx."""
    forbidden = ("tandem.accounts.google_services", "tandem.accounts.google_clients", "httpx")
    assert _offenders(ENGINE, forbidden) == []


@pytest.mark.parametrize(
    ("source", "importer", "expected"),
    [
        ("import tandem.sync.tasks", "tandem.accounts.views", "tandem.sync.tasks"),
        ("from tandem import sync", "tandem.accounts.views", "tandem.sync"),
        (
            "def view():\n    from tandem.sync.selectors import sync_status_for\n",
            "tandem.accounts.views",
            "tandem.sync.selectors",
        ),
        ("from ..sync import tasks", "tandem.accounts.views", "tandem.sync.tasks"),
        ("from ...sync import tasks", "tandem.accounts.management.x", "tandem.sync.tasks"),
        (
            "import importlib\ndef f():\n    importlib.import_module('tandem.sync.budget')\n",
            "tandem.accounts.google_services",
            "tandem.sync.budget",
        ),
        (
            "class A:\n    def m(self):\n        import tandem.sync\n",
            "tandem.accounts.x",
            "tandem.sync",
        ),
    ],
)
def test_the_walk_sees_every_kind_of_import(source: str, importer: str, expected: str) -> None:
    """The check has teeth: top-level, function-level, method-level, relative and
    import_module imports of tandem.sync are all found."""
    names = set(imported_names(source, importer=importer))
    assert expected in names
    assert any(_is_under(name, "tandem.sync") for name in names)


def test_the_walk_does_not_mistake_neighbours_for_sync() -> None:
    """``tandem.synchronize`` or a docstring naming tandem.sync is not an import of it."""
    source = '"""Sync now is tandem.sync.views\' job."""\nimport tandem.synchronize\n'
    names = set(imported_names(source, importer="tandem.accounts.views"))
    assert not any(_is_under(name, "tandem.sync") for name in names)


# -- the seams that replace the imports ------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_run_builds_its_google_client_with_the_factory_handed_in(
    google_in_process: GoogleHarness, client: Client
) -> None:
    """The engine asks the factory it was handed for its client, once per run, with the
    user's connection; without one it uses the production factory."""
    world = connect_user(google_in_process, client)
    asked: list[GoogleConnection] = []

    def factory(connection: GoogleConnection) -> CalendarClient:
        asked.append(connection)
        return google_client_for(connection)

    outcome = sync_user_now(user_id=world.user.pk, client_for=factory)
    assert outcome.run is not None and outcome.run.status == "succeeded", outcome.run.errors
    assert [connection.user_id for connection in asked] == [world.user.pk]
    assert sync_user_now(user_id=world.user.pk).run.status == "succeeded"  # type: ignore[union-attr]
    assert len(asked) == 1


@pytest.mark.django_db(transaction=True)
def test_every_client_built_in_accounts_counts_against_the_users_request_budget(
    google_in_process: GoogleHarness, client: Client
) -> None:
    """accounts announces each client it builds; the sync app puts the user's per-minute
    request budget on it (the settings page's calendar list counts as a run's requests do)."""
    world = connect_user(google_in_process, client)
    connection = GoogleConnection.objects.get(user=world.user)
    built = calendar_client_for(connection=connection)
    assert isinstance(built.counter, BudgetedCounter)
    assert built.counter.user_id == world.user.pk
