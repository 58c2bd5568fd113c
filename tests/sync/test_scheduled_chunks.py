"""Scheduled users go to the workers in chunks (tandem.sync.tasks.sync_scheduled_users): each
user of a chunk is synced in turn, and a user the chunk cannot finish (busy, a retryable
Google error, a start that never finished, an error) never holds the others back: they get
their own sync_user task, with the one retry policy's countdown and the delivery cap.

Real parts: the database, the task code, the Google emulator (in-process); the tasks a chunk
sends are read from Celery's own publish signal (the test settings' broker is in memory), and
a broker that is down is a real AMQP connection to an address that refuses it."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
import pytest
from celery import Celery
from celery.app.task import Task
from celery.signals import before_task_publish
from django.contrib.auth.models import User
from django.core.wsgi import get_wsgi_application
from django.utils import timezone

from config.celery import app as workers_app
from tandem.accounts.models import GoogleConnection
from tandem.sync.engine import sync_user_now
from tandem.sync.google_client import google_client_for
from tandem.sync.locks import lock_acquire, lock_release
from tandem.sync.models import CalendarSyncState, SyncRun, UserSyncState
from tandem.sync.retry import BASE_SECONDS
from tandem.sync.tasks import (
    MAX_UNFINISHED_STARTS,
    SCHEDULE_CHUNK,
    dispatch_due_syncs,
    sync_scheduled_users,
    sync_user,
)
from tests.conftest import GoogleHarness
from tests.sync.sched_support import connect_user, syncable_rows

pytestmark = pytest.mark.django_db(transaction=True)


@dataclass
class Sent:
    task: str
    kwargs: dict[str, Any]
    retries: int
    eta: datetime | None
    sent_at: datetime

    @property
    def countdown(self) -> float:
        """The wait Celery was asked for (its eta less the moment it was sent)."""
        assert self.eta is not None
        return (self.eta - self.sent_at).total_seconds()


@pytest.fixture
def sent() -> Iterator[list[Sent]]:
    """Every Celery task sent while the test runs, as Celery's publish signal shows it."""
    messages: list[Sent] = []

    def record(sender: str, body: Any, headers: dict[str, Any], **_: Any) -> None:
        eta = headers.get("eta")
        messages.append(
            Sent(
                task=sender,
                kwargs=body[1],
                retries=int(headers.get("retries") or 0),
                eta=datetime.fromisoformat(eta) if eta else None,
                sent_at=timezone.now(),
            )
        )

    before_task_publish.connect(record, weak=False)
    yield messages
    before_task_publish.disconnect(record)


@pytest.fixture
def people(google_in_process: GoogleHarness) -> list[User]:
    """Ann, Bob and Cat, each connected to a Google account of their own."""
    return [
        connect_user(google_in_process, username=name, email=f"{name}@example.com")
        for name in ("ann", "bob", "cat")
    ]


def _as_worker(task: Task, kwargs: dict[str, Any], *, retries: int = 0) -> Any:
    """Runs the task as a worker runs a delivered message (is_eager: a retry raises Retry
    and sends nothing)."""
    task.push_request(
        id=f"test-{retries}", kwargs=kwargs, retries=retries, is_eager=True, called_directly=False
    )
    try:
        return task.run(**kwargs)
    finally:
        task.pop_request()


def _statuses(user: User) -> list[str]:
    return list(SyncRun.objects.filter(owner=user).values_list("status", flat=True))


def _synced_once(*users: User) -> None:
    for user in users:
        assert _statuses(user) == ["succeeded"]
        state = UserSyncState.objects.get(owner=user)
        assert (state.unfinished_starts, state.lock_token, state.queued_for) == (0, "", None)


def test_dispatch_queues_the_due_users_in_chunks(sent):
    """Beat's minute: the due users in order, SCHEDULE_CHUNK to a task; the count it returns
    is still the users'."""
    due = [syncable_rows(username=f"due{n:02}").pk for n in range(2 * SCHEDULE_CHUNK + 1)]
    assert dispatch_due_syncs() == len(due)
    assert [m.task for m in sent] == ["tandem.sync.tasks.sync_scheduled_users"] * 3
    chunks = [m.kwargs["user_ids"] for m in sent]
    assert [len(chunk) for chunk in chunks] == [SCHEDULE_CHUNK, SCHEDULE_CHUNK, 1]
    assert [user_id for chunk in chunks for user_id in chunk] == due


