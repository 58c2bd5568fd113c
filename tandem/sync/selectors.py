"""What the status page and the operators see of a user's sync."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.auth.models import User

from tandem.sync.models import SyncConflict, SyncRun, UserSyncState


@dataclass(frozen=True)
class SyncStatus:
    last_success_at: datetime | None = None
    next_due_at: datetime | None = None
    needs_attention: str = ""
    last_error: str = ""
    running: bool = False
    recent_runs: list[SyncRun] = field(default_factory=list)
    recent_conflicts: list[SyncConflict] = field(default_factory=list)


def sync_status_for(*, user: User, runs: int = 5, conflicts: int = 5) -> SyncStatus:
    state = UserSyncState.objects.filter(owner=user).first()
    recent_runs = list(SyncRun.objects.filter(owner=user).order_by("-started_at")[:runs])
    recent_conflicts = list(
        SyncConflict.objects.filter(owner=user)
        .select_related("meeting")
        .order_by("-created_at")[:conflicts]
    )
    if state is None:
        return SyncStatus(recent_runs=recent_runs, recent_conflicts=recent_conflicts)
    return SyncStatus(
        last_success_at=state.last_success_at,
        next_due_at=state.next_due_at,
        needs_attention=state.needs_attention,
        last_error=state.last_error,
        running=bool(recent_runs and recent_runs[0].status == SyncRun.Status.RUNNING),
        recent_runs=recent_runs,
        recent_conflicts=recent_conflicts,
    )
