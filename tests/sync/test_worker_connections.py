"""A real worker keeps its database connection from task to task, and replaces one the
server dropped in between (config/celery_connections.py, DATABASE_CONN_MAX_AGE): Celery's
Django fix-up opened one per task, 6.7 ms of wall time each on PostgreSQL."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.db import connection

from config.celery import app
from tests.conftest import GoogleHarness
from tests.sync.test_worker import Worker, _running_worker, _wait

pytestmark = pytest.mark.django_db(transaction=True)

PROBE = "tests.sync.worker_probe"


@dataclass(frozen=True)
class Used:
    """The database connection a probe task ran on (tests/sync/worker_probe.py)."""

    process: int
    number: int  # the connection's number within its process
    backend: int  # PostgreSQL's server process; 0 on SQLite


@dataclass
class Probe:
    worker: Worker
    report: Path

    def run(self) -> Used:
        """Sends one probe task and waits until the worker has run it."""
        before = self._lines()
        with app.connection_for_write(self.worker.broker_url) as broker:
            app.send_task(
                f"{PROBE}.connection_used",
                kwargs={"report": str(self.report)},
                connection=broker,
                queue=self.worker.queue,
            )

        def ran() -> bool:
            if " raised " in self.worker.output():
                pytest.fail(f"the probe task failed:\n{self.worker.output()}")
            return len(self._lines()) > len(before)

        _wait(ran, self.worker, what="the probe task")
        process, number, backend = map(int, self._lines()[-1].split())
        return Used(process=process, number=number, backend=backend)

    def _lines(self) -> list[str]:
        return self.report.read_text().splitlines() if self.report.exists() else []


@contextmanager
def _probing_worker(harness: GoogleHarness, tmp_path: Path, key: str) -> Iterator[Probe]:
    """A real prefork worker (the production pool) of one process, with the probe task."""
    broker_url = f"sqla+sqlite:///{tmp_path / 'broker.sqlite3'}"
    with _running_worker(
        harness, broker_url, tmp_path, key, pool="prefork", include=(PROBE,)
    ) as worker:
        yield Probe(worker=worker, report=tmp_path / "connections-used.txt")


def test_a_worker_runs_its_tasks_on_one_database_connection(
    google_live, tmp_path, token_encryption_key
):
    """Three tasks in a row run on the connection the first one opened (on PostgreSQL, the
    same server process), where Celery's fix-up closed it after each task."""
    with _probing_worker(google_live, tmp_path, token_encryption_key) as probe:
        used = [probe.run() for _ in range(3)]
    assert used[1:] == [used[0], used[0]]


def test_a_connection_the_server_dropped_between_tasks_is_replaced(
    google_live, tmp_path, token_encryption_key
):
    """The server ends the worker's connection between two tasks (an administrator, a
    restart, an idle timeout): the next task checks it first, opens another and succeeds,
    and the task after keeps the new one."""
    if connection.vendor != "postgresql":
        pytest.skip("a server to drop the connection: PostgreSQL (CI's second pass)")
    with _probing_worker(google_live, tmp_path, token_encryption_key) as probe:
        first = probe.run()
        _terminate_backend(first.backend)
        second = probe.run()
        third = probe.run()
    assert second.backend != first.backend
    assert third == second


def _terminate_backend(pid: int) -> None:
    """Ends the server process ``pid`` and waits until it is gone, so the next task cannot
    find it still alive."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [pid])
            if cursor.fetchone()[0] == 0:
                return
            time.sleep(0.05)
    pytest.fail(f"the server process {pid} did not end")
