"""A real Celery worker (a `celery -A config worker` subprocess) runs a sync end to end
against the emulator served on loopback: on the embedded SQLite broker, and on Redis when
CELERY_BROKER_URL points at one (CI's second pass, where it must not be skipped)."""

from __future__ import annotations

import gc
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from celery.signals import worker_init, worker_process_init
from django.conf import settings
from django.contrib.auth.models import User
from django.db import connection

from config import celery as celery_config
from config.celery import app
from tandem.meetings.models import Meeting
from tandem.meetings.rules import _zone_names as zone_names
from tandem.meetings.services import MeetingInput, meeting_create
from tandem.sync.models import SyncRun, UserSyncState
from tandem.sync.scheduling import due_user_ids
from tandem.sync.tasks import MAX_UNFINISHED_STARTS, sync_scheduled_users, sync_user
from tests.conftest import (
    GOOGLE_TEST_CLIENT_ID,
    GOOGLE_TEST_CLIENT_SECRET,
    GOOGLE_TEST_REDIRECT_URI,
    GoogleHarness,
)
from tests.sync.sched_support import (
    connect_user,
    google_api,
    google_event_create,
    google_summaries,
)

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]
WAIT_SECONDS = 60


def _database_url() -> str:
    """The test database as the worker must open it (pytest-django's, not the real one)."""
    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        name = str(db["NAME"])
        assert not name.startswith(("file:", ":memory:")), "tests need a file SQLite database"
        return f"sqlite:///{name}"
    if db["ENGINE"] == "django.db.backends.postgresql":
        auth = quote(str(db["USER"] or ""), safe="")
        if db["PASSWORD"]:
            auth += ":" + quote(str(db["PASSWORD"]), safe="")
        return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    raise AssertionError(f"no worker URL for {db['ENGINE']}")


def _redis_url() -> str:
    url = os.environ.get("CELERY_BROKER_URL", "")
    if url.startswith(("redis://", "rediss://")):
        return url
    if os.environ.get("TANDEM_REQUIRE_SERVICES") == "1":
        pytest.fail("TANDEM_REQUIRE_SERVICES=1 but CELERY_BROKER_URL is not a Redis URL")
    pytest.skip("Redis broker: set CELERY_BROKER_URL=redis://… (CI's second pass does)")


@dataclass
class Worker:
    broker_url: str
    queue: str
    process: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-5000:]

    def send(self, *, user_id: int, trigger: str = "test") -> None:
        with app.connection_for_write(self.broker_url) as broker:
            sync_user.apply_async(
                kwargs={"user_id": user_id, "trigger": trigger},
                connection=broker,
                queue=self.queue,
            )

    def send_chunk(self, *, user_ids: list[int]) -> None:
        """What beat's dispatch sends for a chunk of scheduled users."""
        with app.connection_for_write(self.broker_url) as broker:
            sync_scheduled_users.apply_async(
                kwargs={"user_ids": user_ids}, connection=broker, queue=self.queue
            )


@pytest.fixture(params=["sqlite", "redis"])
def broker_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqla+sqlite:///{tmp_path / 'broker.sqlite3'}"
    return _redis_url()


