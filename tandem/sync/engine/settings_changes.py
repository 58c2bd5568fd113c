"""The settings pass of a run on the database: the core's (core/settings_changes.py) over
``DjangoSettingsStore``, with the one applier of each calendar concerned (engine/parts.py)
and the outbound pass that pushes an un-picked calendar's pending CRM edits first."""

from __future__ import annotations

from collections.abc import Callable, Collection
from contextlib import AbstractContextManager

from django.db import transaction

from tandem.meetings.services import hiding_rows_delete, import_key_forget
from tandem.sync.adapters.crm import crm_meeting
from tandem.sync.adapters.links import link_from_row
from tandem.sync.core.apply import Applier
from tandem.sync.core.settings_changes import SettingsChanges
from tandem.sync.core.state import CrmMeeting, Link
from tandem.sync.engine.context import CalendarPlan, RunContext
from tandem.sync.engine.outbound import OutboundPass
from tandem.sync.engine.parts import PassParts, pass_parts
from tandem.sync.engine.placement import homes_of
from tandem.sync.engine.records import record_report
from tandem.sync.models import CalendarSyncState, EventLink


def settings_changes_apply(
    ctx: RunContext, calendars: list[CalendarPlan], zone_of: Callable[[str], str]
) -> None:
    """Runs the settings pass for the run's user: ``calendars`` are those synced now,
    ``zone_of`` a calendar's time zone. Deletions the mass-delete breaker held while a
    calendar about to leave was pushed to are the run's question (its report); the calendar
    waits for the answer."""
    synced = {calendar.calendar_id: calendar for calendar in calendars}
    parts: dict[str, PassParts] = {}

    def applier_for(calendar_id: str) -> Applier:
        if calendar_id not in parts:
            # A calendar no longer synced is written only to move our events from it.
            calendar = synced.get(calendar_id) or CalendarPlan(
                calendar_id, "owner", inbound=False, target=False
            )
            parts[calendar_id] = pass_parts(ctx, calendar, zone_of(calendar_id))
        return parts[calendar_id].applier

    def leave(calendar_id: str) -> bool:
        state = CalendarSyncState.objects.get(
            owner=ctx.user, google_sub=ctx.google_sub, calendar_id=calendar_id
        )
        calendar = CalendarPlan(
            calendar_id, state.access_role or "reader", inbound=False, target=False
        )
        outbound = OutboundPass(ctx, calendar, zone_of(calendar_id))
        outbound.run()
        return outbound.clean and not outbound.core.tripped

    try:
        SettingsChanges(
            store=DjangoSettingsStore(ctx, synced=synced),
            applier_for=applier_for,
            leave=leave,
            target_calendar_id=ctx.target_calendar_id,
        ).run()
    finally:
        for made in parts.values():
            record_report(ctx, made.report)


class DjangoSettingsStore:
    """The SettingsStore (core/stores.py) of one user's Google account."""

    def __init__(self, ctx: RunContext, *, synced: Collection[str]) -> None:
        self.ctx = ctx
        self.synced = list(synced)

    def _links(self):  # type: ignore[no-untyped-def]
        return EventLink.objects.filter(owner=self.ctx.user, google_sub=self.ctx.google_sub)

    def outside_target(self) -> list[tuple[Link, CrmMeeting]]:
        if not self.ctx.force_full_outbound:
            # Our events sit outside the target only after a new target was saved, and then
            # every run looks at everything until one succeeds: an idle run skips this scan.
            return []
        rows = list(
            self._links()
            .filter(origin=EventLink.Origin.CRM)
            .exclude(calendar_id=self.ctx.target_calendar_id)
            .select_related("meeting")
        )
        # A series cut from a series of a calendar still synced stays beside it.
        homes = homes_of(self.ctx, [row.meeting for row in rows])
        return [
            (
                link_from_row(row),
                crm_meeting(row.meeting, import_key=None, home=homes[row.meeting_id]),
            )
            for row in rows
        ]

    def unpicked(self) -> list[str]:
        return sorted(set(self.ctx.calendar_states()) - set(self.synced))

    def links_of(self, calendar_id: str) -> list[tuple[Link, CrmMeeting | None]]:
        rows = self._links().filter(calendar_id=calendar_id).select_related("meeting")
        return [
            (link_from_row(row), crm_meeting(row.meeting, import_key=None))
            for row in rows.order_by("event_id")
        ]

    def transaction(self) -> AbstractContextManager[object]:
        return transaction.atomic()

    def forget_token(self, calendar_id: str) -> None:
        CalendarSyncState.objects.filter(
            owner=self.ctx.user, google_sub=self.ctx.google_sub, calendar_id=calendar_id
        ).update(sync_token="")
        state = self.ctx.calendar_states().get(calendar_id)
        if state is not None:
            state.sync_token = ""

    def forget_hiding_rows(self, series_id: int) -> None:
        # Their import keys go with them (a column of the meeting's row).
        hiding_rows_delete(owner=self.ctx.user, series_id=series_id)

    def forget_calendar(self, calendar_id: str) -> None:
        with transaction.atomic():
            # The rows that hid cancelled occurrences of the series just removed: picked
            # again, the calendar's series come back as new meetings, and these would be
            # paired with the old ones instead of hiding the new ones' occurrences.
            hiding_rows_delete(owner=self.ctx.user, imported_from=calendar_id)
            # The import keys left are those of meetings whose event Google deleted before
            # (their link went with the deletion): kept, such a meeting restored in the CRM
            # stayed out of Google for good (no pass reads an un-picked calendar).
            import_key_forget(owner=self.ctx.user, imported_from=calendar_id)
            CalendarSyncState.objects.filter(
                owner=self.ctx.user, google_sub=self.ctx.google_sub, calendar_id=calendar_id
            ).delete()
            self.ctx.calendar_states().pop(calendar_id, None)

    def keep_alive(self) -> None:
        self.ctx.keep_alive()
