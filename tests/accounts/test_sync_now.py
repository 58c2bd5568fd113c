"""Sync now on External services: a CSRF-protected POST that queues a sync for the
signed-in user (the engine that runs it belongs to other issues)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.test import Client

from tandem.sync.models import UserSyncState
from tests.accounts.helpers import EXTERNAL_SERVICES, SETTINGS, SYNC_NOW
from tests.conftest import DEMO_GOOGLE_EMAIL, GoogleHarness


def _connect_and_save(google: GoogleHarness, client: Client) -> None:
    google.connect(client)
    client.post(
        SETTINGS,
        {"inbound_calendar_ids": [DEMO_GOOGLE_EMAIL], "target_calendar_id": DEMO_GOOGLE_EMAIL},
    )


def _queued(user: User) -> bool:
    return UserSyncState.objects.filter(owner=user, queued_for__isnull=False).exists()


def test_sync_now_queues_a_sync_for_the_user(
    google: GoogleHarness, client_ann: Client, ann: User
) -> None:
    """Connected with saved settings: Sync now queues a sync and says it starts soon."""
    _connect_and_save(google, client_ann)
    response = client_ann.post(SYNC_NOW)
    assert response["Location"] == EXTERNAL_SERVICES
    assert _queued(ann)
    assert "A sync starts within seconds." in client_ann.get(EXTERNAL_SERVICES).content.decode()


def test_a_second_sync_now_while_one_is_queued_queues_nothing_more(
    google: GoogleHarness, client_ann: Client, ann: User, settings: Any
) -> None:
    """Clicking twice does not queue two syncs; the user is told one is on its way."""
    settings.SYNC_DEBOUNCE_SECONDS = 600  # the first one is still waiting to start
    _connect_and_save(google, client_ann)
    client_ann.post(SYNC_NOW)
    client_ann.post(SYNC_NOW)
    page = client_ann.get(EXTERNAL_SERVICES).content.decode()
    assert "A sync is already queued" in page


def test_sync_now_needs_post(google: GoogleHarness, client_ann: Client, ann: User) -> None:
    """A GET (a link, a prefetch) never starts a sync."""
    _connect_and_save(google, client_ann)
    assert client_ann.get(SYNC_NOW).status_code == 405
    assert not _queued(ann)


def test_sync_now_needs_the_csrf_token(
    google: GoogleHarness, client_ann: Client, ann: User
) -> None:
    """A cross-site POST without the CSRF token gets 403 and queues nothing."""
    _connect_and_save(google, client_ann)
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(ann)
    assert strict.post(SYNC_NOW).status_code == 403
    assert not _queued(ann)


def test_sync_now_before_saving_settings_asks_for_them(
    google: GoogleHarness, client_ann: Client, ann: User
) -> None:
    """Connected but no settings saved yet: sent to the settings page, nothing queued."""
    google.connect(client_ann)
    response = client_ann.post(SYNC_NOW)
    assert response["Location"] == SETTINGS
    assert not _queued(ann)


def test_sync_now_without_a_connection_queues_nothing(
    google: GoogleHarness, client_ann: Client, ann: User
) -> None:
    """Not connected: back to External services with a message."""
    response = client_ann.post(SYNC_NOW)
    assert response["Location"] == EXTERNAL_SERVICES
    assert "Connect Google with calendar access first." in (
        client_ann.get(EXTERNAL_SERVICES).content.decode()
    )
    assert not _queued(ann)
