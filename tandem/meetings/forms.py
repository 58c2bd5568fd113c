"""The meeting form: what people type, turned into a MeetingInput for the services.

People enter times as wall-clock times in the meeting's zone, and all-day meetings by their
first and *last* day; the model keeps Google's exclusive end date, so the form adds a day on
the way in and takes it off on the way out.
"""

from __future__ import annotations

import zoneinfo
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

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


def _date_field(label: str) -> forms.DateField:
    return forms.DateField(
        label=label,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={
            "required": f"Enter the {label.lower()}.",
            "invalid": f"Enter the {label.lower()} as a date like 2026-11-24.",
        },
    )


def _time_field(label: str) -> forms.TimeField:
    return forms.TimeField(
        label=label,
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        error_messages={"invalid": f"Enter the {label.lower()} as a time like 14:30."},
    )


class MeetingForm(forms.Form):
    subject = forms.CharField(
        max_length=SUBJECT_MAX_LENGTH,
        error_messages={"required": "A meeting needs a subject."},
    )
    all_day = forms.BooleanField(label="All day", required=False)
    start_date = _date_field("Start date")
    start_time = _time_field("Start time")
    end_date = _date_field("End date")
    end_time = _time_field("End time")
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
                    f"{moment:%H:%M} does not exist on {day:%Y-%m-%d} in {zone_name} "
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
