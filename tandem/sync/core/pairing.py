"""One page of a listing paired and planned: each listed event with its link and its CRM
meeting, and the plan the planner's table gives it.

Every driver pairs through ``plan_page``: the database engine (tandem/sync/engine/inbound.py)
and the in-memory ``sync_once`` (core/driver.py) that the property tests and the state
machine run. What the stores know of the page's events comes in a ``PageLookup``, which
each store fills its own way (the database in a fixed number of queries per page,
tandem/sync/adapters/page_lookup.py; the memory sides from their dicts); what to do with
each event is decided here and in planner.py only.

Pairing, in order (docs/sync-rules.md, "Pairing"):
- the link of this calendar that holds the event;
- else the meeting imported from it (import record) or named by our marker, unless that
  meeting is another user's (someone else connected to the same Google account pushed the
  event: for this user it is like anyone else's) or held by a link already (our event
  copied, in this calendar or another: the copy is not its pair but a new event);
- else, an event with no marker whose id is the one we give a meeting's event
  (core/identity.py): our insert went through, its link was never saved, and another client
  dropped the marker since;
- a copy of an event linked in another of the user's calendars (same iCalUID) is planned
  as an event never seen (the planner's rule);
- an occurrence changed or cancelled alone takes its slot in its CRM series
  (``plan_occurrence``), with the CRM's own row at that slot when the CRM changed it too.
A new plain event (no link, no record, no marker) is a ``NewMeeting`` of the page's bulk
create; an occurrence whose series is not in the CRM yet waits for the end of the listing.
"""

from __future__ import annotations

from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import msgspec
from msgspec.structs import replace

from tandem.sync.core.actions import (
    CreateInCrm,
    CreateOccurrence,
    HideOccurrence,
    ItemPlan,
    SaveLink,
    WaitForSeries,
)
from tandem.sync.core.event_extras import extras_json, extras_of, worth_keeping
from tandem.sync.core.fields import MeetingFields, Moment
from tandem.sync.core.identity import import_key_of
from tandem.sync.core.occurrence_slots import crm_moment, crm_original, hiding_fields, slot_fields
from tandem.sync.core.planner import plan_item, plan_occurrence
from tandem.sync.core.sides import Event
from tandem.sync.core.state import (
    CrmMeeting,
    GoogleEvent,
    Link,
    SeriesInCrm,
    SlotRow,
    SyncSettings,
)


class Listed(msgspec.Struct, frozen=True):
    """A listed event as the engine read it, with its JSON (iCalUID, what lies beyond the
    six fields)."""

    event: GoogleEvent
    raw: Event


class SeriesRow(msgspec.Struct, frozen=True):
    """The CRM meeting of a recurring event's series, linked in this calendar: ``zone``
    is its row's time zone (an all-day occurrence's slot is midnight there), ``agreed``
    its start when last agreed with Google (its link's base), ``listed`` its start in
    Google as this listing returned it (None while the listing has not shown the series)."""

    meeting: CrmMeeting
    zone: str
    agreed: Moment | None = None
    listed: Moment | None = None

    @property
    def named_on(self) -> Moment | None:
        """The series' start that Google names its occurrences' original starts on: the
        series as Google has it now. Google's exceptions follow their series when it moves
        (docs/sync-rules.md, "a series moved as a whole keeps its exceptions"), so an
        occurrence listed with a series Google moved is named on the moved series, not on
        the one last agreed."""
        return self.listed if self.listed is not None else self.agreed

    @property
    def moved_in_google(self) -> bool:
        """Google moved the series since the last agreement, as this listing shows."""
        return self.listed is not None and self.agreed is not None and self.listed != self.agreed


@dataclass
class PageLookup:
    """What the stores know of one page's events, looked up for the whole page at once."""

    links: dict[str, Link] = field(default_factory=dict)  # this calendar's, by event id
    imports: dict[str, int] = field(default_factory=dict)  # import key → meeting id
    # iCalUIDs of the page linked in another of the user's calendars (same account).
    linked_elsewhere: set[str] = field(default_factory=set)
    series: dict[str, SeriesRow] = field(default_factory=dict)  # by the series' event id
    # The user's meetings the page names (by link, import record or marker).
    meetings: dict[int, CrmMeeting] = field(default_factory=dict)
    # Meeting ids our marker names that belong to another user.
    others: set[int] = field(default_factory=set)
    # Of the meetings paired by import record or marker, those a link holds already.
    already_linked: set[int] = field(default_factory=set)
    # Event ids of the page that are the ids we give meetings' events, when no link, no
    # import record and no marker names them: by event id (core/identity.py).
    ours: dict[str, int] = field(default_factory=dict)
    # The CRM's own rows at the slots of the page's occurrences that Google does not know
    # yet (no link, no import record), by (series meeting id, original start).
    slot_rows: dict[tuple[int, datetime], CrmMeeting] = field(default_factory=dict)
    # The slots of the page's cancelled occurrences that their CRM series no longer has
    # (its rule was cut or shortened since), by (series meeting id, original start).
    slots_gone: set[tuple[int, datetime]] = field(default_factory=set)


