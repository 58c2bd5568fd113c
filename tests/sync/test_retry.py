"""Which failures are retried and after how long; the sync_user task's retry policy, its
delivery cap, and the per-user request budget."""

from __future__ import annotations

import inspect
import random
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import time_machine
from celery.exceptions import Retry
from django.utils import timezone

from tandem.google import errors
from tandem.meetings.services import MeetingInput, meeting_create
from tandem.sync.budget import BudgetSpent
from tandem.sync.engine import sync_user_now
from tandem.sync.models import SyncRun, UserSyncState
from tandem.sync.retry import (
    BASE_SECONDS,
    MAX_BACKOFF_SECONDS,
    backoff_seconds,
    gave_up_reason,
    is_retryable,
    plain_reason,
)
from tandem.sync.tasks import MAX_UNFINISHED_STARTS, sync_user
from tests.sync.sched_support import connect_user, google_api, google_summaries

# Every class of tandem.google.errors, and whether a sync task retries it. A new class makes
# test_every_google_error_class_is_classified fail until it is added here.
RETRIED = {
    errors.TransientError: True,
    errors.RateLimited: True,
    errors.BackendError: True,
    errors.NetworkError: True,
    errors.GoogleError: False,
    errors.AuthError: False,  # the client already refreshed once; a second 401 is not transient
    errors.ConnectionLost: False,
    errors.InvalidGrant: False,
    errors.InsufficientScope: False,
    errors.QuotaExceeded: False,
    errors.NotFound: False,
    errors.Gone: False,
    errors.SyncTokenInvalid: False,
    errors.Duplicate: False,
    errors.PreconditionFailed: False,
    errors.Forbidden: False,
    errors.BadRequest: False,
    errors.MalformedResponse: False,
}


def test_every_google_error_class_is_classified():
    classes = {
        obj
        for _, obj in inspect.getmembers(errors, inspect.isclass)
        if issubclass(obj, errors.GoogleError) and obj.__module__ == errors.__name__
    }
    assert classes == set(RETRIED)


@pytest.mark.parametrize("error_class", list(RETRIED), ids=lambda c: c.__name__)
def test_retry_classification(error_class):
    assert is_retryable(error_class("x")) is RETRIED[error_class]


def test_our_own_budget_stop_is_retried_and_other_exceptions_are_not():
    assert is_retryable(BudgetSpent("budget", retry_after=12))
    assert not is_retryable(RuntimeError("bug"))


def _response(status: int, reason: str | None = None, **headers: str) -> httpx.Response:
    body: dict[str, Any] = {"error": {"code": status, "message": "m"}}
    if reason:
        body["error"]["errors"] = [{"reason": reason, "domain": "usageLimits"}]
    return httpx.Response(status, json=body, headers=headers)


@pytest.mark.parametrize(
    ("response", "retried"),
    [
        (_response(500), True),
        (_response(502), True),
        (_response(503, "backendError"), True),
        (_response(504), True),
        (_response(429, "rateLimitExceeded"), True),
        (_response(403, "rateLimitExceeded"), True),
        (_response(403, "userRateLimitExceeded"), True),
        (_response(403, "quotaExceeded"), False),
        (_response(403, "forbiddenForNonOrganizer"), False),
        (_response(403, "insufficientPermissions"), False),
        (httpx.Response(400, json={"error": "invalid_grant"}), False),
        (_response(404), False),
        (_response(410, "fullSyncRequired"), False),
        (_response(412, "conditionNotMet"), False),
    ],
    ids=lambda v: getattr(v, "status_code", v),
)
def test_google_answers_are_retried_only_when_transient(response, retried):
    """5xx, 429 and 403 rate limits: retried; quotaExceeded, invalid_grant and other 4xx: not."""
    assert is_retryable(errors.error_from_response(response)) is retried


def test_retry_after_is_read_from_the_answer():
    error = errors.error_from_response(_response(429, "rateLimitExceeded", **{"Retry-After": "30"}))
    assert error.retry_after == 30.0
    assert backoff_seconds(0, retry_after=error.retry_after, rng=random.Random(1)) >= 30.0


def test_backoff_grows_exponentially_with_full_jitter_and_a_ceiling():
    rng = random.Random(7)
    for attempt in range(10):
        ceiling = min(MAX_BACKOFF_SECONDS, BASE_SECONDS * 2**attempt)
        waits = [backoff_seconds(attempt, rng=rng) for _ in range(200)]
        assert all(0 <= wait <= ceiling for wait in waits)
        # Full jitter: spread over the whole range, not bunched at the ceiling.
        assert min(waits) < ceiling * 0.1 and max(waits) > ceiling * 0.9


def test_retry_after_wins_over_a_shorter_backoff_and_is_capped():
    rng = random.Random(3)
    assert all(backoff_seconds(0, retry_after=20, rng=rng) >= 20 for _ in range(50))
    assert backoff_seconds(0, retry_after=10_000, rng=rng) <= MAX_BACKOFF_SECONDS * 4


