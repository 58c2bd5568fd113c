"""The sync status on other apps' pages: ``{% sync_status_line %}`` (compact, the calendar
page) and ``{% sync_status_panel %}`` (in full, the Google row of External services)."""

from __future__ import annotations

from typing import Any

from django import template

from tandem.sync.answered import is_answered
from tandem.sync.live import changes_fingerprint
from tandem.sync.selectors import SyncStatus, sync_is_set_up, sync_status_for

register = template.Library()


@register.simple_tag(takes_context=True)
def live_fingerprint(context: template.Context, owner: Any, meetings: str) -> str:
    """The live poll's fingerprint of what this page shows, as it was drawn: the page's
    script starts from it, so a change made before its first poll is still seen as one."""
    viewer = context["request"].user
    return changes_fingerprint(owner=owner, viewer=viewer, meetings=meetings)


@register.inclusion_tag("sync/_status_line.html", takes_context=True)
def sync_status_line(context: template.Context) -> dict[str, Any]:
    """The signed-in user's own sync only, and only once there is a sync to show."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not sync_is_set_up(user_id=user.pk):
        return {"status": None, "request": request}
    status = sync_status_for(user=user, runs=1, conflicts=0)
    return _with_state(context, request, user, status)


@register.inclusion_tag("sync/_status.html", takes_context=True)
def sync_status_panel(context: template.Context) -> dict[str, Any]:
    """The signed-in user's own sync: last and next run, recent runs and conflicts, and
    what waits for the user's answer."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"status": None, "request": request}
    return _with_state(context, request, user, sync_status_for(user=user))


def _with_state(
    context: template.Context, request: Any, user: Any, status: SyncStatus
) -> dict[str, Any]:
    """One state, one message: ``state`` is what the status says first, and the templates
    show the next sync, the last error and the question only where that state allows.

    - "reconnect": Google refuses the connection. Nothing syncs, so no "next sync" and no
      error lines; the one place to act is the Reconnect button (or the banner).
    - "question": a run waits for the user's answer (the question and its buttons).
    - "answered": the user answered; the answer's run follows within seconds.
    - "running", "error", "ok", "not_yet": the sync's own health.
    """
    google = context.get("google")  # External services' Google row, where it is drawn
    broken = google is not None and (google.needs_reconnect or google.scope_missing)
    if context.get("google_needs_reconnect") or broken:
        state = "reconnect"
    elif status.needs_attention:
        state = "answered" if is_answered(request, user=user) else "question"
    elif status.running:
        state = "running"
    elif status.last_error:
        state = "error"
    else:
        state = "ok" if status.last_success_at else "not_yet"
    return {"status": status, "state": state, "request": request}