def test_a_chunk_syncs_each_of_its_users_and_sends_nothing(people, sent):
    """Each user is synced, their start counted and cleared, their lock given back, and no
    task is sent."""
    summary = _as_worker(sync_scheduled_users, {"user_ids": [u.pk for u in people]})
    assert summary == {"synced": 3, "handed_off": 0, "failed": 0}
    _synced_once(*people)
    assert sent == []


def _bob_left_out(people: list[User], sent: list[Sent], *, his_starts: int) -> Sent:
    """Runs the chunk of Ann, Bob and Cat when Bob cannot run: Ann and Cat are synced, Bob
    is not run, his count stays ``his_starts``; returns his sync_user task."""
    ann, bob, cat = people
    summary = _as_worker(sync_scheduled_users, {"user_ids": [ann.pk, bob.pk, cat.pk]})
    assert summary == {"synced": 2, "handed_off": 1, "failed": 0}
    _synced_once(ann, cat)
    assert _statuses(bob) == []
    assert UserSyncState.objects.get(owner=bob).unfinished_starts == his_starts
    (handed,) = sent
    assert (handed.task, handed.kwargs) == (
        "tandem.sync.tasks.sync_user",
        {"user_id": bob.pk, "trigger": "schedule"},
    )
    return handed


def test_a_busy_user_gets_a_task_of_their_own_after_the_debounce(people, sent, settings):
    """Another worker holds Bob: Ann and Cat are synced; Bob is not touched and gets a
    sync_user task, his first retry, after the debounce; once free, that task syncs him."""
    bob = people[1]
    token = lock_acquire(user_id=bob.pk)
    assert token is not None
    retry = _bob_left_out(people, sent, his_starts=0)
    assert retry.retries == 1
    wait = settings.SYNC_DEBOUNCE_SECONDS + 1
    assert retry.countdown == pytest.approx(wait, abs=0.5)

    lock_release(user_id=bob.pk, token=token)
    assert _as_worker(sync_user, retry.kwargs, retries=1)["status"] == "succeeded"
    _synced_once(bob)


def test_a_retryable_google_error_of_one_user_does_not_stop_the_others(
    people, sent, google_in_process
):
    """Google answers 503 to Bob's listing: his run fails with the reason on his status,
    Ann and Cat are synced, and Bob's own task retries after the first backoff."""
    ann, bob, cat = people
    google_in_process.emulator.inject_fault(route="GET */calendars/bob*/events", status=503)
    summary = _as_worker(sync_scheduled_users, {"user_ids": [ann.pk, bob.pk, cat.pk]})
    assert summary == {"synced": 2, "handed_off": 1, "failed": 0}
    _synced_once(ann, cat)
    assert _statuses(bob) == ["failed"]
    state = UserSyncState.objects.get(owner=bob)
    assert "retries automatically" in state.last_error
    assert (state.unfinished_starts, state.lock_token) == (0, "")
    (retry,) = sent
    assert (retry.task, retry.kwargs["user_id"], retry.retries) == (
        "tandem.sync.tasks.sync_user",
        bob.pk,
        1,
    )
    assert -0.5 < retry.countdown <= BASE_SECONDS  # the first backoff

    assert _as_worker(sync_user, retry.kwargs, retries=1)["status"] == "succeeded"
    assert UserSyncState.objects.get(owner=bob).last_error == ""


def test_a_user_whose_start_never_finished_leaves_the_chunk_for_the_delivery_cap(people, sent):
    """The chunk comes again after its worker died in Bob's run (his start still counted):
    Ann and Cat are synced again, Bob is not run here but gets a sync_user task at once,
    where the cap counts his crashes; that task syncs him and clears the count."""
    bob = people[1]
    UserSyncState.objects.filter(owner=bob).update(unfinished_starts=1)
    handed = _bob_left_out(people, sent, his_starts=1)
    assert (handed.retries, handed.eta) == (0, None)

    assert _as_worker(sync_user, handed.kwargs)["status"] == "succeeded"
    _synced_once(bob)


