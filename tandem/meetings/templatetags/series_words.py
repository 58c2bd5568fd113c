"""``{% rule_words meeting %}``: a series' rule in words, in the reader's date format and
with a note when the series follows another zone's clock (``recurrence_words``)."""

from __future__ import annotations

import zoneinfo
from datetime import date
from typing import Any

from django import template
from django.utils.dateformat import format as date_format

from tandem.meetings.models import Meeting
from tandem.meetings.recurrence_words import RuleWords, rule_in_words

register = template.Library()


@register.simple_tag(takes_context=True)
def rule_words(context: dict[str, Any], meeting: Meeting) -> RuleWords | None:
    """None for a meeting that does not repeat."""
    if not meeting.recurrence:
        return None
    preferences = getattr(context.get("request"), "preferences", None)
    day_format = getattr(preferences, "date_format", "Y-m-d")

    def format_day(day: date) -> str:
        return date_format(day, day_format)

    return rule_in_words(
        meeting.recurrence,
        start=meeting.start,
        zone=zoneinfo.ZoneInfo(meeting.time_zone),
        all_day=meeting.all_day,
        format_day=format_day,
        viewer_zone=getattr(preferences, "time_zone", None),
    )
