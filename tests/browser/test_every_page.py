"""Every main page, in a real Chromium, at a laptop's width and a phone's: nothing scrolls
sideways at 375 px, and axe-core finds no serious or critical accessibility violation.

Each screen is saved to var/test/screenshots/pages-<name>-<width>.png (var/ is kept out of
git) for a person to look at.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings as django_settings
from playwright.sync_api import Browser, Page, expect

from tandem.meetings.models import Meeting
from tandem.meetings.services import MeetingInput, meeting_create

from .conftest import make_user, sign_in
from .test_google_journey import (  # the fixture is shared with the Google journey
    choose_dedicated_calendar,
    connect_google,
    google_for_browser,  # noqa: F401
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(django_settings.VAR_DIR) / "test" / "screenshots"
# axe-core, vendored with its licence (tests/browser/vendor/axe-core/README.md).
AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
PHONE = {"width": 375, "height": 740}
LAPTOP = {"width": 1280, "height": 900}
BERLIN = ZoneInfo("Europe/Berlin")
LONG_SUBJECT = "Quarterly pipeline review with the whole Acme purchasing committee"


def add_meetings(owner: Any) -> Meeting:
    """A few meetings of the kinds a page must lay out: a long title, a private one, an
    all-day one, two that overlap."""
    today = date.today()

    def at(day: date, hour: int, minute: int = 0) -> datetime:
        return datetime(day.year, day.month, day.day, hour, minute, tzinfo=BERLIN)

    def make(subject: str, start: datetime | None, end: datetime | None, **extra: Any) -> Meeting:
        fields = {
            "subject": subject,
            "start": start,
            "end": end,
            "time_zone": "Europe/Berlin",
            "location": "Room 2",
            "description": "Agenda:\nnumbers\nnext steps",
        } | extra
        return meeting_create(owner=owner, data=MeetingInput(**fields))

    long_one = make(LONG_SUBJECT, at(today, 9), at(today, 10, 30))
    make("Call with Globex", at(today, 10), at(today, 11))
    make("Doctor", at(today, 14), at(today, 15), visibility="private")
    make(
        "Trade fair",
        None,
        None,
        all_day=True,
        start_date=today + timedelta(days=1),
        end_date=today + timedelta(days=3),
    )
    return long_one


def has_no_sideways_scroll(page: Page) -> None:
    widths = page.evaluate("() => [document.scrollingElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"{page.url} is {widths[0]} px wide in {widths[1]} px"


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations of the page (WCAG 2.1 A and AA rules)."""
    page.add_script_tag(path=str(AXE))
    results = page.evaluate(
        """async () => await axe.run(document, {
            runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa',
                                            'best-practice']},
        })"""
    )
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [(n["target"], n["html"][:160]) for n in v["nodes"][:5]],
        }
        for v in results["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def check_page(page: Page, url: str, name: str) -> list[str]:
    """Visits url at both widths, saves both screenshots; returns what went wrong."""
    problems: list[str] = []
    for size in (LAPTOP, PHONE):
        page.set_viewport_size(size)
        page.goto(url)
        page.wait_for_load_state("networkidle")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"pages-{name}-{size['width']}.png"), full_page=True)
        if size is PHONE:
            try:
                has_no_sideways_scroll(page)
            except AssertionError as error:
                problems.append(str(error))
        violations = axe_violations(page)
        if violations:
            problems.append(f"{name} at {size['width']}: {json.dumps(violations, indent=1)}")
    return problems


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """Playwright injects axe-core as an inline script: the page's CSP (no inline script)
    is bypassed for this test only, the product's own scripts still load from 'self'."""
    context = browser.new_context(viewport=LAPTOP, bypass_csp=True)
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


@pytest.mark.usefixtures("google_for_browser")
def test_every_main_page_fits_a_phone_and_passes_axe(page: Page, live_server: Any) -> None:
    """Dana, connected to Google, with a few meetings: each main page at 1280 and 375 px."""
    dana = make_user("dana", "Dana")
    make_user("bob", "Robert Longname-Smithson")
    meeting = add_meetings(dana)
    base = live_server.url
    sign_in(page, base, "dana")
    connect_google(page, base)
    choose_dedicated_calendar(page)
    today = date.today().isoformat()

    pages = {
        "calendar-month": f"/?view=month&date={today}",
        "calendar-week": f"/?view=week&date={today}",
        "calendar-day": f"/?view=day&date={today}",
        "calendar-list": f"/?view=list&date={today}",
        "meeting": f"/meetings/{meeting.pk}/",
        "meeting-form": f"/meetings/{meeting.pk}/edit/",
        "meeting-new": f"/meetings/new/?date={today}",
        "preferences": "/preferences/",
        "external-services": "/preferences/external-services/",
        "sync-settings": "/preferences/external-services/google/settings/",
        "deleted-meetings": "/meetings/deleted/",
        "not-found": "/meetings/999999/",
    }
    problems: list[str] = []
    for name, path in pages.items():
        problems += check_page(page, f"{base}{path}", name)

    page.context.clear_cookies()
    problems += check_page(page, f"{base}/login/", "login")
    expect(page.get_by_label("Username")).to_be_visible()
    assert not problems, "\n".join(problems)
