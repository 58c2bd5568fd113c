"""Template helpers for the calendar pages and the page header."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django import template
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from tandem.meetings.colours import DEFAULT_CLASS, Colours
from tandem.meetings.occurrences import Occurrence

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


PRIVATE_TIP = "Private: colleagues see only that this time is taken"


@register.simple_tag(takes_context=True)
def calendar_entry(
    context: template.Context,
    occurrence: Occurrence,
    show_end: bool = False,
    show_location: bool = False,
) -> SafeString:
    """One meeting's box on the month, week and list pages. Python rather than an included
    template: a month shows about 150 boxes, and an include per box was most of the month
    page's server time (bench/calendar_pages_bench.py). Every value is escaped by
    format_html; a colleague's box is a span (nothing to open), a private one carries a
    lock with its tooltip."""
    entry = occurrence.entry
    time_format = context["request"].preferences.time_format
    classes = ["entry"]
    classes += ["all-day"] if entry.all_day else []
    classes += ["busy"] if entry.is_busy_block else []
    private = entry.visibility in ("private", "confidential")
    classes += ["private"] if private else []
    classes += ["recurring"] if occurrence.is_recurring else []
    classes += ["read-only"] if entry.read_only else []
    colours: Colours | None = context.get("colours")
    classes.append(colours.of(entry.pk, entry.series_pk) if colours else DEFAULT_CLASS)
    title = f"{entry.subject} ({occurrence.note})" if occurrence.note else entry.subject
    parts = []
    if not entry.all_day:
        when = dateformat.format(timezone.localtime(entry.start), time_format)
        if show_end and entry.end != entry.start:  # a zero-length meeting: its moment
            when += "\u2013" + dateformat.format(timezone.localtime(entry.end), time_format)
        parts.append(format_html('<span class="entry-time">{}</span>', when))
    if private and not entry.is_busy_block:
        parts.append(
            format_html(
                '<span class="entry-lock" role="img" aria-label="Private" title="{}"></span>',
                PRIVATE_TIP,
            )
        )
    parts.append(format_html('<span class="entry-subject">{}</span>', entry.subject))
    if show_location and entry.location:
        parts.append(format_html('<span class="entry-location">· {}</span>', entry.location))
    if occurrence.is_recurring:
        parts.append(mark_safe('<span class="entry-flag" title="Repeats">↻</span>'))  # a constant
    if occurrence.note and show_location:
        parts.append(
            format_html('<span class="entry-location entry-note">· {}</span>', occurrence.note)
        )
    inner = format_html_join(" ", "{}", ((part,) for part in parts))  # each part is safe
    if context.get("is_own"):
        url = _detail_path(entry.pk)
        if occurrence.key:
            url += f"?occurrence={occurrence.key}"
        return format_html(
            '<a href="{}" class="{}" title="{}">{}</a>', url, " ".join(classes), title, inner
        )
    return format_html('<span class="{}" title="{}">{}</span>', " ".join(classes), title, inner)


def _detail_path(pk: int) -> str:
    return reverse("meeting-detail", args=[pk])
