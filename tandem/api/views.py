"""The meetings API: thin views over tandem.meetings.selectors (reads) and services (writes).

Every read is scoped to request.user through the selectors, so another user's meeting id is a
404 on every verb, indistinguishable from an id that never existed.
"""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import User
from django.db import transaction
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from tandem.api.errors import (
    check_if_match,
    domain_errors_as_api_errors,
    etag,
    refuse_read_only,
)
from tandem.api.inputs import meeting_input
from tandem.api.serializers import (
    CalendarEntrySerializer,
    DateRangeSerializer,
    MeetingSerializer,
    RequiredDateRangeSerializer,
)
from tandem.api.shared import BAD_INPUT, signed_in_user
from tandem.meetings.models import Meeting
from tandem.meetings.occurrence_edits import occurrence_cancel, occurrence_change
from tandem.meetings.occurrences import occurrence_start
from tandem.meetings.selectors import calendar_entries, meeting_of, meetings_of
from tandem.meetings.series_edits import series_update
from tandem.meetings.services import (
    meeting_create,
    meeting_delete,
    meeting_restore,
)

IF_MATCH = OpenApiParameter(
    name="If-Match",
    location=OpenApiParameter.HEADER,
    type=OpenApiTypes.STR,
    required=False,
    description=(
        'Optional. The version you read (the ETag, e.g. "3"). If the meeting has changed '
        "since, the write is refused with 412 Precondition Failed."
    ),
)
NOT_FOUND = OpenApiResponse(description="No such meeting of yours.")
READ_ONLY = OpenApiResponse(description="The meeting is read-only (from a Google calendar).")
STALE = OpenApiResponse(description="If-Match names a version that is no longer current.")


def _meeting_response(
    request: Request, meeting: Meeting, status_code: int = status.HTTP_200_OK
) -> Response:
    response = Response(MeetingSerializer(meeting).data, status=status_code)
    response["ETag"] = etag(meeting)
    if status_code == status.HTTP_201_CREATED:
        response["Location"] = reverse("api-meeting", kwargs={"pk": meeting.pk}, request=request)
    return response


class MeetingListView(GenericAPIView[Meeting]):
    # GenericAPIView for its paginator; reads go through meetings_of, never this queryset.
    queryset = Meeting.objects.none()
    serializer_class = MeetingSerializer

    @extend_schema(
        summary="Your meetings, optionally those intersecting [start, end)",
        parameters=[DateRangeSerializer],
        responses={200: MeetingSerializer(many=True), 400: BAD_INPUT},
    )
    def get(self, request: Request) -> Response:
        query = DateRangeSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        meetings = meetings_of(
            owner=signed_in_user(request), **query.validated_data
        ).prefetch_related("event_links")
        page = self.paginate_queryset(meetings)
        # The stubs type the instance as one Meeting even with many=True.
        rows = MeetingSerializer(page, many=True).data  # type: ignore[arg-type]
        return self.get_paginated_response(rows)

    @extend_schema(
        summary="Create a meeting",
        request=MeetingSerializer,
        responses={201: MeetingSerializer, 400: BAD_INPUT},
    )
    def post(self, request: Request) -> Response:
        serializer = MeetingSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with domain_errors_as_api_errors():
            meeting = meeting_create(
                owner=signed_in_user(request),
                data=meeting_input(validated=serializer.validated_data),
            )
        return _meeting_response(request, meeting, status.HTTP_201_CREATED)


UPDATE_RESPONSES = {
    200: MeetingSerializer,
    400: BAD_INPUT,
    403: READ_ONLY,
    404: NOT_FOUND,
    412: STALE,
}


