"""The Google connection and the synchronization settings through the API: thin views over
tandem.accounts.selectors, google_settings and google_services, the same steps and messages
as External services and the settings page. Everything is the signed-in user's own."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from tandem.accounts import google_services as services
from tandem.accounts import google_settings as choosing
from tandem.accounts.models import GoogleConnection, SyncSettings
from tandem.accounts.selectors import google_status_for
from tandem.api.errors import domain_errors_as_api_errors
from tandem.api.google_serializers import (
    CreatedCalendarSerializer,
    DedicatedCalendarInputSerializer,
    SyncSettingsInputSerializer,
)
from tandem.api.shared import BAD_INPUT, signed_in_user
from tandem.api.sync_serializers import (
    CalendarListSerializer,
    GoogleConnectionSerializer,
    RevokeSerializer,
    SyncSettingsSerializer,
)

NOT_READY = OpenApiResponse(
    description="Google is not connected with calendar access (or no longer accepts the "
    'connection): {"detail": "what to do"}.'
)
GOOGLE_FAILED = OpenApiResponse(description="Google refused or could not be reached.")


class NotReady(exceptions.APIException):
    """The request does not fit the connection's state; the detail says what to do first."""

    status_code = status.HTTP_409_CONFLICT
    default_code = "not_ready"


class GoogleFailed(exceptions.APIException):
    status_code = status.HTTP_502_BAD_GATEWAY
    default_code = "google_failed"


def _connected(request: Request) -> GoogleConnection:
    try:
        return choosing.connected_connection(user=signed_in_user(request))
    except choosing.SettingsUnavailable as unavailable:
        raise NotReady(unavailable.message) from None


def connection_data(request: Request) -> dict[str, Any]:
    google = google_status_for(user=signed_in_user(request))
    return GoogleConnectionSerializer(
        {
            "status": google.status,
            "status_text": google.status_text,
            "email": google.email,
            "connect_url": request.build_absolute_uri(google.connect_url),
            "revoke_pending": google.revoke_pending,
        }
    ).data


def _calendar(calendar: dict[str, Any]) -> dict[str, Any]:
    return {
        "background_color": "",  # a list read before colours were kept has none
        **calendar,
        "access": choosing.access_label(calendar),
        "writable": calendar["access_role"] in services.WRITABLE_ROLES,
    }


