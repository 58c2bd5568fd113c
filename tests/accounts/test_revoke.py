"""Revoke Token (issue #4, point 6): a confirmed POST with CSRF; Google's revoke endpoint is
called, or retried in the background when Google is unreachable; the tokens are deleted,
scheduling and push channels stop, and every meeting and every event stays."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from tandem.accounts.google_services import calendar_client_for
from tandem.accounts.models import GoogleConnection
from tandem.accounts.tasks import retry_pending_revokes
from tandem.meetings.models import Meeting
from tandem.meetings.services import MeetingInput, meeting_create
from tandem.sync.models import CalendarSyncState, UserSyncState
from tests.accounts.helpers import (
    EXTERNAL_SERVICES,
    NOT_CONNECTED,
    REVOKE,
    connection_of,
    stored_tokens,
)
from tests.conftest import DEMO_GOOGLE_EMAIL, GoogleHarness


@pytest.fixture
def connected(google: GoogleHarness, client_ann: Client, ann: User) -> tuple[str, str]:
    """Ann connected; returns the (access, refresh) tokens Google gave her."""
    google.connect(client_ann)
    return stored_tokens(ann)


def _alive(google: GoogleHarness, refresh_token: str) -> bool:
    return google.emulator.state.refresh_tokens[refresh_token].dead is None


def test_revoke_token_asks_for_confirmation_first(
    google: GoogleHarness, connected: tuple[str, str], client_ann: Client, ann: User
) -> None:
    """The Revoke Token link opens a confirmation page with a CSRF-protected form; opening it
    changes nothing."""
    page = client_ann.get(REVOKE).content.decode()
    assert "Revoke Token?" in page
    assert 'method="post"' in page
    assert "csrfmiddlewaretoken" in page
    assert connection_of(ann).status == GoogleConnection.Status.CONNECTED
    assert _alive(google, connected[1])


def test_revoke_token_without_csrf_is_refused(
    google: GoogleHarness, connected: tuple[str, str], ann: User
) -> None:
    """A POST without the CSRF token (a forged cross-site form) gets 403 and revokes nothing."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(ann)
    assert client.post(REVOKE).status_code == 403
    assert connection_of(ann).status == GoogleConnection.Status.CONNECTED
    assert _alive(google, connected[1])


