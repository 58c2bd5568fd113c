"""Statements whose shape never changes, built and compiled by Django once per process.

Django builds a queryset and compiles its SQL anew every time it runs. For a statement as
large as a sync run's first read (five tables and three subqueries) that is about 2 ms of
CPU, a fifth of an idle run's, paid every five minutes for every user (docs/benchmarks.md).
A ``CompiledQuery`` builds its queryset once per database with stand-in values, notes
where each stand-in sits among the compiled statement's parameters, and from then on only
puts the call's values there. Django's own compiler still reads the rows: its converters,
``select_related`` and annotations work as in any queryset.

The builder receives the values as keyword arguments and must pass each one, unchanged, to
the queryset (a filter's value), never compute with it or branch on it: that is what lets
one statement serve every call. A value the statement does not hold as it was given fails
at the first call (``ValueError``). Ints, strings and aware datetimes can vary; anything
else is written into the builder. The queryset gives model instances, or rows of
``values_list`` (flat or not).
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Generic, TypeVar

from django.db import connections, models, router
from django.db.models.query import (  # type: ignore[attr-defined]
    FlatValuesListIterable,
    ModelIterable,
    ValuesListIterable,
    get_related_populators,
)
from django.db.models.sql.constants import MULTI

M = TypeVar("M")
Value = int | str | datetime

# Stand-ins: values a statement is unlikely to hold otherwise (which the second build
# checks), and within every integer field's range (Django drops a comparison with a value
# out of its field's range as always true or false: a negative stand-in for a positive
# field would compile to another statement).
_INT_STAND_IN = 1_987_654_000
_DATETIME_STAND_IN = datetime(1901, 2, 3, 4, 5, 6, tzinfo=UTC)
_STR_STAND_IN = "tandem stand-in 7f3c2a"


@dataclass(frozen=True)
class _Compiled:
    """One database's statement: its SQL, its parameters with the stand-ins, where each
    keyword's value goes, and the compiler that knows how to read its rows."""

    compiler: Any
    iterable: type
    sql: str
    params: tuple[Any, ...]
    slots: dict[str, tuple[int, ...]]
    kinds: dict[str, type]
    init_list: list[str]
    fields_slice: slice
    populators: list[Any]


