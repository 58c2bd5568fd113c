"""How the sync app reacts when a user's Google connection changes (connected in apps.py).

Saving the synchronization settings queues the first sync at once (the 5-minute schedule
takes over after it); Revoke Token stops scheduling and forgets push channels, which died at
Google with the revoked grant, so nothing runs for that user until they connect again.
"""

from __future__ import annotations

from typing import Any

from tandem.accounts.models import GoogleConnection, SyncSettings
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
            channel_id="", channel_token="", channel_resource_id="", channel_expires_at=None
        )


def _has_saved_settings(connection: GoogleConnection) -> bool:
    return (
        connection.status == GoogleConnection.Status.CONNECTED
        and SyncSettings.objects.filter(connection=connection, saved_at__isnull=False)
        .exclude(target_calendar_id="")
        .exists()
    )
