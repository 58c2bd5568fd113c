"""Reads of meetings. Every query is scoped to an owner; colleagues get a masked view."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import User
from django.db.models import F, Q
from django.http import Http404

from tandem.meetings.models import Meeting, MeetingQuerySet
from tandem.meetings.owner_bounds import OwnerBounds, owner_bounds

BUSY = "Busy"


def meetings_of(
    *,
    owner: User,
    start: datetime | None = None,
    end: datetime | None = None,
    bounds: OwnerBounds | None = None,
) -> MeetingQuerySet:
    """The owner's live meetings, optionally those intersecting [start, end). Not the rows
    that only hide a cancelled occurrence of a recurring meeting: they are not meetings.
    ``bounds``: the owner's, when the caller has read them already."""
    meetings = Meeting.objects.alive().filter(owner=owner, is_cancelled_occurrence=False)
    if start is not None:
        # A zero-length meeting (end == start) at the range's first moment is in it too.
        # The lower bound on start is implied (none is longer than the longest) and keeps
        # the index walk to the range (owner_bounds).
        longest = (bounds or owner_bounds(owner=owner)).longest
        meetings = meetings.filter(
            Q(end__gt=start) | Q(start__gte=start), start__gte=start - longest
        )
    if end is not None:
        meetings = meetings.filter(start__lt=end)
    return meetings


def meeting_of(*, owner: User, pk: int, include_deleted: bool = False) -> Meeting:
    """One of the owner's meetings, or 404: another user's meeting does not exist for you."""
    # A row that only hides a cancelled occurrence is not a meeting (see meetings_of).
    queryset = Meeting.objects.filter(owner=owner, is_cancelled_occurrence=False)
    if not include_deleted:
        queryset = queryset.alive()
    try:
        return queryset.get(pk=pk)
    except (Meeting.DoesNotExist, ValueError, TypeError):
        raise Http404("No such meeting.") from None


def deleted_meetings_of(*, owner: User) -> MeetingQuerySet:
    # Occurrences deleted with their series are restored with it: the series stands for them.
    return (
        Meeting.objects.tombstones()
        .filter(owner=owner)
        .exclude(series__deleted_at=F("deleted_at"))
        .order_by("-deleted_at")
    )


@dataclass(frozen=True)
class CalendarEntry:
    """What a viewer may see of a meeting: the owner sees everything; anyone else, admins
    included, sees a private or confidential meeting only as Busy."""

    pk: int
    subject: str
    start: datetime
    end: datetime
    all_day: bool
    location: str
    description: str
    visibility: str
    is_busy_block: bool
    read_only: bool
    editable: bool
    series_pk: int | None = None  # a changed occurrence's series (it may share its colour)


def calendar_entries(
    *, viewer: User, owner: User, start: datetime, end: datetime
) -> list[CalendarEntry]:
    return [
        calendar_entry(viewer=viewer, meeting=meeting)
        for meeting in meetings_of(owner=owner, start=start, end=end)
    ]


def calendar_entry(*, viewer: User, meeting: Meeting) -> CalendarEntry:
    """``meeting`` as ``viewer`` may see it (masked as Busy unless the viewer owns it)."""
    is_owner = viewer.pk == meeting.owner_id
    masked = not is_owner and meeting.is_private
    return CalendarEntry(
        pk=meeting.pk,
        subject=BUSY if masked else meeting.subject,
        start=meeting.start,
        end=meeting.end,
        all_day=meeting.all_day,
        location="" if masked else meeting.location,
        description="" if masked else meeting.description,
        visibility=meeting.visibility,
        is_busy_block=masked,
        read_only=meeting.read_only,
        editable=is_owner and not meeting.read_only,
        series_pk=meeting.series_id,
    )
