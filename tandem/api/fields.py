"""Serializer fields the API needs beyond DRF's own."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from rest_framework import serializers

# In a query string a literal "+" decodes to a space, so "...T09:00:00+02:00" typed into a URL
# arrives as "...T09:00:00 02:00". Reading that space back as "+" spares clients a puzzle.
_SPACE_BEFORE_OFFSET = re.compile(r"(T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?) (\d{2}(?::?\d{2})?)$")


class AwareDateTimeField(serializers.DateTimeField):
    """An ISO 8601 date-time that must carry its UTC offset: a naive time is ambiguous (whose
    9 o'clock?), so it is refused with a message instead of being read in some default zone."""

    default_error_messages = {
        "naive": (
            "Give the UTC offset with the time, e.g. 2026-03-29T09:00:00+02:00 "
            "or 2026-03-29T07:00:00Z."
        ),
    }

    def to_internal_value(self, value: Any) -> datetime:
        if isinstance(value, str):
            value = _SPACE_BEFORE_OFFSET.sub(r"\1+\2", value.strip())
            try:
                parsed = parse_datetime(value)
            except ValueError:  # well-formed but impossible, e.g. month 13: DRF words it
                parsed = None
            if parsed is not None and timezone.is_naive(parsed):
                self.fail("naive")
        return super().to_internal_value(value)
