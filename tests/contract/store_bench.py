"""The bench the store contracts (inbound_store.py, outbound_store.py, settings_store.py)
run on: the stores of the one driver (``tandem.sync.core.stores``) for a calendar, over a CRM
side and a link store, and what a person does in the CRM around them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from tandem.sync.core.fields import MeetingFields, TimedMoment
from tandem.sync.core.identity import import_key_of
from tandem.sync.core.pairing import Listed
from tandem.sync.core.sides import CrmSide, Event, LinkStore
from tandem.sync.core.state import CrmMeeting, GoogleEvent, Link
from tandem.sync.core.stores import InboundStore, OutboundStore, SettingsStore
from tests.contract.values import in_window, timed

CAL = "dana@example.com"
OTHER_CAL = "team-calendar@group.calendar.google.com"
WEEK = timedelta(days=7)


class StoreBench(Protocol):
    """Fresh stores for one user's calendar, over that user's CRM side and link store."""

    @property
    def crm(self) -> CrmSide: ...

    @property
    def links(self) -> LinkStore: ...

    @property
    def namespace(self) -> str:
        """The namespace the stores give event ids and markers (core/identity.py)."""
        ...

    @property
    def window_start(self) -> datetime: ...

    @property
    def refusals(self) -> tuple[type[BaseException], ...]:
        """What a store raises when it refuses a whole page (none: it never does)."""
        ...

    def inbound(self, calendar_id: str = CAL) -> InboundStore:
        """A new store, as a new run makes it (it knows only what was saved)."""
        ...

    def outbound(self, calendar_id: str = CAL, *, target: bool = True) -> OutboundStore: ...

    def settings(self, *, synced: set[str], target: str) -> SettingsStore:
        """A new settings store of the user's account: ``synced``, the calendars the user
        syncs now (picked, and the ``target``)."""
        ...

    def person_creates(self, fields: MeetingFields, *, read_only: bool = False) -> int:
        """A meeting made in the CRM (no import record); ``read_only``: one the user may not
        change (as its calendar's meetings are, with their import records gone)."""
        ...

    def this_runs_inbound_pass_begins(self) -> None:
        """What is written from now on is written by this run's inbound pass (a store whose
        outbound look leaves those rows to the next run learns when the pass began)."""
        ...

    def person_edits(self, meeting_id: int, fields: MeetingFields) -> None: ...

    def person_deletes(self, meeting_id: int) -> None: ...

    def person_restores(self, meeting_id: int) -> None: ...

    def person_changes_occurrence(self, series_id: int, n: int, fields: MeetingFields) -> int:
        """The person changes occurrence ``n`` (0: the first) of their weekly meeting alone
        to ``fields``: the id of that occurrence's row."""
        ...

    def person_cancels_occurrence(self, series_id: int, n: int) -> int:
        """The person cancels occurrence ``n`` alone: the id of the row that hides it."""
        ...

    def held(self) -> list[int]:
        """The meetings the stores' ``hold`` put in the user's question, in order."""
        ...

    def conflicts(self) -> list[int]:
        """The meetings whose conflicts the stores recorded (one entry per conflict)."""
        ...


def fields_of(bench: StoreBench, subject: str = "Kick-off") -> MeetingFields:
    return timed(in_window(bench.window_start), subject=subject)


def imported(bench: StoreBench, event_id: str, *, calendar_id: str = CAL) -> CrmMeeting:
    """A meeting the sync made from an event (with its import record), not linked."""
    return bench.crm.create_meeting(
        fields=fields_of(bench, f"Imported {event_id}"),
        import_key=import_key_of(calendar_id, event_id),
        read_only=False,
    )


def meeting(bench: StoreBench, meeting_id: int) -> CrmMeeting:
    found = [m for m in bench.crm.list_meetings() if m.meeting_id == meeting_id]
    assert len(found) == 1, f"meeting {meeting_id} listed {len(found)} times"
    return found[0]


def link_to(
    bench: StoreBench,
    meeting_id: int,
    event_id: str,
    *,
    calendar_id: str = CAL,
    leaving: bool = False,
    origin: str = "google",
) -> Link:
    """The meeting linked to the event, agreeing with it (the link has its version)."""
    now = meeting(bench, meeting_id)
    link = Link(
        calendar_id=calendar_id,
        meeting_id=meeting_id,
        event_id=event_id,
        base=now.fields,
        etag='"1"',
        crm_version=now.version,
        origin="crm" if origin == "crm" else "google",
        leaving=leaving,
    )
    bench.links.save_link(link)
    return link


def listed(
    event_id: str,
    fields: MeetingFields | None = None,
    *,
    etag: str = '"5"',
    marker: int | None = None,
    ical_uid: str | None = None,
    cancelled: bool = False,
    event_type: str = "default",
) -> Listed:
    """An event as a listing brings it (its JSON holds what the stores read of it)."""
    event = GoogleEvent(
        event_id,
        etag,
        None if cancelled else fields,
        cancelled=cancelled,
        marker_meeting_id=marker,
        event_type=event_type,
    )
    raw: Event = {"id": event_id, "etag": etag, "iCalUID": ical_uid or f"{event_id}@google.com"}
    if cancelled:
        raw["status"] = "cancelled"
    return Listed(event, raw)


def ids(meetings: Sequence[CrmMeeting]) -> set[int]:
    return {m.meeting_id for m in meetings}


def weekly(bench: StoreBench, count: int = 4) -> MeetingFields:
    """A meeting every week, ``count`` times, starting about a day from now."""
    return timed(
        in_window(bench.window_start),
        subject="Weekly",
        recurrence=(f"RRULE:FREQ=WEEKLY;COUNT={count}",),
    )


def occurrence_start(series: MeetingFields, n: int) -> datetime:
    """Where occurrence ``n`` of a weekly series starts: ``n`` weeks on, on the wall clock
    of its zone."""
    assert isinstance(series.start, TimedMoment)
    zone = ZoneInfo(series.start.zone)
    return (series.start.at.astimezone(zone) + n * WEEK).astimezone(UTC)
