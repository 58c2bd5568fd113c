"""Token lifecycle (issue #4, point 5): refresh before expiry, refreshed tokens saved, the
refresh token never lost; invalid_grant → "needs reconnect", no more calls to Google, a
banner with Reconnect; reconnecting keeps settings and links; another account starts clean."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from tandem.accounts.google_services import (
    SettingsChoice,
    calendars_refresh,
    sync_settings_save,
)
from tandem.accounts.models import GoogleConnection, SyncSettings
from tandem.google.errors import ConnectionLost
from tandem.meetings.models import Meeting
from tandem.meetings.services import MeetingInput, meeting_create
from tandem.sync.models import EventLink
from tests.accounts.helpers import (
    CONNECT,
    EXTERNAL_SERVICES,
    REVOKE,
    SETTINGS,
    connection_of,
    stored_tokens,
)
from tests.conftest import DEMO_GOOGLE_EMAIL, GOOGLE_TEST_CLIENT_ID, GoogleHarness

OTHER_GOOGLE_EMAIL = "erin@example.com"
BANNER = "Google no longer accepts your connection"


def _token_calls(google: GoogleHarness) -> int:
    return sum(1 for entry in google.emulator.request_log if entry.path == "/token")


def _google_calls(google: GoogleHarness) -> int:
    return len(google.emulator.request_log)


@pytest.fixture
def connected(google: GoogleHarness, client_ann: Client, ann: User) -> GoogleConnection:
    google.connect(client_ann)
    return connection_of(ann)


def _expire_soon(connection: GoogleConnection, *, minutes: float) -> None:
    connection.access_token_expires_at = timezone.now() + dt.timedelta(minutes=minutes)
    connection.save(update_fields=["access_token_expires_at"])


def test_a_fresh_access_token_is_used_without_refreshing(
    google: GoogleHarness, connected: GoogleConnection, ann: User
) -> None:
    """An access token far from expiry goes to Google as it is: no token request."""
    before = _token_calls(google)
    calendars_refresh(connection=connected)
    assert _token_calls(google) == before


def test_an_access_token_close_to_expiry_is_refreshed_first_and_saved(
    google: GoogleHarness, connected: GoogleConnection, ann: User
) -> None:
    """Within five minutes of expiry the token is refreshed before the call; the new access
    token is saved (encrypted) and the refresh token is kept although Google omits it."""
    old_access, old_refresh = stored_tokens(ann)
    _expire_soon(connected, minutes=2)
    before = _token_calls(google)
    calendars_refresh(connection=connected)
    assert _token_calls(google) == before + 1
    new_access, new_refresh = stored_tokens(ann)
    assert new_access != old_access
    assert new_access in google.emulator.state.access_tokens
    assert new_refresh == old_refresh
    assert connection_of(ann).access_token_expires_at > timezone.now() + dt.timedelta(minutes=30)


def test_an_access_token_google_rejects_early_is_refreshed_once(
    google: GoogleHarness, connected: GoogleConnection, ann: User
) -> None:
    """Google answers 401 to a token we thought valid: one refresh, the call succeeds."""
    google.emulator.expire_access_tokens(email=DEMO_GOOGLE_EMAIL)
    calendars = calendars_refresh(connection=connected)
    assert [c["id"] for c in calendars] == [DEMO_GOOGLE_EMAIL]
    assert stored_tokens(ann)[0] in google.emulator.state.access_tokens


@pytest.fixture
def dead_grant(google: GoogleHarness, connected: GoogleConnection) -> GoogleConnection:
    """The person removed Tandem's access in their Google Account; our token expires."""
    google.emulator.revoke_tokens(email=DEMO_GOOGLE_EMAIL, client_id=GOOGLE_TEST_CLIENT_ID)
    _expire_soon(connected, minutes=-1)
    return connected


def test_invalid_grant_marks_the_connection_needs_reconnect(
    dead_grant: GoogleConnection, ann: User
) -> None:
    """Google answers invalid_grant to the refresh: the connection needs a reconnect."""
    with pytest.raises(ConnectionLost):
        calendars_refresh(connection=dead_grant)
    assert connection_of(ann).status == GoogleConnection.Status.NEEDS_RECONNECT


def test_after_invalid_grant_no_call_reaches_google(
    google: GoogleHarness, dead_grant: GoogleConnection, ann: User
) -> None:
    """Once "needs reconnect", calendar reads, refreshes and Sync now make no request."""
    with pytest.raises(ConnectionLost):
        calendars_refresh(connection=dead_grant)
    calls = _google_calls(google)
    with pytest.raises(ConnectionLost):
        calendars_refresh(connection=connection_of(ann))
    client = Client()
    client.force_login(ann)
    client.get(SETTINGS)
    client.post("/preferences/external-services/google/sync-now/")
    assert _google_calls(google) == calls


