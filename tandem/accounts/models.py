"""Per-user preferences. The Google connection lives in its own model (connect issue)."""

from __future__ import annotations

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
