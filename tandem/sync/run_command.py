"""What ``tandem sync`` does (also ``tandem manage sync``): sync one user now, or every user
who is due, and say how each run went, as text or as one JSON object per user.

``--apply-deletions`` and ``--keep-meetings`` answer the mass-delete breaker's question for
one user, as the page's buttons do (the check is tandem.sync.user_actions'), but run the
answer's task here and now instead of queueing it, so the command can report its run.

Exit status (the first that applies to any user, in this order):

- 1: a run failed;
- 2: a run needs attention (the breaker holds deletions back, or the sync is stopped);
- 3: another sync of the user was running, nothing was done (try again in a moment);
- 4: the user cannot be synced: unknown, Google not connected, settings not saved, or
  nothing waits for the answer given;
- 0: every run succeeded (also when no user was due);
- 64: wrong options (e.g. an answer without ``--user``).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from celery.exceptions import Retry
from django.contrib.auth.models import User
from django.utils import timezone

from tandem.accounts.models import GoogleConnection
from tandem.google.errors import GoogleError
from tandem.meetings.admin_masking import HIDDEN, masked_for_viewer
from tandem.meetings.models import Meeting
from tandem.meetings.selectors import BUSY
from tandem.sync.admin import HIDDEN_FIELDS
from tandem.sync.core.run_report import RunProblem
from tandem.sync.engine import sync_user_now
from tandem.sync.models import SyncConflict, SyncRun, UserSyncState
from tandem.sync.scheduling import due_user_ids
from tandem.sync.selectors import conflicts_of
from tandem.sync.tasks import sync_user_allowing_deletions, sync_user_keeping_meetings
from tandem.sync.user_actions import answer_claim


class Output(Protocol):
    """Where lines go: sys.stdout, or a management command's OutputWrapper."""

    def write(self, text: str, /) -> Any: ...

    def flush(self) -> Any: ...


EXIT_SYNCED = 0
EXIT_FAILED = 1
EXIT_NEEDS_ATTENTION = 2
EXIT_BUSY = 3
EXIT_NOT_SYNCED = 4
# Wrong options: argparse's own 2 would read as "needs attention" (64 is EX_USAGE).
EXIT_USAGE = 64
HELD_LISTED = 10  # held meetings the text output names; --json lists every one
_SEVERITY = (EXIT_FAILED, EXIT_NEEDS_ATTENTION, EXIT_BUSY, EXIT_NOT_SYNCED)
_EXIT_OF_STATUS = {
    SyncRun.Status.SUCCEEDED: EXIT_SYNCED,
    SyncRun.Status.FAILED: EXIT_FAILED,
    SyncRun.Status.NEEDS_ATTENTION: EXIT_NEEDS_ATTENTION,
    "busy": EXIT_BUSY,
    "not_synced": EXIT_NOT_SYNCED,
}

# Labels in the order a person reads a run: what came in, what went out, what needs a look.
COUNT_LABELS = {
    "crm_created": "created in the CRM",
    "crm_updated": "updated in the CRM",
    "crm_restored": "restored in the CRM",
    "crm_deleted": "deleted in the CRM",
    "crm_removed_with_calendar": "removed with an unsynced calendar",
    "google_created": "created in Google",
    "google_updated": "updated in Google",
    "google_deleted": "deleted in Google",
    "google_moved": "moved to the target calendar",
    "conflicts": "conflicts",
    "problems": "skipped (unreadable events)",
    "full_resyncs": "full re-lists",
}


@dataclass
class UserResult:
    """How one user's sync went: ``status`` is a run's status, "busy" or "not_synced"."""

    username: str
    status: str
    run: SyncRun | None = None
    message: str = ""
    seconds: float = 0.0
    errors: list[RunProblem] = field(default_factory=list)
    # The meetings whose deletion the breaker held, as the question lists them (the
    # operator's view: a private meeting is Busy).
    held: list[dict[str, Any]] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return _EXIT_OF_STATUS.get(self.status, EXIT_FAILED)


