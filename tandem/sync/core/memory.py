"""In-memory CRM side, Google side and link store: honest stand-ins for the property tests.

``MemoryGoogle`` behaves like Calendar API v3 where the engine can tell (google-calendar-api
.md §2.4-2.6): client ids in base32hex, 409 on a reused id (deleted ones too), etags that
change on every write, 412 on a stale If-Match, deletes that leave a cancelled event, PATCH
that merges objects and drops ``null`` keys, incremental listings by sync token, and 410 on
a dead token. Both sides take injected faults: a write that fails before it happens, or one
that happens and then reports failure.
"""

from __future__ import annotations

import copy
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, TypeAlias

from msgspec.structs import replace

from tandem.sync.core.fields import MeetingFields
from tandem.sync.core.identity import is_client_event_id
from tandem.sync.core.mapping import MalformedEvent, event_body_from_fields, fields_from_event
from tandem.sync.core.sides import (
    AlreadyExists,
    Event,
    NotFound,
    PreconditionFailed,
    SideError,
    SyncTokenInvalid,
)
from tandem.sync.core.state import CrmMeeting, Link

Fault: TypeAlias = Literal["before", "after"] | None


@dataclass(frozen=True)
class MemoryPage:
    """One page of a listing (the last one carries the sync token)."""

    items: list[Event]
    next_sync_token: str | None


class InjectedFault(SideError):
    """A write failure injected by a test."""


