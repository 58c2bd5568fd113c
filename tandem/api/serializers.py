"""Shapes of the meetings API. Serializers only check types and shapes; the rules of a meeting
(end after start, a real time zone, ...) live in tandem.meetings.services, which every write
goes through."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from tandem.api.fields import AwareDateTimeField, StrictBooleanField, StrictCharField, rfc3339
from tandem.meetings import rules
from tandem.meetings.models import (
    DESCRIPTION_MAX_LENGTH,
    LOCATION_MAX_LENGTH,
    SUBJECT_MAX_LENGTH,
    Meeting,
    Visibility,
)
from tandem.meetings.selectors import CalendarEntry

# A series is a rule and its exceptions: Google Calendar's own lines are a few dozen
# characters; the bounds keep a request's rule cheap to check.
RECURRENCE_MAX_LINES = 50
RECURRENCE_LINE_MAX_LENGTH = 2000


class TimeZoneField(serializers.ChoiceField):
    """A zone people may choose (issue 14: no old aliases, no ``Factory``); or, on a change,
    the zone the meeting already has (context ``kept_time_zone``), whatever its name: Google
    may have given it an old alias such as "US/Eastern", and a meeting read through the API
    must write back as it was read."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, str) and data == self.context.get("kept_time_zone"):
            return data
        return super().to_internal_value(data)


class GooglePersonSerializer(serializers.Serializer[dict[str, Any]]):
    email = serializers.CharField()
    name = serializers.CharField(help_text="Empty when Google has no display name.")


class GoogleGuestSerializer(GooglePersonSerializer):
    response = serializers.ChoiceField(
        choices=["accepted", "declined", "tentative", "needsAction"],
        help_text="The guest's answer, as Google's responseStatus.",
    )
    optional = serializers.BooleanField()
    organizer = serializers.BooleanField()


class GoogleDetailsSerializer(serializers.Serializer[dict[str, Any]]):
    """What the meeting's Google event shows beyond the six synced fields, as the last sync
    read it (tandem/sync/core/event_extras.py). Read-only, never written back."""

    organizer = GooglePersonSerializer(allow_null=True)
    guests = GoogleGuestSerializer(many=True)
    video_link = serializers.CharField(help_text="Meet, Zoom or Teams; empty when none.")


