"""The calendar page: month, week and list views, navigation, colleagues and privacy."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from tandem.accounts.selectors import preferences_for
from tandem.meetings.services import meeting_delete

from .conftest import BERLIN, all_day, timed

DASH = "\N{EN DASH}"  # between start and end times on the page


def page(client: Client, **query: str) -> str:
    response = client.get(reverse("calendar"), query)
    assert response.status_code == 200
    return response.content.decode()


def cell(html: str, day: str) -> str:
    """The HTML of one day's cell (month view) or column (week view)."""
    match = re.search(rf'data-date="{day}"(.*?)(?=data-date="|</tbody>|$)', html, re.S)
    assert match, f"no cell for {day}"
    return match.group(1)


def test_the_month_view_is_six_weeks_starting_on_monday(client_alice: Client) -> None:
    """November 2026 shows 42 days from Monday 26 October to Sunday 6 December."""
    html = page(client_alice, view="month", date="2026-11-15")
    days = re.findall(r'<td class="day[^"]*"\s+data-date="([\d-]+)"', html)
    assert len(days) == 42
    assert days[0] == "2026-10-26" and days[-1] == "2026-12-06"
    assert "November 2026" in html


def test_the_home_page_is_the_month_view(client_alice: Client) -> None:
    """Without parameters the calendar shows the current month."""
    html = page(client_alice)
    assert 'class="calendar calendar-month"' in html


def test_navigation_links_move_by_a_month_and_back_to_today(client_alice: Client) -> None:
    """The arrows go to the previous and next month; Today goes to the current date."""
    html = page(client_alice, view="month", date="2026-01-31")
    assert 'href="/?view=month&amp;date=2025-12-01" rel="prev"' in html
    assert 'href="/?view=month&amp;date=2026-02-01" rel="next"' in html


def test_week_navigation_moves_by_seven_days(client_alice: Client) -> None:
    """In the week view the arrows move a week at a time, from the Monday."""
    html = page(client_alice, view="week", date="2026-11-26")
    assert 'href="/?view=week&amp;date=2026-11-16" rel="prev"' in html
    assert 'href="/?view=week&amp;date=2026-11-30" rel="next"' in html
    assert len(re.findall(r'class="week-day[^"]*" data-date=', html)) == 7


def test_meetings_show_in_month_week_and_list_views(client_alice: Client, alice: User) -> None:
    """A meeting appears on its day in every view, linked to its page."""
    meeting = timed(
        alice,
        "Quarterly review",
        datetime(2026, 11, 25, 14, tzinfo=BERLIN),
        datetime(2026, 11, 25, 15, tzinfo=BERLIN),
        location="Room 4",
    )
    link = f'href="{reverse("meeting-detail", args=[meeting.pk])}"'
    for view in ("month", "week"):
        day = cell(page(client_alice, view=view, date="2026-11-25"), "2026-11-25")
        assert "Quarterly review" in day and link in day and "14:00" in day
    listing = page(client_alice, view="list", date="2026-11-20")
    assert "Wednesday, 2026-11-25" in listing
    assert "Quarterly review" in listing and "Room 4" in listing and f"14:00{DASH}15:00" in listing


def test_the_list_view_pages_by_date_range(client_alice: Client, alice: User) -> None:
    """The list shows two weeks from the date; a meeting after that is on the next page."""
    timed(
        alice,
        "Later",
        datetime(2026, 12, 20, 9, tzinfo=BERLIN),
        datetime(2026, 12, 20, 10, tzinfo=BERLIN),
    )
    html = page(client_alice, view="list", date="2026-12-01")
    assert "Later" not in html
    assert "No meetings from 2026-12-01 to 2026-12-14." in html
    assert 'href="/?view=list&amp;date=2026-12-15" rel="next"' in html
    assert "Later" in page(client_alice, view="list", date="2026-12-15")


def test_times_are_shown_in_the_viewers_time_zone(client_alice: Client, alice: User) -> None:
    """A meeting planned at 09:00 in New York shows at 15:00 to Alice in Berlin."""
    ny_zone = __import__("zoneinfo").ZoneInfo("America/New_York")
    timed(
        alice,
        "Call with New York",
        datetime(2026, 11, 24, 9, tzinfo=ny_zone),
        datetime(2026, 11, 24, 10, tzinfo=ny_zone),
        zone="America/New_York",
    )
    day = cell(page(client_alice, view="week", date="2026-11-24"), "2026-11-24")
    assert f"15:00{DASH}16:00" in day


