"""Google → CRM for one calendar on the database: the core's inbound pass (core/inbound.py)
over ``DjangoInboundStore``, which looks a page's events up in a fixed number of queries
(adapters/page_lookup.py), writes its new meetings, import records and links in bulk
(tandem.bulk: PostgreSQL's COPY, multi-row inserts on SQLite), and reads the next page while
the current one is written (prefetch.py)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from itertools import islice
from typing import Any, TypeVar

from django.db import transaction
from django.utils import timezone
from msgspec.structs import replace

from tandem.bulk import rows_insert
from tandem.meetings.models import Meeting
from tandem.meetings.services import (
    NEW_MEETING_VERSION,
    ImportedRow,
    hiding_rows_delete,
    meetings_import_bulk,
)
from tandem.sync.adapters.crm import DjangoCrm, crm_meeting
from tandem.sync.adapters.links import link_from_row
from tandem.sync.adapters.page_lookup import DjangoPageLookup
from tandem.sync.adapters.serialize import fields_to_json
from tandem.sync.core.fields import Moment, meeting_values_from_fields
from tandem.sync.core.identity import import_key_of, import_key_prefix
from tandem.sync.core.inbound import Inbound
from tandem.sync.core.pairing import Listed, NewMeeting, PageLookup, google_extras
from tandem.sync.core.run_report import HELD_SHOWN, HeldDeletion, RunProblem
from tandem.sync.core.sides import SideError
from tandem.sync.core.state import CrmMeeting, Link
from tandem.sync.core.stores import LinkSave, PageWrites
from tandem.sync.engine.context import CalendarPlan, RunContext
from tandem.sync.engine.parts import pass_parts
from tandem.sync.engine.prefetch import pages_ahead
from tandem.sync.engine.records import conflict_rows, record_report
from tandem.sync.models import CalendarSyncState, EventLink, SyncConflict
from tandem.sync.run_records import unwaited_if_nothing_written

P = TypeVar("P")
ABSENT_CHUNK = 2000  # links a full listing left out, read at a time with their series' rows

LINK_FIELDS_UPDATED = [
    "meeting",
    "origin",
    "etag",
    "base",
    "base_version",
    "leaving",
    "ical_uid",
    "extras",
    "event_type",
    "updated_at",
]


class InboundPass:
    """One calendar's inbound pass of a run: the core's, over the database."""

    def __init__(self, ctx: RunContext, calendar: CalendarPlan, default_zone: str) -> None:
        self.ctx = ctx
        parts = pass_parts(ctx, calendar, default_zone)
        self.report = parts.report
        self.store = DjangoInboundStore(ctx, calendar)
        self.core = Inbound(
            store=self.store,
            crm=parts.crm,
            google=parts.side,
            applier=parts.applier,
            settings=parts.settings,
            namespace=ctx.namespace,
            default_zone=default_zone,
            allow_mass_delete=ctx.allow_mass_delete,
            report=self.report,
        )

    def run(self) -> None:
        try:
            self.core.run()
        finally:
            self.ctx.held_back |= self.core.held_back
            record_report(self.ctx, self.report)


class DjangoInboundStore:
    """The InboundStore (core/stores.py) of one calendar of one user."""

    def __init__(self, ctx: RunContext, calendar: CalendarPlan) -> None:
        self.ctx = ctx
        self.calendar_id = calendar.calendar_id
        states = ctx.calendar_states()
        if calendar.calendar_id not in states:
            states[calendar.calendar_id], _ = CalendarSyncState.objects.get_or_create(
                owner=ctx.user, google_sub=ctx.google_sub, calendar_id=calendar.calendar_id
            )
        self.state = states[calendar.calendar_id]
        self.state.access_role = calendar.access_role
        self.lookups = DjangoPageLookup(
            user=ctx.user,
            google_sub=ctx.google_sub,
            calendar_id=calendar.calendar_id,
            namespace=ctx.namespace,
            window_start=ctx.window_start,
        )
        self.crm = DjangoCrm(
            user=ctx.user, all_day_zone=ctx.all_day_zone, window_start=ctx.window_start
        )
        # The link rows the pages looked up, by event id (a relink keeps their iCalUID).
        self.link_rows: dict[str, EventLink] = {}
        self.page_now = timezone.now()

    def _links(self) -> Any:
        return EventLink.objects.filter(
            owner=self.ctx.user, google_sub=self.ctx.google_sub, calendar_id=self.calendar_id
        )

    # -- reading ----------------------------------------------------------------------------

    def sync_token(self) -> str | None:
        return self.state.sync_token or None

    def pairs_exist(self) -> bool:
        """Not on a first import: its pages then skip the link and import-record lookups,
        which could only come back empty (this pass is the only writer of both for this
        calendar, and one listing never holds an event twice). A false positive (LIKE may
        ignore case) only costs the lookups."""
        return (
            self._links().exists()
            or Meeting.objects.filter(
                owner=self.ctx.user, import_key__startswith=import_key_prefix(self.calendar_id)
            ).exists()
        )

    def lookup(
        self,
        listed: Sequence[Listed],
        *,
        lookups: bool,
        series_starts: Mapping[str, Moment] | None = None,
    ) -> PageLookup:
        found, rows = self.lookups.lookup(listed, lookups=lookups, series_starts=series_starts)
        self.link_rows = rows
        return found

    def absent(self, seen: set[str]) -> Iterable[tuple[Link, CrmMeeting]]:
        rows = self._links().exclude(event_id__in=seen).select_related("meeting")
        for chunk in _chunks(rows.iterator(chunk_size=ABSENT_CHUNK), ABSENT_CHUNK):
            # A series missing from the listing (deleted in Google long enough ago that
            # Google forgot it) keeps the occurrences the CRM changed, as one listed
            # cancelled does (the planner's "series deleted in Google" rows).
            changed = self.lookups.changed_rows(
                {
                    row.meeting_id
                    for row in chunk
                    if row.meeting.recurrence and row.meeting.deleted_at is None
                }
            )
            for row in chunk:
                self.link_rows[row.event_id] = row
                crm = crm_meeting(row.meeting, import_key=None)
                if row.meeting_id in changed:
                    crm = replace(crm, changed_rows=changed[row.meeting_id])
                yield link_from_row(row), crm

    def ahead(self, pages: Iterator[P]) -> Iterator[P]:
        # A page without a next page token is the listing's last (GoogleSide.pages).
        return pages_ahead(pages, last=lambda page: getattr(page, "next_page_token", "") is None)

    def keep_alive(self) -> None:
        self.ctx.keep_alive()

    def synced(self) -> int:
        return int(self._links().count())

    def deleted_already(self, meeting_id: int) -> bool:
        try:
            return self.crm.get(meeting_id).deleted
        except SideError:
            return True  # gone altogether

    # -- writing ----------------------------------------------------------------------------

    def transaction(self) -> AbstractContextManager[object]:
        self.page_now = timezone.now()
        return transaction.atomic()

    def note_etag(self, event_id: str, etag: str) -> None:
        self._links().filter(event_id=event_id).update(etag=etag)

    def drop_link(self, event_id: str) -> None:
        self._links().filter(event_id=event_id).delete()

    def hold(self, reason: str, meeting_ids: list[int]) -> None:
        """The meetings whose events Google deleted, for the breaker's question."""
        ids = meeting_ids[:HELD_SHOWN]
        meetings = Meeting.objects.filter(owner=self.ctx.user, pk__in=ids).order_by("pk")
        self.ctx.report.hold(
            reason,
            [
                HeldDeletion.of(crm_meeting(meeting, import_key=None), deleted_in="google")
                for meeting in meetings
            ],
        )

    def listing_done(self, *, token: str | None, full: bool) -> None:
        now = timezone.now()
        if token is not None:
            self.state.sync_token = token
            if full:
                self.state.full_sync_completed_at = now
        self.state.last_listed_at = now
        unwaited_if_nothing_written()  # an idle listing: its token alone (run_records.py)
        # Only the listing's fields: the push channel's are written elsewhere meanwhile
        # (tandem/sync/push.py, a disconnect), and this row was read when the run began.
        self.state.save(
            update_fields=["access_role", "sync_token", "full_sync_completed_at", "last_listed_at"]
        )

    def write_page(self, writes: PageWrites) -> list[RunProblem]:
        link_saves = [self._link_row(save) for save in writes.links]
        self._bulk_create(writes.creates, link_saves)
        if link_saves:
            rows_insert(
                model=EventLink,
                rows=link_saves,
                conflict_fields=["owner", "google_sub", "calendar_id", "event_id"],
                update_fields=LINK_FIELDS_UPDATED,
            )
        if writes.conflicts:
            SyncConflict.objects.bulk_create(
                row
                for meeting_id, conflicts in writes.conflicts
                for row in conflict_rows(
                    user=self.ctx.user,
                    run_id=self.ctx.run_id,
                    meeting_id=meeting_id,
                    conflicts=conflicts,
                )
            )
        return []  # all or nothing: a failure raises and rolls the page back

    def _link_row(self, save: LinkSave) -> dict[str, Any]:
        """An EventLink row (tandem.bulk writes it, no model instance needed)."""
        row = self.link_rows.get(save.event.event_id)
        return {
            "owner_id": self.ctx.user.pk,
            "meeting_id": save.meeting_id,
            "google_sub": self.ctx.google_sub,
            "calendar_id": self.calendar_id,
            "event_id": save.event.event_id,
            # Google gives every event its iCalUID; should a listing leave it out, the link
            # keeps the one it has (see _known_uid).
            "ical_uid": str(save.raw.get("iCalUID", "")) or (row.ical_uid if row else ""),
            "origin": save.origin,
            "etag": save.event.etag,
            "base": fields_to_json(save.base),
            "base_version": save.version,
            "leaving": save.leaving,
            # Every save comes with the event as listed or read: a plan that saves a link
            # of an event Google no longer has writes to Google, and the applier saves it.
            "extras": google_extras(save.raw),
            "event_type": save.event.event_type,
            "updated_at": self.page_now,
        }

    def _bulk_create(self, creates: list[NewMeeting], link_saves: list[dict[str, Any]]) -> None:
        if not creates:
            return
        now = self.page_now
        owner_id = self.ctx.user.pk
        cal = self.calendar_id
        zone = self.ctx.all_day_zone
        replaced = [new.replaces for new in creates if new.replaces is not None]
        if replaced:
            # With their import keys, which the new rows take over.
            hiding_rows_delete(owner=self.ctx.user, pks=replaced)
        ids = meetings_import_bulk(
            owner=self.ctx.user,
            now=now,
            rows=[
                ImportedRow(
                    values=meeting_values_from_fields(
                        new.fields, all_day_zone=zone, wall_clock=False
                    ),
                    import_key=import_key_of(cal, new.event.event_id),
                    read_only=new.read_only,
                    series_id=new.series_id,
                    original_start=new.original_start,
                    hides_occurrence=new.cancelled_occurrence,
                )
                for new in creates
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
                    "ical_uid": new.ical_uid or self._known_uid(new),
                    "origin": new.link_origin,
                    "etag": new.event.etag,
                    "base": fields_to_json(new.link_base),
                    "base_version": NEW_MEETING_VERSION,
                    "leaving": False,
                    "extras": new.extras,
                    "event_type": new.event.event_type,
                    "updated_at": now,
                }
            )
        rows_insert(model=EventLink, rows=fresh_links)

    def _known_uid(self, new: NewMeeting) -> str:
        """A relinked event listed without its iCalUID keeps the one its link had."""
        row = self.link_rows.get(new.event.event_id) if new.relinks else None
        return row.ical_uid if row else ""


def _chunks(rows: Iterator[EventLink], size: int) -> Iterator[list[EventLink]]:
    while chunk := list(islice(rows, size)):
        yield chunk
