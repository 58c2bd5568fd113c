"""The transaction a run keeps its own records in: the lock, the run's record, the user's
sync state.

A run writes them twice, when it starts and when it ends: one transaction each, so an idle
run commits three times in all (its calendar's listing commits once in between). On
PostgreSQL a commit waits for the write-ahead log to reach the disk: 1 to 4 ms on these
machines against a tenth of a millisecond for the run's other statements, most of an idle
run's wall time (docs/benchmarks.md, "Issue 11, seventh session"). These two transactions
do not wait: PostgreSQL's asynchronous commit (``synchronous_commit`` off for the
transaction alone) may lose them if the database server itself crashes within a fraction of
a second after them, whole and in order, "as if those transactions had been aborted
cleanly" (https://www.postgresql.org/docs/15/wal-async-commit.html). Lost, they cost
nothing: a lost start means a run that died with the server; a lost end leaves the lease to
run out and the user due early, so the next run syncs again what this one did. A calendar's
listing that changed nothing commits its new sync token the same way
(``unwaited_if_nothing_written``): lost, the next run lists the same no changes again.
Every other transaction (meetings, links, a sync token with the changes it follows) waits
as usual.

SQLite (WAL, ``synchronous=NORMAL``, config/settings/base.py) already commits without
waiting for the disk.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection, transaction


@contextmanager
def run_records_transaction() -> Iterator[None]:
    """One transaction for a run's own records, committed without waiting for the disk on
    PostgreSQL (above). Inside an outer transaction it is a savepoint of that one, and the
    outer one's commit waits as it would have: ``SET LOCAL`` would change the outer one."""
    alone = not connection.in_atomic_block
    with transaction.atomic():
        if alone and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
        yield


def unwaited_if_nothing_written() -> None:
    """Inside a transaction of its own (no caller's around it): if it has written nothing
    yet, it commits without waiting for the disk on PostgreSQL (above). Asked just before
    a listing's last write, its sync token: an idle run's listing then commits like its
    records. One statement (``set_config(..., true)`` is ``SET LOCAL``; a transaction that
    has written has an id)."""
    if connection.vendor != "postgresql" or len(connection.atomic_blocks) != 1:
        # Inside a caller's transaction (not the listing's own), the caller's commit waits.
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT CASE WHEN pg_current_xact_id_if_assigned() IS NULL "
            "THEN set_config('synchronous_commit', 'off', true) END"
        )
