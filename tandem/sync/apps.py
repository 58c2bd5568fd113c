from django.apps import AppConfig


class SyncConfig(AppConfig):
    name = "tandem.sync"
    label = "sync"
