"""Shapes of the Google connection endpoints that tandem.api.sync_serializers does not hold
(the answer of the dedicated calendar's creation)."""

from __future__ import annotations

from rest_framework import serializers

from tandem.api.sync_serializers import CalendarSerializer


class CreatedCalendarSerializer(CalendarSerializer):
    message = serializers.CharField(help_text="What was done and the step left, in plain words.")