def counts_line(counts: dict[str, int]) -> str:
    """``created in the CRM 3, updated in Google 1`` or ``nothing changed``."""
    known = [f"{label} {counts[key]}" for key, label in COUNT_LABELS.items() if counts.get(key)]
    other = [
        f"{key} {value}"
        for key, value in sorted(counts.items())
        if key not in COUNT_LABELS and value
    ]
    return ", ".join(known + other) or "nothing changed"


def result_line(result: UserResult) -> str:
    if result.status == "busy":
        return f"{result.username}: another sync of this user is running; try again in a moment."
    if result.run is None:
        line = f"{result.username}: not synced: {result.message}"
        if result.status == SyncRun.Status.FAILED:
            line = f"{result.username}: failed: {result.message}"
        return line
    run = result.run
    line = (
        f"{result.username}: {run.get_status_display().lower()} in {result.seconds:.1f} s, "
        f"{run.requests} request{'' if run.requests == 1 else 's'} to Google; "
        f"{counts_line(run.counts)}"
    )
    if result.errors:
        line += "".join(f"\n  errors: {error.text}" for error in result.errors)
    if result.status == SyncRun.Status.NEEDS_ATTENTION and result.message:
        line += f"\n  needs attention: {result.message}"
    for held in result.held[:HELD_LISTED]:
        where = "Google" if held["deleted_in"] == "google" else "the CRM"
        line += f"\n  held: {held['subject']} ({held['start']}), deleted in {where}"
    if len(result.held) > HELD_LISTED:
        line += f"\n  held: and {len(result.held) - HELD_LISTED} more (--json lists them all)"
    return line


def result_json(result: UserResult) -> dict[str, Any]:
    """One user's object for ``--json``: the run as the API gives it (/api/v1/sync/runs/),
    its conflicts, and what waits for an answer."""
    from tandem.api.sync_serializers import (
        RunProblemSerializer,
        SyncConflictSerializer,
        SyncRunSerializer,
    )

    run = dict(SyncRunSerializer(result.run).data) if result.run else {}
    conflicts = _conflicts_during(result.run) if result.run else []
    return {
        "user": result.username,
        "status": result.status,
        "exit_code": result.exit_code,
        "message": result.message,
        "run_id": run.get("id"),
        "trigger": run.get("trigger"),
        "started_at": run.get("started_at"),
        "finished_at": run.get("finished_at"),
        "seconds": round(result.seconds, 3),
        "requests": run.get("requests", 0),
        "counts": run.get("counts", {}),
        "errors": RunProblemSerializer(result.errors, many=True).data,
        "held_meetings": result.held,
        "conflicts": [
            _as_operator_sees_it(conflict, row)
            for conflict, row in zip(
                conflicts, SyncConflictSerializer(conflicts, many=True).data, strict=True
            )
        ],
    }


def _as_operator_sees_it(conflict: SyncConflict, row: dict[str, Any]) -> dict[str, Any]:
    """`tandem sync` is an operator's command: a private meeting is Busy there and its
    hidden fields' values are not shown, as in the admin (DESIGN §3: admins included)."""
    if not masked_for_viewer(conflict.meeting):  # no viewer: every private meeting is
        return dict(row)
    shown = {**row, "meeting": {**row["meeting"], "subject": BUSY}}
    if conflict.field in HIDDEN_FIELDS:
        shown.update(base_value=HIDDEN, crm_value=HIDDEN, google_value=HIDDEN)
    return shown


def held_as_operator_sees_them(user: User, state: UserSyncState) -> list[dict[str, Any]]:
    """The breaker's held deletions with each private meeting's subject as Busy (DESIGN §3:
    admins included), whatever the record kept."""
    entries = list(state.held_deletions or [])
    meetings = Meeting.objects.filter(
        owner=user, pk__in=[entry.get("meeting_id") for entry in entries]
    ).in_bulk()
    shown = []
    for entry in entries:
        meeting = meetings.get(entry.get("meeting_id"))
        private = meeting is None or masked_for_viewer(meeting)  # gone since: shown as Busy
        shown.append({**entry, "subject": BUSY if private else entry.get("subject", "")})
    return shown


def _conflicts_during(run: SyncRun) -> list[SyncConflict]:
    return list(conflicts_of(owner=run.owner).filter(run=run))


