from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import User
from django.urls import reverse

from tandem.accounts.models import GoogleConnection, Preferences


def preferences_for(*, user: User) -> Preferences:
    """The user's preferences; the defaults, unsaved, until the user saves some. Every page
    reads them, and a GET never writes (issue 15): the row is made by the first save."""
    preferences = Preferences.objects.filter(user=user).first()
    return preferences if preferences is not None else Preferences(user=user)


def preferences_joined(*, user: User) -> Preferences:
    """``preferences_for`` without a query, for a user just read with
    ``select_related("preferences")`` (the sync run's). Never for a user object that lived
    longer: an unsaved default made for it is cached on it too, and would hide a save."""
    preferences = getattr(user, "preferences", None)  # None: the join found no row
    return preferences if preferences is not None else Preferences(user=user)


def connection_of(*, user: User) -> GoogleConnection | None:
    """The user's Google connection if one was ever made; a read, for pages a GET shows
    (``google_services.connection_for`` makes the row, for the writes that need one)."""
    return GoogleConnection.objects.filter(user=user).first()


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
    connection = connection_of(user=user)
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
