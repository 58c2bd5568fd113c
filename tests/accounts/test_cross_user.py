"""Another user can never see or change someone else's Google connection or settings: every
view acts on the signed-in user only (issue #4)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from tandem.accounts.models import GoogleConnection, SyncSettings
from tandem.sync.models import UserSyncState
from tests.accounts.helpers import (
    CREATE_CALENDAR,
    EXTERNAL_SERVICES,
    NOT_CONNECTED,
    REVOKE,
    SETTINGS,
    SYNC_NOW,
    connection_of,
    stored_tokens,
)
from tests.conftest import DEMO_GOOGLE_EMAIL, GoogleHarness

BEN_GOOGLE_EMAIL = "ben.google@example.com"


@pytest.fixture
def ann_connected(google: GoogleHarness, client_ann: Client, ann: User) -> GoogleConnection:
    """Ann connected Dana's Google account and saved her settings."""
    google.connect(client_ann)
    client_ann.post(
        SETTINGS,
        {"inbound_calendar_ids": [DEMO_GOOGLE_EMAIL], "target_calendar_id": DEMO_GOOGLE_EMAIL},
    )
    return connection_of(ann)


def test_a_colleague_sees_only_his_own_google_row(
    ann_connected: GoogleConnection, client_ben: Client
) -> None:
    """Ben's External services invites him to connect; Ann's account appears nowhere."""
    page = client_ben.get(EXTERNAL_SERVICES).content.decode()
    assert NOT_CONNECTED in page
    assert DEMO_GOOGLE_EMAIL not in page


def test_a_colleague_cannot_open_or_save_someone_elses_settings(
    ann_connected: GoogleConnection, client_ben: Client, ben: User, ann: User
) -> None:
    """Ben, not connected, is sent to External services; his POST with Ann's calendar ids
    changes neither his nor Ann's settings."""
    response = client_ben.get(SETTINGS)
    assert response["Location"] == EXTERNAL_SERVICES
    post = client_ben.post(
        SETTINGS,
        {
            "inbound_calendar_ids": [DEMO_GOOGLE_EMAIL],
            "target_calendar_id": DEMO_GOOGLE_EMAIL,
            "sync_private": "on",
        },
    )
    assert post.status_code == 302
    ann_settings = SyncSettings.objects.get(connection__user=ann)
    assert ann_settings.sync_private is False
    assert not SyncSettings.objects.filter(connection__user=ben, saved_at__isnull=False).exists()


def test_a_connected_colleague_cannot_pick_someone_elses_calendars(
    google: GoogleHarness, ann_connected: GoogleConnection, client_ben: Client, ben: User
) -> None:
    """Ben connected his own Google account: Ann's calendar ids are not among his choices,
    so a POST naming them is refused with a message and saves nothing."""
    google.emulator.create_account(email=BEN_GOOGLE_EMAIL, name="Ben")
    google.connect(client_ben, account=BEN_GOOGLE_EMAIL)
    page = client_ben.get(SETTINGS).content.decode()
    assert DEMO_GOOGLE_EMAIL not in page
    response = client_ben.post(
        SETTINGS,
        {"inbound_calendar_ids": [DEMO_GOOGLE_EMAIL], "target_calendar_id": DEMO_GOOGLE_EMAIL},
    )
    assert response.status_code == 200
    assert "is not one of the available choices" in response.content.decode()
    assert SyncSettings.objects.get(connection__user=ben).saved_at is None


def test_a_colleagues_revoke_touches_only_his_own_connection(
    google: GoogleHarness, ann_connected: GoogleConnection, client_ben: Client, ann: User
) -> None:
    """Ben's Revoke Token leaves Ann connected, with her tokens alive at Google."""
    client_ben.post(REVOKE)
    assert connection_of(ann).status == GoogleConnection.Status.CONNECTED
    _, refresh = stored_tokens(ann)
    assert google.emulator.state.refresh_tokens[refresh].dead is None
    assert "/revoke" not in [entry.path for entry in google.emulator.request_log]


def test_a_colleague_cannot_create_calendars_or_sync_for_someone_else(
    google: GoogleHarness, ann_connected: GoogleConnection, client_ben: Client, ann: User
) -> None:
    """Ben's "create calendar" and "Sync now" act on his (absent) connection: no calendar
    appears in Ann's Google account and no sync is queued for Ann."""
    calendars_before = set(google.emulator.state.calendars)
    client_ben.post(CREATE_CALENDAR)
    client_ben.post(SYNC_NOW)
    assert set(google.emulator.state.calendars) == calendars_before
    assert not UserSyncState.objects.filter(owner=ann, queued_for__isnull=False).exists()


def test_the_reconnect_banner_is_only_for_the_user_whose_grant_died(
    ann_connected: GoogleConnection, client_ben: Client, client_ann: Client
) -> None:
    """Ann's "needs reconnect" shows on Ann's pages, not Ben's."""
    ann_connected.status = GoogleConnection.Status.NEEDS_RECONNECT
    ann_connected.save(update_fields=["status"])
    banner = "Google no longer accepts your connection"
    assert banner in client_ann.get("/").content.decode()
    assert banner not in client_ben.get("/").content.decode()