class MeetingSerializer(serializers.Serializer[Meeting]):
    """A meeting as its owner sees it. Timed meetings use ``start``/``end``; all-day meetings
    use ``start_date``/``end_date`` (end exclusive) and leave the other pair null."""

    id = serializers.IntegerField(read_only=True)
    # min_length=1 (after trimming, as the rules clean it) puts the rule in the schema.
    subject = StrictCharField(max_length=SUBJECT_MAX_LENGTH, min_length=1)
    all_day = StrictBooleanField(
        required=False, default=False, help_text="True for a meeting of whole days."
    )
    start = AwareDateTimeField(
        required=False,
        allow_null=True,
        help_text=(
            "Timed meetings: ISO 8601 with a UTC offset, in the years 1900 to 2200. Returned in "
            "the meeting's time_zone. Null for all-day meetings."
        ),
    )
    end = AwareDateTimeField(
        required=False,
        allow_null=True,
        help_text="Timed meetings: after start; same format as start. Null for all-day meetings.",
    )
    start_date = serializers.DateField(
        required=False,
        allow_null=True,
        help_text=(
            "All-day meetings: the first day (YYYY-MM-DD), in the years 1900 to 2200. Null for "
            "timed meetings."
        ),
    )
    end_date = serializers.DateField(
        required=False,
        allow_null=True,
        help_text=(
            "All-day meetings: the day AFTER the last day (exclusive, as in Google Calendar): "
            "a one-day meeting on 2026-01-31 has end_date 2026-02-01. Null for timed meetings."
        ),
    )
    # The rules' list of zones as choices, so the schema names every zone accepted.
    time_zone = TimeZoneField(
        choices=rules.time_zone_names(),
        required=False,
        default="UTC",
        error_messages={"invalid_choice": "“{input}” is not an IANA time zone."},
        help_text="IANA time zone the meeting is planned in, e.g. Europe/Berlin. Default UTC.",
    )
    description = StrictCharField(
        required=False,
        default="",
        allow_blank=True,
        trim_whitespace=False,
        max_length=DESCRIPTION_MAX_LENGTH,
    )
    location = StrictCharField(
        required=False, default="", allow_blank=True, max_length=LOCATION_MAX_LENGTH
    )
    visibility = serializers.ChoiceField(
        choices=Visibility.choices,
        required=False,
        default=Visibility.DEFAULT,
        help_text="Google's values. private and confidential show as Busy to colleagues.",
    )
    recurrence = serializers.ListField(
        child=serializers.CharField(max_length=RECURRENCE_LINE_MAX_LENGTH),
        required=False,
        max_length=RECURRENCE_MAX_LINES,
        help_text=(
            "A recurring series' RFC 5545 lines as Google stores them (no DTSTART), e.g. "
            '["RRULE:FREQ=WEEKLY;BYDAY=MO,TH;COUNT=10"]; [] for a single meeting. Left out of '
            "a PUT or PATCH, the series keeps its rule. Daily or less often: a rule more "
            "frequent than daily is refused. A timed series' UNTIL is in UTC "
            "(UNTIL=20261231T225959Z), an all-day series' a date (UNTIL=20261231)."
        ),
    )
    series = serializers.IntegerField(
        source="series_id",
        read_only=True,
        allow_null=True,
        help_text="Set on one occurrence of a recurring meeting changed on its own: the series.",
    )
    original_start = serializers.DateTimeField(
        read_only=True,
        allow_null=True,
        help_text="With series: when the series had this occurrence before it was changed.",
    )
    # A declared field shadows Field.read_only only in the type stubs: DRF's metaclass moves
    # declared fields off the class.
    read_only = serializers.BooleanField(  # type: ignore[assignment]
        read_only=True, help_text="From a Google calendar you cannot write: edits are refused."
    )
    version = serializers.IntegerField(
        read_only=True, help_text="Bumped by every change; send it as If-Match to write safely."
    )
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)
    google = serializers.SerializerMethodField(
        help_text="Organizer, guests and their answers, video-call link from Google (read-only)."
    )

    @extend_schema_field(GoogleDetailsSerializer)
    def get_google(self, instance: Meeting) -> dict[str, Any]:
        # event_links.all(): the list view prefetches them (one query for the page).
        links = list(instance.event_links.all())
        extras: dict[str, Any] = links[0].extras if links else {}
        return {
            "organizer": extras.get("organizer"),
            "guests": extras.get("attendees", []),
            "video_link": extras.get("video_link", ""),
        }

    def to_representation(self, instance: Meeting) -> dict[str, Any]:
        data = super().to_representation(instance)
        if instance.all_day:
            data["start"] = data["end"] = None
        else:
            # The wall-clock time the meeting was planned at, not the server's zone.
            data["start"] = rfc3339(instance.start, instance.time_zone)
            data["end"] = rfc3339(instance.end, instance.time_zone)
            data["start_date"] = data["end_date"] = None
        return data


class DateRangeSerializer(serializers.Serializer[dict[str, Any]]):
    """The ``?start=&end=`` filter: meetings that intersect [start, end)."""

    start = AwareDateTimeField(
        required=False, help_text="ISO 8601 with offset; only meetings ending after it."
    )
    end = AwareDateTimeField(
        required=False, help_text="ISO 8601 with offset; only meetings starting before it."
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "start" in attrs and "end" in attrs and attrs["end"] <= attrs["start"]:
            raise serializers.ValidationError({"end": ["The end must be after the start."]})
        return attrs


class RequiredDateRangeSerializer(DateRangeSerializer):
    start = AwareDateTimeField(help_text="ISO 8601 with offset; only meetings ending after it.")
    end = AwareDateTimeField(help_text="ISO 8601 with offset; only meetings starting before it.")


class CalendarEntrySerializer(serializers.Serializer[CalendarEntry]):
    """A meeting as a colleague sees it: a private or confidential meeting is only "Busy"."""

    id = serializers.IntegerField(source="pk")
    subject = serializers.CharField(help_text='"Busy" for a private meeting of someone else.')
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    all_day = serializers.BooleanField()
    location = serializers.CharField()
    description = serializers.CharField()
    visibility = serializers.CharField()
    busy = serializers.BooleanField(
        source="is_busy_block", help_text="True when details are hidden from you."
    )
