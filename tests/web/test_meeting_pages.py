"""Creating, opening, editing, deleting and restoring meetings through the pages."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, date, datetime, timedelta

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tandem.meetings.models import Meeting
from tandem.meetings.services import MeetingInput, meeting_create, meeting_delete

from .conftest import BERLIN, all_day, timed

GOOD = {
    "subject": "Planning",
    "start_date": "2026-11-24",
    "start_time": "09:00",
    "end_date": "2026-11-24",
    "end_time": "10:30",
    "time_zone": "Europe/Berlin",
    "location": "Room 1",
    "description": "Agenda",
    "visibility": "default",
}


def create(client: Client, **changes: str) -> tuple[int, str]:
    response = client.post(reverse("meeting-create"), {**GOOD, **changes})
    return response.status_code, response.content.decode()


def test_creating_a_timed_meeting_stores_it_in_the_chosen_zone(
    client_alice: Client, alice: User
) -> None:
    """The form's wall-clock times are read in the chosen zone and the calendar opens at it."""
    status, _ = create(client_alice, time_zone="Asia/Tokyo")
    assert status == 302
    meeting = Meeting.objects.get(owner=alice)
    tokyo = zoneinfo.ZoneInfo("Asia/Tokyo")
    assert meeting.start == datetime(2026, 11, 24, 9, tzinfo=tokyo)
    assert meeting.end == datetime(2026, 11, 24, 10, 30, tzinfo=tokyo)
    assert (meeting.subject, meeting.location, meeting.description, meeting.time_zone) == (
        "Planning",
        "Room 1",
        "Agenda",
        "Asia/Tokyo",
    )


def test_an_all_day_meeting_is_entered_with_its_inclusive_last_day(
    client_alice: Client, alice: User
) -> None:
    """First day 30 November, last day 2 December: stored with the exclusive end 3 December."""
    status, _ = create(
        client_alice, all_day="on", start_date="2026-11-30", end_date="2026-12-02", start_time=""
    )
    assert status == 302
    meeting = Meeting.objects.get(owner=alice)
    assert meeting.all_day
    assert (meeting.start_date, meeting.end_date) == (date(2026, 11, 30), date(2026, 12, 3))


def test_a_one_day_all_day_meeting_has_the_same_first_and_last_day(
    client_alice: Client, alice: User
) -> None:
    """An all-day meeting on one day is entered with last day = first day."""
    status, _ = create(client_alice, all_day="on", end_date="2026-11-24")
    assert status == 302
    meeting = Meeting.objects.get(owner=alice)
    assert (meeting.start_date, meeting.end_date) == (date(2026, 11, 24), date(2026, 11, 25))


def test_the_edit_form_shows_the_inclusive_last_day(client_alice: Client, alice: User) -> None:
    """Editing an all-day meeting stored with end 3 December shows last day 2 December."""
    meeting = all_day(alice, "Offsite", date(2026, 11, 30), date(2026, 12, 3))
    html = client_alice.get(reverse("meeting-edit", args=[meeting.pk])).content.decode()
    assert 'name="end_date" value="2026-12-02"' in html
    assert 'name="start_date" value="2026-11-30"' in html


def test_the_edit_form_shows_times_in_the_meetings_zone(client_alice: Client, alice: User) -> None:
    """A meeting planned at 09:00 New York time is edited as 09:00 in America/New_York."""
    ny_zone = zoneinfo.ZoneInfo("America/New_York")
    meeting = timed(
        alice,
        "NY",
        datetime(2026, 11, 24, 9, tzinfo=ny_zone),
        datetime(2026, 11, 24, 10, tzinfo=ny_zone),
        zone="America/New_York",
    )
    html = client_alice.get(reverse("meeting-edit", args=[meeting.pk])).content.decode()
    assert 'name="start_time" value="09:00"' in html
    assert '<option value="America/New_York" selected>' in html


