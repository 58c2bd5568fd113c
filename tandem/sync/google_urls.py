"""The sync app's actions on the Google row of External services, mounted beside
tandem.accounts.google_urls under the same prefix (accounts never imports sync)."""

from django.urls import URLPattern, URLResolver, path

from tandem.sync import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("sync-now/", views.google_sync_now, name="google-sync-now"),
]
