"""A task for a test's real worker (``--include tests.sync.worker_probe``): it writes down
which database connection ran it (tests/sync/test_worker_connections.py)."""

from __future__ import annotations

import os

from django.db import connection

from config.celery import app

# Every driver connection this process ran a probe on, kept alive so that none's id is
# reused by a later one: a connection's number is its place here.
_connections_used: list[object] = []


@app.task(name="tests.sync.worker_probe.connection_used")
def connection_used(*, report: str) -> None:
    """Appends "process number backend" to ``report``: the pool process, the number of the
    connection within it, and the server's process (PostgreSQL's backend; 0 on SQLite)."""
    query = "SELECT pg_backend_pid()" if connection.vendor == "postgresql" else "SELECT 0"
    with connection.cursor() as cursor:
        cursor.execute(query)
        (backend,) = cursor.fetchone()
    raw = connection.connection
    if not any(raw is used for used in _connections_used):
        _connections_used.append(raw)
    number = next(n for n, used in enumerate(_connections_used) if used is raw)
    with open(report, "a") as out:
        out.write(f"{os.getpid()} {number} {backend}\n")