class CompiledQuery(Generic[M]):
    """A queryset of ``model`` built by ``build(**values)`` whose SQL is compiled once per
    database; its rows are the queryset's (``M``)."""

    def __init__(
        self, model: type[models.Model], build: Callable[..., models.QuerySet[Any, M]]
    ) -> None:
        self._model = model
        self._build = build
        self._compiled: dict[str, _Compiled] = {}
        self._lock = threading.Lock()

    def all(self, **values: Value) -> list[M]:
        """The queryset's rows for these values."""
        alias = router.db_for_read(self._model)
        compiled = self._compiled_for(alias, values)
        sql, params = self.statement(**values)
        compiler = copy.copy(compiled.compiler)
        compiler.connection = connections[alias]
        compiler.as_sql = lambda *args, **kwargs: (sql, params)
        rows = compiler.results_iter(compiler.execute_sql(MULTI))
        if compiled.iterable is FlatValuesListIterable:
            return [row[0] for row in rows]
        if compiled.iterable is ValuesListIterable:
            return [tuple(row) for row in rows]  # type: ignore[misc]
        return [self._instance(compiled, alias, row) for row in rows]

    def statement(self, **values: Value) -> tuple[str, tuple[Any, ...]]:
        """The SQL and parameters that run for these values: the same as Django compiles
        from ``build(**values)`` (tests/test_compiled_queries.py)."""
        alias = router.db_for_read(self._model)
        compiled = self._compiled_for(alias, values)
        connection = connections[alias]
        params = list(compiled.params)
        for name, positions in compiled.slots.items():
            value = _adapted(connection, values[name])
            for position in positions:
                # psycopg's typed ints (Int4, Int8) keep their type: they are the SQL's casts.
                kind = type(compiled.params[position])
                params[position] = kind(value) if issubclass(kind, int) else value
        return compiled.sql, tuple(params)

    def first(self, **values: Value) -> M | None:
        """The first row, or None (the builder orders and limits the queryset)."""
        found = self.all(**values)
        return found[0] if found else None

    @staticmethod
    def _instance(compiled: _Compiled, alias: str, row: tuple[Any, ...]) -> M:
        # What Django's ModelIterable does for a row: the model, what select_related
        # joined, and the annotations.
        model = compiled.compiler.klass_info["model"]
        instance = model.from_db(alias, compiled.init_list, row[compiled.fields_slice])
        for populator in compiled.populators:
            populator.populate(row, instance)
        for name, column in compiled.compiler.annotation_col_map.items():
            setattr(instance, name, row[column])
        return instance  # type: ignore[no-any-return]

    def _compiled_for(self, alias: str, values: dict[str, Value]) -> _Compiled:
        compiled = self._compiled.get(alias)
        if compiled is not None:
            if compiled.slots.keys() != values.keys():
                raise TypeError(f"expected the values {sorted(compiled.slots)}")
            for name, value in values.items():
                if _kind(value) is not compiled.kinds[name]:
                    raise TypeError(f"{name!r} must be a {compiled.kinds[name].__name__}")
            return compiled
        with self._lock:
            if alias in self._compiled:
                return self._compiled[alias]
            connection = connections[alias]
            stand_ins = _stand_ins(values, second=False)
            queryset = self._build(**stand_ins)
            iterable = queryset._iterable_class  # type: ignore[attr-defined]
            if iterable not in (ModelIterable, FlatValuesListIterable, ValuesListIterable):
                raise TypeError(f"rows of {iterable.__name__} are not read here")
            compiler = queryset.query.get_compiler(using=alias)
            sql, params = compiler.as_sql()
            slots = _slots(connection, stand_ins, params)
            # Built again with other stand-ins, the statement must differ exactly there: a
            # value also used in another form (escaped for LIKE, cut to a date, computed
            # with) would differ elsewhere too, and would not be put there by a call.
            others = _stand_ins(values, second=True)
            sql_again, params_again = self._build(**others).query.get_compiler(using=alias).as_sql()
            moved = {
                i for i, (a, b) in enumerate(zip(params, params_again, strict=False)) if a != b
            }
            placed = {i for positions in slots.values() for i in positions}
            if sql_again != sql or len(params_again) != len(params) or moved != placed:
                raise ValueError(
                    "the statement holds a value in another form than given: the builder "
                    "must pass each value to the queryset unchanged"
                )
            if _slots(connection, others, params_again) != slots:
                raise ValueError("the statement's values move with what they are")
            select, klass_info = compiler.select, compiler.klass_info
            fields = klass_info["select_fields"]
            own_columns = slice(fields[0], fields[-1] + 1)
            compiled = _Compiled(
                compiler=compiler,
                iterable=iterable,
                sql=sql,
                params=tuple(params),
                slots=slots,
                kinds={name: _kind(value) for name, value in values.items()},
                init_list=[column[0].target.attname for column in select[own_columns]],
                fields_slice=own_columns,
                populators=get_related_populators(klass_info, select, alias),
            )
            self._compiled[alias] = compiled
            return compiled


def _kind(value: Value) -> type:
    """int, str or datetime (an aware one): what a value may be."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise TypeError(f"a naive datetime cannot vary: {value!r}")
        return datetime
    if isinstance(value, int) and not isinstance(value, bool):
        return int
    if isinstance(value, str):
        return str
    raise TypeError(f"only ints, strings and aware datetimes can vary, not {value!r}")


def _stand_ins(values: dict[str, Value], *, second: bool) -> dict[str, Value]:
    """A stand-in of the same kind for each value, different for each keyword; the second
    set differs from the first in every value (and in every part of a datetime)."""
    stand_ins: dict[str, Value] = {}
    for number, (name, value) in enumerate(sorted(values.items())):
        kind = _kind(value)
        if kind is datetime:
            base = _DATETIME_STAND_IN + (
                timedelta(days=400, seconds=3661) if second else timedelta()
            )
            stand_ins[name] = base + timedelta(microseconds=number + 1)
        elif kind is int:
            # An odd, unround shift: a value computed with (halved, divided by a thousand)
            # still moves with it (review).
            stand_ins[name] = _INT_STAND_IN + number + (7_919 if second else 0)
        else:
            # LIKE's special characters: a value escaped for a LIKE is another form.
            stand_ins[name] = f"{_STR_STAND_IN} %_\\ {'b' if second else 'a'}{number}"
    return stand_ins


def _slots(connection: Any, stand_ins: dict[str, Value], params: Any) -> dict[str, tuple[int, ...]]:
    """Where each stand-in sits among the statement's parameters."""
    slots: dict[str, tuple[int, ...]] = {}
    for name, stand_in in stand_ins.items():
        adapted = _adapted(connection, stand_in)
        positions = tuple(i for i, param in enumerate(params) if param == adapted)
        if not positions:
            raise ValueError(
                f"the statement does not hold {name!r} as given: the builder must pass it "
                "to the queryset unchanged"
            )
        slots[name] = positions
    return slots


def _adapted(connection: Any, value: Value) -> Any:
    """The value as the database's driver receives it (SQLite: datetimes as text)."""
    if isinstance(value, datetime):
        return connection.ops.adapt_datetimefield_value(value)
    return value
