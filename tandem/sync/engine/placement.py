"""The home calendar (core/placement.py) of the user's meetings, from the database: for a
series cut from another (``Meeting.split_from``), the calendar of that series' link; for an
occurrence row, its series' home (Google keeps an instance in its series' calendar, and
``events.move`` refuses an instance: it moves with its series)."""

from __future__ import annotations

from collections.abc import Collection, Iterable

from tandem.meetings.models import Meeting
from tandem.sync.core.placement import home_calendar
from tandem.sync.engine.context import RunContext
from tandem.sync.models import EventLink


def homes_of(ctx: RunContext, meetings: Iterable[Meeting]) -> dict[int, str]:
    """By meeting id, the calendar each meeting belongs in. Queries only when one of them is
    a cut series or an occurrence row (of its series, which may be one); looked up by
    meeting id (its index), the account checked here.

    A cut series whose first part was deleted since (in the CRM or in Google: a tombstone)
    stays in the calendar it was placed in, as in Google Calendar, where deleting one part of
    a series leaves the other where it is; one never placed goes to the target. The first
    part's link is not asked then, even while it is still there: a deletion in the CRM drops
    it during the outbound pass, and a home read from it before and worked out without it
    after would differ between two calendars' passes, each leaving the cut to the other."""
    meetings = list(meetings)
    writable = ctx.writable_calendar_ids
    # For each meeting, the series that decides its home: itself, or an occurrence row's
    # series; and the series that one was cut from.
    deciding = {meeting.pk: meeting.series_id or meeting.pk for meeting in meetings}
    cut_from = {meeting.pk: meeting.split_from_id for meeting in meetings}
    series_ids = {meeting.series_id for meeting in meetings if meeting.series_id}
    if series_ids:
        series_cut_from = dict(
            Meeting.objects.filter(owner=ctx.user, pk__in=series_ids).values_list(
                "pk", "split_from_id"
            )
        )
        cut_from.update({m.pk: series_cut_from.get(m.series_id) for m in meetings if m.series_id})
    cut = {pk for pk, parent in cut_from.items() if parent}
    if not cut:
        return dict.fromkeys(deciding, ctx.target_calendar_id)
    parents = {parent for parent in cut_from.values() if parent}
    linked = _link_calendars(ctx, parents | {deciding[pk] for pk in cut}, writable)
    # First parts deleted (a tombstone): their cut part stays where it was placed, or goes
    # to the target if it never was.
    deleted = set(
        Meeting.objects.filter(
            owner=ctx.user, pk__in=parents, deleted_at__isnull=False
        ).values_list("pk", flat=True)
    )
    homes: dict[int, str] = {}
    for pk in deciding:
        parent = cut_from[pk]
        calendar = None
        if parent:
            calendar = linked.get(deciding[pk] if parent in deleted else parent)
        homes[pk] = home_calendar(
            parent_calendar_id=calendar,
            target_calendar_id=ctx.target_calendar_id,
            writable=writable,
        )
    return homes


def _link_calendars(
    ctx: RunContext, meeting_ids: set[int], writable: Collection[str]
) -> dict[int, str]:
    """The calendar each of these meetings is linked in, for this Google account."""
    found: dict[int, str] = {}
    for meeting_id, calendar_id, owner_id, google_sub in (
        EventLink.objects.filter(meeting_id__in=meeting_ids)
        .order_by("calendar_id")
        .values_list("meeting_id", "calendar_id", "owner_id", "google_sub")
    ):
        if owner_id != ctx.user.pk or google_sub != ctx.google_sub:
            continue
        if meeting_id not in found or calendar_id in writable:
            # The same event in two calendars (rare): one the user can write.
            found[meeting_id] = calendar_id
    return found
