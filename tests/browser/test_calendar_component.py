"""The calendar component (EventCalendar) in a real Chromium: a time grid for week and day,
drag to move and resize (saved through the services), click or drag on empty time to
create, a lock on private meetings, live updates without a reload, and the list view
without JavaScript."""

from __future__ import annotations

import contextlib
import re
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from playwright.sync_api import Browser, Page, expect
from playwright.sync_api import Error as PlaywrightError

from tandem.meetings.models import Meeting
from tandem.meetings.services import MeetingInput, meeting_create, meeting_update

from .conftest import make_user, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(settings.VAR_DIR) / "test" / "screenshots"
BERLIN = ZoneInfo("Europe/Berlin")
# A Wednesday, so the week (Monday first) holds the days on either side.
DAY = date(2026, 11, 18)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=BERLIN)


def timed(owner: Any, subject: str, start: datetime, end: datetime, **extra: Any) -> Meeting:
    data = MeetingInput(subject=subject, start=start, end=end, time_zone="Europe/Berlin", **extra)
    return meeting_create(owner=owner, data=data)


def shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"component-{name}.png"), full_page=True)


def slot_height(page: Page) -> float:
    """The height of one 30-minute slot of the time grid, in pixels."""
    return float(
        page.locator(".calendar-component .ec-body .ec-day").first.evaluate(
            "el => parseFloat(getComputedStyle(el).getPropertyValue('--ec-slot-height'))"
        )
    )


def event(page: Page, title: str) -> Any:
    return page.locator(".calendar-component .ec-event", has_text=title)


def test_the_week_is_a_time_grid_and_a_drag_moves_the_meeting(page: Page, live_server) -> None:
    alice = make_user("alice", "Alice")
    review = timed(alice, "Design review", at(DAY, 9), at(DAY, 10))
    timed(alice, "Overlapping call", at(DAY, 9, 30), at(DAY, 10, 30))
    sign_in(page, live_server.url, "alice")
    page.goto(f"{live_server.url}/?view=week&date={DAY.isoformat()}")
    grid = page.locator(".calendar-component .ec-time-grid")
    expect(grid).to_be_visible()
    expect(page.locator(".server-grid")).to_be_hidden()
    expect(event(page, "Design review")).to_contain_text("9:00")
    expect(page.locator(".calendar-component .ec-now-indicator")).to_have_count(0)  # not now
    # Overlapping meetings sit side by side, not on top of each other.
    first, second = event(page, "Design review"), event(page, "Overlapping call")
    a, b = first.bounding_box(), second.bounding_box()
    assert a and b and (a["x"] + a["width"] <= b["x"] + 1 or b["x"] + b["width"] <= a["x"] + 1)
    shot(page, "week-1280")

    # Drag it one day to the right and two hours down (slots are 30 minutes).
    box = first.bounding_box()
    assert box is not None
    day_width = page.locator(".calendar-component .ec-body .ec-day").first.bounding_box()
    assert day_width is not None
    slot = slot_height(page)
    x, y = box["x"] + box["width"] / 2, box["y"] + 8
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + day_width["width"] / 2, y + 10, steps=5)
    page.mouse.move(x + day_width["width"], y + 4 * slot, steps=10)
    page.mouse.up()
    expect(page.locator(".calendar-notice")).to_have_text("Moved “Design review”.")
    review.refresh_from_db()
    assert review.start.astimezone(BERLIN) == at(DAY + timedelta(days=1), 11)
    assert review.end.astimezone(BERLIN) == at(DAY + timedelta(days=1), 12)
    assert review.time_zone == "Europe/Berlin"


def test_resizing_changes_the_end(page: Page, live_server) -> None:
    alice = make_user("alice", "Alice")
    call = timed(alice, "Call", at(DAY, 9), at(DAY, 10))
    sign_in(page, live_server.url, "alice")
    page.goto(f"{live_server.url}/?view=day&date={DAY.isoformat()}")
    block = event(page, "Call")
    expect(block).to_be_visible()
    box = block.bounding_box()
    assert box is not None
    slot = slot_height(page)
    block.hover()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] - 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x, y + slot, steps=5)
    page.mouse.move(x, y + 2 * slot, steps=5)
    page.mouse.up()
    expect(page.locator(".calendar-notice")).to_have_text("Moved “Call”.")
    call.refresh_from_db()
    assert call.end.astimezone(BERLIN) == at(DAY, 11)
    assert call.start.astimezone(BERLIN) == at(DAY, 9)


