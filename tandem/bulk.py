"""A page's new rows in a fixed number of statements, whatever the page's size.

Django's ``bulk_create`` builds a model instance per row and compiles SQL per field of every
row (about 0.1 ms a meeting, most of a 10,000-event import), and on SQLite it splits each
insert into statements of at most 999 parameters, so a 2,500-event page took dozens of
queries. Here each table gets one ``executemany`` per page: the driver binds the values, the
database checks the constraints as usual, and the number of queries per page is a constant
(tests/sync/test_queries.py). On PostgreSQL the rows go through COPY instead (see
``_postgres_copy``). No model signals are sent, as with ``bulk_create``.

``executemany`` cannot return the new primary keys, so the meetings' keys are reserved first,
in one query, and written explicitly; links then point at them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta, tzinfo
from itertools import repeat
from operator import itemgetter
from typing import Any

import msgspec
import psycopg
from django.conf import settings
from django.db import DataError, connection, models
from psycopg.types.json import set_json_dumps

Prepare = Callable[[Any], Any] | None


def _sqlite_datetime(zone: tzinfo) -> Prepare:
    """What Django's SQLite backend stores for an aware datetime (naive in the connection's
    zone, ``str()`` format), without its per-value settings lookups. Equal instants give
    equal text, so a value seen before in the statement (a page's shared ``now``) is reused.
    Seen by value and offset: Python compares two datetimes of one ZoneInfo on the wall
    clock, ignoring ``fold``, so 02:30 CEST and 02:30 CET of the autumn change are equal
    (and hash alike) though an hour apart; keyed by value alone, the second took the first's
    text, an hour off."""
    seen: dict[tuple[datetime, timedelta | None], str] = {}

    def prepare(value: datetime | None) -> str | None:
        if value is None:
            return None
        key = (value, value.utcoffset())
        text = seen.get(key)
        if text is None:
            text = seen[key] = str(value.astimezone(zone).replace(tzinfo=None))
        return text

    return prepare


def _preparer(field: models.Field[Any, Any]) -> Prepare:
    """How a Python value becomes a driver parameter (None: as it is). Made once per
    statement, so the backend's operations are looked up once, not once per value."""
    ops = connection.ops
    if connection.vendor == "postgresql":
        # Binary COPY (_postgres_copy) takes dates and aware datetimes as they are (Django's
        # PostgreSQL backend passes them through too) and encodes JSON with its jsonb
        # dumper, set to msgspec there; a field's own encoder comes as Django's wrapper.
        if isinstance(field, models.JSONField) and field.encoder is not None:
            encoder = field.encoder
            adapt_json = ops.adapt_json_value
            return lambda value: adapt_json(value, encoder)
        return None
    if isinstance(field, models.DateTimeField):
        if connection.vendor == "sqlite" and settings.USE_TZ:
            return _sqlite_datetime(connection.timezone or UTC)
        return ops.adapt_datetimefield_value  # type: ignore[no-any-return]
    if isinstance(field, models.DateField):
        return ops.adapt_datefield_value  # type: ignore[no-any-return]
    if isinstance(field, models.JSONField):
        if field.encoder is None:
            return _json_text
        encoder = field.encoder
        adapt_json = ops.adapt_json_value
        return lambda value: adapt_json(value, encoder)
    return None


_json_encode = msgspec.json.Encoder().encode


def _json_text(value: Any) -> str | None:
    """A JSON column's value as JSON text, as SQLite stores it (Django's own adapter does
    the same). With msgspec rather than ``json.dumps``, as PostgreSQL's COPY encodes it
    too: three JSON columns a row made ``json.dumps`` a tenth of an import page's CPU
    (docs/benchmarks.md, issue 11, sixth session). The text is compact and keeps non-ASCII
    characters as they are; the values read back are the same. None is SQL NULL, as
    Django saves it and as PostgreSQL's COPY writes it (JSON null nested in a value stays
    JSON null)."""
    return None if value is None else _json_encode(value).decode()


def _columns(model: type[models.Model], names: Sequence[str]) -> list[str]:
    columns = []
    for name in names:
        field = model._meta.get_field(name)
        assert isinstance(field, models.Field) and field.column
        columns.append(field.column)
    return columns


def pks_reserve(*, model: type[models.Model], count: int) -> list[int]:
    """``count`` fresh primary keys for ``model``, never handed out before or again.

    Must run inside the transaction that inserts them. On PostgreSQL the keys come from the
    table's sequence. On SQLite the transaction holds the write lock (IMMEDIATE, or WAL
    refuses a write from a stale snapshot), so nobody inserts between the read and the
    insert; AUTOINCREMENT's sequence is read too, so a deleted row's key is never reused."""
    if count <= 0:
        return []
    if not connection.in_atomic_block:
        raise RuntimeError("pks_reserve must run inside transaction.atomic().")
    table = model._meta.db_table
    pk_column = model._meta.pk.column  # type: ignore[union-attr]
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The sequence is looked up once, in a fenced subquery (OFFSET 0): named inside
            # nextval(), pg_get_serial_sequence, a STABLE function, ran once per key, which
            # was 28 of a 2,500-key reservation's 32 ms (docs/benchmarks.md, ninth session).
            cursor.execute(
                "SELECT nextval(q.sequence) FROM (SELECT pg_get_serial_sequence(%s, %s)"
                "::regclass AS sequence OFFSET 0) AS q, generate_series(1, %s)",
                [quote(table), pk_column, count],
            )
            return [row[0] for row in cursor.fetchall()]
        # Identifiers come from model metadata, quoted by the backend; values are bound.
        cursor.execute(
            f"SELECT MAX(n) FROM (SELECT seq AS n FROM sqlite_sequence WHERE name = %s "  # noqa: S608
            f"UNION ALL SELECT MAX({quote(pk_column)}) FROM {quote(table)})",
            [table],
        )
        last = cursor.fetchone()[0] or 0
    return list(range(last + 1, last + 1 + count))


def rows_insert(
    *,
    model: type[models.Model],
    rows: Sequence[Mapping[str, Any]],
    conflict_fields: Sequence[str] = (),
    update_fields: Sequence[str] = (),
) -> None:
    """Inserts ``rows`` (field attnames to values; missing fields take their default) in one
    statement. With ``conflict_fields``, a row whose unique key exists updates
    ``update_fields`` instead (INSERT ... ON CONFLICT DO UPDATE, on SQLite and PostgreSQL).
    The primary key is written only when the rows carry it."""
    if not rows:
        return
    meta = model._meta
    pk_name = meta.pk.attname  # type: ignore[union-attr]
    given = rows[0].keys()
    fields = [
        field for field in meta.concrete_fields if field.attname != pk_name or pk_name in given
    ]
    # The rows' own fields first, then those they leave out, which take their default
    # (the rows share one set of keys). Values are read and converted a column at a time.
    present = [field for field in fields if field.attname in given]
    absent = [field for field in fields if field.attname not in given]
    fields = present + absent
    getter = itemgetter(*(field.attname for field in present))
    values = map(getter, rows) if len(present) > 1 else ((getter(row),) for row in rows)
    defaults = tuple(
        convert(field.get_default()) if (convert := _preparer(field)) else field.get_default()
        for field in absent
    )
    converters = [
        (index, convert) for index, field in enumerate(present) if (convert := _preparer(field))
    ]
    params: list[tuple[Any, ...]]
    if converters:
        by_column: list[Iterable[Any]] = list(zip(*values, strict=True))
        for index, convert in converters:
            by_column[index] = list(map(convert, by_column[index]))
        by_column.extend(repeat(default, len(rows)) for default in defaults)
        params = list(zip(*by_column, strict=True))
    else:
        # Nothing to convert (PostgreSQL's binary COPY takes the values as they are): each
        # row is its values and the defaults, without turning the page into columns and back.
        params = [row + defaults for row in values]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in fields)
    # Identifiers come from model metadata, quoted by the backend; values are bound.
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({columns}) "  # noqa: S608
        f"VALUES ({', '.join(['%s'] * len(fields))})"
    )
    conflict = ""
    if conflict_fields:
        updates = ", ".join(
            f"{quote(name)} = excluded.{quote(name)}" for name in _columns(model, update_fields)
        )
        keys = ", ".join(quote(column) for column in _columns(model, conflict_fields))
        conflict = f" ON CONFLICT ({keys}) DO UPDATE SET {updates}"
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            cursor.executemany(sql + conflict, params)
        return
    _postgres_copy(
        model, fields, params, conflict, key=_key_indexes(model, fields, conflict_fields)
    )


