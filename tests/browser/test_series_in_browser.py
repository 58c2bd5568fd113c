"""Recurring meetings made and changed in the CRM, in a real Chromium (issue 13, must have
6): create a weekly series with the Repeat choices, move one occurrence, change "this and
following events", cancel one, sync, and check that the CRM's pages and occurrences and the
emulator's instances agree.

The emulator runs on loopback; Celery runs eagerly, so "Sync now" syncs in the live
server's thread. Screens at 1280 and 375 px go to var/test/screenshots/series-*.png."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings as django_settings
from playwright.sync_api import Page, expect

from tandem.meetings.models import Meeting
from tandem.meetings.occurrences import occurrence_key
from tests.conftest import GoogleHarness

from .conftest import make_user, sign_in
from .test_google_journey import (  # the fixtures are shared with the Google journey
    choose_dedicated_calendar,
    click_sync_now,
    connect_google,
    dedicated_calendar_id,
    eager_sync,  # noqa: F401
    google_api,
    google_for_browser,  # noqa: F401
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(django_settings.VAR_DIR) / "test" / "screenshots"
BERLIN = ZoneInfo("Europe/Berlin")
SUBJECT = "Weekly client call"
LATER = "Weekly client call (new time)"


def shots(page: Page, name: str) -> None:
    """The page at a laptop's and a phone's width."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for width, height in ((1280, 900), (375, 740)):
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=str(SCREENSHOTS / f"series-{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def monday_in_two_weeks() -> date:
    today = date.today()
    return today + timedelta(days=7 - today.weekday() + 7)


def at(day: date, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=BERLIN)


def open_occurrence(page: Page, base: str, series: Meeting, start: datetime) -> None:
    page.goto(f"{base}/meetings/{series.pk}/?occurrence={occurrence_key(start)}")


def crm_starts(page: Page, base: str, series_ids: list[int], first: date) -> list[datetime]:
    """The CRM's occurrences of the series (cancelled ones left out), as UTC instants, read
    through the API with the browser's session."""
    found = []
    for pk in series_ids:
        response = page.request.get(
            f"{base}/api/v1/meetings/{pk}/occurrences/",
            params={
                "start": at(first, 0).isoformat(),
                "end": at(first + timedelta(days=70), 0).isoformat(),
            },
        )
        assert response.ok, response.text()
        found += [
            datetime.fromisoformat(row["start"]).astimezone(UTC)
            for row in response.json()
            if row["status"] != "cancelled"
        ]
    return sorted(found)


def google_starts(harness: GoogleHarness) -> list[datetime]:
    """Every live instance of every recurring event in the dedicated calendar."""
    calendar = dedicated_calendar_id(harness)
    found = []
    with google_api(harness) as api:
        events = api.get(f"calendars/{calendar}/events").json()["items"]
        for event in events:
            if not event.get("recurrence"):
                assert event.get("recurringEventId"), event  # no loose copies of occurrences
                continue
            instances = api.get(f"calendars/{calendar}/events/{event['id']}/instances").json()
            found += [
                datetime.fromisoformat(item["start"]["dateTime"]).astimezone(UTC)
                for item in instances["items"]
                if item.get("status") != "cancelled"
            ]
    return sorted(found)


@pytest.mark.usefixtures("google_for_browser", "eager_sync")
def test_a_weekly_series_made_moved_split_and_cancelled_agrees_with_google(
    page: Page, live_server: Any, google_live: GoogleHarness
) -> None:
    make_user("dana", "Dana")
    base = live_server.url
    sign_in(page, base, "dana")
    connect_google(page, base)
    choose_dedicated_calendar(page)
    monday = monday_in_two_weeks()
    mondays = [at(monday + timedelta(weeks=n), 9) for n in range(6)]

    # Create: weekly on Monday, 6 times.
    page.goto(f"{base}/meetings/new/?date={monday.isoformat()}&time=09:00")
    page.get_by_label("Subject").fill(SUBJECT)
    page.get_by_label("How often").select_option("WEEKLY")
    page.get_by_label("Mon", exact=True).check()
    page.get_by_label("After a number of times").check()
    page.get_by_label("How many times").fill("6")
    expect(page.get_by_label("Custom rule")).to_be_hidden()
    shots(page, "01-new-weekly")
    page.get_by_role("button", name="Create").click()
    expect(page.locator(".messages")).to_contain_text(f"Created “{SUBJECT}”.")
    series = Meeting.objects.get(subject=SUBJECT)
    assert series.recurrence == ["RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=6"]
    click_sync_now(page, base)
    assert google_starts(google_live) == [m.astimezone(UTC) for m in mondays]

    # Move the second occurrence alone.
    open_occurrence(page, base, series, mondays[1])
    expect(page.locator("dd.when")).to_contain_text(f"{mondays[1]:%Y-%m-%d} 09:00")
    expect(page.locator(".rule-words")).to_have_text("Weekly on Monday, 6 times")
    shots(page, "02-occurrence-page")
    page.get_by_role("link", name="Edit this event").click()
    page.get_by_label("Start time").fill("14:00")
    page.get_by_label("End time").fill("15:00")
    page.get_by_role("button", name="Save this occurrence").click()
    expect(page.locator("dd.when")).to_contain_text(f"{mondays[1]:%Y-%m-%d} 14:00")

    # This and following from the fourth: an hour later, under a new subject.
    open_occurrence(page, base, series, mondays[3])
    page.get_by_role("link", name="Edit this and following events").click()
    expect(page.get_by_label("How many times")).to_have_value("3")
    page.get_by_label("Subject").fill(LATER)
    page.get_by_label("Start time").fill("10:00")
    page.get_by_label("End time").fill("11:00")
    shots(page, "03-this-and-following")
    page.get_by_role("button", name="Save this and following events").click()
    expect(page.locator(".messages")).to_contain_text("Saved this and the following events")
    new_series = Meeting.objects.get(subject=LATER)
    expect(page.locator(".rule-words")).to_have_text("Weekly on Monday, 3 times")

    # Cancel the new series' second occurrence (the fifth Monday).
    fifth = mondays[4] + timedelta(hours=1)
    open_occurrence(page, base, new_series, fifth)
    page.get_by_role("link", name="Delete this event").click()
    page.get_by_role("button", name="Cancel this occurrence").click()
    expect(page.locator(".messages")).to_contain_text(f"Cancelled one occurrence of “{LATER}”.")

    click_sync_now(page, base)
    expected = sorted(
        moment.astimezone(UTC)
        for moment in [
            mondays[0],
            mondays[1] + timedelta(hours=5),  # moved to 14:00
            mondays[2],
            mondays[3] + timedelta(hours=1),
            mondays[5] + timedelta(hours=1),
        ]
    )
    crm = crm_starts(page, base, [series.pk, new_series.pk], monday)
    assert crm == google_starts(google_live) == expected

    # The old series' page says where it ends now; the cancelled occurrence has no page.
    page.goto(f"{base}/meetings/{series.pk}/")
    expect(page.locator(".rule-words")).to_contain_text(
        f"Weekly on Monday, until {mondays[2]:%Y-%m-%d}"
    )
    shots(page, "04-old-series")
    open_occurrence(page, base, new_series, fifth)
    expect(page.locator(".messages")).to_contain_text("already changed or cancelled")
