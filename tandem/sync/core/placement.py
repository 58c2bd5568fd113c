"""Which Google calendar a CRM meeting never pushed goes to, and as whose event.

One rule, used by the planner's "new meeting" rows (``CrmMeeting.home``) and by the outbound
pass that looks for such meetings in each calendar:

- A series that "this and following events" cut from a series linked in a calendar the
  user syncs and can write goes to that calendar, and continues the event it was cut from:
  its link takes the first part's origin. Google Calendar keeps both parts in the calendar
  of the series (Google's guide, "Modifying all following instances", has the client
  trim the series and insert the new one into the same calendar:
  https://developers.google.com/workspace/calendar/api/guides/recurringevents). So the
  second half of a series imported from Google stays the user's own Google event: not
  moved to a new target, not removed from Google when it is private (those rows are for
  meetings the CRM pushed).
- Every other CRM meeting goes to the target calendar, as ours.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from tandem.sync.core.merge import Side


@dataclass(frozen=True)
class Home:
    """The calendar a new meeting is inserted into and the origin its link takes."""

    calendar_id: str
    origin: Side


@dataclass(frozen=True)
class ParentSeries:
    """The series a meeting was cut from, as its link says: its calendar and its origin."""

    calendar_id: str
    origin: Side


def home_of_new_meeting(
    *, parent: ParentSeries | None, target_calendar_id: str, writable: Collection[str]
) -> Home:
    """The home of a CRM meeting never pushed. ``parent``: the series it was cut from, when
    that series is linked; ``writable``: the calendars synced now that the user can write."""
    if parent is not None and parent.calendar_id in writable:
        # Cut from a series of a calendar we may write: beside its first part, as its kin.
        return Home(parent.calendar_id, parent.origin)
    # Anything else (a parent never pushed, gone, read-only or un-picked): the target.
    return Home(target_calendar_id, "crm")
