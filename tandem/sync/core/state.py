"""What the planner sees of one item: the link (last agreement), the CRM meeting, the event.

Adapters build ``CrmMeeting`` from a Meeting row and the driver builds ``GoogleEvent`` from
listed JSON (``GoogleEvent.from_reading``); ``Link`` is what the link store keeps.
"""

from __future__ import annotations

from datetime import datetime

import msgspec

from tandem.sync.core.event_types import is_read_only
from tandem.sync.core.fields import MeetingFields
from tandem.sync.core.identity import meeting_id_from_marker
from tandem.sync.core.mapping import EventReading, OccurrenceOf
from tandem.sync.core.merge import Side


class Link(msgspec.Struct, frozen=True):
    """The last agreed state of a (meeting, event) pair in one calendar.

    ``base`` is the fields both sides had then; ``etag`` Google's etag of that agreement;
    ``crm_version`` the meeting's version then (kept for diagnostics: change detection
    compares fields, since an idempotent replay may return a meeting edited since);
    ``origin`` the side the item was born on ("crm": pushed by us, "google": imported).
    ``leaving``: we started removing the event from Google (a private meeting while private
    sync is off), so a cancelled event then is our own doing, never a user's deletion.
    ``event_type``: Google's ``eventType`` as last listed (core/event_types.py). A link is
    saved only for an event the sides agree on, never a cancelled one: an event Google
    cancelled since shows at the next write as a 412 (its etag moved), and the re-read
    plans it as cancelled.
    """

    calendar_id: str
    meeting_id: int
    event_id: str
    base: MeetingFields
    etag: str
    crm_version: int
    origin: Side
    leaving: bool = False
    event_type: str = "default"


class CrmMeeting(msgspec.Struct, frozen=True):
    """A meeting as the CRM side lists it; ``deleted`` marks a tombstone (fields kept).

    ``import_key`` is the key ``create_meeting`` got ("<calendar id>/<event id>") for a
    meeting imported from Google, None for one created in the CRM: it pairs a meeting with
    its event when the create went through but its link was never saved.
    """

    meeting_id: int
    version: int
    fields: MeetingFields
    changed_at: datetime | None = None
    deleted: bool = False
    read_only: bool = False
    import_key: str | None = None
    # An occurrence row of a series the CRM pushed that is private: while private sync is
    # off the series is out of Google, its instances with it (none of them is deleted).
    in_series_out_of_google: bool = False
    # A row that only hides a cancelled occurrence of its series (Meeting
    # .is_cancelled_occurrence): the slot is empty, no meeting of its own.
    hides_occurrence: bool = False
    # The calendar it belongs in (core/placement.py), when the caller worked it out; None:
    # the target.
    home: str | None = None
    # A series' occurrence rows changed alone in the CRM and never pushed (no link, no
    # import record, not a row that only hides its slot): looked up when Google lists the
    # series cancelled, so that its deletion can leave them as meetings of their own.
    changed_rows: tuple[int, ...] = ()


class GoogleEvent(msgspec.Struct, frozen=True):
    """A listed event. ``fields`` is None when cancelled or malformed (``problem`` says
    why); ``marker_meeting_id`` is the meeting named by *our* marker, if it carries one."""

    event_id: str
    etag: str
    fields: MeetingFields | None
    cancelled: bool = False
    updated: datetime | None = None
    marker_meeting_id: int | None = None
    problem: str | None = None
    occurrence: OccurrenceOf | None = None  # set on a changed or cancelled occurrence
    # The same event (same iCalUID) is linked in another of the user's calendars already.
    linked_elsewhere: bool = False
    event_type: str = "default"  # Google's eventType: what the CRM may do with it
    # A cancelled occurrence whose whole series Google deleted, and the CRM lets it go (the
    # listing's plan of the series deletes it in the CRM): set by the pairing at the end of
    # the listing, when every plan of a series is known.
    series_gone: bool = False

    @property
    def read_only_type(self) -> bool:
        """A type Google keeps to itself: a read-only meeting (core/event_types.py)."""
        return is_read_only(self.event_type)

    @classmethod
    def from_reading(cls, reading: EventReading, *, namespace: str) -> GoogleEvent:
        return cls(
            event_id=reading.event_id,
            etag=reading.etag,
            fields=reading.fields,
            cancelled=reading.cancelled,
            updated=reading.updated,
            marker_meeting_id=meeting_id_from_marker(namespace, reading.marker),
            occurrence=reading.occurrence,
            event_type=reading.event_type,
        )

    @classmethod
    def malformed(cls, *, event_id: str, etag: str, problem: str) -> GoogleEvent:
        return cls(event_id=event_id, etag=etag, fields=None, problem=problem)


class SyncSettings(msgspec.Struct, frozen=True):
    """The user's choices for one Google calendar.

    ``is_target``: CRM-created meetings are inserted here. ``is_inbound``: the user picked
    the calendar to flow into the CRM (a target that is not inbound only holds our events;
    other people's events there are not imported). ``read_only``: the user cannot write
    this calendar (reader/freeBusyReader), so nothing is ever written to it and its events
    are read-only meetings. ``window_start``: now - 30 days; older items are left alone, on
    either side, and their absence from a listing is not a deletion. ``calendar_id``: which
    calendar this is (a meeting whose ``home`` is another calendar is not inserted here).
    """

    private_sync: bool = False
    is_target: bool = True
    read_only: bool = False
    window_start: datetime | None = None
    is_inbound: bool = True
    calendar_id: str = ""


class SeriesInCrm(msgspec.Struct, frozen=True):
    """The CRM meeting of a recurring event's series, as an occurrence's plan needs it
    (``deleted``: a tombstone, deleted in the CRM since the last sync)."""

    meeting_id: int
    read_only: bool
    deleted: bool = False


class SlotRow(msgspec.Struct, frozen=True):
    """The CRM's own row at an occurrence's slot that Google does not know yet: changed
    (or, ``hides``, cancelled) alone in the CRM since the last sync, no link, no import
    record. ``base``: the series' values at that slot, what both sides started from."""

    meeting: CrmMeeting
    hides: bool
    base: MeetingFields | None


class OccurrenceRow(msgspec.Struct, frozen=True):
    """An occurrence changed or cancelled alone in the CRM that Google has not had yet (a
    row of its series, no link, no import record), with what the store knows of it for
    ``plan_occurrence_out``. ``hides``: the row only hides a cancelled occurrence;
    ``series_event_id``, ``series_origin``: its series' event in this calendar and the
    origin of that link; ``in_series``: the CRM's series still has an occurrence at the
    row's original start; ``as_in_series``: the row holds exactly what its series has at
    that slot; ``original_start``: that slot as Google writes ``originalStart`` (the day of
    an all-day series, else the UTC time), by which its instance is looked up."""

    row: CrmMeeting
    hides: bool
    series_event_id: str
    series_origin: Side
    in_series: bool
    as_in_series: bool
    original_start: str
