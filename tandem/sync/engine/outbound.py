"""CRM → Google for one writable calendar on the database: the core's outbound pass
(core/outbound.py) over ``DjangoOutboundStore``, whose candidate queries start from what
changed since the user's last clean run, so an idle run queries a few index entries and
calls nothing, whatever the number of meetings.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db.models import F, Q, QuerySet

from tandem.compiled_queries import CompiledQuery
from tandem.meetings.models import Meeting
from tandem.sync.adapters.crm import crm_meeting, unseen_by_google
from tandem.sync.adapters.links import link_from_row
from tandem.sync.core.identity import import_key_prefix
from tandem.sync.core.outbound import Outbound
from tandem.sync.core.run_report import HeldDeletion
from tandem.sync.core.state import CrmMeeting, Link, OccurrenceRow
from tandem.sync.engine.context import CalendarPlan, RunContext
from tandem.sync.engine.occurrence_rows import unpushed_occurrences
from tandem.sync.engine.parts import pass_parts
from tandem.sync.engine.placement import homes_of
from tandem.sync.engine.records import record_report
from tandem.sync.models import EventLink

# Outside a full look, the candidates are the meetings changed since the user's last clean
# run began, less this margin: a change stamped (the writer's clock) before that run began
# but committed after its queries, or a clock a little behind the worker's, is still found.
CHANGE_MARGIN = timedelta(seconds=60)
# More meetings changed than this (an import, a bulk edit): the full queries, as cheap then.
CHANGED_LOOK_MAX = 1000


def _changed(meetings: QuerySet[Meeting]) -> QuerySet[Meeting, int]:
    """The ids of these meetings, at most one more than CHANGED_LOOK_MAX."""
    return meetings.order_by().values_list("pk", flat=True)[: CHANGED_LOOK_MAX + 1]


def _links_of_calendar(*, owner_id: int, google_sub: str, calendar_id: str) -> QuerySet[EventLink]:
    return EventLink.objects.filter(
        owner_id=owner_id, google_sub=google_sub, calendar_id=calendar_id
    ).select_related("meeting")


# An idle run's statements, built and compiled once per process (tandem/compiled_queries.py):
# the meetings changed since the last clean run, and a calendar's leaving links.
_CHANGED_SINCE = CompiledQuery(
    Meeting,
    lambda *, owner_id, since: _changed(
        Meeting.objects.filter(owner_id=owner_id, updated_at__gte=since)
    ),
)
_LEAVING = CompiledQuery(
    EventLink, lambda **calendar: _links_of_calendar(**calendar).filter(leaving=True)
)


class OutboundPass:
    """One writable calendar's outbound pass of a run: the core's, over the database."""

    def __init__(self, ctx: RunContext, calendar: CalendarPlan, default_zone: str) -> None:
        self.ctx = ctx
        parts = pass_parts(ctx, calendar, default_zone)
        self.report = parts.report
        self.core = Outbound(
            store=DjangoOutboundStore(ctx, calendar),
            applier=parts.applier,
            settings=parts.settings,
            allow_mass_delete=ctx.allow_mass_delete,
            report=self.report,
            held_back=ctx.held_back,
        )

    @property
    def clean(self) -> bool:
        return self.core.clean

    def run(self) -> None:
        try:
            self.core.run()
        finally:
            record_report(self.ctx, self.report)


class DjangoOutboundStore:
    """The OutboundStore (core/stores.py) of one calendar of one user."""

    def __init__(self, ctx: RunContext, calendar: CalendarPlan) -> None:
        self.ctx = ctx
        self.calendar = calendar
        # What the candidate queries learnt: "ids" (meetings changed since the last clean
        # run began), "linked" and "restored" (what the earlier ones found).
        self.cache: dict[str, Any] = {}

    # -- candidates -------------------------------------------------------------------------
    #
    # An idle run must cost the same at 10 and at 50,000 meetings (issue 11): outside a full
    # look, the three queries below start from the meetings changed since the user's last
    # clean run (``_changed_meeting_ids``, the (owner, updated_at) index) and from the links
    # that are leaving Google (a partial index), never from every meeting, link
    # and import record of the user. Why that finds what the full queries find: a run that
    # succeeded left every link agreeing (a candidate it could not settle made it fail or
    # ask the user) and pushed or restored every candidate; a meeting is a candidate again
    # only through a change, and every change goes through tandem.meetings.services, which
    # stamps ``updated_at``. Settings changes and a user's first runs look at everything
    # (``force_full_outbound``), as does a run after many changes (CHANGED_LOOK_MAX).

    def _changed_meeting_ids(self, *, again: bool = False) -> list[int] | None:
        """The meetings the candidate queries start from (``_look_from``), or None when
        everything must be looked at, or when more than CHANGED_LOOK_MAX of them (then the
        full queries are as cheap). ``again``: read them anew (after this pass's own
        writes)."""
        look_from = self._look_from()
        if look_from is None:
            return None
        cached = self.cache
        if again or "ids" not in cached:
            if isinstance(look_from, datetime):
                ids = _CHANGED_SINCE.all(owner_id=self.ctx.user.pk, since=look_from)
            else:
                ids = list(_changed(Meeting.objects.filter(look_from, owner=self.ctx.user)))
            cached["ids"] = None if len(ids) > CHANGED_LOOK_MAX else ids
        return cached["ids"]  # type: ignore[return-value]

    def _look_from(self) -> datetime | Q | None:
        """Which of the user's meetings can be candidates, by ``updated_at`` (the
        (owner, updated_at) index), or None for all of them.

        - Outside a full look: those changed since the last clean run began, less a margin
          for clocks and commits.
        - In a full look (a settings change, no clean run yet) after this run's inbound
          pass: those written before that pass began. A meeting written since was written
          by the pass, which planned it under the current settings (one plan per item per
          run; the meetings it made are imported and linked), or by the person during the
          run, and then the next run finds it among the changes since this run began (a run
          that is not clean leaves the next one a full look again). So a first import of
          10,000 events is not read again after its last page, where no wait for Google
          hides the work.
        """
        last_clean = self.ctx.last_clean_started_at
        if not self.ctx.force_full_outbound and last_clean is not None:
            return last_clean - CHANGE_MARGIN  # updated_at at or after it (_CHANGED_SINCE)
        if self.ctx.inbound_started_at is not None:
            return Q(updated_at__lt=self.ctx.inbound_started_at)
        return None

    def linked_candidates(self) -> list[tuple[Link, CrmMeeting]]:
        rows = _links_of_calendar(
            owner_id=self.ctx.user.pk,
            google_sub=self.ctx.google_sub,
            calendar_id=self.calendar.calendar_id,
        )
        leaving = Q(leaving=True)
        changed = ~Q(base_version=F("meeting__version")) | leaving
        full = self.ctx.force_full_outbound
        if full and self.ctx.inbound_started_at is None:
            found = list(rows)
        elif (edited := self._changed_meeting_ids()) is None:
            # Too many candidate meetings: the calendar's links, filtered by the database.
            if full:
                # Links this run's inbound pass wrote were planned by it (see _look_from);
                # the full look is for the others and for the leaving ones.
                found = list(rows.filter(leaving | Q(updated_at__lt=self.ctx.inbound_started_at)))
            else:
                found = list(rows.filter(changed))
        else:
            # The leaving links (a partial index holds only them), then the links of the
            # candidate meetings (_look_from): in a full look all of them, else those whose
            # version moved on. Looked up by meeting id alone (the index on it) and checked
            # here, so that no planner prefers a scan of the calendar's links.
            found = _LEAVING.all(
                owner_id=self.ctx.user.pk,
                google_sub=self.ctx.google_sub,
                calendar_id=self.calendar.calendar_id,
            )
            seen = {row.pk for row in found}
            if edited:
                found += [
                    row
                    for row in EventLink.objects.filter(meeting_id__in=edited)
                    .select_related("meeting")
                    .order_by()
                    if row.owner_id == self.ctx.user.pk
                    and row.google_sub == self.ctx.google_sub
                    and row.calendar_id == self.calendar.calendar_id
                    and (full or row.base_version != row.meeting.version)
                    and row.pk not in seen
                ]
            found.sort(key=lambda row: row.event_id)
        cached = self.cache
        cached["linked"] = [row.meeting_id for row in found]
        return [
            (link_from_row(row), crm_meeting(row.meeting, import_key=row.meeting.import_key))
            for row in found
        ]

    def restored_imports(self) -> list[tuple[CrmMeeting, str]]:
        """Live meetings imported from this calendar without a link: tombstones the user
        restored after the event was deleted in Google (applying a deletion drops the link).
        Not the rows that hide a cancelled occurrence: they never had a link."""
        prefix = import_key_prefix(self.calendar.calendar_id)
        cached = self.cache
        edited = self._changed_meeting_ids()
        # Restored or unlinked since the last clean run: among the changed meetings and those
        # of this pass's linked candidates (whose link a write above may drop).
        ids = None if edited is None else set(edited).union(cached.get("linked", ()))
        if ids is not None and len(ids) <= CHANGED_LOOK_MAX:
            if not ids:
                return []
            imported = [
                (meeting, meeting.import_key)
                for meeting in Meeting.objects.filter(pk__in=ids).order_by()
                if meeting.owner_id == self.ctx.user.pk
                and meeting.import_key is not None
                and meeting.import_key.startswith(prefix)
                and meeting.deleted_at is None
                and not meeting.is_cancelled_occurrence
            ]
            linked = self._linked_meeting_ids([meeting.pk for meeting, _ in imported])
            restored = [
                (crm_meeting(meeting, import_key=key), key[len(prefix) :])
                for meeting, key in imported
                if meeting.pk not in linked
            ]
            cached["restored"] = len(restored)
            return restored
        rows = (
            Meeting.objects.filter(
                owner=self.ctx.user,
                import_key__startswith=prefix,
                deleted_at=None,
                is_cancelled_occurrence=False,
            )
            # NOT IN (one scan of the account's links, hashed), not NOT EXISTS per import:
            # right after a large import, before PostgreSQL has statistics on the new rows,
            # the planner ran the latter as 10,000 index scans of 10,000 entries (3.8 s).
            .exclude(
                pk__in=EventLink.objects.filter(
                    owner=self.ctx.user, google_sub=self.ctx.google_sub
                ).values("meeting_id")
            )
        )
        restored_rows: list[tuple[CrmMeeting, str]] = []
        for meeting in rows:
            key = meeting.import_key
            assert key is not None  # the filter above
            restored_rows.append((crm_meeting(meeting, import_key=key), key[len(prefix) :]))
        return restored_rows

    def unpushed(self) -> list[CrmMeeting]:
        """CRM meetings never pushed that may belong in this calendar, each with its home
        (the planner inserts those whose home it is): any of them in the target, only series
        cut from another series elsewhere."""
        # Read again when this pass wrote anything above (a restore changes a meeting).
        cached = self.cache
        edited = self._changed_meeting_ids(
            again=bool(cached.get("linked")) or bool(cached.get("restored"))
        )
        # Made, restored or unlinked since the last clean run (see restored_imports).
        ids = None if edited is None else set(edited).union(cached.get("linked", ()))
        if ids is not None and len(ids) <= CHANGED_LOOK_MAX:
            if not ids:
                return []
            # By primary key alone, the rest checked here: given the owner and the window,
            # PostgreSQL without statistics on new rows scans the (owner, start, end) index.
            candidates = [
                meeting
                for meeting in Meeting.objects.filter(pk__in=ids)  # ordered by start, id
                if meeting.owner_id == self.ctx.user.pk
                and meeting.deleted_at is None
                and not meeting.read_only
                and meeting.series_id is None
                # A series is judged by its last occurrence, in the planner's window row.
                and (meeting.end > self.ctx.window_start or meeting.recurrence)
                and (self.calendar.target or meeting.split_from_id is not None)
            ]
            # unseen_by_google (this account), on these meetings by their ids, as below.
            pks = [meeting.pk for meeting in candidates]
            linked_ids = self._linked_meeting_ids(pks)
            return self._placed(
                [
                    meeting
                    for meeting in candidates
                    if meeting.pk not in linked_ids and meeting.import_key is None
                ]
            )
        meetings = (
            Meeting.objects.filter(
                owner=self.ctx.user,
                deleted_at__isnull=True,
                read_only=False,
                series__isnull=True,
            )
            .may_end_after(self.ctx.window_start)
            .filter(unseen_by_google(owner=self.ctx.user, google_sub=self.ctx.google_sub))
        )
        if not self.calendar.target:
            meetings = meetings.filter(split_from__isnull=False)  # a partial index
        return self._placed(list(meetings))

    def _placed(self, meetings: list[Meeting]) -> list[CrmMeeting]:
        """The meetings as the planner sees them, each with its home calendar."""
        homes = homes_of(self.ctx, meetings)
        return [crm_meeting(m, import_key=None, home=homes[m.pk]) for m in meetings]

    def _linked_meeting_ids(self, meeting_ids: list[int]) -> set[int]:
        """Which of these meetings have a link of this account (any calendar): looked up by
        meeting id alone, the account checked here (see linked_candidates)."""
        if not meeting_ids:
            return set()
        return {
            meeting_id
            for meeting_id, owner_id, google_sub in EventLink.objects.filter(
                meeting_id__in=meeting_ids
            )
            .order_by()
            .values_list("meeting_id", "owner_id", "google_sub")
            if owner_id == self.ctx.user.pk and google_sub == self.ctx.google_sub
        }

    # -- recording --------------------------------------------------------------------------

    def synced(self) -> int:
        return int(
            EventLink.objects.filter(
                owner=self.ctx.user,
                google_sub=self.ctx.google_sub,
                calendar_id=self.calendar.calendar_id,
            ).count()
        )

    def hold(self, reason: str, meetings: list[CrmMeeting]) -> None:
        self.ctx.report.hold(reason, [HeldDeletion.of(m, deleted_in="crm") for m in meetings])

    def version_agrees(self, link: Link, version: int) -> None:
        EventLink.objects.filter(
            owner=self.ctx.user,
            google_sub=self.ctx.google_sub,
            calendar_id=self.calendar.calendar_id,
            event_id=link.event_id,
        ).update(base_version=version)

    def unpushed_occurrences(self) -> list[OccurrenceRow]:
        return unpushed_occurrences(self.ctx, self.calendar.calendar_id)
