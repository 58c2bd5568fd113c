"""``POST /api/v1/meetings/{id}/preview/``: what a change of a whole series would do to its
occurrences changed or cancelled alone, before it is saved: which it keeps and which it
resets (``tandem.meetings.series_preview``, the list the series' form shows). Writes
nothing: the body is the change a PATCH of the series would send."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from tandem.api.errors import domain_errors_as_api_errors, refuse_read_only
from tandem.api.fields import rfc3339
from tandem.api.inputs import meeting_input
from tandem.api.serializers import MeetingSerializer
from tandem.api.shared import BAD_INPUT, signed_in_user
from tandem.api.views import NOT_FOUND, READ_ONLY
from tandem.meetings.models import Meeting
from tandem.meetings.occurrences import occurrence_key
from tandem.meetings.selectors import meeting_of
from tandem.meetings.series_exceptions import exceptions_kept_and_reset
from tandem.meetings.series_preview import series_preview


class PreviewedOccurrenceSerializer(serializers.Serializer[Meeting]):
    """One occurrence changed or cancelled alone, as it is now (before the change)."""

    key = serializers.SerializerMethodField(
        help_text="Names the occurrence in /api/v1/meetings/{id}/occurrences/{key}/ today."
    )
    original_start = serializers.SerializerMethodField(
        help_text="Where the series' rule puts it today."
    )
    status = serializers.SerializerMethodField(
        help_text="changed: a meeting of its own (meeting_id); cancelled: cancelled alone "
        "(or a changed occurrence deleted since)."
    )
    meeting_id = serializers.SerializerMethodField(
        help_text="The meeting a changed occurrence became (null when cancelled)."
    )
    subject = serializers.SerializerMethodField(help_text="A changed occurrence's own title.")
    start = serializers.SerializerMethodField()
    end = serializers.SerializerMethodField()
    all_day = serializers.BooleanField(read_only=True)
    time_zone = serializers.CharField(read_only=True, help_text="The zone the times are in.")

    @staticmethod
    def _changed(row: Meeting) -> bool:
        return not (row.is_cancelled_occurrence or row.is_deleted)

    def get_key(self, row: Meeting) -> str:
        assert row.original_start is not None  # exception_rows
        return occurrence_key(row.original_start)

    def get_original_start(self, row: Meeting) -> str:
        assert row.original_start is not None
        return rfc3339(row.original_start, row.time_zone)

    def get_status(self, row: Meeting) -> str:
        return "changed" if self._changed(row) else "cancelled"

    def get_meeting_id(self, row: Meeting) -> int | None:
        return row.pk if self._changed(row) else None

    def get_subject(self, row: Meeting) -> str | None:
        return row.subject if self._changed(row) else None

    def get_start(self, row: Meeting) -> str:
        return rfc3339(row.start, row.time_zone)

    def get_end(self, row: Meeting) -> str:
        return rfc3339(row.end, row.time_zone)


class SeriesPreviewSerializer(serializers.Serializer[Any]):
    kept = PreviewedOccurrenceSerializer(
        many=True, help_text="Occurrences changed or cancelled alone that keep their changes."
    )
    reset = PreviewedOccurrenceSerializer(
        many=True,
        help_text="Occurrences changed or cancelled alone whose changes the change would drop: "
        "the series would no longer have them (a saved change deletes the changed ones).",
    )


class SeriesPreviewView(APIView):
    @extend_schema(
        summary="Preview a change of a whole recurring meeting: which occurrences changed or "
        "cancelled alone it keeps and which it resets (nothing is saved)",
        description=(
            "The body is the change as a PATCH of the meeting would send it: the fields it "
            "leaves out keep their values. Only the rule, the start and all_day move "
            "occurrences; a change of other fields keeps every one."
        ),
        request=MeetingSerializer,
        responses={
            200: SeriesPreviewSerializer,
            400: BAD_INPUT,
            403: READ_ONLY,
            404: NOT_FOUND,
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        series = meeting_of(owner=signed_in_user(request), pk=pk)
        refuse_read_only(series)
        if series.series_id is not None:
            raise ValidationError(
                {"non_field_errors": ["This is one occurrence: preview a change of its series."]}
            )
        serializer = MeetingSerializer(
            data=request.data, partial=True, context={"kept_time_zone": series.time_zone}
        )
        serializer.is_valid(raise_exception=True)
        data = meeting_input(validated=serializer.validated_data, current=series, partial=True)
        with domain_errors_as_api_errors():
            preview = series_preview(series, data)
        if preview is None:  # the change resets no occurrence: each one it names is kept
            kept, reset = exceptions_kept_and_reset(series).kept, []
        else:
            kept, reset = preview.kept, preview.reset
        return Response(SeriesPreviewSerializer({"kept": kept, "reset": reset}).data)