def _key_indexes(
    model: type[models.Model], fields: list[models.Field[Any, Any]], names: Sequence[str]
) -> list[int]:
    attnames = [field.attname for field in fields]
    return [attnames.index(model._meta.get_field(name).attname) for name in names]  # type: ignore[union-attr]


def _last_per_key(rows: list[tuple[Any, ...]], key: list[int]) -> list[tuple[Any, ...]]:
    """One row per unique key, the last one: one upsert statement may not touch a row twice,
    and the last row is what row-by-row upserts would have left (the columns an upsert does
    not update are the key and the owner, the same in every row of one user's page)."""
    by_key = {tuple(row[index] for index in key): row for row in rows}
    return list(by_key.values()) if len(by_key) < len(rows) else rows


def _postgres_copy(
    model: type[models.Model],
    fields: list[models.Field[Any, Any]],
    params: list[tuple[Any, ...]],
    conflict: str,
    *,
    key: list[int],
) -> None:
    """The rows through COPY, PostgreSQL's bulk load: no statement per row (psycopg's
    executemany, with Django's client-side binding, sends and PostgreSQL parses one SQL text
    per row, most of a page's time). Upserts are copied into a temporary table dropped at
    commit, then inserted from it in one statement. COPY goes past Django's query log."""
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = ", ".join(quote(field.column) for field in fields)
    connection.ensure_connection()
    target = table
    if conflict:
        if not connection.in_atomic_block:
            raise RuntimeError("An upsert through COPY must run inside transaction.atomic().")
        params = _last_per_key(params, key)
        target = quote(f"bulk_{model._meta.db_table}")
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {target}")
            cursor.execute(
                f"CREATE TEMPORARY TABLE {target} ON COMMIT DROP AS "  # noqa: S608
                f"SELECT {columns} FROM {table} WITH NO DATA"
            )
    # The raw cursor is psycopg's own: Django's wrapper turns its errors into Django's
    # (django.db.IntegrityError for a unique key written twice), as on every other path.
    # Binary COPY, each column's type named: psycopg's text format spent about 2.5 µs on
    # every datetime (its text dumper), half a page's COPY CPU; binary rows are a third of
    # the text rows' CPU (docs/benchmarks.md, ninth session). The server reads each value
    # with its type's binary input, which checks lengths and ranges as the text one does.
    with (
        connection.wrap_database_errors,
        psycopg.Cursor(connection.connection) as raw,
        raw.copy(f"COPY {target} ({columns}) FROM STDIN (FORMAT BINARY)") as copy,
    ):
        set_json_dumps(_json_encode, context=raw)
        copy.set_types(_binary_checked(fields, params))
        for values in params:
            copy.write_row(values)
    if conflict:
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {target}{conflict}"  # noqa: S608
            )