def test_clicking_a_day_prefills_the_new_meeting(client_alice: Client) -> None:
    """The create form opened from a day starts at 09:00 that day in the user's zone."""
    response = client_alice.get(reverse("meeting-create"), {"date": "2026-12-31"})
    html = response.content.decode()
    assert 'name="start_date" value="2026-12-31"' in html
    assert 'name="start_time" value="09:00"' in html
    assert 'name="end_time" value="10:00"' in html
    assert '<option value="Europe/Berlin" selected>' in html


def test_clicking_a_late_slot_prefills_an_end_on_the_next_day(client_alice: Client) -> None:
    """A new meeting from the 23:30 slot ends at 00:30 the next day."""
    html = client_alice.get(
        reverse("meeting-create"), {"date": "2026-12-31", "time": "23:30"}
    ).content.decode()
    assert 'name="end_date" value="2027-01-01"' in html
    assert 'name="end_time" value="00:30"' in html


def test_editing_changes_the_meeting_and_keeps_its_recurrence(
    client_alice: Client, alice: User
) -> None:
    """Saving the edit form changes the fields and leaves the series' rule alone."""
    meeting = timed(
        alice,
        "Standup",
        datetime(2026, 11, 23, 9, tzinfo=BERLIN),
        datetime(2026, 11, 23, 9, 15, tzinfo=BERLIN),
        recurrence=["RRULE:FREQ=DAILY"],
    )
    response = client_alice.post(
        reverse("meeting-edit", args=[meeting.pk]),
        {
            **GOOD,
            "subject": "Daily standup",
            "visibility": "private",
            "repeat-frequency": "DAILY",
            "repeat-interval": "1",
            "repeat-ends": "never",
        },
    )
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.subject == "Daily standup"
    assert meeting.visibility == "private"
    assert meeting.recurrence == ["RRULE:FREQ=DAILY"]
    assert meeting.version == 2


def test_the_detail_page_shows_the_meeting_escaped_with_line_breaks(
    client_alice: Client, alice: User
) -> None:
    """A description with HTML from Google shows as text, keeping its line breaks."""
    meeting = timed(
        alice,
        "Review",
        datetime(2026, 11, 24, 9, tzinfo=BERLIN),
        datetime(2026, 11, 24, 10, tzinfo=BERLIN),
        description='<b>Bring</b> slides\n<a href="javascript:x">notes</a>',
    )
    html = client_alice.get(reverse("meeting-detail", args=[meeting.pk])).content.decode()
    assert "&lt;b&gt;Bring&lt;/b&gt; slides<br>&lt;a href=&quot;javascript:x&quot;&gt;" in html
    assert "<b>Bring" not in html
    assert "2026-11-24 09:00" in html


def test_deleting_asks_first_then_makes_a_restorable_tombstone(
    client_alice: Client, alice: User
) -> None:
    """GET on delete shows a confirmation; POST deletes; the meeting can be restored."""
    meeting = timed(
        alice,
        "Retro",
        datetime(2026, 11, 24, 9, tzinfo=BERLIN),
        datetime(2026, 11, 24, 10, tzinfo=BERLIN),
    )
    confirm = client_alice.get(reverse("meeting-delete", args=[meeting.pk]))
    assert "Delete “Retro”?" in confirm.content.decode()
    meeting.refresh_from_db()
    assert not meeting.is_deleted

    client_alice.post(reverse("meeting-delete", args=[meeting.pk]))
    meeting.refresh_from_db()
    assert meeting.is_deleted
    assert client_alice.get(reverse("meeting-detail", args=[meeting.pk])).status_code == 404
    listing = client_alice.get(reverse("meetings-deleted")).content.decode()
    assert "Retro" in listing

    response = client_alice.post(reverse("meeting-restore", args=[meeting.pk]))
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert not meeting.is_deleted


