"""My Preferences and External services. Sign in and out are Django's auth views."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from tandem.accounts.forms import PreferencesForm
from tandem.accounts.selectors import google_status_for, preferences_for

NOT_CONNECTED_TEXT = "Not connected, click to connect Google!"


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
