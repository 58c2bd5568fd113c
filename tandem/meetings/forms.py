"""The meeting form: what people type, turned into a MeetingInput for the services.

People enter times as wall-clock times in the meeting's zone, and all-day meetings by their
first and *last* day; the model keeps Google's exclusive end date, so the form adds a day on
the way in and takes it off on the way out.
"""

from __future__ import annotations

import zoneinfo
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, TypedDict

from django import forms
from django.core.exceptions import ValidationError
from django.utils import dateformat

from tandem.meetings.models import (
    DESCRIPTION_MAX_LENGTH,
    LOCATION_MAX_LENGTH,
    SUBJECT_MAX_LENGTH,
    Meeting,
    Visibility,
)
from tandem.meetings.services import MeetingInput
from tandem.timezones import chosen_form_of, time_zone_choices

DEFAULT_START = time(9, 0)
DEFAULT_DURATION = timedelta(hours=1)

# Service errors are keyed by model field; on the form they belong next to the date inputs.
_SERVICE_FIELD_TO_FORM_FIELD = {"start": "start_date", "end": "end_date"}


# The user's date and time formats (My Preferences; Django's format characters, the
# choices of accounts' Preferences) as strptime patterns and an example for the messages.
DATE_FORMATS = {
    "Y-m-d": ("%Y-%m-%d", "2026-11-24"),
    "d.m.Y": ("%d.%m.%Y", "24.11.2026"),
    "m/d/Y": ("%m/%d/%Y", "11/24/2026"),
}
TIME_FORMATS = {
    "H:i": ("%H:%M", "14:30"),
    "g:i A": ("%I:%M %p", "2:30 PM"),
}
ISO_DATE, ISO_TIME = "Y-m-d", "H:i"


class FormattedInput(forms.TextInput):
    """A text input that shows a date or time in the user's format (Django's ``date`` filter
    characters, as every page shows dates) and says that format in its placeholder."""

    def __init__(self, display: str, example: str) -> None:
        super().__init__(attrs={"placeholder": example, "autocomplete": "off", "size": 12})
        self.display = display

    def format_value(self, value: Any) -> str | None:
        if isinstance(value, date | time):
            return dateformat.format(value, self.display)
        return super().format_value(value)


def date_field(label: str, date_format: str) -> forms.DateField:
    pattern, example = DATE_FORMATS.get(date_format, DATE_FORMATS[ISO_DATE])
    return forms.DateField(
        label=label,
        # The user's format first; ISO too (links such as "?date=2026-11-24" and scripts).
        input_formats=list(dict.fromkeys([pattern, "%Y-%m-%d"])),
        widget=FormattedInput(date_format, example),
        error_messages={
            "required": f"Enter the {label.lower()}.",
            "invalid": f"Enter the {label.lower()} as a date like {example}.",
        },
    )


def _time_field(label: str, time_format: str) -> forms.TimeField:
    pattern, example = TIME_FORMATS.get(time_format, TIME_FORMATS[ISO_TIME])
    return forms.TimeField(
        label=label,
        required=False,
        # Either clock is understood whatever the preference: "14:30" and "2:30 PM" are
        # the same time to everyone.
        input_formats=list(dict.fromkeys([pattern, "%H:%M", "%I:%M %p", "%I:%M%p", "%I %p"])),
        widget=FormattedInput(time_format, example),
        error_messages={"invalid": f"Enter the {label.lower()} as a time like {example}."},
    )


class InputFormats(TypedDict):
    date_format: str
    time_format: str


def input_formats_of(request: Any) -> InputFormats:
    """The signed-in user's date and time formats (set on the request by the accounts
    middleware), for ``MeetingForm(..., **input_formats_of(request))``."""
    preferences = getattr(request, "preferences", None)
    return InputFormats(
        date_format=getattr(preferences, "date_format", ISO_DATE),
        time_format=getattr(preferences, "time_format", ISO_TIME),
    )