def test_a_late_meeting_falls_on_the_next_day_for_a_viewer_further_east(
    client_alice: Client, alice: User
) -> None:
    """23:30 on Monday in London is 00:30 on Tuesday in Berlin, so it shows on Tuesday."""
    london = __import__("zoneinfo").ZoneInfo("Europe/London")
    timed(
        alice,
        "Late call",
        datetime(2026, 11, 23, 23, 30, tzinfo=london),
        datetime(2026, 11, 23, 23, 45, tzinfo=london),
        zone="Europe/London",
    )
    html = page(client_alice, view="week", date="2026-11-23")
    assert "Late call" not in cell(html, "2026-11-23")
    assert "Late call" in cell(html, "2026-11-24")


def test_a_meeting_across_the_dst_change_keeps_its_wall_clock_times(
    client_alice: Client, alice: User
) -> None:
    """A meeting from 01:30 to 03:30 on the night Berlin moves clocks forward (29 March 2026)
    shows 01:30 to 03:30: one real hour, since 02:00 to 03:00 never happens."""
    meeting = timed(
        alice,
        "Night shift",
        datetime(2026, 3, 29, 1, 30, tzinfo=BERLIN),
        datetime(2026, 3, 29, 3, 30, tzinfo=BERLIN),
    )
    assert (meeting.end.astimezone(UTC) - meeting.start.astimezone(UTC)).total_seconds() == 3600
    day = cell(page(client_alice, view="week", date="2026-03-29"), "2026-03-29")
    assert f"01:30{DASH}03:30" in day


def test_a_weekly_meeting_keeps_its_time_across_the_dst_change(
    client_alice: Client, alice: User
) -> None:
    """A 09:00 Berlin weekly meeting stays at 09:00 in the week after clocks go back."""
    timed(
        alice,
        "Weekly sync",
        datetime(2026, 10, 19, 9, tzinfo=BERLIN),
        datetime(2026, 10, 19, 10, tzinfo=BERLIN),
        recurrence=["RRULE:FREQ=WEEKLY;BYDAY=MO"],
    )
    html = page(client_alice, view="week", date="2026-10-26")
    monday = cell(html, "2026-10-26")
    assert "Weekly sync" in monday and f"09:00{DASH}10:00" in monday


def test_an_all_day_meeting_across_a_month_end_shows_on_every_day(
    client_alice: Client, alice: User
) -> None:
    """An all-day meeting from 30 November to 2 December (end stored as 3 December, exclusive)
    shows on 30 Nov, 1 and 2 Dec, not on 3 Dec, in both months' views."""
    all_day(alice, "Offsite", date(2026, 11, 30), date(2026, 12, 3))
    for month in ("2026-11-01", "2026-12-01"):
        html = page(client_alice, view="month", date=month)
        for day in ("2026-11-30", "2026-12-01", "2026-12-02"):
            assert "Offsite" in cell(html, day), (month, day)
        assert "Offsite" not in cell(html, "2026-12-03")


def test_an_all_day_meeting_keeps_its_dates_for_a_viewer_in_another_zone(
    client_bob: Client, bob: User
) -> None:
    """An all-day meeting on 1 January planned in Berlin is on 1 January in Los Angeles too."""
    preferences = preferences_for(user=bob)
    preferences.time_zone = "America/Los_Angeles"
    preferences.save()
    all_day(bob, "New Year", date(2027, 1, 1), date(2027, 1, 2))
    html = page(client_bob, view="week", date="2027-01-01")
    assert "New Year" in cell(html, "2027-01-01")
    assert "New Year" not in cell(html, "2026-12-31")


def test_recurring_meetings_show_every_occurrence(client_alice: Client, alice: User) -> None:
    """A daily series of three shows on three days and not on the fourth."""
    timed(
        alice,
        "Daily standup",
        datetime(2026, 11, 23, 9, tzinfo=BERLIN),
        datetime(2026, 11, 23, 9, 15, tzinfo=BERLIN),
        recurrence=["RRULE:FREQ=DAILY;COUNT=3"],
    )
    html = page(client_alice, view="week", date="2026-11-23")
    for day in ("2026-11-23", "2026-11-24", "2026-11-25"):
        assert "Daily standup" in cell(html, day)
    assert "Daily standup" not in cell(html, "2026-11-26")


def test_deleted_meetings_are_not_on_the_calendar(client_alice: Client, alice: User) -> None:
    """A deleted meeting disappears from the calendar."""
    meeting = timed(
        alice,
        "Cancelled lunch",
        datetime(2026, 11, 24, 12, tzinfo=BERLIN),
        datetime(2026, 11, 24, 13, tzinfo=BERLIN),
    )
    meeting_delete(meeting=meeting)
    assert "Cancelled lunch" not in page(client_alice, view="week", date="2026-11-24")