@contextmanager
def _running_worker(
    harness: GoogleHarness,
    broker_url: str,
    tmp_path: Path,
    key: str,
    *,
    pool: str = "solo",
    extra_env: dict[str, str] | None = None,
    include: tuple[str, ...] = (),
) -> Iterator[Worker]:
    """A worker on a queue of its own; ``include``: modules of further tasks it imports."""
    queue = f"tandem-test-{uuid.uuid4().hex[:12]}"  # other runs may share the Redis database
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "DATABASE_URL": _database_url(),
        "CELERY_BROKER_URL": broker_url,
        "TANDEM_VAR_DIR": str(tmp_path / "var"),
        "SECRET_KEY": "worker-test-secret",
        "GOOGLE_ENDPOINTS": "emulator",
        "FAKE_GOOGLE_URL": harness.base_url,
        "GOOGLE_CLIENT_ID": GOOGLE_TEST_CLIENT_ID,
        "GOOGLE_CLIENT_SECRET": GOOGLE_TEST_CLIENT_SECRET,
        "GOOGLE_REDIRECT_URI": GOOGLE_TEST_REDIRECT_URI,
        "TOKEN_ENCRYPTION_KEYS": key,
        "SYNC_REQUESTS_PER_MINUTE": str(settings.SYNC_REQUESTS_PER_MINUTE),
        "LOG_LEVEL": "INFO",
        **(extra_env or {}),
    }
    log = tmp_path / f"worker-{queue}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                *(sys.executable, "-m", "celery", "-A", "config", "worker"),
                *("--pool", pool, "--concurrency", "1", "--queues", queue),
                *("--loglevel", "INFO", "--without-heartbeat", "--without-mingle"),
                *("--without-gossip", "--hostname", f"{queue}@%h"),
                *(option for module in include for option in ("--include", module)),
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    started = Worker(broker_url=broker_url, queue=queue, process=process, log=log)
    try:
        _wait(lambda: " ready." in started.output(), started, what="the worker to start")
        yield started
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def worker(
    google_live: GoogleHarness, broker_url: str, tmp_path: Path, token_encryption_key: str
) -> Iterator[Worker]:
    with _running_worker(google_live, broker_url, tmp_path, token_encryption_key) as started:
        yield started