class MeetingDetailView(APIView):
    @extend_schema(
        summary="One of your meetings", responses={200: MeetingSerializer, 404: NOT_FOUND}
    )
    def get(self, request: Request, pk: int) -> Response:
        return _meeting_response(request, meeting_of(owner=signed_in_user(request), pk=pk))

    @extend_schema(
        summary="Replace a meeting",
        parameters=[IF_MATCH],
        request=MeetingSerializer,
        responses=UPDATE_RESPONSES,
    )
    def put(self, request: Request, pk: int) -> Response:
        return self._update(request, pk, partial=False)

    @extend_schema(
        summary="Change some fields of a meeting",
        parameters=[IF_MATCH],
        request=MeetingSerializer,
        responses=UPDATE_RESPONSES,
    )
    def patch(self, request: Request, pk: int) -> Response:
        return self._update(request, pk, partial=True)

    @extend_schema(
        summary="Delete a meeting (restorable for 30 days)",
        parameters=[IF_MATCH],
        responses={204: None, 403: READ_ONLY, 404: NOT_FOUND, 412: STALE},
    )
    def delete(self, request: Request, pk: int) -> Response:
        # One transaction, so nobody writes between the version check and the delete.
        with transaction.atomic():
            meeting = meeting_of(owner=signed_in_user(request), pk=pk)
            check_if_match(request.headers.get("If-Match"), meeting)
            refuse_read_only(meeting)
            with domain_errors_as_api_errors():
                meeting_delete(meeting=meeting)
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _update(self, request: Request, pk: int, *, partial: bool) -> Response:
        # The meeting's own zone is taken back as it is, whatever its name (TimeZoneField).
        kept_zone = meeting_of(owner=signed_in_user(request), pk=pk).time_zone
        serializer = MeetingSerializer(
            data=request.data, partial=partial, context={"kept_time_zone": kept_zone}
        )
        serializer.is_valid(raise_exception=True)
        with transaction.atomic():
            meeting = meeting_of(owner=signed_in_user(request), pk=pk)
            check_if_match(request.headers.get("If-Match"), meeting)
            refuse_read_only(meeting)
            data = meeting_input(
                validated=serializer.validated_data, current=meeting, partial=partial
            )
            with domain_errors_as_api_errors():
                # A series' whole change drops the occurrences changed alone that its new
                # rule no longer has, as the form does (series_edits.series_update).
                meeting = series_update(meeting=meeting, data=data)
        return _meeting_response(request, meeting)


class MeetingRestoreView(APIView):
    @extend_schema(
        summary="Restore a deleted meeting (within 30 days of its deletion)",
        request=None,
        responses={200: MeetingSerializer, 400: BAD_INPUT, 403: READ_ONLY, 404: NOT_FOUND},
    )
    def post(self, request: Request, pk: int) -> Response:
        with transaction.atomic():
            meeting = meeting_of(owner=signed_in_user(request), pk=pk, include_deleted=True)
            refuse_read_only(meeting)
            with domain_errors_as_api_errors():
                meeting = meeting_restore(meeting=meeting)
        return _meeting_response(request, meeting)


OCCURRENCE_KEY = OpenApiParameter(
    name="key",
    location=OpenApiParameter.PATH,
    type=OpenApiTypes.STR,
    description=(
        "The occurrence: its start in UTC as the series gives it, like 20261208T080000Z "
        "(all-day series: midnight of the day in the series' time zone, in UTC)."
    ),
)


class OccurrenceView(APIView):
    """One occurrence of a recurring meeting, changed or cancelled alone (as Google does);
    the series and its other occurrences stay as they are."""

    @extend_schema(
        summary="Change one occurrence of a recurring meeting alone",
        parameters=[OCCURRENCE_KEY],
        request=MeetingSerializer,
        responses={201: MeetingSerializer, 400: BAD_INPUT, 403: READ_ONLY, 404: NOT_FOUND},
    )
    def post(self, request: Request, pk: int, key: str) -> Response:
        serializer = MeetingSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with transaction.atomic():
            series = meeting_of(owner=signed_in_user(request), pk=pk)
            refuse_read_only(series)
            with domain_errors_as_api_errors():
                row = occurrence_change(
                    series=series,
                    original_start=_occurrence_start(key),
                    data=meeting_input(validated=serializer.validated_data),
                )
        return _meeting_response(request, row, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Cancel one occurrence of a recurring meeting alone",
        parameters=[OCCURRENCE_KEY],
        responses={204: None, 400: BAD_INPUT, 403: READ_ONLY, 404: NOT_FOUND},
    )
    def delete(self, request: Request, pk: int, key: str) -> Response:
        with transaction.atomic():
            series = meeting_of(owner=signed_in_user(request), pk=pk)
            refuse_read_only(series)
            with domain_errors_as_api_errors():
                occurrence_cancel(series=series, original_start=_occurrence_start(key))
        return Response(status=status.HTTP_204_NO_CONTENT)


def _occurrence_start(key: str) -> datetime:
    start = occurrence_start(key)
    if start is None:
        raise ValidationError({"key": ["Name the occurrence by its UTC start: 20261208T080000Z."]})
    return start


class ColleagueMeetingsView(APIView):
    """A colleague's calendar. Their private and confidential meetings come back as "Busy"
    with no description or location (DESIGN §3: "in pages, API and exports")."""

    @extend_schema(
        summary="A colleague's meetings intersecting [start, end), private ones as Busy",
        parameters=[RequiredDateRangeSerializer],
        responses={
            200: CalendarEntrySerializer(many=True),
            400: BAD_INPUT,
            404: OpenApiResponse(description="No such user."),
        },
    )
    def get(self, request: Request, username: str) -> Response:
        query = RequiredDateRangeSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        owner = get_object_or_404(User, username=username, is_active=True)
        entries = calendar_entries(
            viewer=signed_in_user(request), owner=owner, **query.validated_data
        )
        rows = CalendarEntrySerializer(entries, many=True).data  # type: ignore[arg-type]
        return Response(rows)
