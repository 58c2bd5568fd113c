"""A recurring meeting's occurrences in a date range, cancelled ones included and marked
(tandem.meetings.series_occurrences)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from tandem.api.errors import domain_errors_as_api_errors
from tandem.api.serializers import RequiredDateRangeSerializer
from tandem.api.shared import signed_in_user
from tandem.api.sync_serializers import SeriesOccurrenceSerializer
from tandem.meetings.selectors import meeting_of
from tandem.meetings.series_occurrences import series_occurrences


class SeriesOccurrenceListView(APIView):
    @extend_schema(
        summary="A recurring meeting's occurrences intersecting [start, end), cancelled ones "
        "marked",
        parameters=[RequiredDateRangeSerializer],
        responses={
            200: SeriesOccurrenceSerializer(many=True),
            400: OpenApiResponse(
                description=(
                    "Bad range (at most 366 days, at most 400 occurrences), or not a "
                    "recurring meeting."
                )
            ),
            404: OpenApiResponse(description="No such meeting of yours."),
        },
    )
    def get(self, request: Request, pk: int) -> Response:
        query = RequiredDateRangeSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        series = meeting_of(owner=signed_in_user(request), pk=pk)
        with domain_errors_as_api_errors():
            occurrences = series_occurrences(series=series, **query.validated_data)
        rows = SeriesOccurrenceSerializer(occurrences, many=True).data  # type: ignore[arg-type]
        return Response(rows)
