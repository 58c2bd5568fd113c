"""Template helpers for the calendar pages and the page header."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django import template
from django.contrib.auth.models import User

register = template.Library()


@register.inclusion_tag("meetings/_colleague_picker.html", takes_context=True)
def colleague_picker(context: dict[str, Any]) -> dict[str, Any]:
    """The header's "view a colleague's calendar" selector, on every page."""
    request = context["request"]
    colleagues = (
        User.objects.filter(is_active=True)
        .exclude(pk=request.user.pk)
        .order_by("username")
        .only("username", "first_name", "last_name")
    )
    owner = context.get("owner")
    return {
        "colleagues": colleagues,
        "selected": owner.get_username() if owner is not None else request.user.get_username(),
        "me": request.user,
    }


@register.filter
def day_before(day: date | None) -> date | None:
    """The inclusive last day of an all-day meeting from its exclusive end date."""
    return None if day is None else day - timedelta(days=1)
