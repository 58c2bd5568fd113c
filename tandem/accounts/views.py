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
from tandem.accounts.selectors import preferences_for

NOT_CONNECTED_TEXT = "Not connected, click to connect Google!"


@dataclass(frozen=True)
class GoogleStatus:
    """What the External services page shows in its Google row. The connect flow fills in
    the account and links; until then a user is simply not connected."""

    connected: bool
    connect_url: str
    email: str = ""
    settings_url: str = ""
    revoke_url: str = ""
    status_text: str = ""


def google_status_for(*, user: User) -> GoogleStatus:
    # Placeholder until the Google connect flow exists: nobody is connected yet.
    return GoogleStatus(connected=False, connect_url=reverse("google-connect"))


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
        {"google": google, "not_connected_text": NOT_CONNECTED_TEXT},
    )


@login_required
def google_connect(request: HttpRequest) -> HttpResponse:
    """Placeholder for the Google connect flow (another issue replaces this view)."""
    return render(request, "accounts/google_connect.html")
