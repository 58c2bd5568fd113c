"""What the status page and the operators see of users' sync."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.utils import timezone

from tandem.accounts.models import GoogleConnection, SyncSettings
from tandem.sync.core.run_report import HELD_SHOWN
from tandem.sync.models import SyncConflict, SyncRun, UserSyncState
from tandem.sync.scheduling import due_user_ids, syncable_user_ids


@dataclass(frozen=True)
class HeldMeeting:
    """A meeting whose deletion the breaker held (``UserSyncState.held_deletions``)."""

    subject: str
    start: date | datetime | None
    deleted_in: str  # "google" or "crm"
    meeting_id: int | None = None

    @classmethod
    def of(cls, entry: dict[str, Any]) -> HeldMeeting:
        text = str(entry.get("start", ""))
        start: date | datetime | None
        try:
            start = datetime.fromisoformat(text) if "T" in text else date.fromisoformat(text)
        except ValueError:
            start = None
        meeting_id = entry.get("meeting_id")
        return cls(
            str(entry.get("subject", "")),
            start,
            str(entry.get("deleted_in", "")),
            meeting_id if isinstance(meeting_id, int) else None,
        )


@dataclass(frozen=True)
class SyncStatus:
    last_success_at: datetime | None = None
    next_due_at: datetime | None = None
    needs_attention: str = ""
    # "mass_delete" (the breaker holds deletions back: apply or keep) or "stopped" (any other
    # reason the schedule skips the user: resume); "" when nothing waits for the user.
    attention_kind: str = ""
    # The meetings the breaker held back, as the question lists them.
    held_deletions: list[HeldMeeting] = field(default_factory=list)
    held_deletions_cut: bool = False  # more were held than the list keeps (HELD_SHOWN)
    last_error: str = ""
    running: bool = False
    recent_runs: list[SyncRun] = field(default_factory=list)
    recent_conflicts: list[SyncConflict] = field(default_factory=list)


def sync_status_for(*, user: User, runs: int = 5, conflicts: int = 5) -> SyncStatus:
    state = UserSyncState.objects.filter(owner=user).first()
    recent_runs = list(runs_of(owner=user)[:runs])
    recent_conflicts = list(conflicts_of(owner=user)[:conflicts])
    if state is None:
        return SyncStatus(recent_runs=recent_runs, recent_conflicts=recent_conflicts)
    return SyncStatus(
        last_success_at=state.last_success_at,
        next_due_at=state.next_due_at,
        needs_attention=state.needs_attention,
        attention_kind=_attention_kind(state, recent_runs),
        held_deletions=[HeldMeeting.of(entry) for entry in state.held_deletions or []],
        held_deletions_cut=len(state.held_deletions or []) >= HELD_SHOWN,
        last_error=state.last_error,
        # A run left "running" by a worker that died is not running once its lease is over.
        running=bool(
            recent_runs
            and recent_runs[0].status == SyncRun.Status.RUNNING
            and state.locked_until is not None
            and state.locked_until > timezone.now()
        ),
        recent_runs=recent_runs,
        recent_conflicts=recent_conflicts,
    )


def runs_of(*, owner: User) -> QuerySet[SyncRun]:
    """The owner's sync runs, newest first."""
    return SyncRun.objects.filter(owner=owner).order_by("-started_at", "-pk")


def conflicts_of(*, owner: User) -> QuerySet[SyncConflict]:
    """The conflicts settled in the owner's runs, newest first, with their meetings."""
    return (
        SyncConflict.objects.filter(owner=owner)
        .select_related("meeting")
        .order_by("-created_at", "-pk")
    )


def _attention_kind(state: UserSyncState, recent_runs: list[SyncRun]) -> str:
    if not state.needs_attention:
        return ""
    finished = [run for run in recent_runs if run.status != SyncRun.Status.RUNNING]
    if finished and finished[0].status == SyncRun.Status.NEEDS_ATTENTION:
        return "mass_delete"
    return "stopped"


def sync_is_set_up(*, user_id: int) -> bool:
    """Google is connected with calendar access and the sync settings are saved."""
    return (
        SyncSettings.objects.filter(
            connection__user_id=user_id,
            connection__status=GoogleConnection.Status.CONNECTED,
            saved_at__isnull=False,
        )
        .exclude(target_calendar_id="")
        .exists()
    )


@dataclass(frozen=True)
class UserLine:
    user_id: int
    username: str
    google_email: str
    last_success_at: datetime | None
    next_due_at: datetime | None
    problem: str


@dataclass(frozen=True)
class SyncOverview:
    """What an operator asks first: who is connected, who is due, who is failing."""

    connected: list[UserLine]
    due: list[UserLine]
    failing: list[UserLine]


def sync_overview(*, now: datetime | None = None) -> SyncOverview:
    now = now or timezone.now()
    connected_ids = syncable_user_ids()
    due = set(due_user_ids(now=now))
    lines = {line.user_id: line for line in _user_lines(user_ids=connected_ids)}
    failing_ids = set(
        UserSyncState.objects.exclude(needs_attention="", last_error="").values_list(
            "owner_id", flat=True
        )
    ) | set(
        GoogleConnection.objects.filter(
            status__in=[
                GoogleConnection.Status.NEEDS_RECONNECT,
                GoogleConnection.Status.SCOPE_MISSING,
            ]
        ).values_list("user_id", flat=True)
    )
    missing = failing_ids - lines.keys()
    lines |= {line.user_id: line for line in _user_lines(user_ids=sorted(missing))}
    return SyncOverview(
        connected=[lines[i] for i in sorted(connected_ids)],
        due=[lines[i] for i in sorted(due)],
        failing=[lines[i] for i in sorted(failing_ids)],
    )


def _user_lines(*, user_ids: list[int]) -> list[UserLine]:
    users = User.objects.filter(pk__in=user_ids).select_related("sync_state", "google_connection")
    lines = []
    for user in users:
        state = getattr(user, "sync_state", None)
        connection = getattr(user, "google_connection", None)
        problem = ""
        if state is not None:
            problem = state.needs_attention or state.last_error
        if connection is not None and connection.status != GoogleConnection.Status.CONNECTED:
            problem = problem or connection.status_detail or connection.get_status_display()
        lines.append(
            UserLine(
                user_id=user.pk,
                username=user.get_username(),
                google_email=connection.email if connection else "",
                last_success_at=state.last_success_at if state else None,
                next_due_at=state.next_due_at if state else None,
                problem=problem,
            )
        )
    return lines
