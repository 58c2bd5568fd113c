"""``tandem status``: connected, due and failing users, as plain text for a terminal or as
JSON (``--json``) for scripts."""

from __future__ import annotations

import json
from datetime import datetime

from django.utils import timezone

from tandem.sync.selectors import SyncOverview, UserLine, sync_overview


def _when(moment: datetime | None, now: datetime) -> str:
    if moment is None:
        return "never"
    seconds = int((moment - now).total_seconds())
    span = abs(seconds)
    text = f"{span}s" if span < 120 else f"{span // 60}min" if span < 7200 else f"{span // 3600}h"
    return f"in {text}" if seconds > 0 else f"{text} ago"


def _line(user: UserLine, now: datetime, *, with_problem: bool) -> str:
    parts = [
        f"  {user.username}",
        f"<{user.google_email}>" if user.google_email else "",
        f"last success {_when(user.last_success_at, now)}",
        f"next {_when(user.next_due_at, now)}" if user.next_due_at else "",
    ]
    if with_problem:
        parts.append(f"— {user.problem}")
    return " ".join(part for part in parts if part)


def overview_text(overview: SyncOverview, *, now: datetime) -> str:
    out = [f"Connected: {len(overview.connected)}"]
    out += [_line(user, now, with_problem=False) for user in overview.connected[:50]]
    if len(overview.connected) > 50:
        out.append(f"  … and {len(overview.connected) - 50} more")
    out.append(f"Due now: {len(overview.due)}")
    out += [_line(user, now, with_problem=False) for user in overview.due[:50]]
    if len(overview.due) > 50:
        out.append(f"  … and {len(overview.due) - 50} more")
    out.append(f"Failing: {len(overview.failing)}")
    out += [_line(user, now, with_problem=True) for user in overview.failing]
    return "\n".join(out)


def status_report() -> str:
    now = timezone.now()
    return overview_text(sync_overview(now=now), now=now)


def _line_json(user: UserLine) -> dict[str, object]:
    return {
        "username": user.username,
        "google_email": user.google_email,
        "last_success_at": user.last_success_at.isoformat() if user.last_success_at else None,
        "next_due_at": user.next_due_at.isoformat() if user.next_due_at else None,
        "problem": user.problem,
    }


def status_json() -> str:
    """``tandem status --json``: the same three lists, whole, as one JSON object."""
    overview = sync_overview()
    return json.dumps(
        {
            "connected": [_line_json(user) for user in overview.connected],
            "due": [_line_json(user) for user in overview.due],
            "failing": [_line_json(user) for user in overview.failing],
        }
    )
