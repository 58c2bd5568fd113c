"""Which Google calendar a CRM meeting belongs in: its *home*.

One rule, followed by the planner's "new meeting" rows (``CrmMeeting.home``) and by its
settings-change row that moves the meetings we pushed to a new target:

- A series that "this and following events" cut from a series linked in a calendar the
  user syncs and can write belongs in that calendar. Google Calendar keeps both parts in
  the calendar of the series (Google's guide, "Modifying all following instances", has the
  client trim the series and insert the new one into the same calendar:
  https://developers.google.com/workspace/calendar/api/guides/recurringevents).
- It stays there when its first part is deleted (Google Calendar leaves the other part
  where it is): its own link's calendar then stands for its first part's.
- An occurrence row (changed or cancelled alone) belongs with its series: Google keeps an
  instance in its series' calendar and cannot move it alone.
- Every other CRM meeting belongs in the target calendar.

Either way the meeting is one the CRM pushed (origin "crm"): the rules for those apply to it
(a private one stays out of Google while private sync is off). When the calendar of its
first part is no longer synced or writable, its home is the target, and it moves there.
"""

from __future__ import annotations

from collections.abc import Collection


def home_calendar(
    *, parent_calendar_id: str | None, target_calendar_id: str, writable: Collection[str]
) -> str:
    """The calendar a CRM meeting belongs in. ``parent_calendar_id``: the calendar of the
    link of the series it was cut from, if it was cut from a linked one; ``writable``: the
    calendars synced now that the user can write."""
    if parent_calendar_id is not None and parent_calendar_id in writable:
        # Cut from a series of a calendar we may write: beside its first part.
        return parent_calendar_id
    # Anything else (a parent never pushed, gone, read-only or un-picked): the target.
    return target_calendar_id
