"""Helpers for the scheduling, worker and status tests: connected users, Google-side edits."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import httpx
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from tandem.accounts.google_services import (
    SettingsChoice,
    calendars_refresh,
    connection_for,
    sync_settings_save,
)
from tandem.accounts.models import GoogleConnection, SyncSettings
from tests.conftest import DEMO_GOOGLE_EMAIL, IN_PROCESS_BASE_URL, GoogleHarness

CALENDAR_SCOPE = "https://www.googleapis.com/auth/calendar"


def connect_user(harness: GoogleHarness, *, username: str, email: str = DEMO_GOOGLE_EMAIL) -> User:
    """A user who went through Google's consent and saved the sync settings (their primary
    calendar both ways), the way a person does it on the pages."""
    if email not in harness.emulator.state.accounts:
        harness.emulator.create_account(email=email, name=username.title())
    user = User.objects.create_user(username, password="pw")
    client = Client()
    client.force_login(user)
    # A browser of their own: Google would otherwise recognise the previous person.
    with _fresh_browser(harness) as browser_harness:
        response = browser_harness.connect(client, account=email)
    assert response.status_code == 302, response.content
    connection = connection_for(user=user)
    calendars_refresh(connection=connection)
    sync_settings_save(
        connection=connection,
        choice=SettingsChoice(
            inbound_calendar_ids=[email], target_calendar_id=email, sync_private=False
        ),
    )
    return user


@contextmanager
def _fresh_browser(harness: GoogleHarness) -> Iterator[GoogleHarness]:
    if harness.base_url == IN_PROCESS_BASE_URL:
        browser = httpx.Client(transport=harness.emulator.transport())
    else:
        browser = httpx.Client(timeout=10)
    with browser:
        yield dataclasses.replace(harness, browser=browser)


def syncable_rows(*, username: str, **state: object) -> User:
    """A user whose connection and settings rows say "connected and saved", without Google
    (enough for the schedule, which only reads rows)."""
    user = User.objects.create_user(username)
    connection = GoogleConnection.objects.create(
        user=user,
        email=f"{username}@example.com",
        google_sub=f"sub-{username}",
        status=GoogleConnection.Status.CONNECTED,
    )
    SyncSettings.objects.create(
        connection=connection,
        inbound_calendar_ids=[connection.email],
        target_calendar_id=connection.email,
        saved_at=timezone.now(),
    )
    if state:
        from tandem.sync.models import UserSyncState

        UserSyncState.objects.create(owner=user, **state)
    return user


def google_api(harness: GoogleHarness, *, email: str = DEMO_GOOGLE_EMAIL) -> httpx.Client:
    """The person's own Google Calendar client (acting in Google, not through the CRM)."""
    token = harness.emulator.mint_access_token(email=email, scopes=[CALENDAR_SCOPE])
    transport = harness.emulator.transport() if harness.base_url == IN_PROCESS_BASE_URL else None
    return httpx.Client(
        transport=transport,
        base_url=f"{harness.base_url}/calendar/v3/",
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )


def google_event_create(
    api: httpx.Client, *, summary: str, email: str = DEMO_GOOGLE_EMAIL, days: int = 1
) -> dict[str, object]:
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=days)
    answer = api.post(
        f"calendars/{email}/events",
        json={
            "summary": summary,
            "start": {"dateTime": start.isoformat()},
            "end": {"dateTime": (start + timedelta(hours=1)).isoformat()},
        },
    )
    assert answer.status_code == 200, answer.text
    body: dict[str, object] = answer.json()
    return body


def google_summaries(api: httpx.Client, *, email: str = DEMO_GOOGLE_EMAIL) -> list[str]:
    items = api.get(f"calendars/{email}/events").json()["items"]
    return sorted(str(item.get("summary", "")) for item in items)
