"""Conflicts as the status page shows them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.contrib.auth.models import User

from tandem.sync.core.apply import SyncReport
from tandem.sync.core.merge import Conflict
from tandem.sync.models import SyncConflict

if TYPE_CHECKING:
    from tandem.sync.engine.context import RunContext

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


def record_report(ctx: RunContext, report: SyncReport) -> None:
    """What one pass of the core did, into the run's report: errors, warnings, counts, and
    the conflicts the applier settled (a 412's re-read and re-plan) as conflict rows."""
    ctx.report.errors.extend(report.errors)
    ctx.report.warnings.extend(report.warnings)
    ctx.report.counts.update(report.counts)
    if report.conflicts:
        SyncConflict.objects.bulk_create(
            row
            for meeting_id, conflict in report.conflicts
            for row in conflict_rows(
                user=ctx.user, run_id=ctx.run_id, meeting_id=meeting_id, conflicts=[conflict]
            )
        )
        ctx.report.counts["conflicts"] += len(report.conflicts)
