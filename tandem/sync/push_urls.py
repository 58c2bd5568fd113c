"""The push webhook's address (mounted at google/push/ in config/urls.py)."""

from django.urls import path

from tandem.sync.webhooks import google_push

urlpatterns = [path("", google_push, name="google-push")]
