"""The interfaces the driver sees both sides and the link store through, and their errors.

Three implementations each: in memory (``memory.py``, for the property tests), the
database (the CRM adapter and the link store, Django), and Google (httpx client). The
adapters stay thin: the Google side moves raw event JSON, the core does all mapping.

Errors adapters raise for one item::

    SideError              a write or read failed; the run records it and retries next time
    ├── AlreadyExists      insert of an id that exists, also deleted ones (Google 409)
    ├── PreconditionFailed stale etag (Google 412) or stale meeting version (CRM)
    ├── NotFound           no such event/meeting (Google 404, or 410 "deleted")
    ├── Refused            the calendar refuses this write for this item (Google 400, or a
    │                      403 that is neither a rate limit nor missing access): the item
    │                      stops, the others go on
    └── SyncTokenInvalid   the stored sync token is dead (Google 410 fullSyncRequired)

A failure that concerns the whole account rather than one item (Google's transient errors,
rate limits, a lost connection, withdrawn access) is no SideError: the Google adapter lets
it propagate, the run ends, and the task retries with backoff (``tandem.sync.retry``). The
in-memory side has no such failures; its injected faults are SideErrors. Anything else is
a bug and propagates.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Protocol

from tandem.sync.core.fields import MeetingFields
from tandem.sync.core.state import CrmMeeting, Link

Event = dict[str, Any]


class SideError(Exception):
    """A call to one side failed; nothing is assumed about whether it took effect."""


class AlreadyExists(SideError):
    pass


class PreconditionFailed(SideError):
    pass


class NotFound(SideError):
    pass


class Refused(SideError):
    pass


class SyncTokenInvalid(SideError):
    pass


class EventPage(Protocol):
    """One page of ``events.list``: the last page of a listing carries its sync token."""

    @property
    def items(self) -> Sequence[Event]: ...

    @property
    def next_sync_token(self) -> str | None: ...


class CrmSide(Protocol):
    def list_meetings(self) -> Iterable[CrmMeeting]:
        """The user's meetings in the window, alive and tombstones, linked ones whatever
        their dates."""
        ...

    def create_meeting(
        self, *, fields: MeetingFields, import_key: str, read_only: bool
    ) -> CrmMeeting:
        """Creates a meeting from Google. Idempotent: a second call with the same
        ``import_key`` ("<calendar id>/<event id>") returns the meeting the first made."""
        ...

    def update_meeting(
        self,
        *,
        meeting_id: int,
        fields: MeetingFields,
        expected_version: int | None,
        restore: bool,
        read_only: bool = False,
    ) -> CrmMeeting:
        """Sets ``fields`` (origin "sync"); ``restore`` also undeletes a tombstone;
        ``read_only`` also makes the meeting read-only. Raises PreconditionFailed if the
        version is no longer ``expected_version``, NotFound."""
        ...

    def delete_meeting(self, *, meeting_id: int, expected_version: int) -> CrmMeeting:
        """Makes the meeting a tombstone; same errors as ``update_meeting``. A tombstone
        already (say its series' deletion took it along, earlier in the same pass) is left
        as it is, whatever ``expected_version``: what the deletion wanted holds."""
        ...

    def forget_import(self, *, meeting_id: int) -> None:
        """The meeting is no longer an import (its calendar was un-picked): it lists with no
        ``import_key`` from now on, and a ``create_meeting`` with its old key makes a new
        meeting."""
        ...

    # Occurrences changed or cancelled alone in the CRM (planner.plan_occurrence_out).

    def import_recorded(self, *, import_key: str) -> bool:
        """Whether a meeting stands for the event of ``import_key`` already (an import
        record of it exists)."""
        ...

    def record_import(self, *, meeting_id: int, import_key: str) -> None:
        """The meeting stands for the event of ``import_key`` from now on (an occurrence
        row whose instance the sync cancelled: the next listing finds the cancelled
        instance known); it lists with that ``import_key``."""
        ...

    def discard_occurrence_row(self, *, meeting_id: int) -> None:
        """Removes, for good, a row that stood for one occurrence of a series (another row
        holds it, or the series no longer has it): no tombstone, not a deletion of the
        user's meeting. NotFound."""
        ...

    def detach_occurrence(self, *, meeting_id: int, expected_version: int | None) -> CrmMeeting:
        """The occurrence row becomes a meeting of its own, the CRM's, with its values: no
        series, no original start, no import record (its series was deleted in Google, and
        the CRM changed it). Not a change of its fields: its version stays, and the
        outbound pass finds it by the CRM's change that keeps it. Errors as
        ``update_meeting`` (``expected_version`` None: whatever its version)."""
        ...

    def merge_occurrence_row(self, *, meeting_id: int, into: int, fields: MeetingFields) -> bool:
        """One row per occurrence: ``fields`` go onto the meeting ``into`` where they
        differ, as an edit made in the CRM (so the outbound look pushes them to its
        event), and the row ``meeting_id`` goes as ``discard_occurrence_row`` removes it;
        all or none. True when ``into`` changed. NotFound."""
        ...


class GoogleSide(Protocol):
    """One Google calendar. Writes send ``sendUpdates=none``; etags go in ``If-Match``."""

    @property
    def calendar_id(self) -> str: ...

    @property
    def default_zone(self) -> str:
        """The calendar's ``timeZone``, for date-times given without one."""
        ...

    def pages(self, *, sync_token: str | None) -> Iterator[EventPage]:
        """``events.list`` page by page: full (``showDeleted``, ``timeMin`` = window start)
        without a token, incremental with one; raises SyncTokenInvalid on 410."""
        ...

    def get_event(self, *, event_id: str) -> Event | None:
        """The event, cancelled ones included; None on 404."""
        ...

    def insert_event(self, *, body: Event) -> Event:
        """``events.insert`` of ``body`` (which holds our ``id``); AlreadyExists on 409."""
        ...

    def patch_event(self, *, event_id: str, patch: Event, etag: str) -> Event:
        """``events.patch`` with If-Match; PreconditionFailed on 412, NotFound on 404."""
        ...

    def delete_event(self, *, event_id: str, etag: str) -> None:
        """``events.delete`` with If-Match; NotFound on 404/410 (the driver reads that as
        "already gone"), PreconditionFailed on 412."""
        ...

    def move_event(self, *, event_id: str, destination: str) -> Event:
        """``events.move`` of the event to the calendar ``destination``; returns the event
        there (same id, new etag); this calendar keeps it cancelled. NotFound on 404/410
        (also an event already cancelled), Refused when Google will not move it (an
        instance of a series, a special event type, no write access), AlreadyExists when the
        destination holds a live event of that id."""
        ...

    def instance(self, *, series_event_id: str, original_start: str) -> Event | None:
        """The instance the recurring event ``series_event_id`` has at ``original_start``
        (``originalStart`` as Google writes it: a date, or an RFC 3339 time), cancelled
        ones included; None when the series has none there or is unknown. Instance ids
        are opaque (Google warns not to build them), so they are looked up
        (events.instances)."""
        ...


class LinkStore(Protocol):
    def links(self, *, calendar_id: str) -> Iterable[Link]: ...

    def linked_meeting_ids(self) -> set[int]:
        """Meetings linked to an event in *any* of the user's calendars."""
        ...

    def save_link(self, link: Link, *, ical_uid: str | None = None) -> None:
        """Creates or replaces the link of (``link.calendar_id``, ``link.meeting_id``). An
        event stands for one meeting in a calendar: a link the event had to another meeting
        goes (the database's unique key; the planner never asks for it). ``ical_uid``: the
        event's iCalUID, kept for finding the same event in another calendar (None keeps
        what the store has)."""
        ...

    def meeting_of(self, *, calendar_id: str, event_id: str) -> int | None:
        """The meeting linked to the event in that calendar, if any."""
        ...

    def drop_link(self, *, calendar_id: str, meeting_id: int) -> None: ...

    def move_link(self, *, calendar_id: str, meeting_id: int, destination: str) -> None:
        """The link of (``calendar_id``, ``meeting_id``) follows its event to the calendar
        ``destination`` (events.move): same event, agreement, version and etag. Not the
        moved event's etag: the event may carry an edit made in Google since the agreement,
        which the destination's next listing must bring (a link at the new etag would read
        it as "unchanged" and lose the edit)."""
        ...

    def sync_token(self, *, calendar_id: str) -> str | None: ...

    def save_sync_token(self, *, calendar_id: str, token: str | None) -> None: ...
