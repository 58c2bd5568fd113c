"""Small readers for the Google connection tests (no behaviour of their own)."""

from __future__ import annotations

from django.contrib.auth.models import User

from tandem.accounts.crypto import decrypt_token
from tandem.accounts.models import GoogleConnection

CALLBACK = "/preferences/external-services/google/callback/"
CONNECT = "/preferences/external-services/google/connect/"
SETTINGS = "/preferences/external-services/google/settings/"
CREATE_CALENDAR = "/preferences/external-services/google/settings/create-calendar/"
SYNC_NOW = "/preferences/external-services/google/sync-now/"
REVOKE = "/preferences/external-services/google/revoke/"
EXTERNAL_SERVICES = "/preferences/external-services/"
NOT_CONNECTED = "Not connected, click to connect Google!"

CALENDARS_SCOPE = "https://www.googleapis.com/auth/calendar.calendars"
CALENDAR_LIST_SCOPE = "https://www.googleapis.com/auth/calendar.calendarlist.readonly"
EVENTS_SCOPE = "https://www.googleapis.com/auth/calendar.events"


def connection_of(user: User) -> GoogleConnection:
    return GoogleConnection.objects.get(user=user)


def stored_tokens(user: User) -> tuple[str, str]:
    """The (access, refresh) tokens Ann's row decrypts to."""
    connection = connection_of(user)
    return (
        decrypt_token(connection.access_token_encrypted),
        decrypt_token(connection.refresh_token_encrypted),
    )


def nothing_stored(user: User) -> bool:
    connection = GoogleConnection.objects.filter(user=user).first()
    return connection is None or (
        not connection.google_sub
        and not connection.access_token_encrypted
        and not connection.refresh_token_encrypted
        and connection.status == GoogleConnection.Status.DISCONNECTED
    )
