"""The per-user lease lock: two workers never sync one user at once, on SQLite (where
select_for_update does nothing) as on PostgreSQL (CI's second pass runs these again there)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import pytest
import time_machine
from django.db import connection

from tandem.sync.engine import SyncOutcome, sync_user_now
from tandem.sync.engine import run as run_module
from tandem.sync.locks import UserBusy, lock_acquire, lock_release, lock_renew, user_lock
from tandem.sync.models import SyncRun, UserSyncState
from tests.sync.sched_support import connect_user, syncable_rows

pytestmark = pytest.mark.django_db(transaction=True)

T = TypeVar("T")


def _race(count: int, work: Callable[[], T]) -> list[T]:
    """Runs ``work`` in ``count`` threads released at the same instant; each thread has its
    own database connection, like separate workers."""
    barrier = threading.Barrier(count)
    results: list[T] = []
    errors: list[BaseException] = []
    guard = threading.Lock()

    def run() -> None:
        try:
            barrier.wait(timeout=10)
            result = work()
            with guard:
                results.append(result)
        except BaseException as error:  # reported by the test thread
            with guard:
                errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert len(results) == count
    return results


def test_a_held_lock_refuses_a_second_holder_until_released():
    user = syncable_rows(username="ann")
    first = lock_acquire(user_id=user.pk)
    assert first is not None
    assert lock_acquire(user_id=user.pk) is None
    lock_release(user_id=user.pk, token=first)
    assert lock_acquire(user_id=user.pk) is not None


def test_user_lock_raises_busy_and_releases_on_error():
    user = syncable_rows(username="ann")
    with pytest.raises(RuntimeError), user_lock(user_id=user.pk):
        with pytest.raises(UserBusy), user_lock(user_id=user.pk):
            pass
        raise RuntimeError("the run failed")
    state = UserSyncState.objects.get(owner=user)
    assert state.locked_until is None and state.lock_token == ""


def test_an_expired_lease_is_taken_over_and_the_old_holder_cannot_release_it():
    """A worker that died holding the lock blocks the user only until its lease ends; when
    it wakes up, it can neither renew nor release the new holder's lock."""
    user = syncable_rows(username="ann")
    start = datetime.now(UTC)
    with time_machine.travel(start, tick=False):
        stale = lock_acquire(user_id=user.pk, lease=timedelta(minutes=5))
        assert stale is not None
    with time_machine.travel(start + timedelta(minutes=4, seconds=59), tick=False):
        assert lock_acquire(user_id=user.pk) is None
    with time_machine.travel(start + timedelta(minutes=5, seconds=1), tick=False):
        fresh = lock_acquire(user_id=user.pk)
        assert fresh is not None
        assert not lock_renew(user_id=user.pk, token=stale)
        lock_release(user_id=user.pk, token=stale)
        assert lock_acquire(user_id=user.pk) is None  # still held by the new holder
        assert lock_renew(user_id=user.pk, token=fresh)


def test_two_workers_racing_for_one_user_get_exactly_one_lock():
    """Eight threads take the lock at the same instant, twenty times: one wins each time."""
    user = syncable_rows(username="ann")
    for _ in range(20):
        tokens = _race(8, lambda: lock_acquire(user_id=user.pk))
        winners = [token for token in tokens if token is not None]
        assert len(winners) == 1
        lock_release(user_id=user.pk, token=winners[0])


def test_first_lock_of_a_new_user_races_safely():
    """The state row does not exist yet: racing creators still leave one row and one winner."""
    user = syncable_rows(username="ann")
    tokens = _race(6, lambda: lock_acquire(user_id=user.pk))
    assert sum(token is not None for token in tokens) == 1
    assert UserSyncState.objects.filter(owner=user).count() == 1


