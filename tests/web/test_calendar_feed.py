"""The calendar component's endpoints: the feed of a range (masked for colleagues, bounded),
a drag or resize saved through the services, and the cheap "what changed" fingerprint."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from django.contrib.auth.models import User
from django.test import Client

from tandem.meetings.models import Meeting
from tandem.meetings.services import MeetingInput, meeting_update

from .conftest import BERLIN, all_day, timed

pytestmark = pytest.mark.django_db

FEED = "/calendar/feed/"
CHANGES = "/sync/live/changes/"


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=BERLIN)


def feed(client: Client, **params: str) -> list[dict[str, object]]:
    response = client.get(FEED, {"start": "2026-11-16", "end": "2026-11-23", **params})
    assert response.status_code == 200, response.content
    return list(response.json())


def test_the_feed_gives_wall_clock_times_in_the_viewers_zone(
    client_alice: Client, alice: User
) -> None:
    meeting = timed(alice, "Planning", at(18, 9), at(18, 10), zone="America/New_York")
    all_day(alice, "Fair", date(2026, 11, 19), date(2026, 11, 21))
    events = {e["title"]: e for e in feed(client_alice)}
    planning = events["Planning"]
    assert planning["start"] == "2026-11-18T09:00:00"  # Alice's zone is Berlin
    assert planning["end"] == "2026-11-18T10:00:00"
    assert planning["editable"] is True
    assert planning["extendedProps"]["url"] == f"/meetings/{meeting.pk}/"  # type: ignore[index]
    assert events["Fair"]["allDay"] is True
    assert (events["Fair"]["start"], events["Fair"]["end"]) == ("2026-11-19", "2026-11-21")


def test_a_colleague_sees_a_private_meeting_as_busy_and_can_move_nothing(
    client_bob: Client, alice: User
) -> None:
    timed(alice, "Doctor", at(18, 8), at(18, 9), visibility="private", location="Clinic")
    timed(alice, "Team lunch", at(18, 12), at(18, 13))
    events = feed(client_bob, user="alice")
    assert sorted(e["title"] for e in events) == ["Busy", "Team lunch"]  # type: ignore[type-var]
    busy = next(e for e in events if e["title"] == "Busy")
    assert busy["extendedProps"]["location"] == ""  # type: ignore[index]
    assert "Doctor" not in str(events) and "Clinic" not in str(events)
    assert all(e["editable"] is False and not e["extendedProps"]["url"] for e in events)  # type: ignore[index]


def test_the_feed_refuses_a_bad_or_huge_range(client_alice: Client) -> None:
    for params in (
        {"start": "soon", "end": "2026-11-23"},
        {"start": "2026-11-23", "end": "2026-11-16"},
        {"start": "2026-01-01", "end": "2026-12-31"},
    ):
        response = client_alice.get(FEED, params)
        assert response.status_code == 400
        assert response.json()["error"]


@pytest.mark.parametrize(
    ("start", "end"),
    [("9999-12-30", "9999-12-31"), ("0001-01-01", "0001-01-02"), ("2200-12-31", "2201-01-02")],
)
def test_the_feed_refuses_days_outside_the_years_of_meetings(
    client_alice: Client, start: str, end: str
) -> None:
    # Issue 15: a range at the calendar's edge overflowed the zone margin's arithmetic (500).
    response = client_alice.get(FEED, {"start": start, "end": end})
    assert response.status_code == 400
    assert "1900" in response.json()["error"]


def test_the_feed_serves_the_edges_of_the_years_of_meetings(client_alice: Client) -> None:
    for start, end in (("1900-01-01", "1900-01-08"), ("2200-12-25", "2201-01-01")):
        assert client_alice.get(FEED, {"start": start, "end": end}).status_code == 200


def test_a_drag_saves_the_new_times_in_the_viewers_zone(client_alice: Client, alice: User) -> None:
    meeting = timed(alice, "Call", at(18, 9), at(18, 10), zone="America/New_York")
    response = client_alice.post(
        f"/meetings/{meeting.pk}/move/",
        {"start": "2026-11-19T11:00:00", "end": "2026-11-19T12:30:00"},
    )
    assert response.status_code == 200, response.content
    meeting.refresh_from_db()
    assert meeting.start == at(19, 11) and meeting.end == at(19, 12, 30)
    assert meeting.time_zone == "America/New_York"  # the meeting keeps its own zone


def test_an_all_day_meeting_moves_by_whole_days(client_alice: Client, alice: User) -> None:
    meeting = all_day(alice, "Fair", date(2026, 11, 19), date(2026, 11, 21))
    response = client_alice.post(
        f"/meetings/{meeting.pk}/move/", {"start": "2026-11-20", "end": "2026-11-23"}
    )
    assert response.status_code == 200, response.content
    meeting.refresh_from_db()
    assert (meeting.start_date, meeting.end_date) == (date(2026, 11, 20), date(2026, 11, 23))
    bad = client_alice.post(
        f"/meetings/{meeting.pk}/move/", {"start": "2026-11-20T10:00", "end": "2026-11-23"}
    )
    assert bad.status_code == 400


def test_a_move_is_refused_with_a_message_and_nothing_saved(
    client_alice: Client, alice: User
) -> None:
    meeting = timed(alice, "Call", at(18, 9), at(18, 10))
    backwards = client_alice.post(
        f"/meetings/{meeting.pk}/move/",
        {"start": "2026-11-19T11:00:00", "end": "2026-11-19T10:00:00"},
    )
    assert backwards.status_code == 400
    assert backwards.json()["error"].startswith("The end ")
    series = timed(alice, "Standup", at(16, 9), at(16, 10), recurrence=["RRULE:FREQ=DAILY"])
    repeating = client_alice.post(
        f"/meetings/{series.pk}/move/",
        {"start": "2026-11-19T11:00:00", "end": "2026-11-19T12:00:00"},
    )
    assert repeating.status_code == 400
    meeting.refresh_from_db()
    assert meeting.start == at(18, 9)


def test_nobody_moves_someone_elses_meeting_nor_without_csrf_or_by_get(
    client_bob: Client, alice: User
) -> None:
    meeting = timed(alice, "Call", at(18, 9), at(18, 10))
    body = {"start": "2026-11-19T11:00:00", "end": "2026-11-19T12:00:00"}
    assert client_bob.post(f"/meetings/{meeting.pk}/move/", body).status_code == 404
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(alice)
    assert strict.post(f"/meetings/{meeting.pk}/move/", body).status_code == 403
    assert strict.get(f"/meetings/{meeting.pk}/move/").status_code == 405
    meeting.refresh_from_db()
    assert meeting.start == at(18, 9)


def test_the_fingerprint_changes_when_a_meeting_does_and_only_then(
    client_alice: Client, alice: User
) -> None:
    meeting = timed(alice, "Call", at(18, 9), at(18, 10))
    first = client_alice.get(CHANGES).json()["fingerprint"]
    assert client_alice.get(CHANGES).json()["fingerprint"] == first
    meeting_update(
        meeting=Meeting.objects.get(pk=meeting.pk),
        data=MeetingInput(
            subject="Call (moved)", start=at(18, 11), end=at(18, 12), time_zone="Europe/Berlin"
        ),
        origin="google",
    )
    assert client_alice.get(CHANGES).json()["fingerprint"] != first


def test_the_month_page_marks_private_meetings_with_a_lock_and_escapes_titles(
    client_alice: Client, client_bob: Client, alice: User
) -> None:
    timed(alice, "Doctor <b>", at(18, 8), at(18, 9), visibility="confidential")
    page = client_alice.get("/?view=month&date=2026-11-18").content.decode()
    assert 'class="entry-lock" role="img" aria-label="Private"' in page
    assert "Doctor &lt;b&gt;" in page and "Doctor <b>" not in page
    colleague = client_bob.get("/?view=month&date=2026-11-18&user=alice").content.decode()
    assert "entry-lock" not in colleague  # a colleague sees Busy, nothing to mark
    assert "Doctor" not in colleague
