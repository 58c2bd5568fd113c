"""One retry policy for every task that syncs a user (tandem.sync.tasks.retry_if_needed,
tandem.sync.retry): a run that did not happen because another worker holds the user is
retried after the debounce, one stopped by a retryable Google error (or the request budget)
is retried with backoff, and after MAX_RETRIES the task gives up and the user's status says
why. Each rule is shown for sync_user, sync_user_keeping_meetings and
sync_user_allowing_deletions, through the emulator and a real database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from celery.app.task import Task
from celery.exceptions import MaxRetriesExceededError, Retry
from django.contrib.auth.models import User

from tandem.google import errors
from tandem.meetings.models import Meeting
from tandem.sync.engine import sync_user_now
from tandem.sync.locks import lock_acquire, lock_release
from tandem.sync.models import SyncRun, UserSyncState
from tandem.sync.retry import BASE_SECONDS, MAX_RETRIES
from tandem.sync.tasks import sync_user, sync_user_allowing_deletions, sync_user_keeping_meetings
from tests.conftest import GoogleHarness
from tests.sync.sched_support import (
    connect_user,
    google_api,
    google_event_create,
    google_summaries,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def ann(google_in_process: GoogleHarness) -> User:
    return connect_user(google_in_process, username="ann")


def _run_as_worker(task: Task, kwargs: dict[str, Any], *, retries: int = 0) -> Any:
    """Runs the task as a worker runs a delivered message (is_eager: a retry raises Retry,
    which carries the message to send, and sends nothing)."""
    task.push_request(
        id=f"test-{retries}",
        args=[],
        kwargs=kwargs,
        retries=retries,
        is_eager=True,
        called_directly=False,
    )
    try:
        return task.run(**kwargs)
    finally:
        task.pop_request()


def _trip_the_breaker(user: User, harness: GoogleHarness, *, events: int) -> None:
    """``events`` events synced, then all deleted in Google: the next run holds them back."""
    with google_api(harness) as api:
        ids = [
            google_event_create(api, summary=f"E{n:02}", days=n + 1)["id"] for n in range(events)
        ]
        assert sync_user_now(user_id=user.pk).run.status == "succeeded"  # type: ignore[union-attr]
        for event_id in ids:
            assert api.delete(f"calendars/dana@example.com/events/{event_id}").status_code == 204
    outcome = sync_user_now(user_id=user.pk)
    assert outcome.run is not None and outcome.run.status == SyncRun.Status.NEEDS_ATTENTION


# -- defect 5 of issue 11 -------------------------------------------------------------------


def test_keep_my_meetings_stopped_by_the_request_budget_is_retried_until_every_event_is_back(
    ann, google_in_process, settings
):
    """ "Keep my meetings" restores more events than the minute's request budget allows:
    the run stops part-way with a retryable stop, and the task retries each time the minute
    has moved on until every event is back (issue 11, defect 5: it used to end there).
    The retries only finish the sync: the links of gone events were dropped once."""
    events = 20
    _trip_the_breaker(ann, google_in_process, events=events)
    settings.SYNC_REQUESTS_PER_MINUTE = 10  # fewer than one request per restore
    now = datetime.now(UTC) + timedelta(seconds=61)  # the setup runs' requests are spent
    with time_machine.travel(now, tick=False):
        with pytest.raises(Retry) as retry:
            _run_as_worker(sync_user_keeping_meetings, {"user_id": ann.pk})
        stopped = SyncRun.objects.get(owner=ann, trigger="keep_meetings")
        assert stopped.status == SyncRun.Status.FAILED
        assert stopped.requests == 10  # the budget stopped it, not Google
        assert 30 <= float(retry.value.when) <= 240  # the budget's own wait
        assert UserSyncState.objects.get(owner=ann).needs_attention == ""
        with google_api(google_in_process) as api:
            assert 0 < len(google_summaries(api)) < events  # restored so far

    pending, tries = retry.value, 1
    while True:  # a worker runs each retry once its countdown is over
        assert tries <= MAX_RETRIES, "the budget should let the restore through in time"
        assert pending.sig is not None
        assert pending.sig.kwargs == {"user_id": ann.pk, "links_dropped": True}
        now += timedelta(seconds=float(pending.when) + 1)
        with time_machine.travel(now, tick=False):
            try:
                summary = _run_as_worker(
                    sync_user_keeping_meetings, pending.sig.kwargs, retries=tries
                )
                break
            except Retry as again:
                pending, tries = again, tries + 1
    assert summary["status"] == SyncRun.Status.SUCCEEDED
    assert Meeting.objects.alive().filter(owner=ann, subject__startswith="E").count() == events
    with google_api(google_in_process) as api:
        assert google_summaries(api) == [f"E{n:02}" for n in range(events)]
    assert UserSyncState.objects.get(owner=ann).last_error == ""


def test_keep_my_meetings_whose_look_at_google_fails_is_retried_from_the_start(
    ann, google_in_process
):
    """A 503 while reading which events Google no longer has: nothing is forgotten yet, so
    the retry reads again before it syncs, and every event comes back."""
    _trip_the_breaker(ann, google_in_process, events=12)
    google_in_process.emulator.inject_fault(route="GET */events", status=503, times=1)
    with pytest.raises(Retry) as retry:
        _run_as_worker(sync_user_keeping_meetings, {"user_id": ann.pk})
    assert isinstance(retry.value.exc, errors.BackendError)
    assert not SyncRun.objects.filter(owner=ann, trigger="keep_meetings").exists()
    assert UserSyncState.objects.get(owner=ann).needs_attention != ""  # still asked

    assert retry.value.sig is not None
    assert retry.value.sig.kwargs == {"user_id": ann.pk}
    result = retry.value.sig.apply()
    assert result.successful(), result.traceback
    assert result.result["status"] == SyncRun.Status.SUCCEEDED
    with google_api(google_in_process) as api:
        assert google_summaries(api) == [f"E{n:02}" for n in range(12)]


# -- the policy every sync task shares ------------------------------------------------------

TASKS = [
    pytest.param(sync_user, {"trigger": "schedule"}, id="sync_user"),
    pytest.param(sync_user_keeping_meetings, {}, id="sync_user_keeping_meetings"),
    pytest.param(sync_user_allowing_deletions, {}, id="sync_user_allowing_deletions"),
]


def _event_listings(harness: GoogleHarness) -> int:
    return sum(
        1
        for entry in harness.emulator.request_log
        if entry.method == "GET" and entry.path.endswith("/events")
    )


@pytest.mark.parametrize(("task", "arguments"), TASKS)
def test_a_busy_user_is_retried_after_the_debounce_then_synced(
    task, arguments, ann, google_in_process, settings
):
    """Another worker holds the user: the task touches nothing, asks to run again just after
    the debounce, and that retry syncs."""
    token = lock_acquire(user_id=ann.pk)
    assert token is not None
    listings = _event_listings(google_in_process)
    with pytest.raises(Retry) as retry:
        _run_as_worker(task, {"user_id": ann.pk, **arguments})
    assert float(retry.value.when) == settings.SYNC_DEBOUNCE_SECONDS + 1
    assert _event_listings(google_in_process) == listings
    assert not SyncRun.objects.filter(owner=ann).exists()

    lock_release(user_id=ann.pk, token=token)
    assert retry.value.sig is not None
    result = retry.value.sig.apply()
    assert result.successful(), result.traceback
    assert result.result["status"] == SyncRun.Status.SUCCEEDED


@pytest.mark.parametrize(("task", "arguments"), TASKS)
def test_a_transient_google_error_is_retried_with_backoff_then_synced(
    task, arguments, ann, google_in_process
):
    """A 503 stops the task; it asks to run again after a backoff within its attempt's
    ceiling, and that retry syncs."""
    google_in_process.emulator.inject_fault(route="GET */events", status=503, times=1)
    with pytest.raises(Retry) as retry:
        _run_as_worker(task, {"user_id": ann.pk, **arguments}, retries=2)
    assert isinstance(retry.value.exc, errors.BackendError)
    assert 0 <= float(retry.value.when) <= BASE_SECONDS * 2**2
    assert "retries automatically" in UserSyncState.objects.get(owner=ann).last_error

    assert retry.value.sig is not None
    result = retry.value.sig.apply()
    assert result.successful(), result.traceback
    assert result.result["status"] == SyncRun.Status.SUCCEEDED
    assert UserSyncState.objects.get(owner=ann).last_error == ""


@pytest.mark.parametrize(("task", "arguments"), TASKS)
def test_a_user_busy_every_time_is_given_up_after_max_retries(
    task, arguments, ann, google_in_process
):
    """Through Celery's own retry path: MAX_RETRIES retries that all find the user busy,
    then the task ends and the user's status says why."""
    assert lock_acquire(user_id=ann.pk) is not None  # held for the whole test
    result = task.apply(kwargs={"user_id": ann.pk, **arguments})
    assert result.failed()
    assert isinstance(result.result, MaxRetriesExceededError)
    assert _event_listings(google_in_process) == 0
    state = UserSyncState.objects.get(owner=ann)
    assert state.last_error == (
        f"Sync gave up after {MAX_RETRIES + 1} tries: another sync of this account kept "
        "running. It is tried again at the next sync."
    )


@pytest.mark.parametrize(("task", "arguments"), TASKS)
def test_google_failing_every_time_is_given_up_after_max_retries(
    task, arguments, ann, google_in_process, client
):
    """Through Celery's own retry path: Google answers 503 to every listing; the task runs
    1 + MAX_RETRIES times, ends with Google's error, and the status page says it gave up."""
    google_in_process.emulator.inject_fault(route="GET */events", status=503, times=-1)
    result = task.apply(kwargs={"user_id": ann.pk, **arguments})
    assert result.failed()
    assert isinstance(result.result, errors.BackendError)
    assert _event_listings(google_in_process) == MAX_RETRIES + 1
    reason = (
        f"Sync gave up after {MAX_RETRIES + 1} tries: Google stayed busy or unreachable. "
        "It is tried again at the next sync."
    )
    assert UserSyncState.objects.get(owner=ann).last_error == reason
    client.force_login(ann)
    assert reason in client.get("/preferences/external-services/").content.decode()