def test_tombstones_older_than_thirty_days_are_not_offered(
    client_alice: Client, alice: User
) -> None:
    """The Deleted meetings page lists only meetings that can still be restored, and a
    restore of an older one is refused with a message."""
    meeting = timed(
        alice,
        "Ancient",
        datetime(2026, 9, 1, 9, tzinfo=BERLIN),
        datetime(2026, 9, 1, 10, tzinfo=BERLIN),
    )
    meeting_delete(meeting=meeting)
    Meeting.objects.filter(pk=meeting.pk).update(deleted_at=timezone.now() - timedelta(days=31))
    assert "Ancient" not in client_alice.get(reverse("meetings-deleted")).content.decode()
    response = client_alice.post(reverse("meeting-restore", args=[meeting.pk]), follow=True)
    assert "can be restored for 30 days" in response.content.decode()
    meeting.refresh_from_db()
    assert meeting.is_deleted


def test_restore_and_delete_need_post(client_alice: Client, alice: User) -> None:
    """Restore answers only POST."""
    meeting = timed(
        alice, "X", datetime(2026, 11, 24, 9, tzinfo=UTC), datetime(2026, 11, 24, 10, tzinfo=UTC)
    )
    assert client_alice.get(reverse("meeting-restore", args=[meeting.pk])).status_code == 405


def test_state_changes_need_the_csrf_token(alice: User) -> None:
    """Create, edit, delete and restore refuse a POST without the CSRF token."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    meeting = timed(
        alice, "X", datetime(2026, 11, 24, 9, tzinfo=UTC), datetime(2026, 11, 24, 10, tzinfo=UTC)
    )
    for name, args in [
        ("meeting-create", []),
        ("meeting-edit", [meeting.pk]),
        ("meeting-delete", [meeting.pk]),
        ("meeting-restore", [meeting.pk]),
        ("preferences", []),
    ]:
        assert client.post(reverse(name, args=args), GOOD).status_code == 403, name
    meeting.refresh_from_db()
    assert meeting.subject == "X" and not meeting.is_deleted


@pytest.mark.parametrize("name", ["meeting-detail", "meeting-edit", "meeting-delete"])
def test_another_users_meeting_does_not_exist_for_you(
    client_bob: Client, alice: User, name: str
) -> None:
    """Bob cannot open, edit or delete Alice's meeting: 404, as if it did not exist."""
    meeting = timed(
        alice, "X", datetime(2026, 11, 24, 9, tzinfo=UTC), datetime(2026, 11, 24, 10, tzinfo=UTC)
    )
    assert client_bob.get(reverse(name, args=[meeting.pk])).status_code == 404
    assert client_bob.post(reverse(name, args=[meeting.pk]), GOOD).status_code == 404
    meeting.refresh_from_db()
    assert meeting.subject == "X" and not meeting.is_deleted


def test_bob_cannot_restore_alices_meeting(client_bob: Client, alice: User) -> None:
    """Restoring someone else's tombstone answers 404 and leaves it deleted."""
    meeting = timed(
        alice, "X", datetime(2026, 11, 24, 9, tzinfo=UTC), datetime(2026, 11, 24, 10, tzinfo=UTC)
    )
    meeting_delete(meeting=meeting)
    assert client_bob.post(reverse("meeting-restore", args=[meeting.pk])).status_code == 404
    meeting.refresh_from_db()
    assert meeting.is_deleted


def test_a_read_only_meeting_shows_a_notice_and_no_edit_or_delete(
    client_alice: Client, alice: User
) -> None:
    """A meeting from a Google calendar Alice can only read cannot be edited or deleted."""
    meeting = meeting_create(
        owner=alice,
        data=MeetingInput(
            subject="Company holiday",
            start=datetime(2026, 11, 24, 9, tzinfo=UTC),
            end=datetime(2026, 11, 24, 10, tzinfo=UTC),
        ),
        origin="sync",
        read_only=True,
    )
    html = client_alice.get(reverse("meeting-detail", args=[meeting.pk])).content.decode()
    assert "you can only read" in html
    assert reverse("meeting-edit", args=[meeting.pk]) not in html
    assert reverse("meeting-delete", args=[meeting.pk]) not in html
    edit = client_alice.post(reverse("meeting-edit", args=[meeting.pk]), GOOD)
    delete = client_alice.post(reverse("meeting-delete", args=[meeting.pk]))
    assert edit.status_code == delete.status_code == 302
    meeting.refresh_from_db()
    assert meeting.subject == "Company holiday" and not meeting.is_deleted