def test_clicking_empty_time_opens_a_new_meeting_at_that_time(page: Page, live_server) -> None:
    make_user("alice", "Alice")
    sign_in(page, live_server.url, "alice")
    page.goto(f"{live_server.url}/?view=day&date={DAY.isoformat()}")
    page.locator(".calendar-component .ec-time-grid").wait_for()
    # The 14:00 slot: the sidebar's label tells where it is.
    label = page.locator(".calendar-component .ec-sidebar .ec-slot", has_text="14:00").first
    label.scroll_into_view_if_needed()
    row = label.bounding_box()
    day = page.locator(".calendar-component .ec-body .ec-day").first.bounding_box()
    assert row and day
    page.mouse.click(day["x"] + day["width"] / 2, row["y"] + row["height"] / 4 + 4)
    expect(page.get_by_role("heading", name="New meeting")).to_be_visible()
    expect(page.get_by_label("Start date")).to_have_value(DAY.isoformat())
    expect(page.get_by_label("Start time")).to_have_value("14:00")


def test_private_meetings_carry_a_lock_and_full_titles_show_on_hover(
    page: Page, live_server
) -> None:
    alice = make_user("alice", "Alice")
    timed(alice, "Doctor", at(DAY, 8), at(DAY, 9), visibility="private")
    long_title = "Quarterly pipeline review with the whole Acme purchasing committee"
    timed(alice, long_title, at(DAY, 11), at(DAY, 12), location="Room 2")
    sign_in(page, live_server.url, "alice")
    page.goto(f"{live_server.url}/?view=week&date={DAY.isoformat()}")
    lock = event(page, "Doctor").locator(".event-lock")
    expect(lock).to_have_attribute("title", "Private: colleagues see only that this time is taken")
    expect(event(page, "Quarterly")).to_have_attribute("title", f"{long_title} · Room 2")
    shot(page, "week-private-1280")


def test_a_change_made_elsewhere_shows_without_a_reload(page: Page, live_server) -> None:
    """As when a sync brings a Google edit: the open page shows it within seconds."""
    alice = make_user("alice", "Alice")
    call = timed(alice, "Call with Globex", at(DAY, 9), at(DAY, 10))
    sign_in(page, live_server.url, "alice")
    page.goto(f"{live_server.url}/?view=week&date={DAY.isoformat()}")
    expect(event(page, "Call with Globex")).to_be_visible()
    page.evaluate("window.__notReloaded = true")
    data = MeetingInput(
        subject="Call with Globex (moved in Google)",
        start=at(DAY, 15),
        end=at(DAY, 16),
        time_zone="Europe/Berlin",
    )
    meeting_update(meeting=call, data=data, origin="google")
    expect(event(page, "moved in Google")).to_contain_text("15:00", timeout=10_000)
    assert page.evaluate("window.__notReloaded") is True


def test_on_a_phone_the_week_is_a_day(page: Page, live_server) -> None:
    make_user("alice", "Alice")
    sign_in(page, live_server.url, "alice")
    page.set_viewport_size({"width": 375, "height": 740})
    page.goto(f"{live_server.url}/?view=week&date={DAY.isoformat()}")
    expect(page.locator(".calendar-component .ec-body .ec-day")).to_have_count(1)
    width = page.evaluate("document.scrollingElement.scrollWidth")
    assert width <= 375
    shot(page, "phone-day-375")


