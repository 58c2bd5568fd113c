"""CRM → Google for one writable calendar: the outbound half of the one driver.

Candidates come from the store (core/stores.py ``OutboundStore``): links whose meeting
changed since their last agreement, whose event Google cancelled, or that we are removing;
imported meetings restored in the CRM after their event was deleted; and CRM meetings never
pushed that may belong in this calendar (core/placement.py). Each is planned by the
planner's table with the Google side as the link last saw it; the one applier writes
(sendUpdates=none, If-Match) and on 412 or 409 re-reads the event and plans again.
Deletions made in the CRM go through the mass-delete breaker like those made in Google
(DESIGN.md §3).

Last come the occurrences changed or cancelled alone in the CRM (tandem.meetings
.occurrence_edits), after the inserts, so that a series new in this run is in Google by
then. Such a row (``series``, ``original_start``) starts with no link and no import record.
Its series' event in this calendar has an instance at that original start; instance ids are
opaque (Google warns not to build them), so the Google side looks it up (events.instances
with ``originalStart``), and the planner's ``plan_occurrence_out`` decides:

- A changed row PATCHes the instance's mapped fields (the recurrence stays the series') and
  is linked to it: from then on it syncs like any linked meeting, so its echo in the next
  listing changes nothing.
- A cancelled row, or a changed one deleted before it was pushed, DELETEs the instance and
  gets an import record of it: the cancelled instance the next listing shows is then known
  ("already hidden in the CRM"), and the row is not pushed again.

Writes carry ``sendUpdates=none`` and If-Match, and are idempotent: a replayed PATCH writes
the same values, a cancelled instance is not deleted again. A 412 looks the instance up
afresh and plans the row once more (DESIGN.md §3: "412 → re-read, merge, retry"; the
applier's ``push_occurrence``); a write Google refuses for it is that row's error, and the
other rows go on.
"""

from __future__ import annotations

from collections.abc import Set as AbstractSet

from tandem.sync.core.apply import Applier, Item, Planned, SyncReport, plan_hold_apply
from tandem.sync.core.state import GoogleEvent, SyncSettings
from tandem.sync.core.stores import OutboundStore


class Outbound:
    def __init__(
        self,
        *,
        store: OutboundStore,
        applier: Applier,
        settings: SyncSettings,
        allow_mass_delete: bool,
        report: SyncReport,
        held_back: AbstractSet[int] = frozenset(),
    ) -> None:
        self.store, self.applier, self.settings = store, applier, settings
        # Meetings the inbound passes of this run left for the next run (core/inbound.py
        # ``held_back``): not pushed now.
        self.held_back = held_back
        self.allow_mass_delete = allow_mass_delete
        self.report = report
        self.tripped = False  # the mass-delete breaker held this pass's deletions
        self.clean = True  # every write went through

    def run(self) -> None:
        if self.settings.read_only:
            return  # Read-only calendars never get writes.
        failed_before = self.applier.failed_items
        # Google as the last listing saw it; a 412 makes the applier read the real one
        # (and of the type the last listing read: a type Google keeps to itself is never
        # written, core/event_types.py).
        linked: list[Item] = [
            (
                link,
                meeting,
                GoogleEvent(
                    link.event_id,
                    link.etag,
                    link.base,
                    event_type=link.event_type,
                ),
            )
            for link, meeting in self.store.linked_candidates()
            if meeting.meeting_id not in self.held_back
        ]
        planned, verdict = plan_hold_apply(
            linked,
            applier=self.applier,
            listing_complete=False,
            synced=self.store.synced,
            allow_mass_delete=self.allow_mass_delete,
        )
        if verdict.tripped:
            self.tripped = True
            self.report.needs_attention = self.report.needs_attention or verdict.reason
            held = [p.crm for p in planned if p.plan.deletes and p.crm is not None]
            self.store.hold(verdict.reason, held)
        self._versions_agree(planned)
        for meeting, event_id in self.store.restored_imports():
            # Imported, deleted in Google, restored in the CRM: the planner undeletes it.
            # Read and written one at a time, so a run the request budget stops part-way
            # has restored what it read.
            self._one((None, meeting, self.applier.fetch(event_id)))
        # Looked up after the writes above, which may unlink a meeting. The planner inserts
        # those whose home is this calendar (core/placement.py).
        for meeting in self.store.unpushed():
            self._one((None, meeting, None))
        # After the inserts above: a series new in this run is in Google by now.
        for occurrence in self.store.unpushed_occurrences():
            if occurrence.row.meeting_id not in self.held_back:
                self.applier.push_occurrence(occurrence)
        # Clean: every item this pass planned went through (the un-picked calendar's leaving
        # waits for that, core/settings_changes.py).
        self.clean = self.applier.failed_items == failed_before

    def _one(self, item: Item) -> None:
        """An item that cannot delete (a restore, a first push): planned and applied alone."""
        plan_hold_apply(
            [item],
            applier=self.applier,
            listing_complete=False,
            synced=self.store.synced,
            allow_mass_delete=self.allow_mass_delete,
        )

    def _versions_agree(self, planned: list[Planned]) -> None:
        """Links whose meeting changed but not in a mapped field (or back to the agreed
        value): nothing to write, the link takes the meeting's version."""
        for entry in planned:
            link, meeting = entry.link, entry.crm
            if entry.plan.actions or link is None or meeting is None:
                continue
            if link.crm_version != meeting.version:
                self.store.version_agrees(link, meeting.version)