def test_revoke_token_revokes_at_google_and_forgets_the_tokens(
    google: GoogleHarness, connected: tuple[str, str], ann: User
) -> None:
    """Confirmed with the CSRF token: Google's revoke endpoint kills the grant, our row holds
    no token any more, and the Google row reads "Not connected" again."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(ann)
    form = client.get(REVOKE)
    csrf = form.context["csrf_token"]
    response = client.post(REVOKE, {"csrfmiddlewaretoken": str(csrf)})
    assert response.status_code == 302
    assert response["Location"] == EXTERNAL_SERVICES
    assert not _alive(google, connected[1])
    assert google.emulator.state.access_tokens[connected[0]].dead is not None
    connection = connection_of(ann)
    assert connection.status == GoogleConnection.Status.DISCONNECTED
    assert connection.access_token_encrypted == ""
    assert connection.refresh_token_encrypted == ""
    assert connection.pending_revoke_encrypted == ""
    page = client.get(EXTERNAL_SERVICES).content.decode()
    assert NOT_CONNECTED in page
    assert "the token revoked" in page


def test_revoke_keeps_every_meeting_and_every_event(
    google: GoogleHarness, connected: tuple[str, str], client_ann: Client, ann: User
) -> None:
    """The CRM keeps its meetings and Google keeps its events."""
    event = calendar_client_for(connection=connection_of(ann)).event_insert(
        DEMO_GOOGLE_EMAIL,
        {
            "summary": "Kept in Google",
            "start": {"dateTime": "2030-01-01T10:00:00Z"},
            "end": {"dateTime": "2030-01-01T11:00:00Z"},
        },
    )
    start = timezone.now().replace(microsecond=0) + dt.timedelta(days=1)
    meeting = meeting_create(
        owner=ann,
        data=MeetingInput(
            subject="Kept in the CRM",
            start=start,
            end=start + dt.timedelta(hours=1),
            time_zone="UTC",
        ),
    )
    client_ann.post(REVOKE)
    assert Meeting.objects.filter(pk=meeting.pk, deleted_at__isnull=True).exists()
    kept = google.emulator.state.calendars[DEMO_GOOGLE_EMAIL].events[event["id"]]
    assert kept.resource["status"] == "confirmed"


def test_revoke_stops_scheduling_and_push_channels(
    google: GoogleHarness,
    connected: tuple[str, str],
    client_ann: Client,
    ann: User,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    """After Revoke Token the user is due for nothing and no push channel is remembered."""
    UserSyncState.objects.create(owner=ann, next_due_at=timezone.now(), queued_for=timezone.now())
    CalendarSyncState.objects.create(
        owner=ann,
        google_sub=connection_of(ann).google_sub,
        calendar_id=DEMO_GOOGLE_EMAIL,
        sync_token="kept-for-a-reconnect",
        channel_id="channel-1",
        channel_token_hash="secret-channel-token-hash",
        channel_resource_id="resource-1",
        channel_expires_at=timezone.now() + dt.timedelta(days=1),
    )
    with django_capture_on_commit_callbacks(execute=True):
        client_ann.post(REVOKE)
    state = UserSyncState.objects.get(owner=ann)
    assert state.next_due_at is None
    assert state.queued_for is None
    calendar_state = CalendarSyncState.objects.get(owner=ann)
    assert calendar_state.channel_id == ""
    assert calendar_state.channel_token_hash == ""
    assert calendar_state.sync_token == "kept-for-a-reconnect"


def test_when_google_is_unreachable_the_local_disconnect_still_happens(
    google: GoogleHarness, connected: tuple[str, str], client_ann: Client, ann: User
) -> None:
    """Google drops the connection: the CRM disconnects anyway, says the revoke will be
    retried, and keeps only the encrypted token the retry needs."""
    google.emulator.inject_fault(route="POST /revoke", status=0, drop=True, times=-1)
    response = client_ann.post(REVOKE)
    assert response["Location"] == EXTERNAL_SERVICES
    connection = connection_of(ann)
    assert connection.status == GoogleConnection.Status.DISCONNECTED
    assert connection.access_token_encrypted == ""
    assert connection.refresh_token_encrypted == ""
    assert connection.pending_revoke_encrypted != ""
    assert connected[1] not in connection.pending_revoke_encrypted
    page = client_ann.get(EXTERNAL_SERVICES).content.decode()
    assert NOT_CONNECTED in page
    assert "Tandem will keep trying in the background" in page
    assert _alive(google, connected[1])


def test_a_queued_revoke_goes_through_once_google_is_back(
    google: GoogleHarness, connected: tuple[str, str], client_ann: Client, ann: User
) -> None:
    """The background task retries: while Google is down the revoke stays queued; once it
    answers, the grant dies at Google and the queue empties."""
    google.emulator.inject_fault(route="POST /revoke", status=503, times=-1)
    client_ann.post(REVOKE)
    assert retry_pending_revokes() == 0
    assert connection_of(ann).pending_revoke_encrypted != ""
    assert _alive(google, connected[1])
    google.emulator.clear_faults()
    assert retry_pending_revokes() == 1
    assert not _alive(google, connected[1])
    assert connection_of(ann).pending_revoke_encrypted == ""
    assert retry_pending_revokes() == 0


def test_revoke_when_nothing_listens_at_googles_address(
    google_live: GoogleHarness, client_ann: Client, ann: User, settings: Any
) -> None:
    """Over real sockets, a refused connection (Google unreachable) still disconnects."""
    google_live.connect(client_ann)
    settings.FAKE_GOOGLE_URL = "http://127.0.0.1:1"  # nothing listens on port 1
    client_ann.post(REVOKE)
    connection = connection_of(ann)
    assert connection.status == GoogleConnection.Status.DISCONNECTED
    assert connection.pending_revoke_encrypted != ""


def test_revoke_when_already_disconnected_changes_nothing(
    google: GoogleHarness, client_ann: Client, ann: User
) -> None:
    """Revoke Token without a connection calls nobody and shows the connect invitation."""
    response = client_ann.post(REVOKE)
    assert response["Location"] == EXTERNAL_SERVICES
    assert google.emulator.request_log == []
    assert NOT_CONNECTED in client_ann.get(EXTERNAL_SERVICES).content.decode()
