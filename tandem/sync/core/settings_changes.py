"""The settings pass of the one driver: what a saved change of the user's calendars means
for the links that exist (DESIGN.md §3 "Settings changes"), run before the inbound pass.

- A new target: the meetings we pushed to another calendar move there (events.move); where
  Google will not move one, its link goes and the target's outbound pass inserts it anew.
- A calendar no longer synced: its pending CRM edits are pushed first (the outbound pass
  over it, ``leave``); then its Google-created meetings leave the CRM (Google keeps the
  events), every link and import record of it goes, and its sync state is forgotten. When
  a push or a removal did not go through, or the mass-delete breaker held the push's
  deletions (the user answers first), the calendar stays as it is and the next run tries
  again (an edit or a deletion not in Google by then would be lost). Its sync token goes
  before its first link: picked again before it has left, it lists in full. A series'
  rows that hide its cancelled occurrences go with it, in its item's transaction.
- Private sync turned off is a row of ``plan_item`` (a private meeting must leave Google):
  the outbound pass carries it out.

Each link is planned by the planner's ``plan_settings_change`` and carried out by the one
applier (core/apply.py) of its calendar: a calendar's leaving in one transaction per item,
the moves (Google writes) outside any.
"""

from __future__ import annotations

from collections.abc import Callable

from tandem.sync.core.actions import MoveToTarget
from tandem.sync.core.apply import Applier
from tandem.sync.core.planner import plan_settings_change
from tandem.sync.core.state import CrmMeeting, Link
from tandem.sync.core.stores import SettingsStore


class SettingsChanges:
    """``applier_for``: the one applier over a calendar's Google side (a link's changes are
    written in its calendar); ``leave``: pushes an un-picked calendar's pending CRM edits
    (the outbound pass), True when every write went through and the breaker held none."""

    def __init__(
        self,
        *,
        store: SettingsStore,
        applier_for: Callable[[str], Applier],
        leave: Callable[[str], bool],
        target_calendar_id: str,
    ) -> None:
        self.store, self.applier_for, self.leave = store, applier_for, leave
        self.target_calendar_id = target_calendar_id
        self.left_for_later: list[str] = []  # un-picked calendars the next run tries again

    def run(self) -> None:
        for link, meeting in self.store.outside_target():
            self._carry_out(link, meeting, calendar_synced=True)
        for calendar_id in self.store.unpicked():
            self.store.keep_alive()
            if not self.leave(calendar_id):
                self.left_for_later.append(calendar_id)  # a CRM edit is not in Google yet
                continue
            # Before any link goes: picked again while a removal failed, the calendar must
            # list in full, or an event whose link went would never come back.
            self.store.forget_token(calendar_id)
            done = [
                self._carry_out(link, meeting, calendar_synced=False)
                for link, meeting in self.store.links_of(calendar_id)
            ]
            if all(done):
                self.store.forget_calendar(calendar_id)
            else:
                self.left_for_later.append(calendar_id)

    def _carry_out(self, link: Link, meeting: CrmMeeting | None, *, calendar_synced: bool) -> bool:
        """Plans one link and applies the plan; True when it went through."""
        plan = plan_settings_change(
            link=link,
            crm=meeting,
            calendar_synced=calendar_synced,
            target_calendar_id=self.target_calendar_id,
        )
        applier = self.applier_for(link.calendar_id)
        applier.report.plans.append(plan)
        if not plan.actions:
            return True
        report = applier.report
        failed_before, counts_before = applier.failed_items, report.counts.copy()
        if any(isinstance(action, MoveToTarget) for action in plan.actions):
            # A Google write: never inside a transaction.
            applier.apply(plan, link, meeting, None, listing_complete=False)
            return applier.failed_items == failed_before
        try:
            with self.store.transaction():
                applier.apply(plan, link, meeting, None, listing_complete=False)
                if applier.failed_items != failed_before:
                    raise _ItemFailed
                if not calendar_synced and (meeting is None or meeting.fields.recurrence):
                    # With the series, in its transaction: a run failing later keeps the
                    # calendar, which picked again lists in full, and a row left would hide
                    # nothing of the new series while Google's cancellation paired with it.
                    self.store.forget_hiding_rows(link.meeting_id)
        except _ItemFailed:
            # All or none: a meeting removed while its link stayed would read, at the next
            # push before leaving, as deleted by the user, and its event would be deleted.
            report.counts = counts_before
            return False
        return True


class _ItemFailed(Exception):
    """One item's writes failed part-way: its transaction rolls back what went through."""
