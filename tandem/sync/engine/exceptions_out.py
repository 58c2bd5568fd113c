"""CRM → Google for occurrences changed or cancelled alone in the CRM (the planner's
``plan_occurrence_out`` decides; this module finds the rows and the instances and carries
the plans out).

Such a row (``series``, ``original_start``; tandem.meetings.occurrence_edits) starts with no
link and no import record. Its series' event in this calendar has an instance at that
original start; instance ids are opaque (Google warns not to build them), so we ask for it
(events.instances with ``originalStart``).

- A changed row PATCHes the instance's mapped fields (the recurrence stays the series') and
  is linked to it: from then on it syncs like any linked meeting, so its echo in the next
  listing changes nothing.
- A cancelled row, or a changed one deleted before it was pushed, DELETEs the instance and
  gets an import record of it: the cancelled instance the next listing shows is then known
  ("already hidden in the CRM"), and the row is not pushed again.

Writes carry ``sendUpdates=none`` and If-Match, and are idempotent: a replayed PATCH writes
the same values, a cancelled instance is not deleted again. A 412 leaves the row for the
next run, which reads the instance afresh.
"""

from __future__ import annotations

import contextlib
import zoneinfo
from datetime import timedelta
from typing import Any

from django.db import transaction

from tandem.google import errors as google_errors
from tandem.meetings.models import Meeting
from tandem.meetings.occurrences import series_starts
from tandem.meetings.services import meeting_update, occurrence_row_discard
from tandem.sync.adapters.crm import crm_meeting, meeting_fields, meeting_input
from tandem.sync.adapters.google import storable_identifiers
from tandem.sync.adapters.serialize import fields_to_json
from tandem.sync.core.actions import (
    DeleteInGoogle,
    DiscardRow,
    ItemPlan,
    MergeIntoRow,
    PatchGoogle,
    RecordImport,
    RecordProblem,
    SaveLink,
)
from tandem.sync.core.fields import MeetingFields, Moment, TimedMoment
from tandem.sync.core.mapping import MalformedEvent, patch_from_changes, read_event
from tandem.sync.core.occurrence_slots import slot_fields
from tandem.sync.core.planner import plan_occurrence_out
from tandem.sync.core.run_report import RunProblem, meeting_named
from tandem.sync.core.state import GoogleEvent
from tandem.sync.engine.context import CalendarPlan, RunContext
from tandem.sync.models import EventLink, ImportedMeeting


