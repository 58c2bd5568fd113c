"""The sync status actions: Sync now, and the answers to "needs attention".

Thin views over tandem.sync.user_actions (which the API calls too): POST only (CSRF-checked
by the middleware), each acts on the signed-in user's own sync and nobody else's, then goes
back where the user was.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from tandem.sync.answered import answer_remember
from tandem.sync.user_actions import ActionResult, attention_answer, sync_now_request


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


def _tell(request: HttpRequest, result: ActionResult) -> None:
    getattr(messages, result.level)(request, result.message)


@login_required
@require_POST
def sync_now(request: HttpRequest) -> HttpResponse:
    _tell(request, sync_now_request(user=_user(request)))
    return _back(request)


@login_required
@require_POST
def attention_answer_view(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    result = attention_answer(user=user, answer=request.POST.get("answer", ""))
    if result.accepted:  # not asked again while the answer waits for its run
        answer_remember(request, user=user)
    _tell(request, result)
    return _back(request)


@login_required
@require_POST
def google_sync_now(request: HttpRequest) -> HttpResponse:
    """Sync now on External services (routed under its Google row, tandem/sync/google_urls.py):
    unlike ``sync_now`` it sends the user to whichever Google step is still missing."""
    result = sync_now_request(user=_user(request))
    _tell(request, result)
    if result.missing == "settings":
        return redirect("google-settings")
    return redirect("external-services")