BAD_INPUT = [
    ({"subject": ""}, "subject", "A meeting needs a subject."),
    ({"subject": "   "}, "subject", "A meeting needs a subject."),
    ({"subject": "x" * 1025}, "subject", "at most 1024 characters (it has 1025)"),
    ({"location": "x" * 1025}, "location", "at most 1024 characters (it has 1025)"),
    ({"description": "x" * 8193}, "description", "at most 8192 characters (it has 8193)"),
    ({"start_date": ""}, "start_date", "Enter the start date."),
    ({"start_date": "2026-02-30"}, "start_date", "Enter the start date as a date like 2026-11-24."),
    ({"end_date": "tomorrow"}, "end_date", "Enter the end date as a date like 2026-11-24."),
    ({"start_time": "25:00"}, "start_time", "Enter the start time as a time like 14:30."),
    ({"end_time": ""}, "end_time", "Enter the end time, or tick “All day”."),
    ({"end_time": "08:00"}, "end_date", "The end cannot be before the start."),
    ({"time_zone": "Mars/Olympus_Mons"}, "time_zone", "“Mars/Olympus_Mons” is not an IANA"),
    ({"time_zone": ""}, "time_zone", "Choose a time zone."),
    ({"visibility": "secret"}, "visibility", "“secret” is not a visibility."),
    (
        {"start_date": "2026-03-29", "start_time": "02:30", "end_date": "2026-03-29"},
        "start_time",
        "02:30 does not exist on 2026-03-29 in Europe/Berlin",
    ),
    (
        {"all_day": "on", "start_date": "2026-12-02", "end_date": "2026-11-30"},
        "end_date",
        "The last day cannot be before the first.",
    ),
]


@pytest.mark.parametrize(("changes", "field", "message"), BAD_INPUT)
def test_bad_input_is_refused_next_to_its_field(
    client_alice: Client, alice: User, changes: dict[str, str], field: str, message: str
) -> None:
    """Each bad value comes back with a clear message at its field and nothing is saved."""
    response = client_alice.post(reverse("meeting-create"), {**GOOD, **changes})
    assert response.status_code == 200
    form = response.context["form"]
    assert any(message in error for error in form.errors[field]), form.errors
    assert message in response.content.decode()
    assert not Meeting.objects.filter(owner=alice).exists()


def test_hostile_input_in_an_error_is_escaped(client_alice: Client) -> None:
    """A bad time zone value made of HTML is echoed escaped in its message."""
    response = client_alice.post(
        reverse("meeting-create"), {**GOOD, "time_zone": "<script>x</script>"}
    )
    html = response.content.decode()
    assert "<script>x</script>" not in html
    assert "“&lt;script&gt;x&lt;/script&gt;” is not an IANA time zone." in html


def test_bad_edit_input_leaves_the_meeting_unchanged(client_alice: Client, alice: User) -> None:
    """An edit with the end before the start is refused and the meeting keeps its values."""
    meeting = timed(
        alice,
        "Keep",
        datetime(2026, 11, 24, 9, tzinfo=BERLIN),
        datetime(2026, 11, 24, 10, tzinfo=BERLIN),
    )
    response = client_alice.post(
        reverse("meeting-edit", args=[meeting.pk]), {**GOOD, "end_time": "08:00"}
    )
    assert "The end cannot be before the start." in response.content.decode()
    meeting.refresh_from_db()
    assert meeting.subject == "Keep" and meeting.version == 1
