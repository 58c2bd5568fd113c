"""The "Repeat" part of the meeting form: Google Calendar's custom-recurrence choices, or a
rule written as RFC 5545 for what they do not offer.

A form of its own (prefix ``repeat``) beside ``MeetingForm``, so the page can set it apart;
the rule is built from both (the series' first day decides "day 8" or "the second
Tuesday"). A rule the choices cannot show (``recurrence.repeat_of`` is None) opens as
"Custom rule" with its lines, and lines left unchanged are saved as they were stored.
"""

from __future__ import annotations

import zoneinfo
from datetime import date
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from tandem.meetings import recurrence
from tandem.meetings.forms import ISO_DATE, ISO_TIME, MeetingForm, date_field
from tandem.meetings.recurrence import MAX_COUNT, MAX_INTERVAL, Repeat
from tandem.meetings.services import MeetingInput

CUSTOM = "CUSTOM"
FREQUENCY_CHOICES = [
    ("", "Does not repeat"),
    ("DAILY", "Daily"),
    ("WEEKLY", "Weekly"),
    ("MONTHLY", "Monthly"),
    ("YEARLY", "Yearly"),
    (CUSTOM, "Custom rule (RFC 5545)"),
]
WEEKDAY_CHOICES = [
    ("MO", "Mon"),
    ("TU", "Tue"),
    ("WE", "Wed"),
    ("TH", "Thu"),
    ("FR", "Fri"),
    ("SA", "Sat"),
    ("SU", "Sun"),
]


class RepeatForm(forms.Form):
    frequency = forms.ChoiceField(label="How often", choices=FREQUENCY_CHOICES, required=False)
    interval = forms.IntegerField(
        label="Every",
        min_value=1,
        max_value=MAX_INTERVAL,
        initial=1,
        required=False,
        help_text="1 for every day, week, month or year; 2 for every other one…",
    )
    weekdays = forms.MultipleChoiceField(
        label="On",
        choices=WEEKDAY_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Weekly: the days of the week (none: the start's day).",
    )
    monthly = forms.ChoiceField(
        label="Monthly on",
        choices=[
            ("day", "the start's day of the month (e.g. day 8)"),
            ("weekday", "the start's weekday of the month (e.g. the second Tuesday)"),
        ],
        initial="day",
        required=False,
        widget=forms.RadioSelect,
    )
    ends = forms.ChoiceField(
        label="Ends",
        choices=[("never", "Never"), ("on", "On a date"), ("after", "After a number of times")],
        initial="never",
        required=False,
        widget=forms.RadioSelect,
    )
    until = forms.DateField(
        label="Repeats until",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": "Enter the last day as a date like 2026-12-31."},
    )
    count = forms.IntegerField(
        label="How many times", min_value=1, max_value=MAX_COUNT, required=False
    )
    custom = forms.CharField(
        label="Custom rule",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}),
        help_text=(
            "RFC 5545 lines as Google Calendar stores them, one per line, e.g. "
            "RRULE:FREQ=MONTHLY;BYSETPOS=-1;BYDAY=MO,TU,WE,TH,FR (the last weekday of each "
            "month)."
        ),
    )

    def __init__(
        self,
        *args: Any,
        stored: list[str] | None = None,
        date_format: str = ISO_DATE,
        time_format: str = ISO_TIME,  # taken and unused: the form's formats come as a pair
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("prefix", "repeat")
        super().__init__(*args, **kwargs)
        self.stored = list(stored or [])
        # The last day in the user's date format, as the meeting's own dates (forms.py).
        until = date_field("Repeats until", date_format)
        until.required = False
        until.error_messages["invalid"] = until.error_messages["invalid"].replace(
            "the repeats until", "the last day"
        )
        self.fields["until"] = until

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        frequency = cleaned.get("frequency") or ""
        if frequency == CUSTOM:
            if not cleaned.get("custom", "").strip():
                self.add_error("custom", "Write the rule, or choose another repeat.")
            return cleaned
        if not frequency:
            return cleaned
        ends = cleaned.get("ends")
        if ends == "on" and not cleaned.get("until") and "until" not in self.errors:
            self.add_error("until", "Enter the last day, or choose another ending.")
        if ends == "after" and not cleaned.get("count") and "count" not in self.errors:
            self.add_error("count", "Enter how many times, or choose another ending.")
        return cleaned

    def rule_field(self) -> str | None:
        """The field a problem of the rule is shown on: the custom rule's lines, or the last
        day of "ends on" (the only part of the choices the services can find wrong: the
        series ends before it starts); else the Repeat section as a whole. Only after
        is_valid()."""
        data = self.cleaned_data
        if data.get("frequency") == CUSTOM:
            return "custom"
        if data.get("frequency") and data.get("ends") == "on":
            return "until"
        return None

    def recurrence_lines(self, meeting: MeetingInput) -> list[str]:
        """The series' lines for ``meeting`` (the MeetingForm's input); only after
        is_valid(). Choices that make the stored rule again keep it exactly as stored."""
        data = self.cleaned_data
        frequency = data.get("frequency") or ""
        if frequency == CUSTOM:
            return [line.strip() for line in data["custom"].splitlines() if line.strip()]
        if not frequency:
            return []
        zone = zoneinfo.ZoneInfo(meeting.time_zone)
        first = _first_day(meeting, zone)
        repeat = Repeat(
            frequency=frequency,
            interval=data.get("interval") or 1,
            weekdays=tuple(
                day for day in recurrence.WEEKDAYS if day in (data.get("weekdays") or ())
            ),
            monthly=data.get("monthly") or "day",
            ends=data.get("ends") or "never",
            until=data.get("until"),
            count=data.get("count"),
        )
        if self.stored and repeat == recurrence.repeat_of(
            self.stored, start=first, zone=zone, all_day=meeting.all_day
        ):
            return list(self.stored)
        return [recurrence.rule_line(repeat, start=first, zone=zone, all_day=meeting.all_day)]


def _first_day(meeting: MeetingInput, zone: zoneinfo.ZoneInfo) -> date:
    if meeting.all_day:
        assert meeting.start_date is not None  # MeetingForm made it
        return meeting.start_date
    assert meeting.start is not None
    return meeting.start.astimezone(zone).date()


def repeat_initial(
    lines: list[str], *, start: date, time_zone: str, all_day: bool
) -> dict[str, Any]:
    """The RepeatForm's initial values for stored ``lines``: the choices that make them, or
    "Custom rule" with the lines as they are."""
    repeat = recurrence.repeat_of(
        lines, start=start, zone=zoneinfo.ZoneInfo(time_zone), all_day=all_day
    )
    if repeat is None:
        return {"frequency": CUSTOM, "custom": "\n".join(lines)}
    return {
        "frequency": repeat.frequency,
        "interval": repeat.interval,
        "weekdays": list(repeat.weekdays),
        "monthly": repeat.monthly,
        "ends": repeat.ends,
        "until": repeat.until,
        "count": repeat.count,
    }


def show_service_errors(form: MeetingForm, repeat: RepeatForm, error: ValidationError) -> None:
    """A service's errors next to their fields: the rule's on the Repeat field it comes from
    (``RepeatForm.rule_field``), the others on the meeting's fields."""
    if hasattr(error, "error_dict") and "recurrence" in error.error_dict:
        repeat.add_error(repeat.rule_field(), error.message_dict["recurrence"])
        error = ValidationError(
            {name: problems for name, problems in error.error_dict.items() if name != "recurrence"}
        )
        if not error.error_dict:
            return
    form.add_service_errors(error)
