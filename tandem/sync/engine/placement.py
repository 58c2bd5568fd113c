"""The home calendar (core/placement.py) of the user's meetings, from the database: for a
series cut from another (``Meeting.split_from``), the calendar of that series' link."""

from __future__ import annotations

from collections.abc import Iterable

from tandem.meetings.models import Meeting
from tandem.sync.core.placement import home_calendar
from tandem.sync.engine.context import RunContext
from tandem.sync.models import EventLink


def homes_of(ctx: RunContext, meetings: Iterable[Meeting]) -> dict[int, str]:
    """By meeting id, the calendar each meeting belongs in. One query, only when one of
    them was cut from a series; looked up by meeting id (its index), the account checked
    here."""
    meetings = list(meetings)
    writable = ctx.writable_calendar_ids
    parent_ids = {meeting.split_from_id for meeting in meetings if meeting.split_from_id}
    parents: dict[int, str] = {}
    if parent_ids:
        for meeting_id, calendar_id, owner_id, google_sub in (
            EventLink.objects.filter(meeting_id__in=parent_ids)
            .order_by("calendar_id")
            .values_list("meeting_id", "calendar_id", "owner_id", "google_sub")
        ):
            if owner_id != ctx.user.pk or google_sub != ctx.google_sub:
                continue
            if meeting_id not in parents or calendar_id in writable:
                # The same event in two calendars (rare): one the user can write.
                parents[meeting_id] = calendar_id
    return {
        meeting.pk: home_calendar(
            parent_calendar_id=parents.get(meeting.split_from_id or 0),
            target_calendar_id=ctx.target_calendar_id,
            writable=writable,
        )
        for meeting in meetings
    }
