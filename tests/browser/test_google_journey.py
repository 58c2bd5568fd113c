"""The Google connection as a person meets it, in a real Chromium: sign in, connect Google
through the emulator's consent page, pick a dedicated calendar, sync both ways, revoke.

The emulator (served on loopback) is the only stand-in for Google. No worker runs here:
Celery runs tasks eagerly, so "Sync now" (and the sync a saved meeting asks for) runs in the
live server's thread, against the emulator over real sockets. Each screen is saved to
var/test/screenshots/journey-*.png for a person to look at.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from django.conf import settings as django_settings
from playwright.sync_api import Page, expect

from config.celery import app as celery_app
from tandem.accounts.models import GoogleConnection
from tandem.fakegoogle import CALENDAR_SCOPE
from tandem.meetings.models import Meeting
from tests.conftest import (
    DEMO_GOOGLE_EMAIL,
    GOOGLE_TEST_CLIENT_ID,
    GOOGLE_TEST_CLIENT_SECRET,
    GOOGLE_TEST_REDIRECT_URI,
    GoogleHarness,
)

from .conftest import make_user, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(django_settings.VAR_DIR) / "test" / "screenshots"
CALLBACK_PATH = "/preferences/external-services/google/callback/"
NOT_CONNECTED = "Not connected, click to connect Google!"
DEDICATED_NAME = "Tandem CRM"
REVIEW = "Quarterly review <with Acme>"  # hostile-looking text must come back escaped, intact
BERLIN = "Europe/Berlin"
NEW_YORK = "America/New_York"


@pytest.fixture
def google_for_browser(google_live: GoogleHarness, live_server: Any, settings: Any) -> Any:
    """The loopback emulator knows the live server's callback, and Django sends it there."""
    callback = f"{live_server.url}{CALLBACK_PATH}"
    google_live.emulator.register_client(
        client_id=GOOGLE_TEST_CLIENT_ID,
        client_secret=GOOGLE_TEST_CLIENT_SECRET,
        redirect_uris=[GOOGLE_TEST_REDIRECT_URI, callback],
    )
    settings.GOOGLE_REDIRECT_URI = callback
    return google_live


@pytest.fixture
def eager_sync(settings: Any) -> Iterator[None]:
    """Sync tasks run at once, in the thread that asks for them (no worker in this test)."""
    settings.SYNC_DEBOUNCE_SECONDS = 0
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    try:
        yield
    finally:
        celery_app.conf.task_always_eager = previous


def shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"journey-{name}.png"), full_page=True)


def google_api(harness: GoogleHarness) -> httpx.Client:
    """Acting as Dana in Google: the Calendar API of the emulator with her own token."""
    token = harness.emulator.mint_access_token(email=DEMO_GOOGLE_EMAIL, scopes=[CALENDAR_SCOPE])
    return httpx.Client(
        base_url=f"{harness.base_url}/calendar/v3/",
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )


def dedicated_calendar_id(harness: GoogleHarness) -> str:
    with google_api(harness) as api:
        entries = api.get("users/me/calendarList").json()["items"]
    return next(e["id"] for e in entries if e["summary"] == DEDICATED_NAME)


def open_external_services(page: Page, base: str) -> None:
    page.goto(f"{base}/")
    page.get_by_role("navigation", name="Account").get_by_role(
        "link", name="My Preferences"
    ).click()
    expect(page.get_by_role("heading", name="My Preferences")).to_be_visible()
    page.get_by_role("link", name="External services").click()
    expect(page.get_by_role("heading", name="External services")).to_be_visible()


def consent_on_google(page: Page, *, allow: bool) -> None:
    """The emulator's consent page: the account is chosen, the scopes are listed."""
    expect(page.get_by_role("heading", name="Sign in to continue")).to_be_visible()
    page.get_by_role("radio", name=DEMO_GOOGLE_EMAIL).check()
    calendar_access = page.get_by_role("checkbox", name="View and edit events on all your")
    expect(calendar_access).to_be_checked()
    page.click("#allow" if allow else "#deny")


def connect_google(page: Page, base: str) -> None:
    open_external_services(page, base)
    connect = page.get_by_role("link", name=NOT_CONNECTED)
    expect(connect).to_be_visible()
    shot(page, "03-external-services-not-connected")
    connect.click()
    shot(page, "04-google-consent")
    consent_on_google(page, allow=True)
    expect(page.get_by_role("heading", name="Synchronization settings")).to_be_visible()
    expect(page.locator(".messages")).to_contain_text(f"Connected to Google as {DEMO_GOOGLE_EMAIL}")