def test_the_cap_gives_up_a_user_handed_off_by_a_chunk(people, sent):
    """Bob's runs killed their worker as often as the cap allows: the task the chunk gave
    him does not run him, and asks for attention."""
    _, bob, _ = people
    UserSyncState.objects.filter(owner=bob).update(unfinished_starts=MAX_UNFINISHED_STARTS)
    _as_worker(sync_scheduled_users, {"user_ids": [bob.pk]})
    (handed,) = sent
    assert _as_worker(sync_user, handed.kwargs) == {"status": "gave_up"}
    assert _statuses(bob) == []
    assert "failed to finish several times" in UserSyncState.objects.get(owner=bob).needs_attention


def test_a_user_deleted_after_the_dispatch_fails_alone(people, sent, caplog):
    """A user who is gone when their turn comes: the error is logged, and the users after
    them are synced."""
    ann, bob, cat = people
    gone = User.objects.create_user("gone")
    gone_id = gone.pk
    gone.delete()
    summary = _as_worker(sync_scheduled_users, {"user_ids": [ann.pk, gone_id, bob.pk, cat.pk]})
    assert summary == {"synced": 3, "handed_off": 0, "failed": 1}
    _synced_once(ann, bob, cat)
    (record,) = [r for r in caplog.records if r.getMessage().startswith("scheduled sync")]
    assert (record.levelname, getattr(record, "user_id", None)) == ("ERROR", gone_id)
    assert sent == []


@pytest.fixture
def broker_down(monkeypatch) -> Iterator[None]:
    """The workers' Celery app as configured, but with its broker at an address that refuses
    connections (a port bound and never listened on), current while the test runs: a task
    sent meanwhile fails as it does when the broker is down, with kombu's OperationalError
    once Celery's publish retries are spent. Celery reads CELERY_BROKER_URL from the
    environment before its configuration (celery/app/utils.py, ``Settings.broker_url``), so
    the variable .ci/run's Redis pass sets is taken away meanwhile."""
    monkeypatch.delenv("CELERY_BROKER_URL", raising=False)
    refusing_port = socket.socket()
    refusing_port.bind(("127.0.0.1", 0))
    host, port = refusing_port.getsockname()
    app = Celery("tandem")
    app.config_from_object("django.conf:settings", namespace="CELERY")
    app.conf.broker_url = f"amqp://guest:guest@{host}:{port}//"
    app.set_current()
    try:
        yield
    finally:
        workers_app.set_current()
        refusing_port.close()


def test_a_user_the_broker_cannot_take_fails_alone(people, caplog, broker_down):
    """Bob is busy, so the chunk hands him off to a task of his own, and the broker refuses
    it: that is Bob's error, logged with its traceback as a failed task's would be, and Ann
    before him and Cat after him are synced. (Bob's next scheduled run comes one interval
    later: dispatch_due_syncs moved his due time when it queued the chunk.)"""
    ann, bob, cat = people
    token = lock_acquire(user_id=bob.pk)
    assert token is not None
    try:
        summary = _as_worker(sync_scheduled_users, {"user_ids": [ann.pk, bob.pk, cat.pk]})
    finally:
        lock_release(user_id=bob.pk, token=token)
    assert summary == {"synced": 2, "handed_off": 0, "failed": 1}
    _synced_once(ann, cat)
    assert _statuses(bob) == []
    (record,) = [r for r in caplog.records if r.getMessage().startswith("scheduled sync")]
    assert (record.levelname, getattr(record, "user_id", None)) == ("ERROR", bob.pk)
    # The traceback, as the logging filter keeps it (tandem/sync/logging.py redacts it).
    last_line = record.exc_text.splitlines()[-1]
    assert last_line.startswith("kombu.exceptions.OperationalError: ")
    assert last_line.endswith("Connection refused")


def test_google_refusing_one_users_push_channel_leaves_the_chunk_synced(
    people, google_in_process, settings
):
    """The push step after a run is an optimisation (tandem/sync/push.py): Google refusing
    Bob's events.watch leaves his run succeeded and counted as synced, without a channel
    (the next run opens it), and Cat after him gets hers."""
    ann, bob, cat = people
    settings.PUBLIC_BASE_URL = "http://127.0.0.1:8000"  # push on: Google can reach us
    google_in_process.emulator.push.client = httpx.Client(
        transport=httpx.WSGITransport(app=get_wsgi_application()), base_url="http://127.0.0.1:8000"
    )
    google_in_process.emulator.inject_fault(route="POST */calendars/bob*/events/watch", status=503)
    summary = _as_worker(sync_scheduled_users, {"user_ids": [ann.pk, bob.pk, cat.pk]})
    assert summary == {"synced": 3, "handed_off": 0, "failed": 0}
    _synced_once(ann, bob, cat)
    channels = dict(
        CalendarSyncState.objects.filter(owner__in=people).values_list("owner", "channel_id")
    )
    assert channels[bob.pk] == ""
    assert channels[ann.pk] and channels[cat.pk]


