from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser, User
from django.urls import reverse

from tandem.accounts.models import GoogleConnection, Preferences


def preferences_for(*, user: AbstractBaseUser) -> Preferences:
    """The user's preferences, created with defaults the first time they are needed."""
    preferences, _ = Preferences.objects.get_or_create(user=user)
    return preferences


@dataclass(frozen=True)
class GoogleStatus:
    """The user's Google connection as External services shows it and the API returns it."""

    connected: bool
    connect_url: str
    email: str = ""
    status: str = GoogleConnection.Status.DISCONNECTED.value
    status_text: str = GoogleConnection.Status.DISCONNECTED.label
    settings_url: str = ""
    revoke_url: str = ""
    sync_now_url: str = ""
    needs_reconnect: bool = False
    scope_missing: bool = False
    revoke_pending: bool = False  # Google could not be reached to revoke; retried later


def google_status_for(*, user: User) -> GoogleStatus:
    connection = GoogleConnection.objects.filter(user=user).first()
    connect_url = reverse("google-connect")
    if connection is None or connection.status == GoogleConnection.Status.DISCONNECTED:
        return GoogleStatus(
            connected=False,
            connect_url=connect_url,
            revoke_pending=bool(connection and connection.pending_revoke_encrypted),
        )
    healthy = connection.status == GoogleConnection.Status.CONNECTED
    return GoogleStatus(
        connected=True,
        connect_url=connect_url,
        email=connection.email,
        status=connection.status,
        status_text=connection.get_status_display(),
        settings_url=reverse("google-settings") if healthy else "",
        sync_now_url=reverse("google-sync-now") if healthy else "",
        revoke_url=reverse("google-revoke"),
        needs_reconnect=connection.status == GoogleConnection.Status.NEEDS_RECONNECT,
        scope_missing=connection.status == GoogleConnection.Status.SCOPE_MISSING,
    )
