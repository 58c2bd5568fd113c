"""``/api/v1/meetings/{id}/occurrences/{key}/following/``: "this and following events" of a
recurring meeting, as the pages offer it (``tandem.meetings.series_edits``)."""

from __future__ import annotations

from django.db import transaction
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from tandem.api.errors import domain_errors_as_api_errors, etag, refuse_read_only
from tandem.api.inputs import meeting_input
from tandem.api.serializers import MeetingSerializer
from tandem.api.shared import BAD_INPUT, signed_in_user
from tandem.api.views import (
    NOT_FOUND,
    OCCURRENCE_KEY,
    READ_ONLY,
    _occurrence_start,
)
from tandem.meetings.selectors import meeting_of
from tandem.meetings.series_edits import series_delete_following, series_split


class FollowingView(APIView):
    """The occurrence named by ``key`` and every one after it. The series ends just before
    it (UNTIL); a change starts a new series there, as Google Calendar does."""

    @extend_schema(
        summary="Change this and the following events of a recurring meeting",
        parameters=[OCCURRENCE_KEY],
        request=MeetingSerializer,
        responses={
            200: OpenApiResponse(
                MeetingSerializer, description="The series that holds them now (a new one)."
            ),
            400: BAD_INPUT,
            403: READ_ONLY,
            404: NOT_FOUND,
        },
    )
    def post(self, request: Request, pk: int, key: str) -> Response:
        serializer = MeetingSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with transaction.atomic():
            series = meeting_of(owner=signed_in_user(request), pk=pk)
            refuse_read_only(series)
            if "recurrence" not in serializer.validated_data:
                raise ValidationError({"recurrence": ["Give the rule of the following events."]})
            with domain_errors_as_api_errors():
                new_series = series_split(
                    series=series,
                    original_start=_occurrence_start(key),
                    data=meeting_input(validated=serializer.validated_data),
                )
        response = Response(MeetingSerializer(new_series).data, status=status.HTTP_200_OK)
        response["ETag"] = etag(new_series)
        return response

    @extend_schema(
        summary="Delete this and the following events of a recurring meeting",
        parameters=[OCCURRENCE_KEY],
        responses={204: None, 400: BAD_INPUT, 403: READ_ONLY, 404: NOT_FOUND},
    )
    def delete(self, request: Request, pk: int, key: str) -> Response:
        with transaction.atomic():
            series = meeting_of(owner=signed_in_user(request), pk=pk)
            refuse_read_only(series)
            with domain_errors_as_api_errors():
                series_delete_following(series=series, original_start=_occurrence_start(key))
        return Response(status=status.HTTP_204_NO_CONTENT)