def test_two_workers_syncing_one_user_at_once_run_it_exactly_once(google_live):
    """Two sync_user_now calls released together while Google answers slowly: one runs,
    the other returns busy without calling Google; one run is recorded."""
    user = connect_user(google_live, username="ann")
    google_live.emulator.inject_fault(route="GET */events", status=0, delay=1.0, times=-1)
    requests_before = len(google_live.emulator.request_log)

    outcomes: list[SyncOutcome] = _race(2, lambda: sync_user_now(user_id=user.pk))

    busy = [o for o in outcomes if o.busy]
    ran = [o for o in outcomes if not o.busy]
    assert len(busy) == 1 and len(ran) == 1
    assert ran[0].run is not None and ran[0].run.status == SyncRun.Status.SUCCEEDED
    assert busy[0].run is None
    assert SyncRun.objects.filter(owner=user).count() == 1
    calendar_calls = [
        entry
        for entry in google_live.emulator.request_log[requests_before:]
        if entry.path.startswith("/calendar/v3/")
    ]
    assert len(calendar_calls) == ran[0].run.requests >= 1  # only the winner called Google
    state = UserSyncState.objects.get(owner=user)
    assert state.locked_until is None  # released after the run


@pytest.mark.django_db(transaction=True)
def test_a_run_whose_lease_was_taken_over_stops_and_reports_busy(google_in_process, client):
    """A long run renews its lease between calendars and pages; when the lease expired and
    another worker took the user, the run stops writing at once and reports busy, so the
    task retries instead of two workers syncing one user."""
    from django.contrib.auth.models import User

    from tandem.sync.engine import sync_user_now
    from tandem.sync.models import SyncRun, UserSyncState
    from tests.sync.harness import connect_user

    world = connect_user(google_in_process, client, username="lease")
    user = User.objects.get(username="lease")
    original_renew = run_module.lock_renew

    def steal_then_renew(*, user_id: int, token: str, lease=None) -> bool:  # type: ignore[no-untyped-def]
        # Another worker takes the user as soon as this run first renews.
        UserSyncState.objects.filter(owner_id=user_id).update(lock_token="other-worker")
        return original_renew(user_id=user_id, token=token)

    run_module.lock_renew = steal_then_renew
    # Every keep-alive renews (as in a run whose pages take longer than a tenth of the lease).
    renewed_after = run_module.LEASE_RENEWED_AFTER
    run_module.LEASE_RENEWED_AFTER = 0.0
    try:
        outcome = sync_user_now(user_id=user.pk)
    finally:
        run_module.lock_renew = original_renew
        run_module.LEASE_RENEWED_AFTER = renewed_after
    assert outcome.busy
    run = SyncRun.objects.get(owner=user)
    assert run.status == SyncRun.Status.FAILED
    # The sync state's last error, which the person's sync status shows.
    assert run.report.first_error == "Stopped: another worker took over this user's sync."
    # The run's last UPDATE gives back only its own lock: the worker that took the user over
    # still holds it.
    assert UserSyncState.objects.get(owner=user).lock_token == "other-worker"
    assert world is not None


@pytest.mark.django_db(transaction=True)
def test_a_run_renews_its_lease_only_once_a_tenth_of_it_has_passed(
    google_in_process, client, monkeypatch
):
    """A lease taken moments ago cannot have run out, so a short run (an idle one: a few
    milliseconds) renews nothing; a run that has held it for a tenth of the lease renews at
    its next calendar or page, and goes on renewing."""
    from django.contrib.auth.models import User

    from tests.sync.harness import connect_user

    connect_user(google_in_process, client, username="renew")
    user = User.objects.get(username="renew")
    renewals: list[str] = []

    def counted_renew(*, user_id: int, token: str, lease=None) -> bool:  # type: ignore[no-untyped-def]
        renewals.append(token)
        return lock_renew(user_id=user_id, token=token)

    monkeypatch.setattr(run_module, "lock_renew", counted_renew)
    assert sync_user_now(user_id=user.pk).run.status == SyncRun.Status.SUCCEEDED
    assert renewals == []

    # The lease's tenth is over at once: each keep-alive of the run renews (between the
    # calendars and on each listing's page), with the run's own token.
    monkeypatch.setattr(run_module, "LEASE_RENEWED_AFTER", 0.0)
    assert sync_user_now(user_id=user.pk).run.status == SyncRun.Status.SUCCEEDED
    assert len(renewals) >= 3 and len(set(renewals)) == 1