def test_plain_reasons_tell_the_user_what_happens():
    assert "daily usage limit" in plain_reason(errors.QuotaExceeded("q"))
    assert "Reconnect Google" in plain_reason(errors.InvalidGrant("g"))
    assert "retries automatically" in plain_reason(errors.BackendError("b"))


def test_a_task_that_gives_up_says_why():
    assert gave_up_reason(error=None, tries=7) == (
        "Sync gave up after 7 tries: another sync of this account kept running. "
        "It is tried again at the next sync."
    )
    assert "Google requests per minute" in gave_up_reason(error=errors.RateLimited("r"), tries=7)
    budget = BudgetSpent("budget", retry_after=12)
    assert "Google requests per minute" in gave_up_reason(error=budget, tries=7)
    assert "Google stayed busy or unreachable" in gave_up_reason(
        error=errors.BackendError("b"), tries=7
    )


# -- the task -------------------------------------------------------------------------------


@contextmanager
def _as_worker(retries: int = 0) -> Iterator[None]:
    """The request context a worker gives sync_user (is_eager: retry raises, sends nothing)."""
    sync_user.push_request(
        id=f"test-{retries}", retries=retries, is_eager=True, called_directly=False
    )
    try:
        yield
    finally:
        sync_user.pop_request()


@pytest.fixture
def ann(google_in_process):  # type: ignore[no-untyped-def]
    return connect_user(google_in_process, username="ann")


@pytest.mark.django_db(transaction=True)
def test_a_transient_error_is_retried_with_backoff_then_the_sync_completes(ann, google_in_process):
    google_in_process.emulator.inject_fault(route="GET */events", status=503, times=1)
    with _as_worker(retries=2), pytest.raises(Retry) as retry:
        sync_user.run(user_id=ann.pk, trigger="schedule")
    assert 0 <= float(retry.value.when) <= BASE_SECONDS * 2**2
    state = UserSyncState.objects.get(owner=ann)
    assert "retries automatically" in state.last_error
    assert state.unfinished_starts == 0  # the run finished (badly), it did not crash

    with _as_worker(retries=3):
        summary = sync_user.run(user_id=ann.pk, trigger="schedule")
    assert summary["status"] == SyncRun.Status.SUCCEEDED
    assert list(SyncRun.objects.filter(owner=ann).values_list("status", flat=True)) == [
        "succeeded",
        "failed",
    ]
    assert UserSyncState.objects.get(owner=ann).last_error == ""


@pytest.mark.django_db(transaction=True)
def test_apply_runs_the_retries_until_google_recovers(ann, google_in_process):
    """Through Celery's own retry path (eagerly applied): two 429s, then success."""
    google_in_process.emulator.inject_fault(
        route="GET */events", status=429, reason="rateLimitExceeded", times=2
    )
    result = sync_user.apply(kwargs={"user_id": ann.pk, "trigger": "schedule"})
    assert result.successful(), result.traceback
    assert result.result["status"] == "succeeded"
    assert SyncRun.objects.filter(owner=ann).count() == 3


@pytest.mark.django_db(transaction=True)
def test_quota_exceeded_is_not_retried_and_the_user_is_told(ann, google_in_process, client):
    google_in_process.emulator.inject_fault(
        route="GET */events", status=403, reason="quotaExceeded", times=-1
    )
    with _as_worker():
        summary = sync_user.run(user_id=ann.pk, trigger="schedule")  # no Retry raised
    assert summary["status"] == SyncRun.Status.FAILED
    client.force_login(ann)
    page = client.get("/preferences/external-services/").content.decode()
    assert "daily usage limit" in page


@pytest.mark.django_db(transaction=True)
def test_a_revoked_grant_is_not_retried_and_asks_to_reconnect(ann, google_in_process, client):
    google_in_process.emulator.revoke_tokens(email="dana@example.com")
    with _as_worker():
        summary = sync_user.run(user_id=ann.pk, trigger="schedule")
    assert summary["status"] == SyncRun.Status.FAILED
    assert "Reconnect Google" in UserSyncState.objects.get(owner=ann).last_error
    client.force_login(ann)
    assert b"Reconnect" in client.get("/preferences/external-services/").content


@pytest.mark.django_db(transaction=True)
def test_a_run_that_keeps_killing_its_worker_gives_up_and_flags_the_user(ann, google_in_process):
    """Starts that never finished (the worker died: the counter was never reset) reach the
    cap: the next delivery does not run, calls Google zero times and asks for attention."""
    UserSyncState.objects.filter(owner=ann).update(unfinished_starts=MAX_UNFINISHED_STARTS)
    calls_before = len(google_in_process.emulator.request_log)
    with _as_worker():
        summary = sync_user.run(user_id=ann.pk, trigger="schedule")
    assert summary == {"status": "gave_up"}
    assert len(google_in_process.emulator.request_log) == calls_before
    assert not SyncRun.objects.filter(owner=ann).exists()
    state = UserSyncState.objects.get(owner=ann)
    assert "failed to finish several times" in state.needs_attention
    from tandem.sync.scheduling import due_user_ids

    assert ann.pk not in due_user_ids()  # the schedule leaves it alone until someone looks