class NewMeeting(msgspec.Struct, frozen=True):
    """A meeting to create from an event, with its link when ``link_base`` is set. For an
    occurrence of a recurring meeting, ``series_id`` and ``original_start`` place it in its
    series (a changed occurrence, or a cancelled one that only hides its slot)."""

    event: GoogleEvent
    ical_uid: str
    fields: MeetingFields
    read_only: bool
    link_base: MeetingFields | None
    link_origin: str
    series_id: int | None = None
    original_start: datetime | None = None
    cancelled_occurrence: bool = False
    replaces: int | None = None  # the row that hid this occurrence until Google restored it
    relinks: bool = False  # the event already has a link (to a meeting that is gone)
    extras: dict[str, Any] = msgspec.field(default_factory=dict)  # the link's (google_extras)


class PairedItem(msgspec.Struct, frozen=True):
    """A listed event, what it was paired with, and its plan."""

    event: GoogleEvent
    raw: Event
    link: Link | None
    crm: CrmMeeting | None
    plan: ItemPlan


@dataclass
class PagePlan:
    items: list[PairedItem] = field(default_factory=list)
    fresh: list[NewMeeting] = field(default_factory=list)  # the page's bulk create
    waiting: list[Event] = field(default_factory=list)  # occurrences before their series


def google_extras(raw: Event) -> dict[str, Any]:
    """What the event shows beyond the six fields, as its link stores it (read-only)."""
    return extras_json(extras_of(raw)) if raw and worth_keeping(raw) else {}


def new_meeting(event: GoogleEvent, raw: Event, plan: ItemPlan, create: CreateInCrm) -> NewMeeting:
    """The bulk create's row for a plan's ``CreateInCrm``, with the link its ``SaveLink``
    asks for (none without one)."""
    link = next((a for a in plan.actions if isinstance(a, SaveLink)), None)
    return NewMeeting(
        event,
        str(raw.get("iCalUID", "")),
        create.fields,
        create.read_only,
        link.base if link else None,
        link.origin if link else "",
        replaces=create.replaces,
        extras=google_extras(raw),
    )


def plan_page(
    listed: Sequence[Listed],
    lookup: PageLookup,
    *,
    settings: SyncSettings,
    calendar_id: str,
    final: bool = False,
    gone: AbstractSet[str] = frozenset(),
) -> PagePlan:
    """Pairs and plans every event of a page (see the module's docstring). ``final``: the
    whole listing has been read (occurrences no longer wait for their series). ``gone``:
    event ids of the listing's events whose plans delete their meetings in the CRM (a
    series among them is deleted in Google, and the CRM lets it go)."""
    page = PagePlan()
    for entry in listed:
        event, raw = entry.event, entry.raw
        link = lookup.links.get(event.event_id)
        meeting: CrmMeeting | None = None
        if link is not None:
            meeting = lookup.meetings.get(link.meeting_id)
            if _edited_under_cancelled_instance(event, link, meeting):
                assert event.occurrence is not None
                if not final:
                    # Whether its whole series goes is known once every plan of the
                    # listing is (a listing's order is unspecified): it waits until then.
                    page.waiting.append(raw)
                    continue
                event = replace(event, series_gone=event.occurrence.series_event_id in gone)
        else:
            if event.marker_meeting_id in lookup.others:
                event = replace(event, marker_meeting_id=None)
            meeting_id = (
                lookup.imports.get(import_key_of(calendar_id, event.event_id))
                or event.marker_meeting_id
                or lookup.ours.get(event.event_id)
            )
            if raw.get("iCalUID") in lookup.linked_elsewhere:
                event = replace(event, linked_elsewhere=True)
                meeting_id = None  # planned as an event never seen: the planner's rule
            elif event.occurrence is not None and event.problem is None:
                holder = lookup.meetings.get(meeting_id) if meeting_id else None
                hidden = holder is not None and holder.hides_occurrence
                if meeting_id is None or event.cancelled or hidden:
                    # Its place in its series: the planner's occurrence rows.
                    _occurrence(page, event, raw, lookup, meeting_id, hidden, settings, final)
                    continue
            if meeting_id is None:
                # No link, no import record, no marker of ours: the planner's rules for an
                # event never seen (new, cancelled, out of the window, a copy linked in
                # another calendar, not an inbound calendar).
                plan = plan_item(
                    link=None, crm=None, google=event, settings=settings, listing_complete=False
                )
                create = plan.actions[0] if plan.actions else None
                if isinstance(create, CreateInCrm):
                    # Straight into the page's bulk create (a first import has 10,000).
                    page.fresh.append(new_meeting(event, raw, plan, create))
                elif plan.actions:
                    page.items.append(PairedItem(event, raw, None, None, plan))
                continue
            meeting = lookup.meetings.get(meeting_id)
            if meeting is not None and meeting.meeting_id in lookup.already_linked:
                # A copy of our event (a duplicate made in Google keeps our marker): not
                # this meeting's pair, but someone's new event, planned as one.
                meeting = None
                event = replace(event, marker_meeting_id=None)
        plan = plan_item(
            link=link, crm=meeting, google=event, settings=settings, listing_complete=False
        )
        page.items.append(PairedItem(event, raw, link, meeting, plan))
    return page


