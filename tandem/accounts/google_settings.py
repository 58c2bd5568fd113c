"""The synchronization settings and Revoke Token as one set of steps and messages, shared by
the settings page (tandem.accounts.google_views) and the JSON API (tandem.api.google_views):
what a person reads on the page is what a script reads in the API's answer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import User

from tandem.accounts import google_services as services
from tandem.accounts.models import GoogleConnection, SyncSettings
from tandem.accounts.selectors import connection_of, preferences_for
from tandem.google.errors import ConnectionLost, GoogleError, InsufficientScope

CONNECT_FIRST = "Connect Google with calendar access first."
SCOPE_WITHDRAWN = "Calendar access was withdrawn in Google; grant it again to sync."
CONNECTION_LOST = "Google no longer accepts this connection; please reconnect."
SAVED = (
    "Synchronization settings saved. The first sync starts within a minute, then "
    "runs every 5 minutes (and within seconds after each change)."
)
REVOKED = (
    "Google is disconnected and the token revoked. Your meetings stay in the CRM and "
    "your events stay in Google."
)
REVOKE_QUEUED = (
    "Google is disconnected here. Google could not be reached to revoke the token; "
    "Tandem will keep trying in the background."
)
NOTHING_TO_REVOKE = "Google is not connected; there is nothing to revoke."


class SettingsUnavailable(Exception):
    """The settings cannot be shown or saved now; ``message`` says what the user must do."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def connected_connection(*, user: User) -> GoogleConnection:
    """The user's connection, if it is healthy enough to choose calendars."""
    connection = connection_of(user=user)
    if connection is None or connection.status != GoogleConnection.Status.CONNECTED:
        raise SettingsUnavailable(CONNECT_FIRST)
    return connection


@dataclass(frozen=True)
class CalendarChoices:
    """The account's calendars to choose from, and why the list may be an old one."""

    calendars: list[dict[str, Any]]
    settings: SyncSettings
    load_error: str = ""

    @property
    def has_dedicated(self) -> bool:
        return any(c["summary"] == services.DEDICATED_CALENDAR_NAME for c in self.calendars)


def calendar_choices(
    *, connection: GoogleConnection, refresh: bool, remember: bool = True
) -> CalendarChoices:
    """The calendars as last seen, read again from Google when ``refresh`` or when none is
    known yet, and remembered (the list a save is checked against) when ``remember``: a
    GET passes False, since a GET never writes (issue 15). A Google failure other than a
    lost grant keeps the last known list and says so; a lost grant or lost calendar access
    raises SettingsUnavailable."""
    sync_settings = services.settings_for(connection=connection)
    calendars = sync_settings.known_calendars
    if not refresh and calendars:
        return CalendarChoices(calendars=calendars, settings=sync_settings)
    read = services.calendars_refresh if remember else services.calendars_read
    try:
        calendars = read(connection=connection)
    except InsufficientScope as error:
        raise SettingsUnavailable(SCOPE_WITHDRAWN) from error
    except ConnectionLost as error:
        raise SettingsUnavailable(CONNECTION_LOST) from error
    except GoogleError as error:
        return CalendarChoices(
            calendars=calendars,
            settings=sync_settings,
            load_error=(
                f"Could not load your calendars from Google ({error}). Showing the last known list."
            ),
        )
    sync_settings.refresh_from_db()
    return CalendarChoices(calendars=calendars, settings=sync_settings)


def choices_to_save_against(*, connection: GoogleConnection) -> CalendarChoices:
    """The calendars a save of the settings is checked against: Google's list read again
    and remembered (a save writes anyway), for the page's POST and the API's PUT alike, so
    a calendar made in Google since the last look is known and a deleted one is not."""
    return calendar_choices(connection=connection, refresh=True, remember=True)


def choices_to_show(*, connection: GoogleConnection, refresh: bool = True) -> CalendarChoices:
    """The calendars to show: Google's list fresh (``refresh``) but not remembered, since
    a GET never writes (issue 15)."""
    return calendar_choices(connection=connection, refresh=refresh, remember=False)


def access_label(calendar: dict[str, Any]) -> str:
    """Google's accessRole in a person's words, as the settings page and the API say it:
    owning a calendar or being allowed to change it is the same to them."""
    if calendar["access_role"] in services.WRITABLE_ROLES:
        return "you can edit"
    return "read only" if calendar["access_role"] == "reader" else "free/busy only"


class CalendarNotCreated(Exception):
    """Google refused to create the calendar or could not be reached; ``message`` says so
    with Google's reason."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def dedicated_calendar_made(
    *, connection: GoogleConnection, time_zone: str | None = None
) -> services.DedicatedCalendar:
    """The dedicated calendar, created in ``time_zone`` (default: the user's preference)
    unless the account owns one already, for the settings page and the API alike. A lost
    grant or lost calendar access raises SettingsUnavailable, as a read of the list does;
    any other Google failure raises CalendarNotCreated."""
    zone = time_zone or preferences_for(user=connection.user).time_zone
    try:
        return services.dedicated_calendar_create(connection=connection, time_zone=zone)
    except InsufficientScope as error:
        raise SettingsUnavailable(SCOPE_WITHDRAWN) from error
    except ConnectionLost as error:
        raise SettingsUnavailable(CONNECTION_LOST) from error
    except GoogleError as error:
        raise CalendarNotCreated(f"Google could not create the calendar: {error}") from error


def created_calendar_message(dedicated: services.DedicatedCalendar) -> str:
    """What was done; the page and the API each add the next step in their own terms."""
    name = dedicated.entry["summary"]
    if dedicated.created:
        return f"Created the Google calendar “{name}”."
    return f"Your Google account has the calendar “{name}” already; no other was created."


@dataclass(frozen=True)
class RevokeResult:
    """What Revoke Token did: ``done`` is False when Google was not connected at all."""

    done: bool
    revoked_at_google: bool
    message: str


def google_revoke(*, user: User) -> RevokeResult:
    connection = connection_of(user=user)
    if connection is None or connection.status == GoogleConnection.Status.DISCONNECTED:
        return RevokeResult(done=False, revoked_at_google=False, message=NOTHING_TO_REVOKE)
    revoked_now = services.google_disconnect(connection=connection)
    return RevokeResult(
        done=True,
        revoked_at_google=revoked_now,
        message=REVOKED if revoked_now else REVOKE_QUEUED,
    )
