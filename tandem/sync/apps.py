from django.apps import AppConfig


class SyncConfig(AppConfig):
    name = "tandem.sync"
    label = "sync"

    def ready(self) -> None:
        from tandem.accounts.google_services import (
            calendar_client_created,
            google_connection_changed,
            google_disconnecting,
        )
        from tandem.meetings.colours import colour_source_set
        from tandem.meetings.services import meeting_changed
        from tandem.sync import push
        from tandem.sync.calendar_colours import calendar_colours
        from tandem.sync.receivers import (
            on_calendar_client_created,
            on_google_connection_changed,
            on_meeting_changed,
        )

        # Push first: a settings change stops un-picked calendars' channels before a sync
        # (eager in some setups) forgets those calendars.
        google_connection_changed.connect(
            push.on_google_connection_changed, dispatch_uid="push-on-google-connection-changed"
        )
        google_disconnecting.connect(
            push.on_google_disconnecting, dispatch_uid="push-on-google-disconnecting"
        )
        google_connection_changed.connect(
            on_google_connection_changed, dispatch_uid="sync-on-google-connection-changed"
        )
        meeting_changed.connect(on_meeting_changed, dispatch_uid="sync-on-meeting-changed")
        calendar_client_created.connect(
            on_calendar_client_created, dispatch_uid="sync-budget-on-calendar-client-created"
        )
        # Meetings show their Google calendar's colour; meetings knows no calendars.
        colour_source_set(calendar_colours)