def _edited_under_cancelled_instance(
    event: GoogleEvent, link: Link, meeting: CrmMeeting | None
) -> bool:
    """A linked occurrence row the CRM changed since the last agreement, whose instance
    Google lists cancelled: alone (the edit restores it) or with its whole series."""
    return (
        event.cancelled
        and event.occurrence is not None
        and meeting is not None
        and not meeting.deleted
        and meeting.fields != link.base
    )


def _occurrence(
    page: PagePlan,
    event: GoogleEvent,
    raw: Event,
    lookup: PageLookup,
    held_by: int | None,
    hidden: bool,
    settings: SyncSettings,
    final: bool,
) -> None:
    """A changed or cancelled occurrence no link holds, planned by ``plan_occurrence``: its
    CRM rows go to the page's bulk create. Changed in the CRM too (a row of the CRM's at its
    slot), the plan is an item of the page like any pair."""
    occurrence = event.occurrence
    assert occurrence is not None
    found = lookup.series.get(occurrence.series_event_id)
    series = found if found is not None and found.meeting.fields.recurrence else None
    original: datetime | None = None
    crm_row: SlotRow | None = None
    if series is not None:
        fields = series.meeting.fields
        original = crm_original(
            occurrence.original_start, fields, zone=series.zone, named_on=series.named_on
        )
        row = lookup.slot_rows.get((series.meeting.meeting_id, original))
        if row is not None and held_by is None:
            base = slot_fields(fields, occurrence.original_start)
            crm_row = SlotRow(row, hides=row.hides_occurrence, base=base)
    plan = plan_occurrence(
        google=event,
        series=(
            SeriesInCrm(series.meeting.meeting_id, series.meeting.read_only, series.meeting.deleted)
            if series
            else None
        ),
        held_by=held_by,
        hidden=hidden,
        settings=settings,
        final=final,
        crm_row=crm_row,
        in_series=series is None or (series.meeting.meeting_id, original) not in lookup.slots_gone,
        series_moved=series is not None and series.moved_in_google,
    )
    if crm_row is not None and not any(isinstance(a, CreateOccurrence) for a in plan.actions):
        if plan.actions:
            page.items.append(PairedItem(event, raw, None, crm_row.meeting, plan))
        return
    ical_uid = str(raw.get("iCalUID", ""))
    for action in plan.actions:
        match action:
            case WaitForSeries():
                page.waiting.append(raw)
            case CreateInCrm():
                page.fresh.append(
                    NewMeeting(
                        event,
                        ical_uid,
                        action.fields,
                        action.read_only,
                        action.fields,
                        "google",
                        replaces=action.replaces,
                        extras=google_extras(raw),
                    )
                )
            case CreateOccurrence():
                assert series is not None
                page.fresh.append(
                    NewMeeting(
                        event,
                        ical_uid,
                        action.fields,
                        action.read_only,
                        action.fields,
                        "google",
                        series_id=action.series_id,
                        original_start=original,
                        replaces=action.replaces,
                        extras=google_extras(raw),
                    )
                )
            case HideOccurrence():
                assert series is not None and original is not None
                moment = crm_moment(
                    occurrence.original_start,
                    series.meeting.fields,
                    zone=series.zone,
                    named_on=series.named_on,
                )
                hiding = hiding_fields(series.meeting.fields, moment)
                if hiding is not None:
                    page.fresh.append(
                        NewMeeting(
                            event,
                            ical_uid,
                            hiding,
                            action.read_only,
                            None,
                            "",
                            series_id=action.series_id,
                            original_start=original,
                            cancelled_occurrence=True,
                        )
                    )
