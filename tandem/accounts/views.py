"""My Preferences and External services. Sign in and out are Django's auth views."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from tandem.accounts.forms import PreferencesForm
from tandem.accounts.models import GoogleConnection
from tandem.accounts.selectors import preferences_for

NOT_CONNECTED_TEXT = "Not connected, click to connect Google!"


@dataclass(frozen=True)
class GoogleStatus:
    """What the External services page shows in its Google row."""

    connected: bool
    connect_url: str
    email: str = ""
    status: str = ""
    status_text: str = ""
    settings_url: str = ""
    revoke_url: str = ""
    sync_now_url: str = ""
    needs_reconnect: bool = False
    scope_missing: bool = False


def google_status_for(*, user: User) -> GoogleStatus:
    connection = GoogleConnection.objects.filter(user=user).first()
    connect_url = reverse("google-connect")
    if connection is None or connection.status == GoogleConnection.Status.DISCONNECTED:
        return GoogleStatus(connected=False, connect_url=connect_url)
    healthy = connection.status == GoogleConnection.Status.CONNECTED
    return GoogleStatus(
        connected=True,
        connect_url=connect_url,
        email=connection.email,
        status=connection.status,
        status_text=connection.get_status_display(),
        settings_url=reverse("google-settings") if healthy else "",
        sync_now_url=reverse("google-sync-now") if healthy else "",
        revoke_url=reverse("google-revoke"),
        needs_reconnect=connection.status == GoogleConnection.Status.NEEDS_RECONNECT,
        scope_missing=connection.status == GoogleConnection.Status.SCOPE_MISSING,
    )


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest) -> HttpResponse:
    current = preferences_for(user=request.user)  # type: ignore[arg-type]
    form = PreferencesForm(request.POST or None, instance=current)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Your preferences are saved.")
        return redirect("preferences")
    return render(request, "accounts/preferences.html", {"form": form})


@login_required
def external_services(request: HttpRequest) -> HttpResponse:
    google = google_status_for(user=request.user)  # type: ignore[arg-type]
    return render(
        request,
        "accounts/external_services.html",
        # The sync status in the Google row is the sync app's ({% sync_status_panel %}):
        # accounts never imports sync.
        {"google": google, "not_connected_text": NOT_CONNECTED_TEXT},
    )
