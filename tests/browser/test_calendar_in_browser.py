"""A person using the calendar in a real browser."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import Page, expect

from tandem.meetings.models import Meeting
from tandem.meetings.services import MeetingInput, meeting_create

from .conftest import make_user, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(settings.VAR_DIR) / "test" / "screenshots"


def test_create_open_edit_and_delete_a_meeting_from_the_month_view(page: Page, live_server) -> None:
    """Alice signs in, clicks a day in the month view, creates a meeting, opens it, edits it
    and deletes it, and the month view follows each step."""
    make_user("alice", "Alice")
    base = live_server.url
    sign_in(page, base, "alice")

    page.goto(f"{base}/?view=month&date=2026-11-01")
    expect(page.locator(".calendar-title")).to_have_text("November 2026")
    # Click the empty part of the day, not its number: the whole cell creates a meeting.
    page.locator('td[data-date="2026-11-18"]').click(position={"x": 80, "y": 70})
    expect(page.get_by_role("heading", name="New meeting")).to_be_visible()
    expect(page.get_by_label("Start date")).to_have_value("2026-11-18")
    expect(page.get_by_label("Time zone")).to_have_value("Europe/Berlin")

    page.get_by_label("Subject").fill("Design review <draft>")
    page.get_by_label("Start time").fill("14:00")
    page.get_by_label("End time").fill("15:30")
    page.get_by_label("Location").fill("Room 2")
    page.get_by_role("button", name="Create").click()

    day = page.locator('td[data-date="2026-11-18"]')
    entry = day.get_by_role("link", name="Design review <draft>")
    expect(entry).to_contain_text("14:00")
    expect(page.locator(".messages")).to_contain_text("Created “Design review <draft>”.")

    entry.click()
    expect(page.get_by_role("heading", name="Design review <draft>")).to_be_visible()
    expect(page.locator("dd.when")).to_contain_text("2026-11-18 14:00")

    page.get_by_role("link", name="Edit", exact=True).click()
    page.get_by_label("Subject").fill("Design review")
    page.get_by_label("End time").fill("16:00")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name="Design review")).to_be_visible()
    expect(page.locator("dd.when")).to_contain_text("16:00")

    page.get_by_role("link", name="Delete", exact=True).click()
    expect(page.get_by_role("heading", name="Delete “Design review”?")).to_be_visible()
    page.get_by_role("button", name="Delete", exact=True).click()
    expect(page.locator(".calendar-title")).to_have_text("November 2026")
    expect(page.locator('td[data-date="2026-11-18"] .entry')).to_have_count(0)
    assert Meeting.objects.get(subject="Design review").is_deleted


def test_a_bad_form_is_shown_again_with_its_errors(page: Page, live_server) -> None:
    """An end before the start keeps the form open with the message at the end date."""
    make_user("alice", "Alice")
    sign_in(page, live_server.url, "alice")
    page.goto(f"{live_server.url}/meetings/new/?date=2026-11-18")
    page.get_by_label("Subject").fill("Backwards")
    page.get_by_label("Start time").fill("15:00")
    page.get_by_label("End time").fill("14:00")
    page.get_by_role("button", name="Create").click()
    expect(page.locator(".field-end_date .error")).to_have_text(
        "The end cannot be before the start."
    )
    assert not Meeting.objects.exists()


def test_an_all_day_meeting_from_the_form_spans_its_days(page: Page, live_server) -> None:
    """Ticking All day hides the times; the meeting covers first to last day in the grid."""
    make_user("alice", "Alice")
    sign_in(page, live_server.url, "alice")
    page.goto(f"{live_server.url}/meetings/new/?date=2026-11-30")
    page.get_by_label("Subject").fill("Offsite")
    page.get_by_label("All day").check()
    expect(page.get_by_label("Start time")).to_be_hidden()
    page.get_by_label("Last day").fill("2026-12-02")
    page.get_by_role("button", name="Create").click()
    page.goto(f"{live_server.url}/?view=month&date=2026-12-01")
    for day in ("2026-11-30", "2026-12-01", "2026-12-02"):
        expect(page.locator(f'td[data-date="{day}"]')).to_contain_text("Offsite")
    expect(page.locator('td[data-date="2026-12-03"]')).not_to_contain_text("Offsite")


def test_week_and_list_views_and_navigation(page: Page, live_server) -> None:
    """The week view lists the week's meetings per day; the list view groups by day; the
    arrows and Today move the calendar."""
    alice = make_user("alice", "Alice")
    berlin = __import__("zoneinfo").ZoneInfo("Europe/Berlin")
    meeting_create(
        owner=alice,
        data=MeetingInput(
            subject="Weekly planning",
            start=datetime(2026, 11, 23, 10, tzinfo=berlin),
            end=datetime(2026, 11, 23, 11, tzinfo=berlin),
            time_zone="Europe/Berlin",
            recurrence=["RRULE:FREQ=WEEKLY"],
        ),
    )
    sign_in(page, live_server.url, "alice")
    page.goto(f"{live_server.url}/?view=month&date=2026-11-24")
    page.get_by_role("link", name="Week", exact=True).click()
    # The week is EventCalendar's time grid (issue 14); its arrows move it in place.
    week = page.locator(".calendar-component")
    expect(week.locator(".ec-body .ec-day")).to_have_count(7)
    expect(week.locator(".ec-event", has_text="Weekly planning")).to_contain_text("10:00")
    expect(week.locator(".ec-title")).to_have_text("Nov 23 \u2013 29, 2026")
    week.locator(".ec-button", has=page.locator(".ec-next")).click()
    expect(week.locator(".ec-title")).to_have_text("Nov 30 \u2013 Dec 6, 2026")
    expect(week.locator(".ec-event", has_text="Weekly planning")).to_contain_text("10:00")

    page.get_by_role("link", name="List", exact=True).click()
    expect(page.locator(".list-day").first).to_contain_text("Monday, 2026-11-30")
    expect(page.locator(".list-day")).to_have_count(2)  # 30 Nov and 7 Dec in two weeks

    page.get_by_role("link", name="Today").click()
    expect(page.locator(".calendar-list")).to_be_visible()


def test_my_preferences_leads_to_external_services(page: Page, live_server) -> None:
    """My Preferences, top left next to Sign out, leads to External services, where Google
    is not connected."""
    make_user("alice", "Alice")
    sign_in(page, live_server.url, "alice")
    account = page.locator("nav.account")
    preferences_box = account.get_by_role("link", name="My Preferences").bounding_box()
    sign_out_box = account.get_by_role("button", name="Sign out").bounding_box()
    assert preferences_box and sign_out_box
    assert preferences_box["x"] < 40  # top-left corner
    assert 0 < sign_out_box["x"] - (preferences_box["x"] + preferences_box["width"]) < 40

    account.get_by_role("link", name="My Preferences").click()
    page.get_by_role("link", name="External services").click()
    google = page.locator("tr.service-google")
    expect(google).to_contain_text("Google")
    expect(google.get_by_role("link")).to_have_text("Not connected, click to connect Google!")

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()


def test_a_colleague_sees_a_private_meeting_as_busy(page: Page, live_server) -> None:
    """Bob picks Alice's calendar and sees her private meeting as Busy, her public one in
    full; a screenshot of the month view is kept for people to look at."""
    alice = make_user("alice", "Alice")
    make_user("bob", "Bob")
    berlin = __import__("zoneinfo").ZoneInfo("Europe/Berlin")
    for subject, hour, visibility in [("Doctor", 9, "private"), ("Team lunch", 12, "public")]:
        meeting_create(
            owner=alice,
            data=MeetingInput(
                subject=subject,
                start=datetime(2026, 11, 24, hour, tzinfo=berlin),
                end=datetime(2026, 11, 24, hour + 1, tzinfo=berlin),
                time_zone="Europe/Berlin",
                visibility=visibility,
                location="Clinic" if visibility == "private" else "Canteen",
            ),
        )
    sign_in(page, live_server.url, "alice")
    page.goto(f"{live_server.url}/?view=month&date=2026-11-24")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "month-view.png"), full_page=True)
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, live_server.url, "bob")
    page.goto(f"{live_server.url}/?view=month&date=2026-11-24")
    page.get_by_label("Calendar of").select_option("alice")
    page.get_by_role("button", name="View").click()
    expect(page.locator(".calendar-owner")).to_contain_text("Calendar of Alice")
    page.goto(f"{live_server.url}/?view=week&date=2026-11-24&user=alice")
    week = page.locator(".calendar-component")
    expect(week.locator(".ec-event", has_text="Busy")).to_be_visible()
    expect(week.locator(".ec-event", has_text="Team lunch")).to_be_visible()
    expect(page.locator("main")).not_to_contain_text("Doctor")
    expect(page.locator("main")).not_to_contain_text("Clinic")


def test_one_occurrence_of_a_weekly_meeting_is_moved_and_another_cancelled(
    page: Page, live_server
) -> None:
    """From the month view Alice opens the second Tuesday of a weekly meeting, moves that one
    alone to the afternoon, then cancels the third; the other Tuesdays stay as they were."""
    from zoneinfo import ZoneInfo

    alice = make_user("alice", "Alice")
    berlin = ZoneInfo("Europe/Berlin")
    meeting_create(
        owner=alice,
        data=MeetingInput(
            subject="Team sync",
            start=datetime(2026, 12, 1, 9, tzinfo=berlin),
            end=datetime(2026, 12, 1, 10, tzinfo=berlin),
            time_zone="Europe/Berlin",
            recurrence=["RRULE:FREQ=WEEKLY;COUNT=4"],
        ),
    )
    base = live_server.url
    sign_in(page, base, "alice")
    page.goto(f"{base}/?view=month&date=2026-12-01")

    page.locator('td[data-date="2026-12-08"]').get_by_role("link", name="Team sync").click()
    expect(page.locator("dd.occurrence-when")).to_contain_text("2026-12-08 09:00")
    page.get_by_role("link", name="Edit this event").click()
    page.get_by_label("Start time").fill("14:00")
    page.get_by_label("End time").fill("15:00")
    page.get_by_role("button", name="Save this occurrence").click()
    expect(page.locator(".notice")).to_contain_text("One occurrence of Team sync")
    expect(page.locator("dd.when")).to_contain_text("2026-12-08 14:00")

    page.goto(f"{base}/?view=month&date=2026-12-01")
    page.locator('td[data-date="2026-12-15"]').get_by_role("link", name="Team sync").click()
    page.get_by_role("link", name="Delete this event").click()
    page.get_by_role("button", name="Cancel this occurrence").click()
    expect(page.locator(".messages")).to_contain_text("Cancelled one occurrence of “Team sync”.")

    page.goto(f"{base}/?view=month&date=2026-12-01")
    for day, times in [("01", ["09:00"]), ("08", ["14:00"]), ("15", []), ("22", ["09:00"])]:
        entries = page.locator(f'td[data-date="2026-12-{day}"] .entry-time')
        expect(entries).to_have_text(times)
