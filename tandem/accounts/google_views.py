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
from tandem.accounts import google_settings as choosing
from tandem.accounts.google_clients import redirect_uri
from tandem.accounts.google_forms import SyncSettingsForm
from tandem.accounts.models import GoogleConnection
from tandem.accounts.selectors import connection_of
from tandem.accounts.settings_defaults import settings_initial

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
    try:
        connection = choosing.connected_connection(user=_user(request))
        choices = (
            choosing.choices_to_save_against(connection=connection)
            if request.method == "POST"
            else choosing.choices_to_show(connection=connection)
        )
    except choosing.SettingsUnavailable as unavailable:
        not_connected = unavailable.message == choosing.CONNECT_FIRST
        (messages.warning if not_connected else messages.error)(request, unavailable.message)
        return redirect("external-services")
    # The calendar just created for the CRM stays proposed until a save, reloads included.
    initial = settings_initial(
        sync_settings=choices.settings,
        calendars=choices.calendars,
        just_created=request.session.get(PROPOSED_CALENDAR_KEY, ""),
    )
    saved = choices.settings
    form = SyncSettingsForm(
        request.POST or None,
        initial=initial,
        calendars=choices.calendars,
        colours={c["id"]: saved.colour_of(c) for c in choices.calendars},
    )
    if request.method == "POST" and form.is_valid():
        choice = services.SettingsChoice(
            inbound_calendar_ids=form.cleaned_data["inbound_calendar_ids"],
            target_calendar_id=form.cleaned_data["target_calendar_id"],
            sync_private=form.cleaned_data["sync_private"],
            calendar_colours=form.chosen_colours(saved.calendar_colours),
        )
        try:
            services.sync_settings_save(connection=connection, choice=choice)
        except ValidationError as error:
            for field, field_errors in error.message_dict.items():
                for message in field_errors:
                    form.add_error(field if field in form.fields else None, message)
        else:
            request.session.pop(PROPOSED_CALENDAR_KEY, None)
            messages.success(request, choosing.SAVED)
            return redirect("external-services")
    return render(
        request,
        "google/settings.html",
        {
            "form": form,
            "connection": connection,
            "load_error": choices.load_error,
            "has_dedicated": choices.has_dedicated,
            "dedicated_name": services.DEDICATED_CALENDAR_NAME,
        },
    )


@login_required
@require_POST
def google_create_calendar(request: HttpRequest) -> HttpResponse:
    try:
        connection = choosing.connected_connection(user=_user(request))
    except choosing.SettingsUnavailable:
        return redirect("external-services")
    try:
        dedicated = choosing.dedicated_calendar_made(connection=connection)
    except choosing.SettingsUnavailable as unavailable:
        messages.error(request, unavailable.message)
        return redirect("external-services")
    except choosing.CalendarNotCreated as failed:
        messages.error(request, failed.message)
    else:
        request.session[PROPOSED_CALENDAR_KEY] = dedicated.entry["id"]
        messages.success(
            request,
            f"{choosing.created_calendar_message(dedicated)} It is selected below: "
            "check the choices and save.",
        )
    return redirect("google-settings")


@login_required
@require_http_methods(["GET", "POST"])
def google_revoke(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        connection = connection_of(user=_user(request))  # a read: a GET never writes
        return render(request, "google/revoke_confirm.html", {"connection": connection})
    result = choosing.google_revoke(user=_user(request))
    if result.done:
        (messages.success if result.revoked_at_google else messages.warning)(
            request, result.message
        )
    return redirect("external-services")