def test_needs_reconnect_shows_a_banner_with_reconnect_on_every_page(
    dead_grant: GoogleConnection, client_ann: Client, ann: User
) -> None:
    """The settings page sends the user to External services with a message; every page
    then carries a banner linking to Reconnect; the row says "Needs reconnect"."""
    response = client_ann.get(SETTINGS)
    assert response["Location"] == EXTERNAL_SERVICES
    for path in ("/", "/preferences/", "/meetings/deleted/"):
        page = client_ann.get(path).content.decode()
        assert BANNER in page, path
        assert f'<a href="{CONNECT}">Reconnect</a>' in page, path
    # External services says it once, in the Google row with its Reconnect button: the
    # banner would send the user to the page they are on (issue 14, must have 5).
    row = client_ann.get(EXTERNAL_SERVICES).content.decode()
    assert BANNER not in row
    assert f'<a class="button" href="{CONNECT}">Reconnect</a>' in row
    assert "Needs reconnect" in row
    assert "Sync now" not in row


def test_a_healthy_connection_shows_no_banner(
    connected: GoogleConnection, client_ann: Client
) -> None:
    """No banner while Google accepts the connection."""
    assert BANNER not in client_ann.get("/").content.decode()


def _saved_settings_and_link(connection: GoogleConnection, user: User) -> EventLink:
    calendars_refresh(connection=connection)
    sync_settings_save(
        connection=connection,
        choice=SettingsChoice(
            inbound_calendar_ids=[DEMO_GOOGLE_EMAIL],
            target_calendar_id=DEMO_GOOGLE_EMAIL,
            sync_private=True,
        ),
    )
    start = timezone.now().replace(microsecond=0) + dt.timedelta(days=1)
    meeting = meeting_create(
        owner=user,
        data=MeetingInput(
            subject="Review", start=start, end=start + dt.timedelta(hours=1), time_zone="UTC"
        ),
    )
    return EventLink.objects.create(
        owner=user,
        meeting=meeting,
        google_sub=connection.google_sub,
        calendar_id=DEMO_GOOGLE_EMAIL,
        event_id="tandemreview0001",
        origin=EventLink.Origin.CRM,
    )


def test_reconnecting_the_same_account_keeps_settings_and_links(
    google: GoogleHarness,
    connected: GoogleConnection,
    client_ann: Client,
    ann: User,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    """After invalid_grant, Reconnect with the same Google account: connected again, same
    settings, same links, no banner, and the first sync is queued straight away."""
    link = _saved_settings_and_link(connected, ann)
    google.emulator.revoke_tokens(email=DEMO_GOOGLE_EMAIL, client_id=GOOGLE_TEST_CLIENT_ID)
    _expire_soon(connected, minutes=-1)
    with pytest.raises(ConnectionLost):
        calendars_refresh(connection=connected)
    with django_capture_on_commit_callbacks(execute=True):
        response = google.connect(client_ann)
    assert response["Location"] == SETTINGS
    connection = connection_of(ann)
    assert connection.status == GoogleConnection.Status.CONNECTED
    settings = SyncSettings.objects.get(connection=connection)
    assert settings.target_calendar_id == DEMO_GOOGLE_EMAIL
    assert settings.inbound_calendar_ids == [DEMO_GOOGLE_EMAIL]
    assert settings.sync_private is True
    assert EventLink.objects.filter(pk=link.pk, google_sub=connection.google_sub).exists()
    assert BANNER not in client_ann.get("/").content.decode()
    assert ann.sync_state.queued_for is not None


def test_connecting_a_different_account_starts_clean_and_leaves_the_old_data(
    google: GoogleHarness, connected: GoogleConnection, client_ann: Client, ann: User
) -> None:
    """Revoke, then connect another Google account: its settings start empty; the old
    account's links and every meeting stay as they were."""
    link = _saved_settings_and_link(connected, ann)
    old_sub = connected.google_sub
    google.emulator.create_account(email=OTHER_GOOGLE_EMAIL, name="Erin")
    client_ann.post(REVOKE)
    response = google.connect(client_ann, account=OTHER_GOOGLE_EMAIL)
    assert response["Location"] == SETTINGS
    connection = connection_of(ann)
    assert connection.email == OTHER_GOOGLE_EMAIL
    assert connection.google_sub == google.emulator.state.accounts[OTHER_GOOGLE_EMAIL].sub
    assert connection.google_sub != old_sub
    settings = SyncSettings.objects.get(connection=connection)
    assert settings.target_calendar_id == ""
    assert settings.inbound_calendar_ids == []
    assert settings.saved_at is None
    assert EventLink.objects.filter(pk=link.pk, google_sub=old_sub).exists()
    assert Meeting.objects.filter(pk=link.meeting_id, deleted_at__isnull=True).exists()
    page = client_ann.get(SETTINGS).content.decode()
    assert f'value="{OTHER_GOOGLE_EMAIL}"' in page
    assert f'value="{DEMO_GOOGLE_EMAIL}"' not in page
