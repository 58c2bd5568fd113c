"""Plain regression tests for bugs the convergence state machine found
(tests/sync/test_convergence_db.py), each against the real database and the emulator."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from django.contrib.auth.models import User

from tandem.accounts.google_services import (
    SettingsChoice,
    calendars_refresh,
    connection_for,
    sync_settings_save,
)
from tandem.google import errors as google_errors
from tandem.meetings.models import Meeting
from tandem.meetings.services import MeetingInput, meeting_create, meeting_update
from tandem.sync.core.fields import MeetingFields, TimedMoment
from tandem.sync.engine import sync_user_now
from tandem.sync.models import SyncRun
from tests.conftest import DEMO_GOOGLE_EMAIL, IN_PROCESS_BASE_URL, GoogleHarness
from tests.sync.prop_support import CALENDAR_SCOPE, meeting_input

pytestmark = pytest.mark.django_db(transaction=True)

TEAM = "team@group.calendar.test"


def _api(harness: GoogleHarness) -> httpx.Client:
    """The account's owner in Google Calendar."""
    token = harness.emulator.mint_access_token(email=DEMO_GOOGLE_EMAIL, scopes=[CALENDAR_SCOPE])
    return httpx.Client(
        transport=harness.emulator.transport(),
        base_url=f"{IN_PROCESS_BASE_URL}/calendar/v3/",
        headers={"Authorization": f"Bearer {token}"},
    )


def _save(user: User, *, inbound: list[str]) -> None:
    sync_settings_save(
        connection=connection_for(user=user),
        choice=SettingsChoice(
            inbound_calendar_ids=inbound, target_calendar_id=DEMO_GOOGLE_EMAIL, sync_private=False
        ),
    )


@pytest.fixture
def connected(google_in_process: GoogleHarness, client: Any) -> tuple[User, GoogleHarness]:
    google_in_process.emulator.create_calendar(
        email=DEMO_GOOGLE_EMAIL, summary="Team", calendar_id=TEAM
    )
    user = User.objects.create_user("ann", password="pw")
    client.force_login(user)
    google_in_process.connect(client)
    calendars_refresh(connection=connection_for(user=user))
    _save(user, inbound=[DEMO_GOOGLE_EMAIL])
    return user, google_in_process


def meeting_input_for(subject: str, start: datetime) -> MeetingInput:
    """An hour-long meeting in UTC, as typed into the meeting form."""
    fields = MeetingFields(
        subject=subject,
        start=TimedMoment(start, "UTC"),
        end=TimedMoment(start + timedelta(hours=1), "UTC"),
    )
    return meeting_input(fields)


def _tomorrow() -> datetime:
    return datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)


def _live_events(harness: GoogleHarness, calendar_id: str) -> list[dict[str, Any]]:
    with _api(harness) as api:
        items = api.get(f"calendars/{calendar_id}/events").json()["items"]
    return [item for item in items if item["status"] != "cancelled"]


@pytest.mark.parametrize(
    ("fault", "expected"),
    [
        ({"status": 500, "reason": "backendError"}, google_errors.BackendError),
        ({"status": 503, "reason": "backendError"}, google_errors.BackendError),
        ({"status": 403, "reason": "rateLimitExceeded"}, google_errors.RateLimited),
        ({"status": 429, "reason": "rateLimitExceeded"}, google_errors.RateLimited),
    ],
)
def test_a_failing_token_refresh_fails_the_run_for_a_retry_and_loses_nothing(
    connected: tuple[User, GoogleHarness], fault: dict[str, Any], expected: type
) -> None:
    """Google's token endpoint answering 5xx or a rate limit while the access token is
    refreshed ends the run as failed with a retryable error (it used to escape as an
    httpx or TypeError crash); the next clean run pushes the meeting exactly once."""
    user, harness = connected
    start = _tomorrow()
    meeting_create(owner=user, data=meeting_input_for("Pitch", start))
    harness.emulator.expire_access_tokens()
    harness.emulator.inject_fault(route="POST /token", times=1, **fault)

    failed = sync_user_now(user_id=user.pk)

    assert failed.run is not None and failed.run.status == SyncRun.Status.FAILED
    assert isinstance(failed.retryable_error, expected), failed.retryable_error
    again = sync_user_now(user_id=user.pk)
    assert again.run is not None and again.run.status == SyncRun.Status.SUCCEEDED, again.run
    assert [event["summary"] for event in _live_events(harness, DEMO_GOOGLE_EMAIL)] == ["Pitch"]


def test_a_crm_edit_reaches_google_before_its_calendar_is_unpicked(
    connected: tuple[User, GoogleHarness],
) -> None:
    """Un-picking an inbound calendar takes its meetings out of the CRM, but a CRM edit not
    pushed yet still reaches the event first (it used to be lost with the meeting)."""
    user, harness = connected
    start = _tomorrow()
    with _api(harness) as api:
        created = api.post(
            f"calendars/{TEAM}/events",
            json={
                "summary": "Team lunch",
                "start": {"dateTime": start.isoformat()},
                "end": {"dateTime": (start + timedelta(hours=1)).isoformat()},
            },
        )
        assert created.status_code == 200, created.text
    _save(user, inbound=[DEMO_GOOGLE_EMAIL, TEAM])
    assert sync_user_now(user_id=user.pk).counts.get("crm_created") == 1
    meeting = Meeting.objects.get(owner=user, subject="Team lunch")
    meeting_update(meeting=meeting, data=meeting_input_for("Team lunch, room 4", start))

    _save(user, inbound=[DEMO_GOOGLE_EMAIL])
    outcome = sync_user_now(user_id=user.pk)

    assert outcome.run is not None and outcome.run.status == SyncRun.Status.SUCCEEDED
    assert [event["summary"] for event in _live_events(harness, TEAM)] == ["Team lunch, room 4"]
    assert Meeting.objects.get(pk=meeting.pk).deleted_at is not None


