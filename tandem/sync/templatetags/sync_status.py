"""The sync status on other apps' pages: ``{% sync_status_line %}`` (compact, the calendar
page) and ``{% sync_status_panel %}`` (in full, the Google row of External services)."""

from __future__ import annotations

from typing import Any

from django import template

from tandem.sync.selectors import sync_is_set_up, sync_status_for

register = template.Library()


@register.inclusion_tag("sync/_status_line.html", takes_context=True)
def sync_status_line(context: template.Context) -> dict[str, Any]:
    """The signed-in user's own sync only, and only once there is a sync to show."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not sync_is_set_up(user_id=user.pk):
        return {"status": None, "request": request}
    return {"status": sync_status_for(user=user, runs=1, conflicts=0), "request": request}


@register.inclusion_tag("sync/_status.html", takes_context=True)
def sync_status_panel(context: template.Context) -> dict[str, Any]:
    """The signed-in user's own sync: last and next run, recent runs and conflicts, and
    what waits for the user's answer."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"status": None, "request": request}
    return {"status": sync_status_for(user=user), "request": request}
