"""The convergence tests' record of edits a later sync still owes (both state machines:
tests/sync_core/test_convergence.py in memory, tests/sync/test_convergence_db.py against the
database and the emulator)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tandem.sync.core.fields import MeetingFields


@dataclass(frozen=True)
class PendingEdit:
    """An edit a person made that a later sync must apply or record as a conflict."""

    item: Any  # a meeting id, or a key naming an event the CRM does not know yet
    side: str  # "crm" or "google"
    values: dict[str, Any]


def after_edit(
    pending: list[PendingEdit],
    item: Any,
    side: str,
    values: dict[str, Any],
    before: MeetingFields,
) -> list[PendingEdit]:
    """``pending`` once ``side`` set ``values`` on ``item``, whose fields were ``before``."""
    if all(before.value(name) == value for name, value in values.items()):
        return pending  # Saving the same value again is no edit.
    # A later edit of the same field of the same item supersedes an earlier one.
    kept = [edit for edit in pending if not (edit.item == item and set(edit.values) & set(values))]
    return [*kept, PendingEdit(item, side, values)]


def after_deletion(
    pending: list[PendingEdit], item: Any, side: str, seen: MeetingFields
) -> list[PendingEdit]:
    """The deleter discards their own edits and the other side's edits they could see
    (``seen``); an edit they could not see yet must beat the deletion."""
    return [
        edit
        for edit in pending
        if not (edit.item == item and (edit.side == side or shows(seen, edit)))
    ]


def shows(fields: MeetingFields | None, edit: PendingEdit) -> bool:
    return fields is not None and all(fields.value(n) == v for n, v in edit.values.items())
