"""Google's special events through the whole engine and the emulator (issue 12, finding 1):
out of office, focus time, birthdays and Gmail-made events arrive read-only, a working
location not at all, the meeting page says why, and no run writes to them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from tandem.meetings.models import Meeting
from tests.sync.harness import (
    HOUR,
    SyncWorld,
    connect_user,
    crm_edit,
    event_body,
    google_requests,
    run_clean,
    soon,
    writes,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def world(google_in_process, client: Client) -> SyncWorld:  # type: ignore[no-untyped-def]
    return connect_user(google_in_process, client)


def seed(world: SyncWorld, summary: str | None, kind: str, **extra: Any) -> dict[str, Any]:
    start = soon(days=2)
    body = event_body(summary, start, start + HOUR, eventType=kind, **extra)
    return world.emulator.seed_event(calendar_id=world.primary, event=body)


def seed_all(world: SyncWorld) -> None:
    seed(world, None, "outOfOffice", outOfOfficeProperties={"autoDeclineMode": "declineNone"})
    seed(world, "Deep work", "focusTime", focusTimeProperties={"chatStatus": "doNotDisturb"})
    seed(world, "Flight LH 400", "fromGmail")
    seed(
        world,
        "Home",
        "workingLocation",
        visibility="public",
        transparency="transparent",
        workingLocationProperties={"type": "homeOffice", "homeOffice": {}},
    )
    day = soon(days=5).date()
    world.emulator.seed_event(
        calendar_id=world.primary,
        event=event_body(
            "Maria's birthday",
            day,
            day + timedelta(days=1),
            eventType="birthday",
            visibility="private",
            transparency="transparent",
            recurrence=["RRULE:FREQ=YEARLY"],
            birthdayProperties={"type": "birthday", "contact": "people/c12345"},
        ),
    )
    start = soon(days=3)
    world.google.create_event(world.primary, "Customer call", start, start + HOUR)


def test_special_events_come_in_read_only_and_a_working_location_not_at_all(
    world: SyncWorld,
) -> None:
    seed_all(world)
    run_clean(world)
    meetings = {m.subject: m.read_only for m in Meeting.objects.filter(owner=world.user)}
    assert meetings == {
        "Out of office": True,
        "Deep work": True,
        "Flight LH 400": True,
        "Maria's birthday": True,
        "Customer call": False,
    }


def test_no_run_writes_to_a_special_event_even_after_the_crm_tried(world: SyncWorld) -> None:
    """The CRM refuses edits of the read-only meetings, and the next runs send Google
    nothing that its eventTypeRestriction would refuse."""
    seed_all(world)
    run_clean(world)
    flight = Meeting.objects.get(owner=world.user, subject="Flight LH 400")
    with pytest.raises(ValidationError, match="cannot edit"):
        crm_edit(flight, subject="My flight")
    with google_requests(world) as requests:
        run_clean(world)
        run_clean(world)
    assert writes(requests) == []


def test_the_meeting_page_says_why_a_special_event_cannot_be_edited(
    world: SyncWorld, client: Client
) -> None:
    seed_all(world)
    run_clean(world)
    for subject in ("Out of office", "Flight LH 400", "Maria's birthday"):
        meeting = Meeting.objects.get(owner=world.user, subject=subject)
        page = client.get(f"/meetings/{meeting.pk}/").content.decode()
        assert "Google Calendar keeps to itself" in page, subject
        assert "Google does not let other apps change it" in page
        assert f"/meetings/{meeting.pk}/edit/" not in page


def test_a_special_event_imported_editable_before_the_rule_becomes_read_only(
    world: SyncWorld,
) -> None:
    """Found by review: a Gmail-made event imported as an editable meeting before the
    event-type rule stayed editable; each CRM edit was pushed and refused by Google, then
    silently overwritten. Its next run now keeps Google's copy, writes nothing to Google,
    and makes the meeting read-only."""
    event = seed(world, "Flight LH 400", "fromGmail")
    run_clean(world)
    meeting = Meeting.objects.get(owner=world.user, subject="Flight LH 400")
    Meeting.objects.filter(pk=meeting.pk).update(read_only=False)  # as imported before
    meeting.refresh_from_db()
    crm_edit(meeting, subject="My flight")

    with google_requests(world) as requests:
        run_clean(world)

    meeting.refresh_from_db()
    assert meeting.read_only and meeting.subject == "Flight LH 400"
    assert writes(requests) == []
    assert world.google.get_event(world.primary, event["id"])["summary"] == "Flight LH 400"