@pytest.mark.django_db(transaction=True)
def test_one_crashed_start_below_the_cap_still_runs(ann):
    UserSyncState.objects.filter(owner=ann).update(unfinished_starts=MAX_UNFINISHED_STARTS - 1)
    with _as_worker():
        summary = sync_user.run(user_id=ann.pk, trigger="schedule")
    assert summary["status"] == "succeeded"
    assert UserSyncState.objects.get(owner=ann).unfinished_starts == 0


# -- the request budget ---------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_request_budget_stops_a_run_before_google_would_and_the_retry_finishes_it(
    ann, google_in_process, settings
):
    """With 4 requests a minute allowed, pushing 6 meetings stops after 4 calls (a retryable
    stop, the wait until the minute frees up); a minute later the rest goes through."""
    settings.SYNC_REQUESTS_PER_MINUTE = 4
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
    for number in range(6):
        meeting_create(
            owner=ann,
            data=MeetingInput(
                subject=f"M{number}",
                start=start + timedelta(hours=number),
                end=start + timedelta(hours=number, minutes=30),
            ),
        )
    log = google_in_process.emulator.request_log
    before = len(log)
    with _as_worker(), pytest.raises(Retry) as retry:
        sync_user.run(user_id=ann.pk, trigger="schedule")
    calendar_calls = [e for e in log[before:] if e.path.startswith("/calendar/v3/")]
    assert len(calendar_calls) == 4
    assert 30 <= float(retry.value.when) <= 240  # the budget's own wait, not a blind backoff
    run = SyncRun.objects.get(owner=ann)
    assert run.requests == 4

    with time_machine.travel(datetime.now(UTC) + timedelta(seconds=61)), _as_worker(1):
        summary = sync_user.run(user_id=ann.pk, trigger="schedule")
    assert summary["status"] == "succeeded"
    with google_api(google_in_process) as api:
        assert google_summaries(api) == [f"M{n}" for n in range(6)]


@pytest.mark.django_db(transaction=True)
def test_the_budget_counts_the_requests_of_the_runs_of_the_last_minute(
    ann, google_in_process, settings
):
    """Read with everything a run starts from (engine/run.py): runs that finished within
    the minute count, older ones do not, and the wait is until the oldest leaves it."""
    settings.SYNC_REQUESTS_PER_MINUTE = 4
    now = timezone.now()
    for seconds_ago, requests in ((90, 50), (20, 3), (10, 1)):
        SyncRun.objects.create(
            owner=ann,
            status=SyncRun.Status.FAILED,
            requests=requests,
            finished_at=now - timedelta(seconds=seconds_ago),
        )
    log = google_in_process.emulator.request_log
    before = len(log)
    outcome = sync_user_now(user_id=ann.pk, trigger="schedule")
    assert isinstance(outcome.retryable_error, BudgetSpent)
    assert [e for e in log[before:] if e.path.startswith("/calendar/v3/")] == []
    assert 35 <= outcome.retryable_error.retry_after <= 41  # the run of 20 s ago leaves at 40
    SyncRun.objects.filter(owner=ann, requests=1).update(requests=0)  # 3 used: one more fits
    outcome = sync_user_now(user_id=ann.pk, trigger="schedule")
    assert outcome.run is not None and outcome.run.status == "succeeded"  # an idle run: 1
    assert len([e for e in log[before:] if e.path.startswith("/calendar/v3/")]) == 1


@pytest.mark.django_db(transaction=True)
def test_a_delivery_blocked_by_a_dead_workers_lock_keeps_the_crash_count(ann, settings):
    """A worker died mid-run holding the lock: the redelivered task finds the user busy,
    retries, and does not wipe the crash count; once the lease is over it runs and clears it."""
    from tandem.sync.locks import lock_acquire

    assert lock_acquire(user_id=ann.pk) is not None  # the dead worker's lease
    UserSyncState.objects.filter(owner=ann).update(unfinished_starts=1)  # its start
    with _as_worker(), pytest.raises(Retry):
        sync_user.run(user_id=ann.pk, trigger="schedule")
    assert UserSyncState.objects.get(owner=ann).unfinished_starts == 1
    later = datetime.now(UTC) + timedelta(seconds=settings.SYNC_LOCK_LEASE_SECONDS + 1)
    with time_machine.travel(later), _as_worker(1):
        assert sync_user.run(user_id=ann.pk, trigger="schedule")["status"] == "succeeded"
    assert UserSyncState.objects.get(owner=ann).unfinished_starts == 0
