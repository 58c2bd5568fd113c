"""Marks each binding's known contract violations ``xfail(strict=True)`` (see __init__)."""

from __future__ import annotations

import pytest


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        cls = getattr(item, "cls", None)
        violations: dict[str, str] = getattr(cls, "violations", {})
        if cls is None or not violations:
            continue
        for name in violations:
            # A misspelt entry would silently mark nothing: fail loudly instead.
            if not hasattr(cls, name.partition("[")[0]):
                raise pytest.UsageError(f"{cls.__name__}.violations names no test {name!r}")
        reason = violations.get(item.name) or violations.get(getattr(item, "originalname", ""))
        if reason:
            item.add_marker(pytest.mark.xfail(strict=True, reason=reason))