def _user_problem(username: str) -> tuple[User | None, str]:
    user = User.objects.filter(username=username).first()
    if user is None:
        return None, f"No user is named {username!r}."
    connection = GoogleConnection.objects.filter(user=user).first()
    if connection is None or connection.status != GoogleConnection.Status.CONNECTED:
        state = connection.get_status_display() if connection else "Not connected"
        return user, (
            f"{username} cannot be synced (Google: {state}). Connect Google under "
            "My Preferences > External services first."
        )
    return user, ""


def _latest_run(user: User, since: datetime) -> SyncRun | None:
    return SyncRun.objects.filter(owner=user, started_at__gte=since).order_by("-started_at").first()


def sync_one(user: User, *, answer: str = "") -> UserResult:
    """Syncs the user now (or runs the answer to the breaker) and reports the run."""
    started, since = time.perf_counter(), timezone.now()
    result = UserResult(username=user.username, status="not_synced")
    if answer:
        refusal = answer_claim(user=user, answer=answer)
        if refusal is not None:
            result.message = refusal.message
            return result
        _run_answer(result, user=user, answer=answer)
        run = _latest_run(user, since)
    else:
        outcome = sync_user_now(user_id=user.pk, trigger="command")
        result.status = "busy" if outcome.busy else result.status
        result.message = outcome.skipped
        run = outcome.run
    result.seconds = time.perf_counter() - started
    if run is not None:
        result.run, result.status = run, run.status
        # A retryable error the answer's task raised is usually the run's own error too.
        result.errors = list(dict.fromkeys([*run.report.errors, *result.errors]))
    if result.status == SyncRun.Status.NEEDS_ATTENTION:
        state = UserSyncState.objects.filter(owner=user).first()
        result.message = state.needs_attention if state else ""
        result.held = held_as_operator_sees_them(user, state) if state else []
    return result


def _run_answer(result: UserResult, *, user: User, answer: str) -> None:
    # Called directly, a Celery task runs here; its retry then raises instead of queueing:
    # Retry when the user is busy, the Google error when it was a retryable one.
    task = sync_user_allowing_deletions if answer == "apply" else sync_user_keeping_meetings
    try:
        summary = task(user_id=user.pk)
    except Retry:
        result.status = "busy"
        return
    except GoogleError as error:
        result.status = SyncRun.Status.FAILED
        result.errors, result.message = [RunProblem(str(error))], str(error)
        return
    if summary.get("status") == "failed":  # Google refused before any run (keep-meetings)
        state = UserSyncState.objects.get(owner=user)
        result.status, result.message = SyncRun.Status.FAILED, state.last_error
        result.errors = [RunProblem(state.last_error)]
    elif summary.get("skipped"):
        result.message = str(summary["skipped"])


def exit_code(results: list[UserResult]) -> int:
    codes = {result.exit_code for result in results}
    return next((code for code in _SEVERITY if code in codes), EXIT_SYNCED)


def run_sync_command(
    *, username: str | None, as_json: bool, answer: str, out: Output, err: Output
) -> int:
    """``tandem sync``: prints each user's result and returns the exit status."""
    if answer and username is None:
        # One question, one user's: never answered for every due user at once.
        err.write("tandem sync: --apply-deletions and --keep-meetings need --user.\n")
        return EXIT_USAGE
    if username is not None:
        user, problem = _user_problem(username)
        if user is None or problem:
            result = UserResult(username=username, status="not_synced", message=problem)
            if as_json:
                out.write(json.dumps(result_json(result)) + "\n")
            else:
                err.write(f"tandem sync: {problem}\n")
            return result.exit_code
        users = [user]
    else:
        users = list(User.objects.filter(pk__in=due_user_ids()).order_by("username"))
        if not users and not as_json:
            out.write("No user is due for a sync.\n")
    results = []
    for user in users:
        result = sync_one(user, answer=answer)
        results.append(result)
        # Each line as soon as its run ends: a long batch shows its progress.
        out.write((json.dumps(result_json(result)) if as_json else result_line(result)) + "\n")
        out.flush()
    failed = sum(result.exit_code != EXIT_SYNCED for result in results)
    if failed and not as_json:
        err.write(f"tandem sync: {failed} of {len(results)} sync runs did not succeed.\n")
    return exit_code(results)
