"""Google → CRM for one calendar, streamed page by page.

Each page is read, paired with links and meetings in a fixed number of queries, planned by
the core, and its CRM writes are committed in one transaction; the last page's transaction
also holds the deletions (after the mass-delete breaker) and the new sync token, so a token
is never saved before the changes it follows. Writes to Google are never made here: a plan
that needs one leaves the link describing what Google has, and the outbound pass, which
re-plans every meeting changed since its last agreement, makes the write.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from tandem.bulk import rows_insert
from tandem.meetings.models import Meeting
from tandem.meetings.series_exceptions import wall_shift
from tandem.meetings.services import (
    NEW_MEETING_VERSION,
    ImportedRow,
    hiding_rows_delete,
    meetings_import_bulk,
)
from tandem.sync.adapters.crm import DjangoCrm, crm_meeting
from tandem.sync.adapters.google import GoogleCalendarSide
from tandem.sync.adapters.links import DjangoLinks, link_from_row
from tandem.sync.adapters.occurrence_slots import cancelled_occurrence_fields, series_slot_fields
from tandem.sync.adapters.serialize import fields_from_json, fields_to_json
from tandem.sync.core.actions import (
    SIDE_WRITES,
    CreateInCrm,
    CreateOccurrence,
    DeleteInCrm,
    DeleteInGoogle,
    DropLink,
    HideOccurrence,
    InsertInGoogle,
    ItemPlan,
    PatchGoogle,
    RecordConflict,
    RecordProblem,
    SaveLink,
    UpdateCrm,
    WaitForSeries,
)
from tandem.sync.core.apply import Applier, Fetcher, SyncReport, item_error
from tandem.sync.core.breaker import breaker_check
from tandem.sync.core.event_extras import extras_json, extras_of, worth_keeping
from tandem.sync.core.fields import (
    MeetingFields,
    Moment,
    TimedMoment,
    meeting_values_from_fields,
)
from tandem.sync.core.mapping import MalformedEvent, OccurrenceOf, read_event
from tandem.sync.core.planner import plan_item, plan_occurrence
from tandem.sync.core.sides import SideError, SyncTokenInvalid
from tandem.sync.core.state import CrmMeeting, GoogleEvent, Link, SeriesInCrm, SlotRow
from tandem.sync.engine.context import (
    HELD_SHOWN,
    CalendarPlan,
    HeldDeletion,
    RunContext,
)
from tandem.sync.engine.prefetch import pages_ahead
from tandem.sync.engine.records import conflict_rows
from tandem.sync.models import CalendarSyncState, EventLink, ImportedMeeting, SyncConflict

logger = logging.getLogger(__name__)

GOOGLE_WRITES = (InsertInGoogle, PatchGoogle, DeleteInGoogle)


@dataclass
class Item:
    event: GoogleEvent
    raw: dict[str, Any]
    link_row: EventLink | None
    link: Link | None
    crm: CrmMeeting | None
    plan: ItemPlan


@dataclass(frozen=True, slots=True)
class NewMeeting:
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
    extras: dict[str, Any] = field(default_factory=dict)  # the link's (google_extras)


def _new_meeting(
    event: GoogleEvent, raw: dict[str, Any], plan: ItemPlan, create: CreateInCrm
) -> NewMeeting:
    """The bulk insert's row for a plan's ``CreateInCrm``, with the link its ``SaveLink``
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


def google_extras(raw: dict[str, Any]) -> dict[str, Any]:
    """What the event shows beyond the six fields, as its link stores it (read-only)."""
    return extras_json(extras_of(raw)) if raw and worth_keeping(raw) else {}


def _original_at(occurrence: OccurrenceOf, series: Meeting) -> datetime:
    """The occurrence's original start as the Meeting model keeps it (all-day: midnight in
    the series' zone)."""
    original = occurrence.original_start
    if isinstance(original, TimedMoment):
        return original.at
    return _original_at_day(original, series)


def _original_at_day(day: date, series: Meeting) -> datetime:
    return datetime.combine(day, time.min, tzinfo=ZoneInfo(series.time_zone))


@dataclass(frozen=True)
class GoogleWork:
    """What is left of an item's plan once its CRM writes are committed: the Google writes
    and the link, with the meeting as those writes left it."""

    plan: ItemPlan
    link: Link | None
    crm: CrmMeeting
    event: GoogleEvent


