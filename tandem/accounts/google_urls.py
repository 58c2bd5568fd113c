from django.urls import URLPattern, URLResolver, path

from tandem.accounts import google_views as views

urlpatterns: list[URLPattern | URLResolver] = [
    path("connect/", views.google_connect, name="google-connect"),
    path("callback/", views.google_callback, name="google-callback"),
    path("settings/", views.google_settings, name="google-settings"),
    path("settings/create-calendar/", views.google_create_calendar, name="google-create-calendar"),
    path("revoke/", views.google_revoke, name="google-revoke"),
]
