"""The planner's output: what to do to each side and to the link store, in order.

An ``ItemPlan`` is applied in order and stops at the first failed write; ``SaveLink``
takes the meeting id, event id, etag and version from the writes before it (or from what
was listed when there were none), so the planner never guesses values Google will assign.
"""

from __future__ import annotations

from typing import TypeAlias

import msgspec

from tandem.sync.core.fields import FIELD_NAMES, FieldName, MeetingFields
from tandem.sync.core.merge import Conflict, Side


class CreateInCrm(msgspec.Struct, frozen=True):
    """``replaces``: a row that hid this event's slot (a cancelled occurrence, restored)."""

    event_id: str
    fields: MeetingFields
    read_only: bool = False
    replaces: int | None = None


class CreateOccurrence(msgspec.Struct, frozen=True):
    """A changed occurrence becomes a row of its CRM series at its original start;
    ``replaces``: the row that hid it while it was cancelled (restored in Google)."""

    event_id: str
    fields: MeetingFields
    series_id: int
    read_only: bool
    replaces: int | None = None


class HideOccurrence(msgspec.Struct, frozen=True):
    """A cancelled occurrence becomes a row that only hides its slot in the CRM series."""

    event_id: str
    series_id: int
    read_only: bool


class WaitForSeries(msgspec.Struct, frozen=True):
    """An occurrence listed before its series: planned again once the listing has been
    read (a listing's order is unspecified)."""

    event_id: str


class UpdateCrm(msgspec.Struct, frozen=True):
    """``read_only``: also mark the meeting read-only (its calendar or its event type lets
    nothing be written to Google, and the meeting was made editable before that was known)."""

    meeting_id: int
    fields: MeetingFields
    expected_version: int | None
    restore: bool = False
    read_only: bool = False


class DeleteInCrm(msgspec.Struct, frozen=True):
    """``with_calendar``: the meeting leaves the CRM with its calendar, which the user no
    longer syncs (Google keeps the event); not a deletion the user made, so the mass-delete
    breaker does not count it."""

    meeting_id: int
    expected_version: int
    with_calendar: bool = False


class InsertInGoogle(msgspec.Struct, frozen=True):
    meeting_id: int
    fields: MeetingFields


class PatchGoogle(msgspec.Struct, frozen=True):
    """PATCH ``changed`` fields of ``fields`` with If-Match ``etag``; ``restore`` also sets
    the status back to confirmed (an edit beat a deletion)."""

    event_id: str
    etag: str
    fields: MeetingFields
    changed: tuple[FieldName, ...] = FIELD_NAMES
    restore: bool = False


class DeleteInGoogle(msgspec.Struct, frozen=True):
    """``keep_in_crm``: a pushed meeting leaving Google because it became private; not a
    deletion of the user's data, so the mass-delete breaker does not count it."""

    event_id: str
    etag: str
    keep_in_crm: bool = False


class RecordImport(msgspec.Struct, frozen=True):
    """The row stands for this (cancelled) instance from now on: the instance the next
    listing shows is then known ("already in the CRM"), and the row is not pushed again."""

    meeting_id: int
    event_id: str


class DiscardRow(msgspec.Struct, frozen=True):
    """A CRM row for an occurrence another row already holds: removed, not a deletion."""

    meeting_id: int


class DetachOccurrence(msgspec.Struct, frozen=True):
    """An occurrence row becomes a meeting of its own in the CRM, with its values: its
    series was deleted in Google, and the CRM changed it since the last agreement. Not a
    deletion; the outbound pass inserts it in Google as a single event.
    ``expected_version``: None for a row its series' plan names (that plan read its id)."""

    meeting_id: int
    expected_version: int | None


class MergeIntoRow(msgspec.Struct, frozen=True):
    """One row per occurrence: this row's values go onto ``into`` (the row a listing made
    for the instance first), pushed as a CRM edit where they differ; this row goes."""

    meeting_id: int
    into: int
    fields: MeetingFields


class MoveToTarget(msgspec.Struct, frozen=True):
    """``events.move`` of a pushed meeting's event to the new target calendar."""

    event_id: str
    destination: str


class ForgetImport(msgspec.Struct, frozen=True):
    """The meeting is no longer an import of a synced calendar (its calendar was un-picked):
    picked again, the event comes back as a new meeting, and restored, it is a CRM one."""

    meeting_id: int


class SaveLink(msgspec.Struct, frozen=True):
    base: MeetingFields
    origin: Side
    leaving: bool = False


class DropLink(msgspec.Struct, frozen=True):
    meeting_id: int


class RecordConflict(msgspec.Struct, frozen=True):
    conflicts: tuple[Conflict, ...]


class RecordProblem(msgspec.Struct, frozen=True):
    """An item the sync cannot carry out, said to the user. ``holds_token``: the listing's
    sync token waits for it, so the next run brings the item again (a problem that may pass
    by itself); False for one that lasts until the event changes in Google, which brings it
    again anyway: reported once, and the listing goes on (planner.py)."""

    event_id: str
    message: str
    holds_token: bool = True


Action: TypeAlias = (
    CreateInCrm
    | CreateOccurrence
    | HideOccurrence
    | WaitForSeries
    | UpdateCrm
    | DeleteInCrm
    | InsertInGoogle
    | PatchGoogle
    | DeleteInGoogle
    | MoveToTarget
    | ForgetImport
    | RecordImport
    | DiscardRow
    | DetachOccurrence
    | MergeIntoRow
    | SaveLink
    | DropLink
    | RecordConflict
    | RecordProblem
)
SIDE_WRITES = (
    CreateInCrm,
    CreateOccurrence,
    HideOccurrence,
    UpdateCrm,
    DetachOccurrence,
    DeleteInCrm,
    InsertInGoogle,
    PatchGoogle,
    DeleteInGoogle,
    MoveToTarget,
)


class ItemPlan(msgspec.Struct, frozen=True):
    """The actions for one item and the branch of the table that chose them (``why``)."""

    meeting_id: int | None
    event_id: str | None
    actions: tuple[Action, ...]
    why: str

    @property
    def deletes(self) -> int:
        """Deletions of user data in this plan (what the mass-delete breaker counts)."""
        return sum(
            (isinstance(action, DeleteInCrm) and not action.with_calendar)
            or (isinstance(action, DeleteInGoogle) and not action.keep_in_crm)
            for action in self.actions
        )

    @property
    def deletes_in_crm(self) -> int:
        """Meetings this plan deletes in the CRM (their events were deleted in Google)."""
        return sum(
            isinstance(action, DeleteInCrm) and not action.with_calendar for action in self.actions
        )

    @property
    def deletes_in_google(self) -> int:
        """Events this plan deletes in Google (their meetings were deleted in the CRM)."""
        return self.deletes - self.deletes_in_crm

    @property
    def writes(self) -> int:
        return sum(isinstance(action, SIDE_WRITES) for action in self.actions)