def _settings_data(
    sync_settings: SyncSettings,
    message: str = "",
    *,
    calendars: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The settings as the API gives them, with ``calendars`` (default: the list they were
    last checked against)."""
    if calendars is None:
        calendars = sync_settings.known_calendars
    data = {
        "inbound_calendar_ids": sync_settings.inbound_calendar_ids,
        "target_calendar_id": sync_settings.target_calendar_id,
        "sync_private": sync_settings.sync_private,
        "saved_at": sync_settings.saved_at,
        "is_complete": sync_settings.is_complete,
        "calendars": [_calendar(c) | {"colour": sync_settings.colour_of(c)} for c in calendars],
    }
    if message:
        data["message"] = message
    return dict(SyncSettingsSerializer(data).data)


class GoogleConnectionView(APIView):
    @extend_schema(
        summary="Your Google connection: status, account email, and where to connect",
        responses={200: GoogleConnectionSerializer},
    )
    def get(self, request: Request) -> Response:
        return Response(connection_data(request))


class GoogleRevokeView(APIView):
    @extend_schema(
        summary="Revoke Token: disconnect Google and end the sync (meetings and events stay)",
        request=None,
        responses={200: RevokeSerializer},
    )
    def post(self, request: Request) -> Response:
        result = choosing.google_revoke(user=signed_in_user(request))
        body = {
            "done": result.done,
            "revoked_at_google": result.revoked_at_google,
            "message": result.message,
            "google": connection_data(request),
        }
        return Response(RevokeSerializer(body).data)


REFRESH = OpenApiParameter(
    name="refresh",
    type=OpenApiTypes.BOOL,
    required=False,
    description=(
        "Read the list from Google again (true, the default) or give the last known list "
        "(false); anything else is a 400."
    ),
)


class _CalendarsQuery(serializers.Serializer[Any]):
    refresh = serializers.BooleanField(default=True)


class GoogleCalendarsView(APIView):
    @extend_schema(
        summary="Your Google account's calendars with your access to each",
        parameters=[REFRESH],
        responses={200: CalendarListSerializer, 400: BAD_INPUT, 409: NOT_READY},
    )
    def get(self, request: Request) -> Response:
        # A plain dict: from a query dict DRF reads an absent boolean as False (a checkbox).
        query = _CalendarsQuery(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        refresh = query.validated_data["refresh"]
        connection = _connected(request)
        try:
            choices = choosing.choices_to_show(connection=connection, refresh=refresh)
        except choosing.SettingsUnavailable as unavailable:
            raise NotReady(unavailable.message) from None
        body = {
            "calendars": [_calendar(c) for c in choices.calendars],
            "load_error": choices.load_error,
            "has_dedicated": choices.has_dedicated,
        }
        return Response(CalendarListSerializer(body).data)


class DedicatedCalendarView(APIView):
    @extend_schema(
        summary="Create the dedicated 'Tandem CRM' calendar in Google",
        description=(
            "The new calendar is not chosen yet: save the settings with it as target (and "
            "inbound) to use it, as the page proposes. When the account owns a calendar of "
            "that name already, it is answered (200) and no other is made, so a repeated "
            "request is safe."
        ),
        request=DedicatedCalendarInputSerializer,
        responses={
            201: CreatedCalendarSerializer,
            200: CreatedCalendarSerializer,
            400: BAD_INPUT,
            409: NOT_READY,
            502: GOOGLE_FAILED,
        },
    )
    def post(self, request: Request) -> Response:
        body = DedicatedCalendarInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        connection = _connected(request)
        try:
            dedicated = choosing.dedicated_calendar_made(
                connection=connection, time_zone=body.validated_data.get("time_zone")
            )
        except choosing.SettingsUnavailable as unavailable:
            raise NotReady(unavailable.message) from None
        except choosing.CalendarNotCreated as failed:
            raise GoogleFailed(failed.message) from None
        message = (
            f"{choosing.created_calendar_message(dedicated)} Save the settings with it as the "
            "target calendar to use it."
        )
        return Response(
            CreatedCalendarSerializer(_calendar(dedicated.entry) | {"message": message}).data,
            status=status.HTTP_201_CREATED if dedicated.created else status.HTTP_200_OK,
        )


class SyncSettingsView(APIView):
    @extend_schema(
        summary="Your synchronization settings",
        responses={200: SyncSettingsSerializer, 409: NOT_READY},
    )
    def get(self, request: Request) -> Response:
        connection = _connected(request)
        try:
            # As the page shows them: the last known list, or Google's before any is known.
            choices = choosing.choices_to_show(connection=connection, refresh=False)
        except choosing.SettingsUnavailable as unavailable:
            raise NotReady(unavailable.message) from None
        return Response(_settings_data(choices.settings, calendars=choices.calendars))

    @extend_schema(
        summary="Choose the inbound calendars, the target calendar and private sync",
        request=SyncSettingsInputSerializer,
        responses={200: SyncSettingsSerializer, 400: BAD_INPUT, 409: NOT_READY},
    )
    def put(self, request: Request) -> Response:
        return self._save(request, partial=False)

    @extend_schema(
        summary="Change some of the synchronization settings",
        request=SyncSettingsInputSerializer,
        responses={200: SyncSettingsSerializer, 400: BAD_INPUT, 409: NOT_READY},
    )
    def patch(self, request: Request) -> Response:
        return self._save(request, partial=True)

    def _save(self, request: Request, *, partial: bool) -> Response:
        body = SyncSettingsInputSerializer(data=request.data, partial=partial)
        body.is_valid(raise_exception=True)
        connection = _connected(request)
        try:
            # As the page's save: checked against Google's list read again.
            current = choosing.choices_to_save_against(connection=connection).settings
        except choosing.SettingsUnavailable as unavailable:
            raise NotReady(unavailable.message) from None
        values = {
            "inbound_calendar_ids": list(current.inbound_calendar_ids),
            "target_calendar_id": current.target_calendar_id,
            "sync_private": current.sync_private,
            **body.validated_data,
        }
        with domain_errors_as_api_errors():
            saved = services.sync_settings_save(
                connection=connection, choice=services.SettingsChoice(**values)
            )
        return Response(_settings_data(saved, choosing.SAVED))