@dataclass
class PendingDelete:
    meeting_id: int
    version: int
    link_id: int | None


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pauses Python's cyclic garbage collector while one page is planned and written.

    A page makes tens of thousands of short-lived containers (decoded JSON, fields, rows),
    and every few hundred of them start a collection that walks the young objects again
    and again, and now and then everything the process holds (Django included): a fifth
    of an import's CPU time. Reference counting still frees them as usual; the collector
    resumes after the page (once, over what is left), so memory stays flat."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class InboundPass:
    def __init__(self, ctx: RunContext, calendar: CalendarPlan, default_zone: str) -> None:
        self.ctx = ctx
        self.calendar = calendar
        self.settings = ctx.core_settings(calendar)
        self.default_zone = default_zone
        self.crm = DjangoCrm(
            user=ctx.user, all_day_zone=ctx.all_day_zone, window_start=ctx.window_start
        )
        self.side = GoogleCalendarSide(
            client=ctx.client,
            calendar_id=calendar.calendar_id,
            time_min=ctx.window_start.isoformat(timespec="seconds"),
            default_zone=default_zone,
        )
        self.state, _ = CalendarSyncState.objects.get_or_create(
            owner=ctx.user, google_sub=ctx.google_sub, calendar_id=calendar.calendar_id
        )
        self.state.access_role = calendar.access_role
        # The start each series of the page had when last agreed with Google (_crm_original).
        self.agreed_starts: dict[int, Moment] = {}
        self.tripped = False
        self.clean = True
        self.pairs_possible = True  # see _pairs_exist
        # Occurrences listed before their series (a listing's order is unspecified): they
        # are placed once the whole listing has been read (see _listing).
        self.deferred: list[dict[str, Any]] = []
        self.page_now = timezone.now()
        self.google_work: list[GoogleWork] = []
        self.report = SyncReport()
        self.applier = Applier(
            self.crm,
            self.side,
            DjangoLinks(user=ctx.user, google_sub=ctx.google_sub),
            self.settings,
            ctx.namespace,
            Fetcher(self.side, ctx.namespace, default_zone),
            self.report,
        )

    # -- listing ----------------------------------------------------------------------------

    def run(self) -> None:
        token = self.state.sync_token or None
        try:
            self._listing(token)
        except SyncTokenInvalid:
            # 410: the token is dead; a full re-list reconciles by event id (never deletes
            # anything by itself: absences go through the breaker like any deletion).
            self.ctx.counts["full_resyncs"] += 1
            self._listing(None)

    def _listing(self, token: str | None) -> None:
        full = token is None
        seen: set[str] = set()
        pending: list[PendingDelete] = []
        listed = 0
        self.clean = True  # no item of this listing failed (see _fail)
        self.pairs_possible = self._pairs_exist()
        self.deferred = []
        # The next page is fetched while this one is written (prefetch.py).
        for page in pages_ahead(self.side.pages(sync_token=token)):
            self.ctx.keep_alive()  # a long listing keeps the user's lease
            with collector_paused():  # see collector_paused
                listed += len(page.items)
                items, fresh = self._plan_page(page.items, seen=seen)
                seen.update(item.event.event_id for item in items)
                seen.update(new.event.event_id for new in fresh)
                if page.next_sync_token is None:
                    with transaction.atomic():
                        self._apply_page(items, pending, fresh)
                    self.apply_google_work()
                    continue
                # The last page: its changes, the deletions and the token in one transaction.
                # Without links when the listing began, every link has been seen: none is absent.
                absent = self._absent_items(seen) if full and self.pairs_possible else []
                with transaction.atomic():
                    self._apply_page(items + absent, pending, fresh)
                    if self.deferred:
                        # Every series of this listing is in the CRM now.
                        late, late_fresh = self._plan_page(self.deferred, seen=seen, final=True)
                        self._apply_page(late, pending, late_fresh)
                    verdict = breaker_check(
                        deletes=len(pending),
                        synced=self._synced,
                        listing_complete=full,
                        listed=listed,
                        allow=self.ctx.allow_mass_delete,
                        deleted_in="google",
                    )
                    if verdict.tripped:
                        self.tripped = True
                        self.ctx.hold(verdict.reason, self._held(pending))
                        self.google_work = []  # a held run writes nothing to Google
                        return
                    self._apply_deletes(pending)
                    if self.clean:
                        self.state.sync_token = page.next_sync_token
                        if full:
                            self.state.full_sync_completed_at = timezone.now()
                    self.state.last_listed_at = timezone.now()
                    self.state.save()
                self.apply_google_work()

    def _synced(self) -> int:
        """How many meetings are linked to this calendar (asked by the breaker only when
        its verdict depends on it)."""
        return EventLink.objects.filter(
            owner=self.ctx.user,
            google_sub=self.ctx.google_sub,
            calendar_id=self.calendar.calendar_id,
        ).count()

    def _fail(self, message: str) -> None:
        """One item failed: the run reports it, and this listing's sync token is not saved
        (the next listing brings the item again)."""
        self.ctx.errors.append(message)
        self.clean = False

    def _problem(self, action: RecordProblem) -> None:
        """A problem the planner records: one that holds the token back fails the item (the
        next listing brings it again); any other is a warning of this run, said once."""
        message = f"Event {action.event_id}: {action.message}"
        if action.holds_token:
            self._fail(message)
        else:
            self.ctx.warnings.append(message)

    # -- planning ---------------------------------------------------------------------------

    def _read(self, raw: dict[str, Any]) -> GoogleEvent | None:
        try:
            reading = read_event(raw, default_zone=self.default_zone)
        except MalformedEvent as error:
            if error.event_id is None:
                self._fail(f"An event without an id was skipped: {error.reason}")
                return None
            return GoogleEvent.malformed(
                event_id=error.event_id, etag=str(raw.get("etag", "")), problem=error.reason
            )
        if reading.warnings:
            self.ctx.counts["text_changed"] += 1
            self.ctx.warnings.extend(
                f"Event {reading.event_id}: {warning}" for warning in reading.warnings
            )
        return GoogleEvent.from_reading(reading, namespace=self.ctx.namespace)

    def _pairs_exist(self) -> bool:
        """Whether this calendar has links or import records a listed event could pair with.

        Not on a first import: its pages then skip the link and import-record lookups, which
        could only come back empty (this pass is the only writer of both for this calendar,
        and one listing never holds an event twice). A false positive (LIKE may ignore case)
        only costs the lookups."""
        cal = self.calendar.calendar_id
        return (
            EventLink.objects.filter(
                owner=self.ctx.user, google_sub=self.ctx.google_sub, calendar_id=cal
            ).exists()
            or ImportedMeeting.objects.filter(
                owner=self.ctx.user, import_key__startswith=f"{cal}/"
            ).exists()
        )

    def _plan_page(
        self, raws: Sequence[dict[str, Any]], *, seen: set[str], final: bool = False
    ) -> tuple[list[Item], list[NewMeeting]]:
        """The page's items planned by the core, and its new occurrences of recurring
        meetings (planned here). Unless ``final``, a new occurrence whose series is not in
        the CRM yet waits in ``deferred``. ``seen``: event ids of the listing's earlier pages.
        """
        read: dict[str, tuple[GoogleEvent, dict[str, Any]]] = {}
        for raw in raws:
            event = self._read(raw)
            if event is not None:
                # Should a page hold an event twice, the later copy is the newer one.
                read[event.event_id] = (event, raw)
        events = list(read.values())
        if self.deferred and not final:
            # An occurrence waiting for its series that comes again (changed while we page):
            # the newer copy replaces the one that waits.
            self.deferred = [raw for raw in self.deferred if raw.get("id") not in read]
        cal = self.calendar.calendar_id
        link_rows: dict[str, EventLink] = {}
        imports: dict[str, int] = {}
        # Google's pages are no snapshot: an event changed while we page comes again on a
        # later page, by then linked to the meeting an earlier page made (the last copy
        # then merges in like any change). Such a page must look its links up.
        lookups = self.pairs_possible or not seen.isdisjoint(read)
        if lookups:
            link_rows = {
                row.event_id: row
                for row in EventLink.objects.filter(
                    owner=self.ctx.user,
                    google_sub=self.ctx.google_sub,
                    calendar_id=cal,
                    event_id__in=[event.event_id for event, _ in events],
                )
            }
        unlinked = [(event, raw) for event, raw in events if event.event_id not in link_rows]
        if lookups:
            imports = dict(
                ImportedMeeting.objects.filter(
                    owner=self.ctx.user,
                    import_key__in=[f"{cal}/{event.event_id}" for event, _ in unlinked],
                ).values_list("import_key", "meeting_id")
            )
        ical_uids = {str(raw.get("iCalUID")) for _, raw in unlinked if raw.get("iCalUID")}
        elsewhere = set(
            EventLink.objects.filter(
                owner=self.ctx.user, google_sub=self.ctx.google_sub, ical_uid__in=ical_uids
            )
            .exclude(calendar_id=cal)
            .values_list("ical_uid", flat=True)
        )
        series_links: dict[str, int] = {}
        self.agreed_starts = {}
        series_event_ids = {e.occurrence.series_event_id for e, _ in unlinked if e.occurrence}
        if series_event_ids:
            for series_event_id, series_id, base in EventLink.objects.filter(
                owner=self.ctx.user,
                google_sub=self.ctx.google_sub,
                calendar_id=cal,
                event_id__in=series_event_ids,
            ).values_list("event_id", "meeting_id", "base"):
                series_links[series_event_id] = series_id
                self.agreed_starts[series_id] = fields_from_json(base).start
        meeting_ids = {row.meeting_id for row in link_rows.values()} | set(imports.values())
        meeting_ids |= set(series_links.values())
        meeting_ids |= {e.marker_meeting_id for e, _ in unlinked if e.marker_meeting_id}
        meetings = {
            m.pk: m for m in Meeting.objects.filter(owner=self.ctx.user, pk__in=meeting_ids)
        }
        others = self._others_meetings(
            {e.marker_meeting_id for e, _ in unlinked if e.marker_meeting_id} - meetings.keys()
        )
        import_keys = {meeting_id: key for key, meeting_id in imports.items()}
        if meeting_ids - import_keys.keys():
            import_keys |= {
                mid: key
                for mid, key in ImportedMeeting.objects.filter(
                    owner=self.ctx.user, meeting_id__in=meeting_ids - import_keys.keys()
                ).values_list("meeting_id", "import_key")
            }

        slot_rows = self._slot_rows(unlinked, series_links, meetings)
        items: list[Item] = []
        fresh: list[NewMeeting] = []
        for event, raw in events:
            row = link_rows.get(event.event_id)
            link = link_from_row(row) if row else None
            meeting: Meeting | None = None
            if row is not None:
                meeting = meetings.get(row.meeting_id)
            else:
                if event.marker_meeting_id in others:
                    event = replace(event, marker_meeting_id=None)
                meeting_id = imports.get(f"{cal}/{event.event_id}") or event.marker_meeting_id
                if raw.get("iCalUID") in elsewhere:
                    event = replace(event, linked_elsewhere=True)
                    meeting_id = None  # planned as an event never seen: the planner's rule
                elif event.occurrence is not None and event.problem is None:
                    holder = meetings.get(meeting_id) if meeting_id else None
                    hidden = holder is not None and holder.is_cancelled_occurrence
                    if meeting_id is None or event.cancelled or hidden:
                        # Its place in its series: the planner's occurrence rows.
                        series = meetings.get(series_links.get(event.occurrence.series_event_id, 0))
                        both = self._occurrence(
                            event, raw, series, meeting_id, hidden, fresh, final, slot_rows
                        )
                        if both is not None:
                            items.append(both)
                        continue
                if meeting_id is None:
                    # No link, no import record, no marker of ours: the planner's rules for
                    # an event never seen (new, cancelled, out of the window, a copy linked
                    # in another calendar, not an inbound calendar); a CreateInCrm becomes a
                    # bulk insert.
                    plan = plan_item(
                        link=None,
                        crm=None,
                        google=event,
                        settings=self.settings,
                        listing_complete=False,
                    )
                    create = plan.actions[0] if plan.actions else None
                    if isinstance(create, CreateInCrm):
                        # "new event": straight into the page's bulk insert (no item to walk
                        # through _apply_page: a first import has 10,000 of these).
                        fresh.append(_new_meeting(event, raw, plan, create))
                    elif plan.actions:
                        items.append(Item(event, raw, None, None, None, plan))
                    continue
                meeting = meetings.get(meeting_id) if meeting_id else None
                if meeting is not None and meeting.event_links.exclude(calendar_id=cal).exists():
                    meeting = None  # Our event copied into another calendar: not this pair.
            crm = crm_meeting(meeting, import_key=import_keys.get(meeting.pk)) if meeting else None
            plan = plan_item(
                link=link, crm=crm, google=event, settings=self.settings, listing_complete=False
            )
            items.append(Item(event, raw, row, link, crm, plan))
        return items, fresh

    def _others_meetings(self, meeting_ids: set[int]) -> set[int]:
        """Of these meeting ids named by our marker but not among the user's meetings, those
        of another user: someone else connected to the same Google account pushed the event.
        For this user such an event is like anyone else's (imported, never taken for "our
        event whose meeting is gone"). One query, and only when a marker names no meeting
        of the user's."""
        if not meeting_ids:
            return set()
        return set(
            Meeting.objects.filter(pk__in=meeting_ids)
            .exclude(owner=self.ctx.user)
            .values_list("pk", flat=True)
        )

    def _crm_original(self, occurrence: OccurrenceOf, series: Meeting) -> datetime:
        """The occurrence's original start in the CRM's series. Google names it on the
        series as last agreed; a series the CRM moved since (not synced yet) has its
        occurrences, changed ones included, moved on the wall clock of its zone (as
        meetings.services does to its rows, and Google to its exceptions, when a series
        moves), so the occurrence takes its own slot there, not a slot the series left."""
        original = _original_at(occurrence, series)
        agreed = self.agreed_starts.get(series.pk)
        if agreed is None:
            return original
        # An all-day series' first day, as the model keeps it (_original_at): whole days.
        old = agreed.at if isinstance(agreed, TimedMoment) else _original_at_day(agreed, series)
        if old == series.start:
            return original
        return wall_shift(original, ZoneInfo(series.time_zone), old=old, new=series.start)

    def _crm_moment(self, occurrence: OccurrenceOf, series: Meeting) -> Moment:
        """``_crm_original`` as the fields of an occurrence read it."""
        at = self._crm_original(occurrence, series)
        if series.all_day:
            return at.astimezone(ZoneInfo(series.time_zone)).date()
        return TimedMoment(at, series.time_zone)

    def _slot_rows(
        self,
        unlinked: list[tuple[GoogleEvent, dict[str, Any]]],
        series_links: dict[str, int],
        meetings: dict[int, Meeting],
    ) -> dict[tuple[int, datetime], Meeting]:
        """The CRM's own rows at the slots of this page's occurrences that Google does not
        know yet (no link, no import record): occurrences changed or cancelled alone in the
        CRM since the last sync, which Google changed too. Looked up only when the page
        lists occurrences of series the CRM has (rows by series and original start, then
        their links and import records by meeting id)."""
        slots: set[tuple[int, datetime]] = set()
        for event, _ in unlinked:
            if event.occurrence is None or event.problem is not None:
                continue
            series = meetings.get(series_links.get(event.occurrence.series_event_id, 0))
            if series is not None and series.recurrence:
                slots.add((series.pk, self._crm_original(event.occurrence, series)))
        if not slots:
            return {}
        rows = [
            row
            for row in Meeting.objects.filter(
                owner=self.ctx.user,
                series_id__in={series_id for series_id, _ in slots},
                original_start__in={original for _, original in slots},
                deleted_at__isnull=True,
            )
            if (row.series_id, row.original_start) in slots
        ]
        ids = [row.pk for row in rows]
        known = set(
            EventLink.objects.filter(owner=self.ctx.user, meeting_id__in=ids).values_list(
                "meeting_id", flat=True
            )
        ) | set(
            ImportedMeeting.objects.filter(owner=self.ctx.user, meeting_id__in=ids).values_list(
                "meeting_id", flat=True
            )
        )
        return {
            (row.series_id, row.original_start): row  # type: ignore[misc]
            for row in rows
            if row.pk not in known
        }

    def _occurrence(
        self,
        event: GoogleEvent,
        raw: dict[str, Any],
        series: Meeting | None,
        held_by: int | None,
        hidden: bool,
        fresh: list[NewMeeting],
        final: bool,
        slot_rows: dict[tuple[int, datetime], Meeting],
    ) -> Item | None:
        """A changed or cancelled occurrence no link holds, planned by ``plan_occurrence``:
        its CRM rows are made in bulk with the page's new meetings. Changed in the CRM too
        (a row of the CRM's at its slot), the plan is an item of the page like any pair."""
        assert event.occurrence is not None
        if series is not None and not series.recurrence:
            series = None  # no longer recurring: not a series to take the occurrence
        crm_row: SlotRow | None = None
        if series is not None and held_by is None:
            row = slot_rows.get((series.pk, self._crm_original(event.occurrence, series)))
            if row is not None:
                crm_row = SlotRow(
                    crm_meeting(row, import_key=None),
                    hides=row.is_cancelled_occurrence,
                    base=series_slot_fields(series, event.occurrence.original_start),
                )
        plan = plan_occurrence(
            google=event,
            series=(
                SeriesInCrm(series.pk, series.read_only, deleted=series.deleted_at is not None)
                if series
                else None
            ),
            held_by=held_by,
            hidden=hidden,
            settings=self.settings,
            final=final,
            crm_row=crm_row,
        )
        if crm_row is not None and not any(isinstance(a, CreateOccurrence) for a in plan.actions):
            return Item(event, raw, None, None, crm_row.meeting, plan) if plan.actions else None
        ical_uid = str(raw.get("iCalUID", ""))
        for action in plan.actions:
            match action:
                case WaitForSeries():
                    self.deferred.append(raw)
                case CreateInCrm():
                    fresh.append(
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
                    fresh.append(
                        NewMeeting(
                            event,
                            ical_uid,
                            action.fields,
                            action.read_only,
                            action.fields,
                            "google",
                            series_id=action.series_id,
                            original_start=self._crm_original(event.occurrence, series),
                            replaces=action.replaces,
                            extras=google_extras(raw),
                        )
                    )
                case HideOccurrence():
                    assert series is not None
                    fields = cancelled_occurrence_fields(
                        series, self._crm_moment(event.occurrence, series)
                    )
                    if fields is not None:
                        fresh.append(
                            NewMeeting(
                                event,
                                ical_uid,
                                fields,
                                action.read_only,
                                None,
                                "",
                                series_id=action.series_id,
                                original_start=self._crm_original(event.occurrence, series),
                                cancelled_occurrence=True,
                            )
                        )
        return None

    def _absent_items(self, seen: set[str]) -> list[Item]:
        """Links of this calendar a full listing did not return (gone, or out of window)."""
        rows = (
            EventLink.objects.filter(
                owner=self.ctx.user,
                google_sub=self.ctx.google_sub,
                calendar_id=self.calendar.calendar_id,
            )
            .exclude(event_id__in=seen)
            .select_related("meeting")
        )
        items = []
        for row in rows.iterator(chunk_size=2000):
            link = link_from_row(row)
            crm = crm_meeting(row.meeting, import_key=None)
            plan = plan_item(
                link=link, crm=crm, google=None, settings=self.settings, listing_complete=True
            )
            raw: dict[str, Any] = {}
            event = None
            if plan.actions:
                # Not in a listing bounded by timeMin: deleted, or moved out of the window.
                # Only Google knows which; reading it keeps a moved event from becoming a
                # deletion of its meeting.
                raw = self.side.get_event(event_id=row.event_id) or {}
                event = self._read(raw) if raw else None
                if event is not None:
                    plan = plan_item(
                        link=link,
                        crm=crm,
                        google=event,
                        settings=self.settings,
                        listing_complete=True,
                    )
            event = event or GoogleEvent(row.event_id, row.etag, None, cancelled=True)
            items.append(Item(event, raw, row, link, crm, plan))
        return items

    # -- applying (CRM side only) -----------------------------------------------------------

    def _apply_page(
        self, items: Iterable[Item], pending: list[PendingDelete], fresh: list[NewMeeting]
    ) -> None:
        self.page_now = timezone.now()
        creates: list[NewMeeting] = list(fresh)
        link_saves: list[dict[str, Any]] = []
        conflicts: list[SyncConflict] = []
        for item in items:
            plan = item.plan
            if not any(
                isinstance(action, (*SIDE_WRITES, SaveLink, DropLink)) for action in plan.actions
            ):
                for action in plan.actions:
                    if isinstance(action, RecordProblem):
                        self.ctx.counts["problems"] += 1
                        self._problem(action)
                continue
            needs_google = any(isinstance(action, GOOGLE_WRITES) for action in plan.actions)
            try:
                self._apply_item(item, needs_google, creates, link_saves, conflicts, pending)
            except SideError as error:
                self._fail(item_error(plan, item.crm, error))
        self._bulk_create(creates, link_saves)
        if link_saves:
            rows_insert(
                model=EventLink,
                rows=link_saves,
                conflict_fields=["owner", "google_sub", "calendar_id", "event_id"],
                update_fields=[
                    "meeting",
                    "origin",
                    "etag",
                    "base",
                    "base_version",
                    "google_deleted",
                    "leaving",
                    "ical_uid",
                    "extras",
                    "event_type",
                    "updated_at",
                ],
            )
        if conflicts:
            SyncConflict.objects.bulk_create(conflicts)
            self.ctx.counts["conflicts"] += len(conflicts)

    def _link_row(
        self,
        item: Item,
        meeting_id: int,
        base: MeetingFields,
        version: int,
        origin: str,
        *,
        leaving: bool = False,
    ) -> dict[str, Any]:
        """An EventLink row (tandem.bulk writes it, no model instance needed)."""
        return {
            "owner_id": self.ctx.user.pk,
            "meeting_id": meeting_id,
            "google_sub": self.ctx.google_sub,
            "calendar_id": self.calendar.calendar_id,
            "event_id": item.event.event_id,
            "ical_uid": str(item.raw.get("iCalUID", ""))
            or (item.link_row.ical_uid if item.link_row else ""),
            "origin": origin,
            "etag": item.event.etag,
            "base": fields_to_json(base),
            "base_version": version,
            "google_deleted": item.event.cancelled,
            "leaving": leaving,
            "extras": google_extras(item.raw)
            if item.raw
            else (item.link_row.extras if item.link_row else {}),
            "event_type": item.event.event_type,
            "updated_at": self.page_now,
        }

    def _apply_item(
        self,
        item: Item,
        needs_google: bool,
        creates: list[NewMeeting],
        link_saves: list[dict[str, Any]],
        conflicts: list[SyncConflict],
        pending: list[PendingDelete],
    ) -> None:
        """The item's CRM writes, inside the page's transaction. A plan that also writes to
        Google leaves its Google writes and its link to ``GoogleWork`` (after the commit):
        until they are made, the link keeps saying what was last agreed, so a crash or a
        failed write leaves the item to the next run's outbound look (the meeting's version
        differs from the link's), never a half-claimed agreement."""
        actions = item.plan.actions
        meeting_id = item.crm.meeting_id if item.crm else None
        version = item.crm.version if item.crm else 0
        if needs_google and item.plan.deletes and item.link_row is not None:
            # A deletion of the user's data in Google: the outbound pass makes it, behind the
            # mass-delete breaker for deletions made in the CRM (it finds the link: the
            # meeting's version moved). The link learns the etag Google has now (its fields
            # are the agreed ones: "deleted in the CRM"). Without a link (the event of a
            # meeting deleted before its link was saved) nothing would find it: made here.
            EventLink.objects.filter(pk=item.link_row.pk).update(etag=item.event.etag)
            return
        crm_after = item.crm
        for action in actions:
            match action:
                case CreateInCrm():
                    new = _new_meeting(item.event, item.raw, item.plan, action)
                    if item.link_row is not None:
                        new = replace(
                            new,
                            ical_uid=new.ical_uid or item.link_row.ical_uid,
                            relinks=True,
                        )
                    creates.append(new)
                    return  # Meeting, import record and link are created in bulk.
                case UpdateCrm():
                    crm_after = self.crm.update_meeting(
                        meeting_id=action.meeting_id,
                        fields=action.fields,
                        expected_version=action.expected_version,
                        restore=action.restore,
                        read_only=action.read_only,
                    )
                    self.ctx.counts["crm_restored" if action.restore else "crm_updated"] += 1
                    version = crm_after.version
                case DeleteInCrm():
                    pending.append(
                        PendingDelete(
                            action.meeting_id,
                            action.expected_version,
                            item.link_row.pk if item.link_row else None,
                        )
                    )
                    return  # Deletions wait for the breaker at the end of the listing.
                case SaveLink() if not needs_google:
                    assert meeting_id is not None
                    link_saves.append(
                        self._link_row(
                            item,
                            meeting_id,
                            action.base,
                            version,
                            action.origin,
                            leaving=action.leaving,
                        )
                    )
                case DropLink() if not needs_google:
                    if item.link_row is not None:
                        EventLink.objects.filter(pk=item.link_row.pk).delete()
                case RecordConflict():
                    conflicts.extend(
                        conflict_rows(
                            user=self.ctx.user,
                            run_id=self.ctx.run_id,
                            meeting_id=meeting_id,
                            conflicts=action.conflicts,
                        )
                    )
                case RecordProblem():
                    self._problem(action)
        if needs_google:
            assert crm_after is not None  # no Google write without a meeting (planner.py)
            rest = tuple(a for a in actions if isinstance(a, (*GOOGLE_WRITES, SaveLink, DropLink)))
            self.google_work.append(
                GoogleWork(replace(item.plan, actions=rest), item.link, crm_after, item.event)
            )

    def apply_google_work(self) -> None:
        """The Google writes of the items planned on the pages so far, with their links,
        through the core's applier (sendUpdates=none, If-Match; 412 → re-read and re-plan)."""
        work, self.google_work = self.google_work, []
        for entry in work:
            self.applier.apply(entry.plan, entry.link, entry.crm, entry.event, False)
        # A failed Google write does not hold the listing's token back: the link still says
        # what was last agreed, so the outbound look finds the item again (on every page
        # alike; the last page's token is saved before its writes).
        self.ctx.errors.extend(self.report.errors)
        for event_id, message in self.report.problems:
            self.ctx.errors.append(f"Event {event_id}: {message}")
        if self.report.conflicts:
            # Conflicts a 412's re-read and re-plan found.
            SyncConflict.objects.bulk_create(
                row
                for meeting_id, conflict in self.report.conflicts
                for row in conflict_rows(
                    user=self.ctx.user,
                    run_id=self.ctx.run_id,
                    meeting_id=meeting_id,
                    conflicts=[conflict],
                )
            )
            self.ctx.counts["conflicts"] += len(self.report.conflicts)
        self.ctx.counts.update(self.report.counts)
        self.report = SyncReport()
        self.applier.report = self.report

    def _bulk_create(self, creates: list[NewMeeting], link_saves: list[dict[str, Any]]) -> None:
        if not creates:
            return
        now = self.page_now
        owner_id = self.ctx.user.pk
        cal = self.calendar.calendar_id
        zone = self.ctx.all_day_zone
        replaced = [new.replaces for new in creates if new.replaces is not None]
        if replaced:
            # With their import records, whose keys the new rows take over.
            hiding_rows_delete(owner=self.ctx.user, pks=replaced)
        ids = meetings_import_bulk(
            owner=self.ctx.user,
            now=now,
            rows=[
                ImportedRow(
                    values=meeting_values_from_fields(new.fields, all_day_zone=zone),
                    read_only=new.read_only,
                    series_id=new.series_id,
                    original_start=new.original_start,
                    hides_occurrence=new.cancelled_occurrence,
                )
                for new in creates
            ],
        )
        rows_insert(
            model=ImportedMeeting,
            rows=[
                {
                    "owner_id": owner_id,
                    "meeting_id": meeting_id,
                    "import_key": f"{cal}/{new.event.event_id}",
                }
                for meeting_id, new in zip(ids, creates, strict=True)
            ],
        )
        google_sub = self.ctx.google_sub
        fresh_links: list[dict[str, Any]] = []
        for meeting_id, new in zip(ids, creates, strict=True):
            if new.link_base is None:
                continue
            # An event that had no link gets a plain INSERT below, not an upsert: the conflict
            # handling is a third of the statement's time on SQLite. (One listing holds an
            # event once; a duplicate would fail the page, as the import record's key does.)
            (link_saves if new.relinks else fresh_links).append(
                {
                    "owner_id": owner_id,
                    "meeting_id": meeting_id,
                    "google_sub": google_sub,
                    "calendar_id": cal,
                    "event_id": new.event.event_id,
                    "ical_uid": new.ical_uid,
                    "origin": new.link_origin,
                    "etag": new.event.etag,
                    "base": fields_to_json(new.link_base),
                    "base_version": NEW_MEETING_VERSION,
                    "google_deleted": new.event.cancelled,
                    "leaving": False,
                    "extras": new.extras,
                    "event_type": new.event.event_type,
                    "updated_at": now,
                }
            )
        rows_insert(model=EventLink, rows=fresh_links)
        occurrences = sum(1 for new in creates if new.series_id is not None)
        # A changed or cancelled occurrence changes its series: counted as an update.
        self.ctx.counts["crm_created"] += len(creates) - occurrences
        if occurrences:
            self.ctx.counts["crm_updated"] += occurrences

    def _held(self, pending: list[PendingDelete]) -> list[HeldDeletion]:
        """The meetings whose events Google deleted, for the breaker's question."""
        ids = [delete.meeting_id for delete in pending[:HELD_SHOWN]]
        meetings = Meeting.objects.filter(owner=self.ctx.user, pk__in=ids).order_by("pk")
        return [
            HeldDeletion.of(crm_meeting(meeting, import_key=None), deleted_in="google")
            for meeting in meetings
        ]

    def _apply_deletes(self, pending: list[PendingDelete]) -> None:
        for delete in pending:
            try:
                self.crm.delete_meeting(
                    meeting_id=delete.meeting_id, expected_version=delete.version
                )
            except SideError as error:
                # A tombstone already is what we wanted: an occurrence row that its series'
                # deletion took along (meeting_delete), as a Google delete finding it gone.
                if not self._deleted_already(delete.meeting_id):
                    self._fail(
                        f"A meeting whose event was deleted in Google stays in the CRM for now: "
                        f"it changed meanwhile ({error}); tried again at the next sync "
                        f"[meeting {delete.meeting_id}]"
                    )
                    continue
            if delete.link_id is not None:
                EventLink.objects.filter(pk=delete.link_id).delete()
            self.ctx.counts["crm_deleted"] += 1

    def _deleted_already(self, meeting_id: int) -> bool:
        try:
            return self.crm.get(meeting_id).deleted
        except SideError:
            return True  # gone altogether
