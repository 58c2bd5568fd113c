"""The sync status actions: Sync now, and the answers to "needs attention".

Thin views over tandem.sync.tasks: POST only (CSRF-checked by the middleware), each acts on
the signed-in user's own sync and nobody else's, then goes back where the user was.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from tandem.accounts import google_services
from tandem.accounts.models import GoogleConnection
from tandem.sync.selectors import sync_is_set_up, sync_status_for
from tandem.sync.tasks import (
    attention_apply_deletions,
    attention_keep_meetings,
    attention_resume,
    request_sync,
)


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)  # login_required
    return request.user


def _back(request: HttpRequest) -> HttpResponse:
    """To the page the form was on (a local path only: never an open redirect)."""
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect("external-services")


@login_required
@require_POST
def sync_now(request: HttpRequest) -> HttpResponse:
    user_id = _user(request).pk
    if not sync_is_set_up(user_id=user_id):
        messages.warning(request, "Connect Google and save the synchronization settings first.")
    elif request_sync(user_id=user_id, trigger="manual"):
        messages.success(request, "A sync starts within seconds.")
    else:
        messages.info(request, "A sync is already queued; it starts within seconds.")
    return _back(request)


@login_required
@require_POST
def attention_answer(request: HttpRequest) -> HttpResponse:
    user_id = _user(request).pk
    answer = request.POST.get("answer", "")
    status = sync_status_for(user=_user(request))
    if not status.needs_attention:
        messages.info(request, "Nothing waits for your answer.")
    elif answer == "apply" and status.attention_kind == "mass_delete":
        attention_apply_deletions(user_id=user_id)
        messages.success(
            request,
            "The deletions are applied within seconds; deleted meetings can be "
            "restored for 30 days.",
        )
    elif answer == "keep" and status.attention_kind == "mass_delete":
        attention_keep_meetings(user_id=user_id)
        messages.success(request, "Your meetings stay. Tandem re-reads your Google calendars.")
    elif answer == "resume" and status.attention_kind == "stopped":
        attention_resume(user_id=user_id)
        messages.success(request, "Sync resumes within seconds.")
    else:
        messages.error(request, "That answer does not fit what the sync is waiting for.")
    return _back(request)


@login_required
@require_POST
def google_sync_now(request: HttpRequest) -> HttpResponse:
    """Sync now on External services (routed under its Google row, tandem/sync/google_urls.py):
    unlike ``sync_now`` it sends the user to whichever Google step is still missing."""
    connection = google_services.connection_for(user=_user(request))
    if connection.status != GoogleConnection.Status.CONNECTED:
        messages.error(request, "Connect Google with calendar access first.")
        return redirect("external-services")
    if not google_services.settings_for(connection=connection).is_complete:
        messages.warning(request, "Save the synchronization settings first.")
        return redirect("google-settings")
    if request_sync(user_id=connection.user_id, trigger="manual"):
        messages.success(request, "A sync starts within seconds.")
    else:
        messages.info(request, "A sync is already queued; it starts within seconds.")
    return redirect("external-services")
