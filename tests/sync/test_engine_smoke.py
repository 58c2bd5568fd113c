"""End-to-end: a connected user, the engine, and the emulator as Google."""

from __future__ import annotations

import gc
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from django.contrib.auth.models import User
from django.db import connection

from tandem.accounts.models import GoogleConnection
from tandem.meetings.models import Meeting
from tandem.meetings.services import MeetingInput, meeting_create, meeting_update
from tandem.sync.engine import sync_user_now
from tandem.sync.locks import lock_acquire
from tandem.sync.models import SyncRun
from tandem.sync.tasks import sync_user
from tests.conftest import DEMO_GOOGLE_EMAIL, IN_PROCESS_BASE_URL
from tests.sync.harness import connect_user

CAL = "https://www.googleapis.com/auth/calendar"

pytestmark = pytest.mark.django_db(transaction=True)


def _google_api(harness):  # type: ignore[no-untyped-def]
    token = harness.emulator.mint_access_token(email=DEMO_GOOGLE_EMAIL, scopes=[CAL])
    return httpx.Client(
        transport=harness.emulator.transport(),
        base_url=f"{IN_PROCESS_BASE_URL}/calendar/v3/",
        headers={"Authorization": f"Bearer {token}"},
    )


@pytest.fixture
def connected(google_in_process, client):  # type: ignore[no-untyped-def]
    return connect_user(google_in_process, client).user, google_in_process


def test_a_crm_meeting_reaches_google_and_a_google_event_reaches_the_crm(connected):
    """Both directions in one run, and an idle second run writes nothing."""
    user, harness = connected
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
    meeting = meeting_create(
        owner=user,
        data=MeetingInput(subject="Pitch", start=start, end=start + timedelta(hours=1)),
    )
    with _google_api(harness) as api:
        created = api.post(
            f"calendars/{DEMO_GOOGLE_EMAIL}/events",
            json={
                "summary": "From Google",
                "start": {"dateTime": (start + timedelta(days=1)).isoformat()},
                "end": {"dateTime": (start + timedelta(days=1, hours=1)).isoformat()},
            },
        )
        assert created.status_code == 200, created.text

    outcome = sync_user_now(user_id=user.pk)
    assert outcome.run is not None and outcome.run.status == "succeeded", outcome.run.errors
    assert outcome.counts.get("crm_created") == 1
    assert outcome.counts.get("google_created") == 1
    assert Meeting.objects.filter(owner=user, subject="From Google").exists()
    with _google_api(harness) as api:
        items = api.get(f"calendars/{DEMO_GOOGLE_EMAIL}/events").json()["items"]
    assert sorted(item["summary"] for item in items) == ["From Google", "Pitch"]

    second = sync_user_now(user_id=user.pk)
    assert second.run is not None and second.run.status == "succeeded"
    assert not second.counts.get("crm_created") and not second.counts.get("google_created")
    assert second.run.requests == 1  # one incremental listing, nothing else

    meeting_update(
        meeting=Meeting.objects.get(pk=meeting.pk),
        data=MeetingInput(subject="Pitch v2", start=start, end=start + timedelta(hours=1)),
    )
    third = sync_user_now(user_id=user.pk)
    assert third.counts.get("google_updated") == 1, third.run.errors if third.run else None
    with _google_api(harness) as api:
        items = api.get(f"calendars/{DEMO_GOOGLE_EMAIL}/events").json()["items"]
    assert sorted(item["summary"] for item in items) == ["From Google", "Pitch v2"]


def test_the_sync_task_answers_with_what_the_run_recorded(connected):
    """The task's result, which the worker logs as "sync finished" (operators read it):
    the run's status, its writes by kind and its Google requests, as its record has them."""
    user, _ = connected
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
    meeting_create(
        owner=user,
        data=MeetingInput(subject="Pitch", start=start, end=start + timedelta(hours=1)),
    )
    summary = sync_user.apply(kwargs={"user_id": user.pk, "trigger": "manual"}).get()
    run = SyncRun.objects.get(owner=user)
    assert (summary["status"], summary["skipped"]) == ("succeeded", "")
    assert summary["counts"]["google_created"] == 1
    assert summary["requests"] == run.requests > 0


def test_the_sync_task_of_a_user_without_google_says_why_nothing_ran(db):
    user = User.objects.create_user("nogoogle")
    summary = sync_user.apply(kwargs={"user_id": user.pk, "trigger": "manual"}).get()
    assert summary == {
        "status": "skipped",
        "skipped": "Google is not connected.",
        "counts": {},
        "requests": 0,
    }
    assert not SyncRun.objects.filter(owner=user).exists()


def test_the_sync_task_of_a_user_who_has_not_saved_sync_settings_says_why_nothing_ran(  # type: ignore[no-untyped-def]
    google_in_process, client
):
    """Connected to Google, but no calendar picked yet: no run, and the task says why."""
    user = User.objects.create_user("newcomer", password="pw")
    client.force_login(user)
    assert google_in_process.connect(client).status_code == 302
    summary = sync_user.apply(kwargs={"user_id": user.pk, "trigger": "manual"}).get()
    assert summary == {
        "status": "skipped",
        "skipped": "Synchronization settings are not saved yet.",
        "counts": {},
        "requests": 0,
    }
    assert not SyncRun.objects.filter(owner=user).exists()


def test_a_sync_of_a_user_another_worker_is_syncing_answers_busy(connected):  # type: ignore[no-untyped-def]
    """The task's result says "busy" (the worker logs it) and no run is recorded."""
    user, _ = connected
    assert lock_acquire(user_id=user.pk) is not None  # the other worker
    outcome = sync_user_now(user_id=user.pk)
    assert outcome.summary() == {"status": "busy", "skipped": "", "counts": {}, "requests": 0}
    assert not SyncRun.objects.filter(owner=user).exists()


def test_the_sync_task_of_a_user_whose_google_access_lapsed_says_why_nothing_ran(connected):
    user, _ = connected
    GoogleConnection.objects.filter(user=user).update(
        status=GoogleConnection.Status.NEEDS_RECONNECT
    )
    summary = sync_user.apply(kwargs={"user_id": user.pk, "trigger": "manual"}).get()
    assert (summary["status"], summary["skipped"]) == ("skipped", "Google is not connected.")
    assert not SyncRun.objects.filter(owner=user).exists()


def test_a_run_pauses_the_garbage_collector_and_gives_it_back_as_it_found_it(connected):
    """The cyclic collector waits for the run's end (engine/run.py): off while the run reads
    and writes (seen from its statements), on again after it, and left off when a caller
    had turned it off."""
    user, _ = connected
    enabled_at_statement: list[bool] = []

    def observe(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        enabled_at_statement.append(gc.isenabled())
        return execute(sql, params, many, context)

    assert gc.isenabled()
    with connection.execute_wrapper(observe):
        outcome = sync_user_now(user_id=user.pk)
    assert outcome.run is not None and outcome.run.status == "succeeded", outcome.run.errors
    # The lock and the run's start are read before the pause; the run itself after it.
    assert enabled_at_statement[0] and not enabled_at_statement[-1]
    assert gc.isenabled()
    gc.disable()
    try:
        sync_user_now(user_id=user.pk)
        assert not gc.isenabled()
    finally:
        gc.enable()