# Integer columns as Django declares them on PostgreSQL, and the first value beyond each.
_INTEGER_LIMITS = {"smallint": 2**15, "integer": 2**31, "bigint": 2**63}


def _binary_checked(
    fields: list[models.Field[Any, Any]], params: list[tuple[Any, ...]]
) -> list[str]:
    """The PostgreSQL type of each column, as psycopg names it for a binary COPY
    ("varchar(64)" is varchar: the server checks the length, as with text). psycopg's
    binary dumpers write integers and booleans without the checks a text value meets (an
    int beyond an integer column keeps its low bits; anything truthy is true), so those
    columns are checked here, a column at a time, and refused as the server refuses text."""
    names = []
    for index, field in enumerate(fields):
        db_type = field.db_type(connection) or ""
        name = db_type.split("(")[0].strip()
        if psycopg.adapters.types.get(name) is None:
            raise TypeError(f"No binary COPY for {field} of type {db_type!r}.")
        names.append(name)
        if name == "boolean" or name in _INTEGER_LIMITS:
            values = [row[index] for row in params if row[index] is not None]
            if values and not _fit(name, values):
                raise DataError(f"A value does not fit the column {field.column} ({db_type}).")
    return names


def _fit(name: str, values: list[Any]) -> bool:
    if name == "boolean":
        return all(type(value) is bool for value in values)
    limit = _INTEGER_LIMITS[name]
    return all(isinstance(value, int) for value in values) and (
        -limit <= min(values) and max(values) < limit
    )