def _wait(condition, worker: Worker, *, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        if condition():
            return
        if worker.process.poll() is not None:
            pytest.fail(f"the worker exited while waiting for {what}:\n{worker.output()}")
        time.sleep(0.2)
    pytest.fail(f"gave up waiting for {what} after {WAIT_SECONDS} s:\n{worker.output()}")


def test_a_real_worker_syncs_a_user_both_ways(google_live, worker):
    """A sync_user task sent through the broker is run by the worker: the CRM meeting
    reaches Google, the Google event reaches the CRM, and the run is recorded."""
    user = connect_user(google_live, username="ann")
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
    meeting_create(
        owner=user,
        data=MeetingInput(subject="From the CRM", start=start, end=start + timedelta(hours=1)),
    )
    with google_api(google_live) as api:
        google_event_create(api, summary="From Google", days=2)

    worker.send(user_id=user.pk)

    def succeeded() -> bool:
        return SyncRun.objects.filter(owner=user, status=SyncRun.Status.SUCCEEDED).exists()

    _wait(succeeded, worker, what="a successful sync run")
    run = SyncRun.objects.get(owner=user)
    assert run.trigger == "test"
    assert run.counts.get("crm_created") == 1 and run.counts.get("google_created") == 1
    assert Meeting.objects.filter(owner=user, subject="From Google").exists()
    with google_api(google_live) as api:
        assert google_summaries(api) == ["From Google", "From the CRM"]
    assert "tandem.sync.tasks.sync_user" in worker.output()


def test_the_worker_logs_no_token(google_live, worker):
    """Everything the worker wrote while syncing is free of the tokens Google issued."""
    user = connect_user(google_live, username="ann")
    worker.send(user_id=user.pk)
    _wait(
        lambda: SyncRun.objects.filter(owner=user).exclude(status="running").exists(),
        worker,
        what="the run to finish",
    )
    output = worker.output()
    issued = google_live.tokens_issued()
    assert issued
    assert not [token for token in issued if token in output]


def _pool_children(worker: Worker) -> list[int]:
    """The worker's pool processes (forked by any of the main process's threads)."""
    tasks = Path(f"/proc/{worker.process.pid}/task")
    return [int(pid) for task in tasks.iterdir() for pid in (task / "children").read_text().split()]


def test_a_run_that_keeps_killing_its_worker_is_given_up_after_the_cap(
    google_live, broker_url, tmp_path, token_encryption_key
):
    """The pool process running a sync dies (SIGKILL) every time: acks_late puts the task
    back, each delivery counts an unfinished start, and after the cap the next delivery gives
    up and asks for attention instead of killing workers forever."""
    user = connect_user(google_live, username="ann")
    # Every listing hangs, so each run is still going when its process is killed.
    google_live.emulator.inject_fault(route="GET */events", status=0, delay=30, times=-1)
    lease = {"SYNC_LOCK_LEASE_SECONDS": "2", "SYNC_DEBOUNCE_SECONDS": "0.5"}
    with _running_worker(
        google_live, broker_url, tmp_path, token_encryption_key, pool="prefork", extra_env=lease
    ) as worker:
        worker.send(user_id=user.pk)
        killed = _kill_each_new_run(worker, user)
    state = UserSyncState.objects.get(owner=user)
    assert "failed to finish several times" in state.needs_attention
    assert len(killed) == MAX_UNFINISHED_STARTS
    assert not SyncRun.objects.filter(owner=user, status="succeeded").exists()
    assert user.pk not in due_user_ids()


def _kill_each_new_run(worker: Worker, user: User) -> set[int]:
    """Kills the worker's pool processes whenever a run of ``user`` is going on that was not
    killed yet, until the user's sync asks for attention; returns the runs killed."""
    killed: set[int] = set()
    # Celery waits up to 10 s (worker_lost_wait) before it puts a lost task back.
    deadline = time.monotonic() + 3 * WAIT_SECONDS
    while time.monotonic() < deadline:
        if UserSyncState.objects.get(owner=user).needs_attention:
            return killed
        running = set(
            SyncRun.objects.filter(owner=user, status="running").values_list("pk", flat=True)
        )
        if running - killed:
            for child in _pool_children(worker):
                os.kill(child, signal.SIGKILL)
            killed |= running
        time.sleep(0.2)
    pytest.fail(f"the worker never gave up:\n{worker.output()}")


def test_a_chunk_whose_worker_dies_in_one_users_run_still_syncs_the_others(
    google_live, broker_url, tmp_path, token_encryption_key
):
    """Beat's chunk of Bob and Ann, and Ann's run kills its pool process every time: the
    chunk is delivered again (acks_late) and syncs Bob again; Ann, whose start never
    finished, leaves the chunk for a sync_user task of her own (sent to the chunk's queue),
    and the delivery cap gives her up after MAX_UNFINISHED_STARTS crashed starts in all."""
    bob = connect_user(google_live, username="bob", email="bob@example.com")
    ann = connect_user(google_live, username="ann", email="ann@example.com")
    google_live.emulator.inject_fault(
        route="GET */calendars/ann*/events", status=0, delay=30, times=-1
    )
    lease = {"SYNC_LOCK_LEASE_SECONDS": "2", "SYNC_DEBOUNCE_SECONDS": "0.5"}
    with _running_worker(
        google_live, broker_url, tmp_path, token_encryption_key, pool="prefork", extra_env=lease
    ) as worker:
        worker.send_chunk(user_ids=[bob.pk, ann.pk])
        killed = _kill_each_new_run(worker, ann)
    assert len(killed) == MAX_UNFINISHED_STARTS
    assert "failed to finish several times" in UserSyncState.objects.get(owner=ann).needs_attention
    assert not SyncRun.objects.filter(owner=ann, status="succeeded").exists()
    bob_runs = list(SyncRun.objects.filter(owner=bob).values_list("status", flat=True))
    assert bob_runs == ["succeeded", "succeeded"]  # the first delivery's, and the second's
    assert UserSyncState.objects.get(owner=bob).unfinished_starts == 0


@pytest.mark.parametrize(
    ("signal", "handler"),
    [
        (worker_init, celery_config._worker_started),
        (worker_process_init, celery_config._pool_child_started),
    ],
)
def test_a_starting_worker_hides_its_startup_objects_from_the_collector(signal, handler):
    """Full collections during an import would otherwise scan Django's and the modules'
    100,000 objects each time (config/celery.py, docs/benchmarks.md). The handler is called
    here, not the signal sent: the worker's other receivers (Celery's Django fix-up) would
    close this test process's database connections."""
    assert handler in [receiver() for _, receiver in signal.receivers]  # weak references
    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    zone_names.cache_clear()
    try:
        handler()
        assert gc.get_freeze_count() > 10_000
        # The zone names the worker's first sync would walk tzdata for: loaded, and frozen.
        assert zone_names.cache_info().currsize == 1
    finally:
        gc.unfreeze()  # the other tests' collections as before
