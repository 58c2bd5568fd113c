"""``tandem sync [--user USERNAME]`` (also ``tandem manage sync``): a sync run now.

With ``--user`` that user is synced whatever the schedule says; without it, every user who
is due (tandem.sync.scheduling.due_user_ids) is synced one after the other. Each run prints
its outcome, the requests it made and its counts. The exit status is 1 when a run did not
succeed (failed, needs attention, busy or not possible), so scripts and cron can tell.
"""

from __future__ import annotations

import time
from typing import Any

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError, CommandParser

from tandem.accounts.models import GoogleConnection
from tandem.sync.engine import SyncOutcome, sync_user_now
from tandem.sync.scheduling import due_user_ids

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


def counts_line(counts: dict[str, int]) -> str:
    """``created in the CRM 3, updated in Google 1`` or ``nothing changed``."""
    known = [f"{label} {counts[key]}" for key, label in COUNT_LABELS.items() if counts.get(key)]
    other = [
        f"{key} {value}"
        for key, value in sorted(counts.items())
        if key not in COUNT_LABELS and value
    ]
    return ", ".join(known + other) or "nothing changed"


def outcome_line(username: str, outcome: SyncOutcome, seconds: float) -> str:
    if outcome.busy:
        return f"{username}: another sync of this user is running; try again in a moment."
    if outcome.run is None:
        return f"{username}: not synced: {outcome.skipped}"
    run = outcome.run
    line = (
        f"{username}: {run.get_status_display().lower()} in {seconds:.1f} s, "
        f"{run.requests} request{'' if run.requests == 1 else 's'} to Google; "
        f"{counts_line(outcome.counts)}"
    )
    if run.errors:
        line += "\n  errors: " + "\n  errors: ".join(str(error) for error in run.errors)
    return line


def succeeded(outcome: SyncOutcome) -> bool:
    return outcome.run is not None and outcome.run.status == "succeeded"


class Command(BaseCommand):
    help = "Sync now: one user (--user), or every user whose sync is due."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--user", dest="username", help="the username to sync now")

    def handle(self, *args: Any, **options: Any) -> None:
        username: str | None = options["username"]
        if username is not None:
            users = [self._connected_user(username)]
        else:
            due = due_user_ids()
            users = list(User.objects.filter(pk__in=due).order_by("username"))
            if not users:
                self.stdout.write("No user is due for a sync.")
                return
        failures = 0
        for user in users:
            started = time.perf_counter()
            outcome = sync_user_now(user_id=user.pk, trigger="command")
            self.stdout.write(outcome_line(user.username, outcome, time.perf_counter() - started))
            failures += not succeeded(outcome)
        if failures:
            raise CommandError(f"{failures} of {len(users)} sync runs did not succeed.")

    def _connected_user(self, username: str) -> User:
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user is named {username!r}.")
        connection = GoogleConnection.objects.filter(user=user).first()
        if connection is None or connection.status != GoogleConnection.Status.CONNECTED:
            state = connection.get_status_display() if connection else "Not connected"
            raise CommandError(
                f"{username} cannot be synced (Google: {state}). Connect Google under "
                "My Preferences > External services first."
            )
        return user