def test_a_week_link_keeps_its_day_so_a_phone_opens_that_day(page: Page, live_server) -> None:
    """The address keeps the day asked for while the week shows it (it became the week's
    Monday), so the same link reloaded or opened on a phone, where the week is a day, shows
    that day."""
    alice = make_user("alice", "Alice")
    timed(alice, "Wednesday call", at(DAY, 9), at(DAY, 10))
    sign_in(page, live_server.url, "alice")
    page.goto(f"{live_server.url}/?view=week&date={DAY.isoformat()}")
    expect(page.locator(".calendar-component .ec-body .ec-day")).to_have_count(7)
    expect(page).to_have_url(re.compile(rf"date={DAY.isoformat()}"))
    link = page.url
    page.set_viewport_size({"width": 375, "height": 740})
    page.goto(link)
    expect(page.locator(".calendar-component .ec-body .ec-day")).to_have_count(1)
    expect(event(page, "Wednesday call")).to_be_visible()


def test_without_javascript_the_list_and_the_month_still_show_meetings(
    browser: Browser, live_server
) -> None:
    alice = make_user("alice", "Alice")
    timed(alice, "Planning", at(DAY, 9), at(DAY, 10))
    context = browser.new_context(
        java_script_enabled=False, viewport={"width": 1280, "height": 900}
    )
    page = context.new_page()
    try:
        sign_in(page, live_server.url, "alice")
        page.goto(f"{live_server.url}/?view=list&date={DAY.isoformat()}")
        expect(page.locator(".list-view")).to_contain_text("Planning")
        page.goto(f"{live_server.url}/?view=month&date={DAY.isoformat()}")
        expect(page.locator(f'td[data-date="{DAY.isoformat()}"]')).to_contain_text("Planning")
    finally:
        context.close()


def test_the_month_page_follows_a_sync_without_a_reload(page: Page, live_server) -> None:
    """The server's month grid is redrawn in place when the fingerprint changes."""
    alice = make_user("alice", "Alice")
    call = timed(alice, "Call with Initech", at(DAY, 9), at(DAY, 10))
    sign_in(page, live_server.url, "alice")
    page.goto(f"{live_server.url}/?view=month&date={DAY.isoformat()}")
    cell = page.locator(f'td[data-date="{DAY.isoformat()}"]')
    expect(cell).to_contain_text("Call with Initech")
    page.evaluate("window.__notReloaded = true")
    data = MeetingInput(
        subject="Call with Initech",
        start=at(DAY + timedelta(days=1), 9),
        end=at(DAY + timedelta(days=1), 10),
        time_zone="Europe/Berlin",
    )
    meeting_update(meeting=call, data=data, origin="google")
    moved = page.locator(f'td[data-date="{(DAY + timedelta(days=1)).isoformat()}"]')
    expect(moved).to_contain_text("Call with Initech", timeout=10_000)
    expect(cell).not_to_contain_text("Call with Initech")
    assert page.evaluate("window.__notReloaded") is True


def test_a_change_made_before_the_first_poll_answers_is_shown(page: Page, live_server) -> None:
    """The page starts from the fingerprint it was drawn with, not from its first poll's
    answer: a sync that lands between the drawing and that answer is still redrawn (it was
    lost until the next change, and CI's month-page test failed on it now and then)."""
    alice = make_user("alice", "Alice")
    call = timed(alice, "Call with Initech", at(DAY, 9), at(DAY, 10))
    held: list[Any] = []
    page.route("**/live/changes/**", lambda route: held.append(route))  # the first poll waits
    sign_in(page, live_server.url, "alice")
    page.goto(f"{live_server.url}/?view=month&date={DAY.isoformat()}")
    expect(page.locator(f'td[data-date="{DAY.isoformat()}"]')).to_contain_text("Call with Initech")
    while not held:
        page.wait_for_timeout(50)
    page.unroute("**/live/changes/**")  # the next polls go through
    data = MeetingInput(
        subject="Call with Initech",
        start=at(DAY + timedelta(days=1), 9),
        end=at(DAY + timedelta(days=1), 10),
        time_zone="Europe/Berlin",
    )
    meeting_update(meeting=call, data=data, origin="google")
    for route in held:
        # Answered after the change: its fingerprint already holds it. (A poll of the page
        # signed in on was cut by the navigation: nothing to answer.)
        with contextlib.suppress(PlaywrightError):
            route.continue_()
    moved = page.locator(f'td[data-date="{(DAY + timedelta(days=1)).isoformat()}"]')
    expect(moved).to_contain_text("Call with Initech", timeout=10_000)
