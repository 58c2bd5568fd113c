"""The sync through the API: its status, Sync now, the run history, the conflicts and how
they were settled, and the answers when a sync needs attention. Thin views over
tandem.sync.selectors (reads) and tandem.sync.user_actions (what the pages' buttons do);
everything is the signed-in user's own."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from tandem.api.shared import BAD_INPUT, signed_in_user
from tandem.api.sync_serializers import (
    ActionResultSerializer,
    AttentionAnswerSerializer,
    AttentionSerializer,
    SyncConflictSerializer,
    SyncRunSerializer,
    SyncStatusSerializer,
)
from tandem.sync.models import SyncConflict, SyncRun
from tandem.sync.selectors import (
    SyncStatus,
    conflicts_of,
    runs_of,
    sync_is_set_up,
    sync_status_for,
)
from tandem.sync.user_actions import ActionResult, attention_answer, sync_now_request

REFUSED = OpenApiResponse(
    description='The request does not fit the sync\'s state: {"detail": "why"} (and for '
    'Sync now "missing": "connect" or "settings", the step to take first).'
)

NO_SUCH_RUN = "No such run."


def status_data(*, user: User) -> dict[str, Any]:
    """The user's sync status as the API gives it."""
    sync_status = sync_status_for(user=user)
    body = {
        "set_up": sync_is_set_up(user_id=user.pk),
        "running": sync_status.running,
        "last_success_at": sync_status.last_success_at,
        "next_due_at": sync_status.next_due_at,
        "last_error": sync_status.last_error,
        "attention": sync_status if sync_status.needs_attention else None,
        "recent_runs": sync_status.recent_runs,
        "recent_conflicts": sync_status.recent_conflicts,
    }
    return dict(SyncStatusSerializer(body).data)


def _accepted(result: ActionResult) -> Response:
    if not result.accepted:
        detail: dict[str, Any] = {"detail": result.message}
        if result.missing:
            detail["missing"] = result.missing
        return Response(detail, status=status.HTTP_409_CONFLICT)
    return Response(
        ActionResultSerializer({"accepted": True, "message": result.message}).data,
        status=status.HTTP_202_ACCEPTED,
    )


class SyncStatusView(APIView):
    @extend_schema(
        summary="Your sync: last and next run, what waits for you, recent runs and conflicts",
        responses={200: SyncStatusSerializer},
    )
    def get(self, request: Request) -> Response:
        return Response(status_data(user=signed_in_user(request)))


class SyncNowView(APIView):
    @extend_schema(
        summary="Sync now: queue a sync of your calendars within seconds",
        request=None,
        responses={202: ActionResultSerializer, 409: REFUSED},
    )
    def post(self, request: Request) -> Response:
        return _accepted(sync_now_request(user=signed_in_user(request)))


class SyncRunListView(GenericAPIView[SyncRun]):
    # GenericAPIView for its paginator; reads go through runs_of, never this queryset.
    queryset = SyncRun.objects.none()
    serializer_class = SyncRunSerializer

    @extend_schema(
        summary="Your sync runs, newest first", responses={200: SyncRunSerializer(many=True)}
    )
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(runs_of(owner=signed_in_user(request)))
        rows = SyncRunSerializer(page, many=True).data  # type: ignore[arg-type]
        return self.get_paginated_response(rows)


class SyncRunDetailView(APIView):
    @extend_schema(
        summary="One of your sync runs",
        responses={200: SyncRunSerializer, 404: OpenApiResponse(description=NO_SUCH_RUN)},
    )
    def get(self, request: Request, pk: int) -> Response:
        run = runs_of(owner=signed_in_user(request)).filter(pk=pk).first()
        if run is None:  # another user's run does not exist for you
            raise exceptions.NotFound(NO_SUCH_RUN)
        return Response(SyncRunSerializer(run).data)


class SyncConflictListView(GenericAPIView[SyncConflict]):
    queryset = SyncConflict.objects.none()
    serializer_class = SyncConflictSerializer

    @extend_schema(
        summary="Conflicts the sync settled, and how, newest first",
        responses={200: SyncConflictSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(conflicts_of(owner=signed_in_user(request)))
        rows = SyncConflictSerializer(page, many=True).data  # type: ignore[arg-type]
        return self.get_paginated_response(rows)


class AttentionView(APIView):
    @extend_schema(
        summary="What the sync waits for you to answer (e.g. the mass-delete question)",
        responses={
            200: AttentionSerializer,
            404: OpenApiResponse(description="Nothing waits for your answer."),
        },
    )
    def get(self, request: Request) -> Response:
        sync_status: SyncStatus = sync_status_for(user=signed_in_user(request), runs=5, conflicts=0)
        if not sync_status.needs_attention:
            raise exceptions.NotFound("Nothing waits for your answer.")
        return Response(AttentionSerializer(sync_status).data)

    @extend_schema(
        summary="Answer: apply the held deletions, keep your meetings, or resume",
        request=AttentionAnswerSerializer,
        responses={202: ActionResultSerializer, 400: BAD_INPUT, 409: REFUSED},
    )
    def post(self, request: Request) -> Response:
        body = AttentionAnswerSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return _accepted(
            attention_answer(user=signed_in_user(request), answer=body.validated_data["answer"])
        )
