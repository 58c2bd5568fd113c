"""Shapes of the Google connection endpoints that tandem.api.sync_serializers does not hold:
the dedicated calendar's answer, and the two inputs."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from tandem.api.fields import StrictBooleanField, StrictCharField
from tandem.api.sync_serializers import CalendarSerializer
from tandem.timezones import validate_time_zone


class CreatedCalendarSerializer(CalendarSerializer):
    message = serializers.CharField(help_text="What was done and the step left, in plain words.")


class SyncSettingsInputSerializer(serializers.Serializer[Any]):
    """Strings and booleans as the schema types them (a 0 or "yes" is named, not read as
    false or true); which calendars and colours fit is the service's check, the page's."""

    inbound_calendar_ids = serializers.ListField(
        child=StrictCharField(max_length=1024), max_length=500
    )
    target_calendar_id = StrictCharField(max_length=1024, allow_blank=True)
    sync_private = StrictBooleanField()
    calendar_colours = serializers.DictField(
        child=StrictCharField(max_length=64),
        required=False,
        help_text=(
            "Colours chosen in the CRM, {calendar id: '#rrggbb'}, replacing the ones saved; "
            "left out, they stay. A calendar left out of it shows Google's colour."
        ),
    )


class DedicatedCalendarInputSerializer(serializers.Serializer[Any]):
    time_zone = StrictCharField(
        required=False,
        max_length=64,
        validators=[validate_time_zone],
        help_text="IANA zone, e.g. Europe/Berlin; default: your preference.",
    )