class Clock:
    """A clock that moves one second per reading, so edit order decides conflicts."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 1, 1, tzinfo=UTC)

    def now(self) -> datetime:
        self._now += timedelta(seconds=1)
        return self._now


class _Faulty:
    """Queues faults for the next writes: ``None`` lets one pass, "before" fails it,
    "after" applies it and then fails."""

    def __init__(self) -> None:
        self.faults: deque[Fault] = deque()
        self.writes = 0

    def inject(self, *faults: Fault) -> None:
        self.faults.extend(faults)

    def _next_fault(self) -> Fault:
        fault = self.faults.popleft() if self.faults else None
        if fault == "before":
            raise InjectedFault("write failed before it happened")
        return fault

    def _done(self, fault: Fault) -> None:
        self.writes += 1
        if fault == "after":
            raise InjectedFault("write happened but reported failure")


@dataclass
class _Row:
    fields: MeetingFields
    version: int
    changed_at: datetime
    deleted: bool = False
    read_only: bool = False
    import_key: str | None = None


class MemoryCrm(_Faulty):
    """The CRM side: meetings with versions and tombstones (ids from 1)."""

    def __init__(self, clock: Clock) -> None:
        super().__init__()
        self.clock = clock
        self.rows: dict[int, _Row] = {}
        self._next_id = 1

    # The CrmSide protocol.
    def list_meetings(self) -> list[CrmMeeting]:
        return [self._meeting(meeting_id) for meeting_id in self.rows]

    def create_meeting(
        self, *, fields: MeetingFields, import_key: str, read_only: bool
    ) -> CrmMeeting:
        fault = self._next_fault()
        for meeting_id, row in self.rows.items():
            if row.import_key == import_key:
                return self._meeting(meeting_id)  # Idempotent replay.
        meeting_id = self._add(fields, import_key=import_key, read_only=read_only)
        self._done(fault)
        return self._meeting(meeting_id)

    def update_meeting(
        self,
        *,
        meeting_id: int,
        fields: MeetingFields,
        expected_version: int | None,
        restore: bool,
        read_only: bool = False,
    ) -> CrmMeeting:
        row = self._row(meeting_id, expected_version)
        if row.deleted and not restore:
            raise PreconditionFailed(f"meeting {meeting_id} is deleted")
        fault = self._next_fault()
        self._change(row, fields=fields, deleted=False)
        row.read_only = row.read_only or read_only
        self._done(fault)
        return self._meeting(meeting_id)

    def delete_meeting(self, *, meeting_id: int, expected_version: int) -> CrmMeeting:
        if self._row(meeting_id, None).deleted:
            return self._meeting(meeting_id)  # deleted already (CrmSide.delete_meeting)
        row = self._row(meeting_id, expected_version)
        fault = self._next_fault()
        self._change(row, deleted=True)
        self._done(fault)
        return self._meeting(meeting_id)

    def forget_import(self, *, meeting_id: int) -> None:
        row = self.rows.get(meeting_id)
        if row is not None:
            row.import_key = None  # the import record goes; the meeting stays as it is

    # Occurrences changed alone in the CRM. MemoryCrm keeps no series: a row of one is a
    # meeting like any other here, and these act on it as the database does on such a row.
    def import_recorded(self, *, import_key: str) -> bool:
        return any(row.import_key == import_key for row in self.rows.values())

    def record_import(self, *, meeting_id: int, import_key: str) -> None:
        self._row(meeting_id, None).import_key = import_key

    def discard_occurrence_row(self, *, meeting_id: int) -> None:
        self._row(meeting_id, None)
        del self.rows[meeting_id]  # for good: no tombstone

    def detach_occurrence(self, *, meeting_id: int, expected_version: int | None) -> CrmMeeting:
        # A meeting of the CRM's own, its values and version kept (as the database's
        # service: not a change of its fields). MemoryCrm keeps no series to leave.
        row = self._row(meeting_id, expected_version)
        fault = self._next_fault()
        row.import_key = None
        self._done(fault)
        return self._meeting(meeting_id)

    def merge_occurrence_row(self, *, meeting_id: int, into: int, fields: MeetingFields) -> bool:
        other = self._row(into, None)
        self._row(meeting_id, None)
        del self.rows[meeting_id]
        if other.fields == fields:
            return False
        self._change(other, fields=fields)  # an edit made in the CRM: its version moves
        return True

    # What people do in the CRM.
    def user_create(self, fields: MeetingFields) -> int:
        return self._add(fields, import_key=None, read_only=False)

    def user_edit(self, meeting_id: int, fields: MeetingFields) -> None:
        self._change(self.rows[meeting_id], fields=fields)

    def user_delete(self, meeting_id: int) -> None:
        self._change(self.rows[meeting_id], deleted=True)

    def user_restore(self, meeting_id: int) -> None:
        self._change(self.rows[meeting_id], deleted=False)

    def alive(self) -> dict[int, MeetingFields]:
        return {mid: row.fields for mid, row in self.rows.items() if not row.deleted}

    def _add(self, fields: MeetingFields, *, import_key: str | None, read_only: bool) -> int:
        meeting_id, self._next_id = self._next_id, self._next_id + 1
        self.rows[meeting_id] = _Row(
            fields, 1, self.clock.now(), import_key=import_key, read_only=read_only
        )
        return meeting_id

    def _change(self, row: _Row, **changes: Any) -> None:
        for name, value in changes.items():
            setattr(row, name, value)
        row.version += 1
        row.changed_at = self.clock.now()

    def _row(self, meeting_id: int, expected_version: int | None) -> _Row:
        row = self.rows.get(meeting_id)
        if row is None:
            raise NotFound(f"meeting {meeting_id}")
        if expected_version is not None and row.version != expected_version:
            raise PreconditionFailed(f"meeting {meeting_id} is at version {row.version}")
        return row

    def _meeting(self, meeting_id: int) -> CrmMeeting:
        row = self.rows[meeting_id]
        return CrmMeeting(
            meeting_id=meeting_id,
            version=row.version,
            fields=row.fields,
            changed_at=row.changed_at,
            deleted=row.deleted,
            read_only=row.read_only,
            import_key=row.import_key,
        )


class MemoryGoogle(_Faulty):
    """One Google calendar (its events, etags and sync tokens). ``account``: the calendars
    of the same Google account by id, which this one joins (events move between them)."""

    def __init__(
        self,
        clock: Clock,
        *,
        calendar_id: str = "primary",
        zone: str = "UTC",
        page_size: int = 250,
        account: dict[str, MemoryGoogle] | None = None,
    ) -> None:
        super().__init__()
        self.account = {} if account is None else account
        self.account[calendar_id] = self
        self.page_size = page_size
        self.clock = clock
        self._calendar_id = calendar_id
        self.zone = zone
        self.events: dict[str, Event] = {}
        self._sequence: dict[str, int] = {}
        self._changes = 0
        self._next_server_id = 1
        self.dead_tokens = False

    @property
    def calendar_id(self) -> str:
        return self._calendar_id

    # The GoogleSide protocol.
    @property
    def default_zone(self) -> str:
        return self.zone

    def pages(self, *, sync_token: str | None) -> Iterator[MemoryPage]:
        """The listing in pages of ``page_size`` (a snapshot: the listing is read first)."""
        events, token = self._listing(sync_token)
        for start in range(0, max(len(events), 1), self.page_size):
            last = start + self.page_size >= len(events)
            yield MemoryPage(events[start : start + self.page_size], token if last else None)

    def _listing(self, sync_token: str | None) -> tuple[list[Event], str]:
        if sync_token is None:
            self.dead_tokens = False  # A full listing hands out a fresh, valid token.
            chosen = list(self.events)
        else:
            if self.dead_tokens or not sync_token.isdigit() or int(sync_token) > self._changes:
                raise SyncTokenInvalid("Sync token is no longer valid, a full sync is required.")
            chosen = [eid for eid, seq in self._sequence.items() if seq > int(sync_token)]
        return [copy.deepcopy(self.events[eid]) for eid in chosen], str(self._changes)

    def get_event(self, *, event_id: str) -> Event | None:
        event = self.events.get(event_id)
        return copy.deepcopy(event) if event is not None else None

    def insert_event(self, *, body: Event) -> Event:
        event_id = body.get("id")
        if not isinstance(event_id, str) or not is_client_event_id(event_id):
            raise SideError(f"400 invalid event id {event_id!r}")
        if event_id in self.events:
            raise AlreadyExists(f"409 {event_id} already exists")
        self._validate(body)
        fault = self._next_fault()
        self._store(event_id, copy.deepcopy(body) | {"status": "confirmed"})
        self._done(fault)
        return copy.deepcopy(self.events[event_id])

    def patch_event(self, *, event_id: str, patch: Event, etag: str) -> Event:
        current = self._current(event_id, etag, allow_cancelled=True)
        merged = _merge_patch(current, patch)
        if merged.get("status") != "cancelled":
            self._validate(merged)
        fault = self._next_fault()
        self._store(event_id, merged)
        self._done(fault)
        return copy.deepcopy(self.events[event_id])

    def delete_event(self, *, event_id: str, etag: str) -> None:
        current = self._current(event_id, etag, allow_cancelled=False)
        fault = self._next_fault()
        self._store(event_id, current | {"status": "cancelled"})
        self._done(fault)

    def move_event(self, *, event_id: str, destination: str) -> Event:
        """Like events.move (and the emulator's): the event goes to ``destination`` with its
        id, and this calendar keeps it cancelled."""
        target = self.account.get(destination)
        current = self.events.get(event_id)
        if target is None or current is None or current.get("status") == "cancelled":
            raise NotFound(f"404 {event_id} or calendar {destination}")
        if target is self:
            return copy.deepcopy(current)
        if target.events.get(event_id, {}).get("status", "cancelled") != "cancelled":
            raise AlreadyExists(f"409 {event_id} already exists in {destination}")
        fault = self._next_fault()
        target._store(event_id, copy.deepcopy(current))
        self._store(event_id, current | {"status": "cancelled"})
        self._done(fault)
        return copy.deepcopy(target.events[event_id])

    def instance(self, *, series_event_id: str, original_start: str) -> Event | None:
        """MemoryGoogle expands no rule: the instances it knows are those stored as events
        of their own (``recurringEventId``, ``originalStartTime``), which Google calls
        exceptions; any other is None."""
        for event in self.events.values():
            original = event.get("originalStartTime") or {}
            at = original.get("date") or original.get("dateTime")
            if event.get("recurringEventId") == series_event_id and _same_start(at, original_start):
                return copy.deepcopy(event)
        return None

    # What people do in Google Calendar.
    def user_create(self, fields: MeetingFields) -> str:
        event_id = f"u{self._next_server_id:05d}"
        self._next_server_id += 1
        body = event_body_from_fields(fields, meeting_marker=None)
        self._store(event_id, body | {"status": "confirmed"})
        return event_id

    def user_patch(self, event_id: str, patch: Event) -> None:
        self._store(event_id, _merge_patch(self.events[event_id], patch))

    def user_delete(self, event_id: str) -> None:
        self._store(event_id, self.events[event_id] | {"status": "cancelled"})

    def user_patch_instance(self, series_id: str, original_start: str, patch: Event) -> None:
        """Changes (``{"status": "cancelled"}``: cancels) the series' instance at
        ``original_start`` alone: Google keeps it as an exception, an event of its own with
        the series' iCalUID. The instance is taken to be one the rule makes."""
        found = self.instance(series_event_id=series_id, original_start=original_start)
        if found is None:
            series = self.events[series_id]
            bound = "date" if "date" in series["start"] else "dateTime"
            first, last = (_moment(series[key][bound]) for key in ("start", "end"))
            at = _moment(original_start)
            found = {
                key: value
                for key, value in series.items()
                if key not in ("id", "etag", "updated", "iCalUID", "recurrence")
            } | {
                "start": {**series["start"], bound: original_start},
                "end": {**series["end"], bound: _written(at + (last - first), bound)},
                "recurringEventId": series_id,
                "originalStartTime": {bound: original_start},
                "id": f"{series_id}_{at.strftime(_INSTANCE_SUFFIX[bound])}",
            }
        event_id = str(found["id"])
        self._store(event_id, _merge_patch(found, patch))
        self.events[event_id]["iCalUID"] = self.events[series_id]["iCalUID"]

    def alive(self) -> dict[str, Event]:
        return {eid: e for eid, e in self.events.items() if e.get("status") != "cancelled"}

    def _current(self, event_id: str, etag: str, *, allow_cancelled: bool) -> Event:
        current = self.events.get(event_id)
        if current is None:
            raise NotFound(f"404 {event_id}")
        if current.get("status") == "cancelled" and not allow_cancelled:
            raise NotFound(f"410 {event_id} has been deleted")
        if current["etag"] != etag:
            raise PreconditionFailed(f"412 {event_id}: etag {etag} is stale")
        return copy.deepcopy(current)

    def _validate(self, event: Event) -> None:
        try:
            fields_from_event(event, default_zone=self.zone)
        except MalformedEvent as error:
            raise SideError(f"400 {error.reason}") from error

    def _store(self, event_id: str, event: Event) -> None:
        self._changes += 1
        event = event | {
            "id": event_id,
            # Google's etags never repeat, also across calendars (an event moves with its
            # id between them).
            "etag": f'"{self._calendar_id}-{self._changes}"',
            "updated": self.clock.now().isoformat(),
            "iCalUID": f"{event_id}@google.com",
        }
        self.events[event_id] = event
        self._sequence[event_id] = self._changes


# How Google names an instance after its series (opaque to us; only this stand-in builds it).
_INSTANCE_SUFFIX = {"date": "%Y%m%d", "dateTime": "%Y%m%dT%H%M%SZ"}


def _moment(text: str) -> datetime:
    """A ``date`` or ``dateTime`` value as an instant (a day: its UTC midnight)."""
    return datetime.fromisoformat(text if "T" in text else f"{text}T00:00:00+00:00")


def _written(at: datetime, bound: str) -> str:
    return at.date().isoformat() if bound == "date" else at.astimezone(UTC).isoformat()


def _same_start(at: object, original_start: str) -> bool:
    """Whether an ``originalStartTime`` names ``original_start``: the same day, or the same
    instant however its offset is written."""
    if not isinstance(at, str):
        return False
    if "T" not in at or "T" not in original_start:
        return at == original_start
    return datetime.fromisoformat(at) == datetime.fromisoformat(original_start)


def _merge_patch(current: Event, patch: Event) -> Event:
    """PATCH semantics: objects merge, arrays are replaced, ``null`` removes a key."""
    merged = copy.deepcopy(current)
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge_patch(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


@dataclass
class MemoryLinks:
    """The link store: links by (calendar, meeting) and one sync token per calendar."""

    by_meeting: dict[tuple[str, int], Link] = field(default_factory=dict)
    tokens: dict[str, str | None] = field(default_factory=dict)

    def links(self, *, calendar_id: str) -> list[Link]:
        return [link for (cal, _), link in self.by_meeting.items() if cal == calendar_id]

    def linked_meeting_ids(self) -> set[int]:
        return {meeting_id for _, meeting_id in self.by_meeting}

    def save_link(self, link: Link, *, ical_uid: str | None = None) -> None:
        # No iCalUID kept: a Link has none, and the memory sides sync one calendar at a time.
        for key, other in list(self.by_meeting.items()):
            if other.calendar_id == link.calendar_id and other.event_id == link.event_id:
                del self.by_meeting[key]  # one meeting per event and calendar (sides.py)
        self.by_meeting[(link.calendar_id, link.meeting_id)] = replace(link)

    def meeting_of(self, *, calendar_id: str, event_id: str) -> int | None:
        return next(
            (
                meeting_id
                for (cal, meeting_id), link in self.by_meeting.items()
                if cal == calendar_id and link.event_id == event_id
            ),
            None,
        )

    def drop_link(self, *, calendar_id: str, meeting_id: int) -> None:
        self.by_meeting.pop((calendar_id, meeting_id), None)

    def move_link(self, *, calendar_id: str, meeting_id: int, destination: str) -> None:
        link = self.by_meeting.pop((calendar_id, meeting_id), None)
        if link is not None:
            self.save_link(replace(link, calendar_id=destination))

    def sync_token(self, *, calendar_id: str) -> str | None:
        return self.tokens.get(calendar_id)

    def save_sync_token(self, *, calendar_id: str, token: str | None) -> None:
        self.tokens[calendar_id] = token
