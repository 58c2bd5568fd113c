"""The Google connect flow, synchronization settings and Revoke Token (thin views over
tandem.accounts.google_services). "Sync now" on External services is the sync app's
(tandem.sync.views.google_sync_now): accounts never imports sync."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tandem.accounts import google_services as services
from tandem.accounts.google_clients import redirect_uri
from tandem.accounts.google_forms import SyncSettingsForm
from tandem.accounts.models import GoogleConnection
from tandem.google.errors import ConnectionLost, GoogleError, InsufficientScope

PROPOSED_CALENDAR_KEY = "google_proposed_calendar"


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


@login_required
@require_GET
def google_connect(request: HttpRequest) -> HttpResponse:
    url = services.google_connect_begin(
        user=_user(request), session=request.session, redirect_uri=redirect_uri(request)
    )
    return redirect(url)


@login_required
@require_GET
def google_callback(request: HttpRequest) -> HttpResponse:
    try:
        connection = services.google_connect_complete(
            user=_user(request), session=request.session, params=request.GET.dict()
        )
    except services.AccessDenied as denied:
        messages.warning(request, denied.message)
        return redirect("external-services")
    except services.ConnectFailed as failed:
        return render(
            request, "google/connect_failed.html", {"message": failed.message}, status=failed.status
        )
    if connection.status == GoogleConnection.Status.SCOPE_MISSING:
        messages.warning(
            request,
            "Google is connected, but calendar access was not granted, so nothing will sync. "
            "Use “Grant calendar access” to allow it.",
        )
        return redirect("external-services")
    messages.success(request, f"Connected to Google as {connection.email}.")
    return redirect("google-settings")


@login_required
@require_http_methods(["GET", "POST"])
def google_settings(request: HttpRequest) -> HttpResponse:
    connection = services.connection_for(user=_user(request))
    if connection.status != GoogleConnection.Status.CONNECTED:
        messages.warning(request, "Connect Google with calendar access first.")
        return redirect("external-services")
    sync_settings = services.settings_for(connection=connection)
    calendars = sync_settings.known_calendars
    load_error = ""
    if request.method == "GET" or not calendars:
        try:
            calendars = services.calendars_refresh(connection=connection)
        except InsufficientScope:
            messages.error(
                request, "Calendar access was withdrawn in Google; grant it again to sync."
            )
            return redirect("external-services")
        except ConnectionLost:
            messages.error(request, "Google no longer accepts this connection; please reconnect.")
            return redirect("external-services")
        except GoogleError as error:
            load_error = (
                f"Could not load your calendars from Google ({error}). Showing the last known list."
            )
    initial = {
        "inbound_calendar_ids": sync_settings.inbound_calendar_ids,
        "target_calendar_id": sync_settings.target_calendar_id,
        "sync_private": sync_settings.sync_private,
    }
    proposed = request.session.pop(PROPOSED_CALENDAR_KEY, None)
    if proposed and any(calendar["id"] == proposed for calendar in calendars):
        # The calendar just created for the CRM: propose it as target and inbound.
        initial["target_calendar_id"] = proposed
        initial["inbound_calendar_ids"] = [*sync_settings.inbound_calendar_ids, proposed]
    form = SyncSettingsForm(request.POST or None, initial=initial, calendars=calendars)
    if request.method == "POST" and form.is_valid():
        choice = services.SettingsChoice(
            inbound_calendar_ids=form.cleaned_data["inbound_calendar_ids"],
            target_calendar_id=form.cleaned_data["target_calendar_id"],
            sync_private=form.cleaned_data["sync_private"],
        )
        try:
            services.sync_settings_save(connection=connection, choice=choice)
        except ValidationError as error:
            for field, field_errors in error.message_dict.items():
                for message in field_errors:
                    form.add_error(field if field in form.fields else None, message)
        else:
            messages.success(
                request,
                "Synchronization settings saved. The first sync starts within a minute, then "
                "runs every 5 minutes (and within seconds after each change).",
            )
            return redirect("external-services")
    has_dedicated = any(c["summary"] == services.DEDICATED_CALENDAR_NAME for c in calendars)
    return render(
        request,
        "google/settings.html",
        {
            "form": form,
            "connection": connection,
            "load_error": load_error,
            "has_dedicated": has_dedicated,
            "dedicated_name": services.DEDICATED_CALENDAR_NAME,
        },
    )


@login_required
@require_POST
def google_create_calendar(request: HttpRequest) -> HttpResponse:
    connection = services.connection_for(user=_user(request))
    if connection.status != GoogleConnection.Status.CONNECTED:
        return redirect("external-services")
    preferences = getattr(request, "preferences", None)
    try:
        entry = services.dedicated_calendar_create(
            connection=connection, time_zone=getattr(preferences, "time_zone", None)
        )
    except GoogleError as error:
        messages.error(request, f"Google could not create the calendar: {error}")
    else:
        request.session[PROPOSED_CALENDAR_KEY] = entry["id"]
        messages.success(
            request,
            f"Created the Google calendar “{entry['summary']}”. It is selected below: "
            "check the choices and save.",
        )
    return redirect("google-settings")


@login_required
@require_http_methods(["GET", "POST"])
def google_revoke(request: HttpRequest) -> HttpResponse:
    connection = services.connection_for(user=_user(request))
    if request.method == "GET":
        return render(request, "google/revoke_confirm.html", {"connection": connection})
    if connection.status == GoogleConnection.Status.DISCONNECTED:
        return redirect("external-services")
    if services.google_disconnect(connection=connection):
        messages.success(
            request,
            "Google is disconnected and the token revoked. Your meetings stay in the CRM and "
            "your events stay in Google.",
        )
    else:
        messages.warning(
            request,
            "Google is disconnected here. Google could not be reached to revoke the token; "
            "Tandem will keep trying in the background.",
        )
    return redirect("external-services")
