"""Conflicts as the status page shows them."""

from __future__ import annotations

from collections.abc import Sequence

from django.contrib.auth.models import User

from tandem.sync.core.merge import Conflict
from tandem.sync.models import SyncConflict

RULE = "the later edit wins; ties go to the CRM"


def _jsonable(value: object) -> object:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, tuple):
        return list(value)
    return str(value)


def conflict_rows(
    *, user: User, run_id: int | None, meeting_id: int | None, conflicts: Sequence[Conflict]
) -> list[SyncConflict]:
    if meeting_id is None:
        return []
    return [
        SyncConflict(
            owner=user,
            run_id=run_id,
            meeting_id=meeting_id,
            field=conflict.field,
            base_value=_jsonable(conflict.base),
            crm_value=_jsonable(conflict.crm),
            google_value=_jsonable(conflict.google),
            winner=conflict.winner,
            rule=RULE,
        )
        for conflict in conflicts
    ]