def choose_dedicated_calendar(page: Page) -> None:
    shot(page, "05-settings-first-visit")
    page.get_by_role("button", name="Create a dedicated calendar for the CRM").click()
    created = f"Created the Google calendar “{DEDICATED_NAME}”"
    expect(page.locator(".messages")).to_contain_text(created)
    inbound = page.locator("fieldset.field-inbound_calendar_ids")
    target = page.locator("fieldset.field-target_calendar_id")
    inbound.get_by_label(DEDICATED_NAME).check()
    target.get_by_label(DEDICATED_NAME).check()
    page.get_by_label("also synchronize private meetings").check()
    shot(page, "06-settings-chosen")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messages")).to_contain_text(
        "The first sync starts within a minute, then runs every 5 minutes"
    )


def create_meeting(page: Page, base: str, day: date, subject: str) -> None:
    page.goto(f"{base}/?view=month&date={day.isoformat()}")
    page.get_by_role("link", name="New meeting").click()
    page.get_by_label("Subject").fill(subject)
    page.get_by_label("Start date").fill(day.isoformat())
    page.get_by_label("Start time").fill("10:00")
    page.get_by_label("End time").fill("11:00")
    page.get_by_label("Location").fill("Room 4")
    page.get_by_role("button", name="Create").click()
    expect(page.locator(".messages")).to_contain_text(f"Created “{subject}”.")


def move_meeting_in_crm(page: Page, base: str, subject: str, *, start: str, end: str) -> None:
    page.goto(f"{base}/?view=list")
    page.get_by_role("link", name=subject).first.click()
    page.get_by_role("link", name="Edit", exact=True).click()
    page.get_by_label("Start time").fill(start)
    page.get_by_label("End time").fill(end)
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name=subject)).to_be_visible()


def click_sync_now(page: Page, base: str) -> None:
    page.goto(f"{base}/preferences/external-services/")
    page.get_by_role("button", name="Sync now").click()
    expect(page.locator(".messages")).to_contain_text("sync")


def meeting_reaches_google(page: Page, base: str, harness: GoogleHarness, day: date) -> str:
    """A meeting made in the CRM lands in the dedicated calendar; returns its event id."""
    create_meeting(page, base, day, REVIEW)
    shot(page, "08-meeting-created")
    click_sync_now(page, base)
    with google_api(harness) as api:
        items = api.get(f"calendars/{dedicated_calendar_id(harness)}/events").json()["items"]
    assert [item["summary"] for item in items] == [REVIEW]
    assert items[0]["location"] == "Room 4"
    assert items[0]["start"]["dateTime"].startswith(f"{day.isoformat()}T10:00:00")
    return str(items[0]["id"])


def google_event_reaches_the_crm(page: Page, base: str, harness: GoogleHarness, day: date) -> None:
    """An event made in Google, in New York time, arrives after the next sync; the status
    shows the run that brought it."""
    with google_api(harness) as api:
        made = api.post(
            f"calendars/{dedicated_calendar_id(harness)}/events",
            json={
                "summary": "Call from Google",
                "start": {"dateTime": f"{day.isoformat()}T09:00:00", "timeZone": NEW_YORK},
                "end": {"dateTime": f"{day.isoformat()}T09:30:00", "timeZone": NEW_YORK},
            },
        )
        assert made.status_code == 200, made.text
    click_sync_now(page, base)
    expect(page.locator(".sync-status")).to_contain_text("Last successful sync: 2")
    runs = page.locator("details.sync-runs")
    runs.locator("summary").click()
    newest = runs.locator("tbody tr").first.locator("td")
    expect(newest.nth(1)).to_have_text("Succeeded")
    expect(newest.nth(2)).to_have_text("1 new")  # into the CRM
    expect(newest.nth(3)).to_have_text("no changes")  # into Google
    shot(page, "09-sync-status-after-google-event")


def both_sides_move_the_meeting(
    page: Page, base: str, harness: GoogleHarness, day: date, event_id: str
) -> None:
    """Google moves the review first, then the CRM: the CRM's later edit wins on both sides
    and the status page says so in words and times, not in Python reprs."""
    calendar_id = dedicated_calendar_id(harness)
    with google_api(harness) as api:
        moved = api.patch(
            f"calendars/{calendar_id}/events/{event_id}",
            json={
                "start": {"dateTime": f"{day.isoformat()}T10:30:00", "timeZone": BERLIN},
                "end": {"dateTime": f"{day.isoformat()}T11:30:00", "timeZone": BERLIN},
            },
        )
        assert moved.status_code == 200, moved.text
    move_meeting_in_crm(page, base, REVIEW, start="12:00", end="13:00")
    click_sync_now(page, base)
    with google_api(harness) as api:
        event = api.get(f"calendars/{calendar_id}/events/{event_id}").json()
    assert event["start"]["dateTime"].startswith(f"{day.isoformat()}T12:00:00")
    page.locator("details.sync-runs summary").click()
    page.locator("details.sync-conflicts summary").click()
    conflicts = page.locator("details.sync-conflicts")
    expect(conflicts).to_contain_text(f"“{REVIEW}” was changed in the CRM and in Google")
    expect(conflicts).to_contain_text("Kept the CRM's version")
    expect(conflicts).to_contain_text(f"Time, now: {day.isoformat()} 12:00\u201313:00")
    for python_repr in ("datetime", "TimedMoment", "{", "None"):
        expect(conflicts).not_to_contain_text(python_repr)
    shot(page, "10-sync-runs-and-conflict")