class MeetingForm(forms.Form):
    subject = forms.CharField(
        max_length=SUBJECT_MAX_LENGTH,
        error_messages={"required": "A meeting needs a subject."},
    )
    all_day = forms.BooleanField(label="All day", required=False)
    start_date = date_field("Start date", ISO_DATE)
    start_time = _time_field("Start time", ISO_TIME)
    end_date = date_field("End date", ISO_DATE)
    end_time = _time_field("End time", ISO_TIME)
    time_zone = forms.ChoiceField(
        label="Time zone",
        choices=time_zone_choices,
        widget=forms.Select(attrs={"data-zone-search": ""}),
        error_messages={
            "required": "Choose a time zone.",
            "invalid_choice": "“%(value)s” is not an IANA time zone.",
        },
    )
    location = forms.CharField(max_length=LOCATION_MAX_LENGTH, required=False)
    description = forms.CharField(
        max_length=DESCRIPTION_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    visibility = forms.ChoiceField(
        choices=Visibility.choices,
        initial=Visibility.DEFAULT,
        help_text="Colleagues see a private or confidential meeting only as “Busy”.",
        error_messages={"invalid_choice": "“%(value)s” is not a visibility."},
    )

    def __init__(
        self, *args: Any, date_format: str = ISO_DATE, time_format: str = ISO_TIME, **kwargs: Any
    ) -> None:
        """Dates and times shown, typed and checked in the user's formats (My Preferences):
        text inputs, since a browser's date input follows the browser's locale instead."""
        super().__init__(*args, **kwargs)
        self.date_format, self.time_format = date_format, time_format
        for name in ("start_date", "end_date"):
            self.fields[name] = date_field(str(self.fields[name].label), date_format)
        for name in ("start_time", "end_time"):
            self.fields[name] = _time_field(str(self.fields[name].label), time_format)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("all_day"):
            return cleaned
        zone_name = cleaned.get("time_zone")
        zone = zoneinfo.ZoneInfo(zone_name) if zone_name else None
        for prefix in ("start", "end"):
            day, moment = cleaned.get(f"{prefix}_date"), cleaned.get(f"{prefix}_time")
            if moment is None and f"{prefix}_time" not in self.errors:
                self.add_error(
                    f"{prefix}_time",
                    f"Enter the {prefix} time, or tick “All day”.",
                )
            elif day and moment and zone and not _exists(day, moment, zone):
                self.add_error(
                    f"{prefix}_time",
                    f"{dateformat.format(moment, self.time_format)} does not exist on "
                    f"{dateformat.format(day, self.date_format)} in {zone_name} "
                    "(the clocks skip it).",
                )
        return cleaned

    def meeting_input(self, *, recurrence: list[str] | None = None) -> MeetingInput:
        """The cleaned form as service input; only call after is_valid()."""
        data = self.cleaned_data
        zone = zoneinfo.ZoneInfo(data["time_zone"])
        common: dict[str, Any] = {
            "subject": data["subject"],
            "time_zone": data["time_zone"],
            "description": data["description"],
            "location": data["location"],
            "visibility": data["visibility"],
            "recurrence": list(recurrence or []),
        }
        if data["all_day"]:
            return MeetingInput(
                all_day=True,
                start_date=data["start_date"],
                end_date=data["end_date"] + timedelta(days=1),  # the model's end is exclusive
                **common,
            )
        return MeetingInput(
            start=datetime.combine(data["start_date"], data["start_time"], tzinfo=zone),
            end=datetime.combine(data["end_date"], data["end_time"], tzinfo=zone),
            **common,
        )

    def add_service_errors(self, error: ValidationError) -> None:
        """Shows a service's ValidationError next to the fields it names."""
        if not hasattr(error, "error_dict"):
            self.add_error(None, error.messages)
            return
        for name, messages in error.message_dict.items():
            field = _SERVICE_FIELD_TO_FORM_FIELD.get(name, name)
            self.add_error(field if field in self.fields else None, messages)


def _exists(day: date, moment: time, zone: zoneinfo.ZoneInfo) -> bool:
    """False for wall times skipped by a DST change (e.g. 02:30 in Berlin on spring-forward)."""
    local = datetime.combine(day, moment, tzinfo=zone)
    return local.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == local.replace(tzinfo=None)


def initial_for_new(*, day: date, start: time | None, time_zone: str) -> dict[str, Any]:
    """A new meeting on ``day`` (from a click on the calendar): an hour from ``start``."""
    begins = datetime.combine(day, start or DEFAULT_START)
    ends = begins + DEFAULT_DURATION
    return {
        "start_date": begins.date(),
        "start_time": begins.time(),
        "end_date": ends.date(),
        "end_time": ends.time(),
        "time_zone": time_zone,
        "visibility": Visibility.DEFAULT,
    }


def initial_for(meeting: Meeting) -> dict[str, Any]:
    initial: dict[str, Any] = {
        "subject": meeting.subject,
        "all_day": meeting.all_day,
        # An old alias Google gave ("US/Eastern") shows as the zone it links to: same clock.
        "time_zone": chosen_form_of(meeting.time_zone),
        "location": meeting.location,
        "description": meeting.description,
        "visibility": meeting.visibility,
    }
    if meeting.all_day and meeting.start_date and meeting.end_date:
        last_day = meeting.end_date - timedelta(days=1)  # people think in inclusive last days
        return initial | {"start_date": meeting.start_date, "end_date": last_day}
    zone = zoneinfo.ZoneInfo(meeting.time_zone)
    start, end = meeting.start.astimezone(zone), meeting.end.astimezone(zone)
    return initial | {
        "start_date": start.date(),
        "start_time": start.time().replace(second=0, microsecond=0),
        "end_date": end.date(),
        "end_time": end.time().replace(second=0, microsecond=0),
    }
