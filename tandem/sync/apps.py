from django.apps import AppConfig


class SyncConfig(AppConfig):
    name = "tandem.sync"
    label = "sync"

    def ready(self) -> None:
        from tandem.accounts.google_services import google_connection_changed
        from tandem.sync.receivers import on_google_connection_changed

        google_connection_changed.connect(
            on_google_connection_changed, dispatch_uid="sync-on-google-connection-changed"
        )
