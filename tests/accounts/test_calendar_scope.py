"""Calendar access unticked on Google's consent page (issue #4, point 2): the connection
says so, nothing is scheduled, and a button asks for the access again."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.test import Client

from tandem.accounts.models import GoogleConnection
from tandem.accounts.tokens import ConnectionTokens
from tandem.sync.scheduling import syncable_user_ids
from tests.accounts.helpers import (
    CALENDAR_LIST_SCOPE,
    CALENDARS_SCOPE,
    CONNECT,
    EVENTS_SCOPE,
    EXTERNAL_SERVICES,
    SETTINGS,
    connection_of,
    stored_tokens,
)
from tests.conftest import DEMO_GOOGLE_EMAIL, GoogleHarness

CALENDAR_SCOPES = (EVENTS_SCOPE, CALENDAR_LIST_SCOPE, CALENDARS_SCOPE)


def test_unticked_calendar_access_reads_access_to_calendars_not_granted(
    google: GoogleHarness, client_ann: Client, ann: User
) -> None:
    """Only identity granted: back on External services with a warning; the row shows the
    account and "Access to calendars not granted" and a "Grant calendar access" button."""
    response = google.connect(client_ann, untick=CALENDAR_SCOPES)
    assert response.status_code == 302
    assert response["Location"] == EXTERNAL_SERVICES
    connection = connection_of(ann)
    assert connection.status == GoogleConnection.Status.SCOPE_MISSING
    assert connection.email == DEMO_GOOGLE_EMAIL
    page = client_ann.get(EXTERNAL_SERVICES).content.decode()
    assert "Access to calendars not granted" in page
    assert "calendar access was not granted" in page
    assert f'<a class="button" href="{CONNECT}">Grant calendar access</a>' in page
    assert "Sync now" not in page
    assert f'href="{SETTINGS}"' not in page


def test_one_unticked_calendar_scope_is_enough_to_hold_sync(
    google: GoogleHarness, client_ann: Client, ann: User
) -> None:
    """Events granted but not the calendar list: still "not granted", since sync needs all."""
    google.connect(client_ann, untick=[CALENDAR_LIST_SCOPE])
    assert connection_of(ann).status == GoogleConnection.Status.SCOPE_MISSING


def test_without_calendar_access_nothing_is_scheduled_or_called(
    google: GoogleHarness, client_ann: Client, ann: User
) -> None:
    """The user is not syncable, the settings page sends them back, and no token is handed
    to the Calendar client."""
    google.connect(client_ann, untick=CALENDAR_SCOPES)
    assert ann.pk not in syncable_user_ids()
    response = client_ann.get(SETTINGS)
    assert response.status_code == 302
    assert response["Location"] == EXTERNAL_SERVICES
    calendar_calls = [e for e in google.emulator.request_log if e.path.startswith("/calendar/")]
    assert calendar_calls == []
    tokens = ConnectionTokens(connection_of(ann))
    try:
        tokens.access_token()
    except Exception as error:
        assert type(error).__name__ == "ConnectionLost"
    else:
        raise AssertionError("a connection without calendar access handed out a token")


def test_granting_calendar_access_later_connects_fully(
    google: GoogleHarness, client_ann: Client, ann: User
) -> None:
    """ "Grant calendar access" asks Google's consent again; once allowed, the connection is
    healthy, lands on the settings, and a refreshed token can read the calendar list."""
    google.connect(client_ann, untick=CALENDAR_SCOPES)
    response = google.connect(client_ann)
    assert response["Location"] == SETTINGS
    connection = connection_of(ann)
    assert connection.status == GoogleConnection.Status.CONNECTED
    # The refresh token must carry the calendar scopes too, not only the first access token.
    ConnectionTokens(connection).refreshed_access_token()
    page = client_ann.get(SETTINGS)
    assert page.status_code == 200
    assert f'value="{DEMO_GOOGLE_EMAIL}"' in page.content.decode()


def test_calendar_access_withdrawn_later_is_noticed_and_asked_for_again(
    google: GoogleHarness, client_ann: Client, ann: User
) -> None:
    """Google answers insufficientPermissions (access narrowed in the Google Account): the
    connection becomes "Access to calendars not granted" and the user is asked to grant it."""
    google.connect(client_ann)
    access = google.emulator.state.access_tokens[stored_tokens(ann)[0]]
    access.scopes = [s for s in access.scopes if s not in CALENDAR_SCOPES]
    response = client_ann.get(SETTINGS)
    assert response["Location"] == EXTERNAL_SERVICES
    assert connection_of(ann).status == GoogleConnection.Status.SCOPE_MISSING
    page = client_ann.get(EXTERNAL_SERVICES).content.decode()
    assert "Calendar access was withdrawn in Google" in page
    assert "Grant calendar access" in page
    assert ann.pk not in syncable_user_ids()