def revoke_token(page: Page, base: str) -> None:
    open_external_services(page, base)
    page.get_by_role("link", name="Revoke Token").click()
    expect(page.get_by_role("heading", name="Revoke Token?")).to_be_visible()
    shot(page, "12-revoke-confirm")
    page.get_by_role("button", name="Revoke Token").click()
    expect(page.get_by_role("link", name=NOT_CONNECTED)).to_be_visible()
    expect(page.locator(".messages")).to_contain_text("Your meetings stay in the CRM")
    shot(page, "13-revoked")


def test_connect_sync_both_ways_and_revoke(
    page: Page, live_server: Any, google_for_browser: GoogleHarness, eager_sync: None
) -> None:
    """Dana connects Google from My Preferences, syncs into a dedicated calendar both ways
    (times shown in her zone), sees the sync's health and a settled conflict, and revokes
    the token; her meetings stay in the CRM."""
    harness = google_for_browser
    dana = make_user("dana", "Dana", time_zone=BERLIN)
    base = live_server.url
    sign_in(page, base, "dana")
    shot(page, "01-calendar")
    page.get_by_role("link", name="My Preferences").click()
    shot(page, "02-preferences")

    connect_google(page, base)
    choose_dedicated_calendar(page)
    shot(page, "07-external-services-connected")
    row = page.locator("tr.service-google")
    expect(row).to_contain_text(DEMO_GOOGLE_EMAIL)
    expect(row.locator(".google-status")).to_have_text("Connected")
    for action in ("Synchronization settings", "Revoke Token"):
        expect(row.get_by_role("link", name=action)).to_be_visible()
    expect(row.get_by_role("button", name="Sync now")).to_be_visible()

    day = date.today() + timedelta(days=3)
    event_id = meeting_reaches_google(page, base, harness, day)
    google_event_reaches_the_crm(page, base, harness, day)
    both_sides_move_the_meeting(page, base, harness, day, event_id)

    page.goto(f"{base}/?view=month&date={day.isoformat()}")
    cell = page.locator(f'td[data-date="{day.isoformat()}"]')
    # 09:00 in New York is 15:00 in Berlin, Dana's zone.
    expect(cell.get_by_role("link", name="Call from Google")).to_contain_text("15:00")
    expect(cell.get_by_role("link", name=REVIEW)).to_contain_text("12:00")
    shot(page, "11-calendar-with-google-event")
    cell.get_by_role("link", name="Call from Google").click()
    expect(page.locator("dd.when")).to_contain_text(f"{day.isoformat()} 15:00")
    expect(page.locator(".facts")).to_contain_text(f"{NEW_YORK} ({day.isoformat()} 09:00")
    shot(page, "11b-google-meeting-detail")

    revoke_token(page, base)
    page.goto(f"{base}/?view=month&date={day.isoformat()}")
    for subject in (REVIEW, "Call from Google"):
        expect(cell.get_by_role("link", name=subject)).to_be_visible()
    expect(page.locator(".sync-status-line")).to_have_count(0)
    shot(page, "14-calendar-after-revoke")
    assert GoogleConnection.objects.get(user=dana).status == GoogleConnection.Status.DISCONNECTED
    subjects = set(Meeting.objects.filter(owner=dana).values_list("subject", flat=True))
    assert subjects == {REVIEW, "Call from Google"}
    with google_api(harness) as api:  # Google keeps every event too
        items = api.get(f"calendars/{dedicated_calendar_id(harness)}/events").json()["items"]
    assert {item["summary"] for item in items} == {REVIEW, "Call from Google"}


def test_denying_consent_returns_to_external_services_with_a_message(
    page: Page, live_server: Any, google_for_browser: GoogleHarness
) -> None:
    """Cancel on Google's consent page brings Dana back to External services, told that
    nothing was connected, with the connect link still there."""
    dana = make_user("dana", "Dana")
    sign_in(page, live_server.url, "dana")
    open_external_services(page, live_server.url)
    page.get_by_role("link", name=NOT_CONNECTED).click()
    consent_on_google(page, allow=False)
    expect(page.get_by_role("heading", name="External services")).to_be_visible()
    expect(page.locator(".messages")).to_contain_text(
        "You did not allow Tandem to use your Google account."
    )
    shot(page, "20-consent-denied")
    expect(page.get_by_role("link", name=NOT_CONNECTED)).to_be_visible()
    assert not GoogleConnection.objects.filter(
        user=dana, status=GoogleConnection.Status.CONNECTED
    ).exists()