class ExceptionsOut:
    def __init__(self, ctx: RunContext, calendar: CalendarPlan, default_zone: str) -> None:
        self.ctx = ctx
        self.calendar_id = calendar.calendar_id
        self.default_zone = default_zone
        self.clean = True  # every row went through

    def run(self) -> None:
        rows = self._unpushed()
        if not rows:
            return
        series_events = {
            meeting_id: (event_id, origin)
            for meeting_id, event_id, origin in EventLink.objects.filter(
                owner=self.ctx.user,
                google_sub=self.ctx.google_sub,
                calendar_id=self.calendar_id,
                meeting_id__in={row.series_id for row in rows},
            ).values_list("meeting_id", "event_id", "origin")
        }
        for row in rows:
            assert row.series_id is not None
            if row.series_id in series_events:  # else its series is in another calendar
                self._push(row, *series_events[row.series_id])

    def _unpushed(self) -> list[Meeting]:
        """Occurrence rows made in the CRM (no link, no import record) in the window; never
        read-only ones (their calendar is read-only). Found through the partial index of
        occurrence rows first, so a run where there are none costs one tiny query, however
        many meetings the user has."""
        rows = list(
            Meeting.objects.filter(
                owner=self.ctx.user,
                series__isnull=False,
                series__deleted_at__isnull=True,
                read_only=False,
                end__gt=self.ctx.window_start,
            )
            .select_related("series")
            # Unordered, so that SQLite takes the partial index of occurrence rows rather than
            # walking the (owner, start, end) index for an ORDER BY start; sorted below.
            .order_by()
        )
        rows.sort(key=lambda row: (row.start, row.pk))
        if not rows:
            return []
        ids = [row.pk for row in rows]
        synced = set(
            EventLink.objects.filter(
                owner=self.ctx.user, google_sub=self.ctx.google_sub, meeting_id__in=ids
            ).values_list("meeting_id", flat=True)
        ) | set(
            ImportedMeeting.objects.filter(owner=self.ctx.user, meeting_id__in=ids).values_list(
                "meeting_id", flat=True
            )
        )
        return [row for row in rows if row.pk not in synced]

    def _original_start(self, row: Meeting) -> str:
        """``originalStart`` as Google writes it: the day of an all-day series, else UTC."""
        assert row.series is not None and row.original_start is not None
        if row.series.all_day:
            zone = zoneinfo.ZoneInfo(row.series.time_zone)
            return row.original_start.astimezone(zone).date().isoformat()
        return row.original_start.astimezone(zoneinfo.ZoneInfo("UTC")).isoformat()

    def _push(self, row: Meeting, series_event_id: str, series_origin: str) -> None:
        client = self.ctx.client
        raw = client.event_instance(
            self.calendar_id, series_event_id, original_start=self._original_start(row)
        )
        instance = self._read(raw) if raw is not None and isinstance(raw.get("id"), str) else None
        key = f"{self.calendar_id}/{instance.event_id}" if instance else ""
        held = (
            EventLink.objects.filter(
                owner=self.ctx.user,
                google_sub=self.ctx.google_sub,
                calendar_id=self.calendar_id,
                event_id=instance.event_id,
            )
            .values_list("meeting_id", flat=True)
            .first()
            if instance
            else None
        )
        plan = plan_occurrence_out(
            row=crm_meeting(row, import_key=None),
            hides=row.is_cancelled_occurrence,
            instance=instance,
            recorded=bool(key)
            and ImportedMeeting.objects.filter(owner=self.ctx.user, import_key=key).exists(),
            held_by=held,
            series_origin="google" if series_origin == EventLink.Origin.GOOGLE else "crm",
            in_series=instance is not None or self._in_series(row),
            private_sync=self.ctx.sync_private,
            as_in_series=meeting_fields(row) == self._slot_fields(row),
        )
        try:
            self._apply(row, plan, raw or {})
        except google_errors.PreconditionFailed:
            return  # Changed in Google meanwhile: the next run reads the instance again.
        except (google_errors.BadRequest, google_errors.Forbidden) as error:
            # Refused for this occurrence: it stays in the CRM, the other rows go on.
            self.clean = False
            self.ctx.report.errors.append(
                RunProblem(
                    f"Google refused the change, so it stays in the CRM only ({error})",
                    subject=meeting_named(row.subject, private=row.is_private),
                    meeting_id=row.pk,
                    rule=plan.why,
                )
            )

    @staticmethod
    def _slot_fields(row: Meeting) -> MeetingFields | None:
        """What the row's series has at the row's slot."""
        assert row.series is not None and row.original_start is not None
        series = row.series
        original: Moment = (
            row.original_start.astimezone(zoneinfo.ZoneInfo(series.time_zone)).date()
            if series.all_day
            else TimedMoment(row.original_start, series.time_zone)
        )
        return slot_fields(meeting_fields(series), original)

    @staticmethod
    def _in_series(row: Meeting) -> bool:
        """Whether the row's series (in the CRM) still has an occurrence at its slot."""
        assert row.series is not None and row.original_start is not None
        near = timedelta(seconds=1)
        at = row.original_start
        return at in series_starts(series=row.series, start=at - near, end=at + near)

    def _read(self, raw: dict[str, Any]) -> GoogleEvent:
        try:
            reading = read_event(raw, default_zone=self.default_zone)
        except MalformedEvent as error:
            return GoogleEvent.malformed(
                event_id=str(raw["id"]), etag=str(raw.get("etag", "")), problem=error.reason
            )
        return GoogleEvent.from_reading(reading, namespace=self.ctx.namespace)

    def _apply(self, row: Meeting, plan: ItemPlan, instance: dict[str, Any]) -> None:
        """Carries out ``plan_occurrence_out``'s plan for one row."""
        event = instance
        for action in plan.actions:
            match action:
                case RecordProblem():
                    self.clean = False
                    self.ctx.report.errors.append(
                        RunProblem(
                            f"the series in Google has no occurrence at "
                            f"{self._original_start(row)}, so this change stays in the CRM",
                            subject=meeting_named(row.subject, private=row.is_private),
                            meeting_id=row.pk,
                            rule=plan.why,
                        )
                    )
                case DeleteInGoogle():
                    # Already gone (404, 410) is what we wanted.
                    with contextlib.suppress(google_errors.NotFound, google_errors.Gone):
                        self.ctx.client.event_delete(
                            self.calendar_id, action.event_id, etag=action.etag or None
                        )
                    self.ctx.report.counts["google_deleted"] += 1
                case DiscardRow():
                    occurrence_row_discard(meeting=row)
                case RecordImport():
                    ImportedMeeting.objects.create(
                        owner=self.ctx.user,
                        meeting=row,
                        import_key=f"{self.calendar_id}/{action.event_id}",
                    )
                case MergeIntoRow():
                    with transaction.atomic():
                        other = Meeting.objects.get(owner=self.ctx.user, pk=action.into)
                        occurrence_row_discard(meeting=row)
                        if meeting_fields(other) != action.fields:
                            meeting_update(
                                meeting=other,
                                data=meeting_input(action.fields, all_day_zone=other.time_zone),
                                origin="crm",
                            )
                            self.ctx.report.counts["crm_updated"] += 1
                case PatchGoogle():
                    body = patch_from_changes(
                        {name: action.fields.value(name) for name in action.changed}
                    )
                    if action.restore:
                        body = {"status": "confirmed", **body}  # a cancelled instance returns
                    event = self.ctx.client.event_patch(
                        self.calendar_id, action.event_id, body, etag=action.etag or None
                    )
                    self.ctx.report.counts["google_updated"] += 1
                case SaveLink():
                    EventLink.objects.create(
                        owner=self.ctx.user,
                        meeting=row,
                        google_sub=self.ctx.google_sub,
                        calendar_id=self.calendar_id,
                        event_id=str(event["id"]),
                        ical_uid=str(storable_identifiers(event).get("iCalUID", "")),
                        origin=action.origin,
                        etag=str(event.get("etag", "")),
                        base=fields_to_json(action.base),
                        base_version=row.version,
                    )