@pytest.mark.parametrize("visibility", ["private", "confidential"])
def test_a_private_meeting_is_busy_to_colleagues(
    client_bob: Client, alice: User, visibility: str
) -> None:
    """Bob looking at Alice's calendar sees her private meeting only as Busy: no subject,
    location or description, and no link to it."""
    timed(
        alice,
        "Doctor appointment",
        datetime(2026, 11, 24, 10, tzinfo=BERLIN),
        datetime(2026, 11, 24, 11, tzinfo=BERLIN),
        visibility=visibility,
        location="Clinic",
        description="Checkup",
    )
    for view in ("month", "week", "list"):
        html = page(client_bob, view=view, date="2026-11-24", user="alice")
        assert "Busy" in html
        assert "Doctor" not in html and "Clinic" not in html and "Checkup" not in html
        assert "/meetings/" not in html.split("</header>")[1].split("New meeting")[0]


def test_a_private_meeting_is_busy_even_to_an_admin(alice: User) -> None:
    """Admins are colleagues too on calendar pages: a private meeting is Busy to them."""
    admin = User.objects.create_superuser("root", password="root-secret-pw")
    client = Client()
    client.force_login(admin)
    timed(
        alice,
        "Salary talk",
        datetime(2026, 11, 24, 10, tzinfo=BERLIN),
        datetime(2026, 11, 24, 11, tzinfo=BERLIN),
        visibility="private",
    )
    html = page(client, view="week", date="2026-11-24", user="alice")
    assert "Busy" in html and "Salary" not in html


def test_colleagues_see_public_meetings_in_full(client_bob: Client, alice: User) -> None:
    """A default-visibility meeting shows its subject to colleagues, but without edit links."""
    timed(
        alice,
        "Team lunch",
        datetime(2026, 11, 24, 12, tzinfo=BERLIN),
        datetime(2026, 11, 24, 13, tzinfo=BERLIN),
    )
    html = page(client_bob, view="week", date="2026-11-24", user="alice")
    assert "Team lunch" in html
    assert "Calendar of <strong>Alice</strong>" in html
    assert "data-create-url" not in html


def test_the_owner_sees_her_private_meeting(client_alice: Client, alice: User) -> None:
    """The owner sees her own private meeting with its subject."""
    timed(
        alice,
        "Doctor appointment",
        datetime(2026, 11, 24, 10, tzinfo=BERLIN),
        datetime(2026, 11, 24, 11, tzinfo=BERLIN),
        visibility="private",
    )
    html = page(client_alice, view="week", date="2026-11-24")
    assert "Doctor appointment" in html and "Busy" not in html


def test_the_colleague_selector_lists_other_people(client_alice: Client, bob: User) -> None:
    """The header offers the calendars of colleagues."""
    html = page(client_alice)
    assert '<option value="bob">Bob</option>' in html


def test_an_unknown_colleague_is_not_found(client_alice: Client) -> None:
    """Asking for the calendar of nobody answers 404."""
    response = client_alice.get(reverse("calendar"), {"user": "nobody"})
    assert response.status_code == 404


def test_hostile_text_is_escaped_on_the_calendar(client_alice: Client, alice: User) -> None:
    """A subject with HTML is shown as text, never run."""
    timed(
        alice,
        '<script>alert("x")</script>',
        datetime(2026, 11, 24, 10, tzinfo=BERLIN),
        datetime(2026, 11, 24, 11, tzinfo=BERLIN),
        location="<img src=x onerror=alert(1)>",
    )
    html = page(client_alice, view="list", date="2026-11-24")
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"date": "2026-02-30"}, "“2026-02-30” is not a date like 2026-11-24; showing today."),
        ({"date": "<b>"}, "“&lt;b&gt;” is not a date like 2026-11-24; showing today."),
        ({"view": "year"}, "There is no “year” view; showing the month."),
        ({"date": "9999-12-31"}, "Choose a date between 1900 and 2200; showing today."),
        ({"date": "0001-01-01"}, "Choose a date between 1900 and 2200; showing today."),
    ],
)
def test_bad_calendar_parameters_fall_back_with_a_message(
    client_alice: Client, query: dict[str, str], message: str
) -> None:
    """A malformed date or unknown view shows today's month and says why."""
    html = page(client_alice, **query)
    assert message in html
    assert 'class="calendar calendar-month"' in html
