"""Live calendar pages: a cheap "what changed" endpoint the calendar page polls every few
seconds (tandem/static/js/calendar.js), which then re-reads what it shows.

Polling rather than server-sent events: the product runs under any WSGI server (waitress,
one thread per open connection), where a connection held open per open calendar would use
up the threads; a poll costs two indexed one-row queries.
"""

from __future__ import annotations

import hashlib

from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

from tandem.meetings.calendar_feed import calendar_owner, meetings_fingerprint
from tandem.sync.models import UserSyncState

POLL_SECONDS = 4


def changes_fingerprint(*, owner: User, viewer: User, meetings: str | None = None) -> str:
    """Changes when anything the calendar page shows may have: the owner's meetings, and on
    the owner's own page the sync's state (the status line). ``meetings``: the meetings'
    part as the page read it before its meetings (``meetings_fingerprint``), so a change
    made while the page was drawn still differs from it."""
    parts = [meetings if meetings is not None else meetings_fingerprint(owner=owner)]
    if owner.pk == viewer.pk:
        state = (
            UserSyncState.objects.filter(owner=owner)
            .values_list("last_success_at", "needs_attention", "last_error", "locked_until")
            .first()
        )
        parts.append(repr(state))
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


@login_required
@require_GET
def calendar_changes(request: HttpRequest) -> JsonResponse:
    viewer: User = request.user  # type: ignore[assignment]
    fingerprint = changes_fingerprint(owner=calendar_owner(request), viewer=viewer)
    return JsonResponse({"fingerprint": fingerprint, "poll_seconds": POLL_SECONDS})