def test_an_event_moved_out_of_the_window_during_a_full_relist_is_no_deletion(
    connected: tuple[User, GoogleHarness],
) -> None:
    """A 410 makes the engine re-list from the window start; an event moved 50 days back
    meanwhile is missing from that listing, yet it was not deleted: its meeting follows it
    (it used to be deleted)."""
    user, harness = connected
    start = _tomorrow()
    with _api(harness) as api:
        moved, _other = (
            api.post(
                f"calendars/{DEMO_GOOGLE_EMAIL}/events",
                json={
                    "summary": summary,
                    "start": {"dateTime": start.isoformat()},
                    "end": {"dateTime": (start + timedelta(hours=1)).isoformat()},
                },
            ).json()
            for summary in ("Moved back", "Stays")
        )
    assert sync_user_now(user_id=user.pk).counts.get("crm_created") == 2
    past = start - timedelta(days=50)
    with _api(harness) as api:
        answer = api.patch(
            f"calendars/{DEMO_GOOGLE_EMAIL}/events/{moved['id']}",
            json={
                "start": {"dateTime": past.isoformat()},
                "end": {"dateTime": (past + timedelta(hours=1)).isoformat()},
            },
        )
        assert answer.status_code == 200, answer.text
    harness.emulator.expire_sync_tokens()

    outcome = sync_user_now(user_id=user.pk)

    assert outcome.run is not None and outcome.run.status == SyncRun.Status.SUCCEEDED
    assert outcome.counts.get("full_resyncs") == 1
    meeting = Meeting.objects.get(owner=user, subject="Moved back")
    assert meeting.deleted_at is None
    assert meeting.start == past


def test_a_meeting_made_private_in_google_then_public_in_the_crm_comes_back_to_google(
    connected: tuple[User, GoogleHarness],
) -> None:
    """A pushed meeting made private in Google leaves Google (private sync is off) and stays
    in the CRM; made visible again in the CRM, its event is undeleted. The cancelled event
    seen without a link used to store the CRM's copy as agreed, so the next pass read the
    cancellation as a deletion and deleted the meeting."""
    user, harness = connected
    start = _tomorrow()
    meeting = meeting_create(owner=user, data=meeting_input_for("Pitch", start))
    sync_user_now(user_id=user.pk)
    (event,) = _live_events(harness, DEMO_GOOGLE_EMAIL)
    with _api(harness) as api:
        answer = api.patch(
            f"calendars/{DEMO_GOOGLE_EMAIL}/events/{event['id']}", json={"visibility": "private"}
        )
        assert answer.status_code == 200, answer.text
    sync_user_now(user_id=user.pk)
    assert _live_events(harness, DEMO_GOOGLE_EMAIL) == []
    assert Meeting.objects.get(pk=meeting.pk).visibility == "private"

    meeting_update(
        meeting=Meeting.objects.get(pk=meeting.pk), data=meeting_input_for("Pitch", start)
    )
    outcome = sync_user_now(user_id=user.pk)

    assert outcome.run is not None and outcome.run.status == SyncRun.Status.SUCCEEDED
    assert Meeting.objects.get(pk=meeting.pk).deleted_at is None
    (back,) = _live_events(harness, DEMO_GOOGLE_EMAIL)
    assert (back["id"], back["summary"], back.get("visibility")) == (
        event["id"],
        "Pitch",
        "default",
    )


def test_a_calendar_picked_again_brings_its_events_back_into_the_crm(
    connected: tuple[User, GoogleHarness],
) -> None:
    """Un-picking a calendar takes its meetings out of the CRM; picking it again brings its
    events back (they used to stay out: the removed meeting's import record paired each
    event with its tombstone, read as a deletion in the CRM)."""
    user, harness = connected
    start = _tomorrow()
    with _api(harness) as api:
        created = api.post(
            f"calendars/{TEAM}/events",
            json={
                "summary": "Team lunch",
                "start": {"dateTime": start.isoformat()},
                "end": {"dateTime": (start + timedelta(hours=1)).isoformat()},
            },
        )
        assert created.status_code == 200, created.text
    _save(user, inbound=[DEMO_GOOGLE_EMAIL, TEAM])
    sync_user_now(user_id=user.pk)
    _save(user, inbound=[DEMO_GOOGLE_EMAIL])
    sync_user_now(user_id=user.pk)
    assert not Meeting.objects.filter(owner=user, deleted_at=None).exists()

    _save(user, inbound=[DEMO_GOOGLE_EMAIL, TEAM])
    outcome = sync_user_now(user_id=user.pk)

    assert outcome.run is not None and outcome.run.status == SyncRun.Status.SUCCEEDED
    alive = Meeting.objects.filter(owner=user, deleted_at=None)
    assert [meeting.subject for meeting in alive] == ["Team lunch"]
    assert [event["summary"] for event in _live_events(harness, TEAM)] == ["Team lunch"]
    assert _live_events(harness, DEMO_GOOGLE_EMAIL) == []
