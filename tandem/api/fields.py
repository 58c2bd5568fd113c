"""Serializer fields the API needs beyond DRF's own."""

from __future__ import annotations

import re
import zoneinfo
from datetime import UTC, datetime, timedelta
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from rest_framework import serializers
from rest_framework.utils import html

from tandem.meetings import rules

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
        # Checked before DRF turns the time into UTC: year 1 or 9999 would overflow there.
        "out_of_range": f"Give a time between {rules.FIRST_YEAR} and {rules.LAST_YEAR}.",
        "empty": "Give a date and time, or leave the parameter out.",
    }

    def get_value(self, dictionary: Any) -> Any:
        # DRF skips an optional field given empty in a query string (?start=) as if it were
        # absent; a client who sent it meant something, so it is refused instead.
        if html.is_html_input(dictionary) and dictionary.get(self.field_name) == "":
            return None if self.allow_null else ""
        return super().get_value(dictionary)

    def to_internal_value(self, value: Any) -> datetime:
        if isinstance(value, str):
            value = _SPACE_BEFORE_OFFSET.sub(r"\1+\2", value.strip())
            try:
                parsed = parse_datetime(value)
            except ValueError:  # well-formed but impossible, e.g. month 13: DRF words it
                parsed = None
            if not value:
                self.fail("empty")
            if parsed is not None and timezone.is_naive(parsed):
                self.fail("naive")
            if parsed is not None and not rules.in_range(parsed):
                self.fail("out_of_range")
        return super().to_internal_value(value)


def rfc3339(moment: datetime, zone_name: str) -> str:
    """``moment`` on the wall clock of ``zone_name``, as RFC 3339 writes a time (§5.6: the
    offset is hours and minutes). Some zones' offsets had seconds (local mean time, e.g.
    Africa/Monrovia's -00:44:30 until 1972), which isoformat() would write as they are:
    such a time is given in UTC instead, the same instant."""
    local = moment.astimezone(zoneinfo.ZoneInfo(zone_name))
    offset = local.utcoffset() or timedelta(0)
    if offset % timedelta(minutes=1):
        return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return local.isoformat()


class StrictCharField(serializers.CharField):
    """A string and nothing else: DRF's CharField reads 0 as "0", which the schema (type
    string) refuses, so a client's mistake would be stored instead of named."""

    default_error_messages = {"invalid": "Not a valid string."}

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    """true or false and nothing else: DRF's BooleanField also reads "yes", 1 or "on",
    which the schema (type boolean) refuses."""

    def to_internal_value(self, data: Any) -> bool:
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data
