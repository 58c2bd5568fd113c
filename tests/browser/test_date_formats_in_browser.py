"""Issue 14, must have 6, in Chromium: the meeting form shows and takes dates and times in
the user's formats (My Preferences), whatever the browser's locale. The form is saved to
var/test/screenshots/formats-meeting-form-*.png (var/ is kept out of git)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings as django_settings
from playwright.sync_api import Page, expect

from tandem.accounts.selectors import preferences_for
from tandem.meetings.models import Meeting

from .conftest import make_user, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(django_settings.VAR_DIR) / "test" / "screenshots"


def test_the_meeting_form_speaks_the_users_formats(page: Page, live_server: Any) -> None:
    ann = make_user("ann", "Ann")
    preferences = preferences_for(user=ann)
    preferences.date_format, preferences.time_format = "d.m.Y", "g:i A"
    preferences.save()
    sign_in(page, live_server.url, "ann")
    page.goto(f"{live_server.url}/meetings/new/?date=2026-12-08&time=14:00")
    start_date, start_time = page.get_by_label("Start date"), page.get_by_label("Start time")
    expect(start_date).to_have_value("08.12.2026")
    expect(start_date).to_have_attribute("placeholder", "24.11.2026")
    expect(start_time).to_have_value("2:00 PM")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for width in (1280, 375):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(SCREENSHOTS / f"formats-meeting-form-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_label("Subject").fill("Call with Initech")
    start_date.fill("09.12.2026")
    page.get_by_label("End date").fill("09.12.2026")
    start_time.fill("9:30 AM")
    page.get_by_label("End time").fill("10:15 AM")
    page.get_by_role("button", name="Create").click()
    expect(page.get_by_text("Call with Initech").first).to_be_visible()  # back on the calendar
    meeting = Meeting.objects.get(owner=ann)
    berlin = ZoneInfo("Europe/Berlin")
    assert meeting.start == datetime(2026, 12, 9, 9, 30, tzinfo=berlin)
    assert meeting.end == datetime(2026, 12, 9, 10, 15, tzinfo=berlin)
