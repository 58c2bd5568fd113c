"""The database state machine's cost per example (docs/benchmarks.md, "Database state
machine: cost per example"): a pytest plugin that times the machine's test call, counts the
examples Hypothesis ran (machines built), and prints CPU and wall seconds per example.

    DJANGO_SETTINGS_MODULE=config.settings.test TANDEM_VAR_DIR=$PWD/var/test-bench \\
      TANDEM_HYPOTHESIS_EXAMPLES=100 .venv/bin/python -m pytest -p bench.db_machine_cost \\
      -p no:cacheprovider tests/sync/test_convergence_db.py --hypothesis-seed=1 -q

CPU is the test process's own (every thread, the engine's read-ahead included; not a
PostgreSQL server's), so it is the figure to compare on a shared machine; wall time counts
the other jobs too. ``TANDEM_MACHINE_COST_RULES=1`` adds each rule's share, and some parts'
(engine runs, checks; nested in the rules, so the shares overlap).
"""

from __future__ import annotations

import collections
import functools
import os
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

_examples = [0]
_report: list[str] = []
_rules: collections.Counter[str] = collections.Counter()
_rule_calls: collections.Counter[str] = collections.Counter()


def _counted(function: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(function)
    def built(*args: Any, **kwargs: Any) -> Any:
        _examples[0] += 1
        return function(*args, **kwargs)

    return built


def _timed(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    # Named as the rule: Hypothesis orders rules by name, so the same seed draws the same.
    @functools.wraps(function)
    def timed(*args: Any, **kwargs: Any) -> Any:
        start = time.process_time()
        try:
            return function(*args, **kwargs)
        finally:
            _rules[name] += time.process_time() - start
            _rule_calls[name] += 1

    return timed


def pytest_collection_finish(session: pytest.Session) -> None:
    from tests.sync.series_rules import SeriesMachine

    SeriesMachine.__init__ = _counted(SeriesMachine.__init__)  # type: ignore[method-assign]
    if os.environ.get("TANDEM_MACHINE_COST_RULES"):
        for rule in SeriesMachine.setup_state().rules:
            # Rules are frozen; the machine calls rule.function(machine, **drawn).
            object.__setattr__(rule, "function", _timed(rule.function.__name__, rule.function))
        _time_parts(SeriesMachine)


def _time_parts(machine: Any) -> None:
    """Parts of the rules (nested in them: their shares overlap)."""
    from tests.sync import db_machine, prop_support, rules_model

    machine.__init__ = _timed("(part) a new example's world", machine.__init__)
    db_machine.sync_user_now = _timed("(part) engine runs", db_machine.sync_user_now)
    for name in ("_check_after_clean_sync", "_check_idle_sync_writes_nothing"):
        setattr(machine, name, _timed(f"(part) {name}", getattr(machine, name)))
    rules_model.predict = _timed("(part) rules_model.predict", rules_model.predict)
    rules_model.check = _timed("(part) rules_model.check", rules_model.check)
    prop_support.Person._pages = _timed("(part) the person's listings", prop_support.Person._pages)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    cpu, wall, before = time.process_time(), time.perf_counter(), _examples[0]
    yield
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    examples = _examples[0] - before
    if examples:
        lines = [
            f"{item.nodeid}: {examples} examples, CPU {cpu:.1f} s ({cpu / examples:.3f} s an "
            f"example), wall {wall:.1f} s ({wall / examples:.3f} s an example)"
        ]
        for name, seconds in _rules.most_common():
            lines.append(
                f"  {seconds / examples * 1000:7.1f} ms CPU an example  "
                f"{_rule_calls[name]:5d} calls  {name}"
            )
        _report.extend(lines)
        _rules.clear()
        _rule_calls.clear()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    # Written after the run: during the test call, pytest captures the terminal.
    for line in _report:
        terminalreporter.write_line(line)