def test_a_start_is_counted_by_the_lock_and_cleared_by_the_run(people):
    """The delivery cap costs no statement of its own: the lock's UPDATE counts the start
    and clears the debounce mark (seen here while the run builds its Google client), and the
    run's last UPDATE clears the count with the lock."""
    ann = people[0]
    UserSyncState.objects.filter(owner=ann).update(queued_for=timezone.now())
    during: list[tuple[int, object, str]] = []

    def client_for(connection: GoogleConnection) -> Any:
        during.append(_start_fields(ann))
        return google_client_for(connection)

    outcome = sync_user_now(user_id=ann.pk, starts_below=3, client_for=client_for)
    assert outcome.run is not None and outcome.run.status == "succeeded"
    (seen,) = during
    assert seen[:2] == (1, None) and seen[2] != ""
    assert _start_fields(ann) == (0, None, "")


def test_a_counted_start_that_ends_without_a_run_record_is_cleared(people):
    """A start that ended, by an error before the run was recorded or skipped because
    Google is not connected, did not kill its worker: its count goes, and so does the lock."""
    ann = people[0]

    def broken(connection: GoogleConnection) -> Any:
        raise RuntimeError("a bug while making the client")

    with pytest.raises(RuntimeError):
        sync_user_now(user_id=ann.pk, starts_below=3, client_for=broken)
    assert _start_fields(ann) == (0, None, "")

    GoogleConnection.objects.filter(user=ann).update(status=GoogleConnection.Status.NEEDS_RECONNECT)
    outcome = sync_user_now(user_id=ann.pk, starts_below=3)
    assert outcome.skipped == "Google is not connected."
    assert _start_fields(ann) == (0, None, "")


def _start_fields(user: User) -> tuple[int, object, str]:
    row = UserSyncState.objects.values_list("unfinished_starts", "queued_for", "lock_token")
    return row.get(owner=user)


class _DyingClient:
    """The production client, whose worker dies (SystemExit, as a warm shutdown's kill or
    Celery's SystemTerminate) at its first listing: the edge a test cannot reach otherwise."""

    def __init__(self, client: Any) -> None:
        self._client = client

    def __getattr__(self, name: str) -> Any:
        if name == "events_pages":

            def die(*args: Any, **kwargs: Any) -> Any:
                raise SystemExit(1)

            return die
        return getattr(self._client, name)


def test_a_worker_dying_mid_run_leaves_its_start_counted(people):
    """A run ended by SystemExit (a dying worker) keeps its start counted, so the delivery cap
    still sees a run that keeps killing its worker; the lock goes back and the run's record
    is not a success. Found by review of a77afec, where the run's last UPDATE cleared it."""
    ann = people[0]
    with pytest.raises(SystemExit):
        sync_user_now(
            user_id=ann.pk,
            starts_below=3,
            client_for=lambda connection: _DyingClient(google_client_for(connection)),
        )
    assert _start_fields(ann)[0] == 1
    assert _start_fields(ann)[2] == ""
    assert _statuses(ann) == ["failed"]


def test_a_refusal_while_another_worker_runs_the_user_is_busy_not_capped(people):
    """A user at the cap whose lock another worker holds now (its run counted the last
    start) is busy: capping it would write "Sync stopped" over a run that is going well.
    Found by review of a77afec."""
    ann = people[0]
    UserSyncState.objects.filter(owner=ann).update(unfinished_starts=MAX_UNFINISHED_STARTS)
    token = lock_acquire(user_id=ann.pk)
    assert token is not None
    try:
        outcome = sync_user_now(user_id=ann.pk, starts_below=MAX_UNFINISHED_STARTS)
    finally:
        lock_release(user_id=ann.pk, token=token)
    assert outcome.busy and not outcome.crash_capped
