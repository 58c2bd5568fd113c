"""How the sync app reacts when a user's Google connection changes (connected in apps.py).

Saving the synchronization settings queues the first sync at once (the 5-minute schedule
takes over after it); a meeting created, edited or deleted in the CRM queues that user's sync
once the change is committed (debounced, so a burst of edits makes one run); Revoke Token
stops scheduling and forgets push channels, which died at Google with the revoked grant, so
nothing runs for that user until they connect again. Every Calendar client built for a
connection, the settings page's as much as a sync run's, counts against the user's
per-minute request budget.
"""

from __future__ import annotations

from typing import Any

from tandem.accounts.models import GoogleConnection, SyncSettings
from tandem.google.calendar import CalendarClient
from tandem.meetings.models import Meeting
from tandem.sync.budget import request_budget_for, requests_read_with
from tandem.sync.models import CalendarSyncState, UserSyncState
from tandem.sync.tasks import request_sync


def on_google_connection_changed(
    *, connection: GoogleConnection, change: str, **kwargs: Any
) -> None:
    if change == "settings_saved":
        request_sync(user_id=connection.user_id, trigger="settings")
    elif change == "connected" and _has_saved_settings(connection):
        # Reconnecting keeps the settings: catch up now rather than at the next beat.
        request_sync(user_id=connection.user_id, trigger="reconnect")
    elif change == "disconnected":
        UserSyncState.objects.filter(owner_id=connection.user_id).update(
            next_due_at=None, queued_for=None
        )
        CalendarSyncState.objects.filter(owner_id=connection.user_id).update(
            channel_id="", channel_token_hash="", channel_resource_id="", channel_expires_at=None
        )


def _has_saved_settings(connection: GoogleConnection) -> bool:
    return (
        connection.status == GoogleConnection.Status.CONNECTED
        and SyncSettings.objects.filter(connection=connection, saved_at__isnull=False)
        .exclude(target_calendar_id="")
        .exists()
    )


def on_meeting_changed(*, meeting: Meeting, origin: str, **kwargs: Any) -> None:
    """Pushes a CRM edit within seconds. Changes the sync itself made (origin "sync") must
    not queue another run, or every run would schedule the next one."""
    if origin != "crm":
        return
    connection = GoogleConnection.objects.filter(user_id=meeting.owner_id).first()
    if connection is not None and _has_saved_settings(connection):
        request_sync(user_id=meeting.owner_id, trigger="crm_change")


def on_calendar_client_created(
    *, client: CalendarClient, connection: GoogleConnection, **kwargs: Any
) -> None:
    """Every client of a user shares the user's per-minute request budget."""
    client.counter = request_budget_for(
        user_id=connection.user_id, counted=requests_read_with(connection)
    )
