"""Per-user preferences. The Google connection lives in its own model (connect issue)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models

from tandem.timezones import validate_time_zone


class Preferences(models.Model):
    """What a user chose under My Preferences. Created on first access (see selectors)."""

    class DateFormat(models.TextChoices):
        ISO = "Y-m-d", "2026-11-24"
        EUROPEAN = "d.m.Y", "24.11.2026"
        US = "m/d/Y", "11/24/2026"

    class TimeFormat(models.TextChoices):
        H24 = "H:i", "14:30"
        H12 = "g:i A", "2:30 PM"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="preferences"
    )
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    date_format = models.CharField(
        max_length=16, choices=DateFormat.choices, default=DateFormat.ISO
    )
    time_format = models.CharField(
        max_length=16, choices=TimeFormat.choices, default=TimeFormat.H24
    )

    class Meta:
        verbose_name_plural = "preferences"

    def __str__(self) -> str:
        return f"Preferences of {self.user}"


class GoogleConnection(models.Model):
    """A user's link to one Google account: identity, granted scopes, encrypted tokens.

    Tokens are only ever read through tandem.accounts.tokens; the fields hold Fernet
    ciphertext and are excluded from admin forms and dumps."""

    class Status(models.TextChoices):
        CONNECTED = "connected", "Connected"
        NEEDS_RECONNECT = "needs_reconnect", "Needs reconnect"
        SCOPE_MISSING = "scope_missing", "Access to calendars not granted"
        DISCONNECTED = "disconnected", "Not connected"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="google_connection"
    )
    google_sub = models.CharField(max_length=255, blank=True)
    email = models.EmailField(blank=True)
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.DISCONNECTED, db_index=True
    )
    status_detail = models.CharField(max_length=500, blank=True)
    granted_scopes = models.JSONField(default=list, blank=True)
    access_token_encrypted = models.TextField(blank=True)
    refresh_token_encrypted = models.TextField(blank=True)
    access_token_expires_at = models.DateTimeField(null=True, blank=True)
    connected_at = models.DateTimeField(null=True, blank=True)
    # A revoke that could not reach Google is retried later with this (encrypted) token.
    pending_revoke_encrypted = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Google connection of {self.user} ({self.get_status_display()})"

    @property
    def is_connected(self) -> bool:
        return self.status == self.Status.CONNECTED


class SyncSettings(models.Model):
    """What the user picked on the synchronization settings page."""

    connection = models.OneToOneField(
        GoogleConnection, on_delete=models.CASCADE, related_name="sync_settings"
    )
    inbound_calendar_ids = models.JSONField(default=list, blank=True)
    target_calendar_id = models.CharField(max_length=1024, blank=True)
    sync_private = models.BooleanField(default=False)
    # calendarList entries as last seen (id, summary, accessRole, primary, Google's colour),
    # for the page.
    known_calendars = models.JSONField(default=list, blank=True)
    # Colours the user chose in the CRM for their calendars ({calendar id: "#rrggbb"}); a
    # calendar without one shows Google's colour (its calendarList backgroundColor).
    calendar_colours = models.JSONField(default=dict, blank=True)
    saved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "sync settings"

    def __str__(self) -> str:
        return f"Sync settings of {self.connection.user}"

    @property
    def is_complete(self) -> bool:
        return bool(self.target_calendar_id) and self.saved_at is not None

    def colour_of(self, calendar: dict[str, Any]) -> str:
        """The calendar's colour as the CRM shows it: the user's choice, else Google's
        (``#rrggbb``; empty when Google gave none)."""
        chosen = self.calendar_colours.get(calendar.get("id", ""), "")
        return str(chosen or calendar.get("background_color") or "")
