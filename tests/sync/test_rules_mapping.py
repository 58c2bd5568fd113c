"""Issue #5, rule 3: the six fields both ways (timed and all-day, IANA zones, empty summary,
HTML descriptions, over-long text), against the emulator."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from tandem.accounts.selectors import preferences_for
from tandem.meetings.models import Meeting
from tandem.sync.models import EventLink
from tests.sync.harness import (
    SyncWorld,
    connect_user,
    crm_by_subject,
    crm_create,
    crm_edit,
    crm_meetings,
    google_by_subject,
    google_requests,
    run_clean,
    soon,
    writes,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def world(google_in_process, client: Client) -> SyncWorld:  # type: ignore[no-untyped-def]
    return connect_user(google_in_process, client)


def _next_year_day(month: int, day: int) -> date:
    return date(date.today().year + 1, month, day)


def test_all_six_fields_of_a_crm_meeting_arrive_in_google(world: SyncWorld) -> None:
    """Subject, start, end, description, location and visibility map one to one, and a
    timed meeting keeps its IANA zone (Google's start.timeZone) and wall-clock time."""
    new_york = ZoneInfo("America/New_York")
    start = datetime.combine(_next_year_day(3, 10), datetime.min.time(), new_york).replace(hour=9)
    crm_create(
        world,
        "Board",
        start,
        start + timedelta(minutes=90),
        time_zone="America/New_York",
        description="Quarterly numbers",
        location="5th Avenue",
        visibility="public",
    )
    run_clean(world)
    (event,) = world.google.events(world.primary)
    assert event["start"]["timeZone"] == "America/New_York"
    assert datetime.fromisoformat(event["start"]["dateTime"]) == start
    assert (event["summary"], event["description"], event["location"], event["visibility"]) == (
        "Board",
        "Quarterly numbers",
        "5th Avenue",
        "public",
    )
    assert google_by_subject(world) == crm_by_subject(world)


def test_a_google_event_keeps_its_time_zone_in_the_crm(world: SyncWorld) -> None:
    """An event planned in Tokyo becomes a meeting in Asia/Tokyo at the same instant."""
    tokyo = ZoneInfo("Asia/Tokyo")
    start = datetime.combine(_next_year_day(5, 20), datetime.min.time(), tokyo).replace(hour=15)
    world.google.create_event(
        world.primary, "Tokyo call", start, start + timedelta(hours=1), time_zone="Asia/Tokyo"
    )
    run_clean(world)
    meeting = Meeting.objects.get(owner=world.user, subject="Tokyo call")
    assert meeting.time_zone == "Asia/Tokyo"
    assert meeting.start == start and meeting.end == start + timedelta(hours=1)


def test_all_day_meetings_map_to_dates_with_googles_exclusive_end(world: SyncWorld) -> None:
    """An all-day meeting over two days is date → date+2 in Google (end exclusive), and a
    one-day event in Google is a one-day meeting in the CRM (end_date = next day)."""
    first = _next_year_day(7, 1)
    crm_create(
        world,
        "Trade fair",
        all_day=True,
        start=None,
        end=None,
        start_date=first,
        end_date=first + timedelta(days=2),
    )
    world.google.create_event(world.primary, "Holiday", first, first + timedelta(days=1))
    run_clean(world)

    fair = world.google.events(world.primary)
    fair_event = next(e for e in fair if e["summary"] == "Trade fair")
    assert fair_event["start"] == {"date": first.isoformat()}
    assert fair_event["end"] == {"date": (first + timedelta(days=2)).isoformat()}
    holiday = Meeting.objects.get(owner=world.user, subject="Holiday")
    assert holiday.all_day
    assert (holiday.start_date, holiday.end_date) == (first, first + timedelta(days=1))
    assert google_by_subject(world) == crm_by_subject(world)


def test_an_all_day_event_becomes_a_meeting_of_the_users_days(world: SyncWorld) -> None:
    """An all-day event has no zone in Google: its meeting is placed in the user's zone
    (their preference), so its day begins at their midnight, not at UTC's."""
    preferences = preferences_for(user=world.user)
    preferences.time_zone = "Europe/Berlin"
    preferences.save()
    day = _next_year_day(8, 3)
    world.google.create_event(world.primary, "Away day", day, day + timedelta(days=1))
    run_clean(world)
    meeting = Meeting.objects.get(owner=world.user, subject="Away day")
    assert meeting.time_zone == "Europe/Berlin"
    assert (meeting.start_date, meeting.end_date) == (day, day + timedelta(days=1))
    berlin = ZoneInfo("Europe/Berlin")
    assert meeting.start == datetime.combine(day, time.min, berlin)
    assert meeting.end == datetime.combine(day + timedelta(days=1), time.min, berlin)


def test_an_event_without_a_title_is_named_and_its_summary_left_alone(world: SyncWorld) -> None:
    """An empty summary reads as "(No title)" in the CRM; the sync does not write that label
    back into Google unless the CRM changes the subject."""
    event = world.google.create_event(world.primary, None)
    run_clean(world)
    assert [m.subject for m in crm_meetings(world)] == ["(No title)"]
    with google_requests(world) as requests:
        run_clean(world)
    assert writes(requests) == []
    assert "summary" not in world.google.get_event(world.primary, event["id"])

    crm_edit(crm_meetings(world)[0], subject="Named now")
    run_clean(world)
    assert world.google.get_event(world.primary, event["id"])["summary"] == "Named now"


def test_an_html_description_is_kept_verbatim_and_shown_escaped(
    world: SyncWorld, client: Client
) -> None:
    """Google's HTML description is stored as is (nothing lost on a round trip) and the
    meeting page escapes it, so a script in it never runs."""
    html = '<b>Agenda</b><br><a href="https://example.com">doc</a><script>alert(1)</script>'
    event = world.google.create_event(world.primary, "Planning", description=html)
    run_clean(world)
    meeting = Meeting.objects.get(owner=world.user, subject="Planning")
    assert meeting.description == html

    page = client.get(f"/meetings/{meeting.pk}/").content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page

    crm_edit(meeting, location="Room 9")
    run_clean(world)
    assert world.google.get_event(world.primary, event["id"])["description"] == html


def test_over_long_text_from_google_is_cut_to_the_crm_limits_without_a_crash(
    world: SyncWorld,
) -> None:
    """A summary, location and description longer than the CRM allows are cut to 1024, 1024
    and 8192 characters; the run succeeds and Google keeps its full text (nothing is
    written back)."""
    event = world.google.create_event(
        world.primary, "S" * 3000, location="L" * 2000, description="D" * 20000
    )
    run_clean(world)
    (meeting,) = crm_meetings(world)
    assert (len(meeting.subject), len(meeting.location), len(meeting.description)) == (
        1024,
        1024,
        8192,
    )
    with google_requests(world) as requests:
        run_clean(world)
    assert writes(requests) == []
    assert len(world.google.get_event(world.primary, event["id"])["summary"]) == 3000
    assert EventLink.objects.filter(meeting=meeting).exists()


def test_visibility_changes_travel_both_ways(google_in_process, client: Client) -> None:  # type: ignore[no-untyped-def]
    """A visibility set in Google reaches the CRM and one set in the CRM reaches Google."""
    world = connect_user(google_in_process, client, sync_private=True)
    event = world.google.create_event(world.primary, "Lunch", soon(days=2))
    run_clean(world)
    world.google.patch_event(world.primary, event["id"], visibility="confidential")
    run_clean(world)
    meeting = Meeting.objects.get(owner=world.user, subject="Lunch")
    assert meeting.visibility == "confidential"
    crm_edit(meeting, visibility="public")
    run_clean(world)
    assert world.google.get_event(world.primary, event["id"])["visibility"] == "public"
