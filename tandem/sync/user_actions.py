"""What a user may ask of their own sync: "Sync now", and the answers when a sync needs
attention (apply the held deletions, keep my meetings, resume). The pages
(tandem.sync.views), the JSON API (tandem.api.sync_views) and the CLI call these, so each
check and each message is written once. The work itself is queued through tandem.sync.tasks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from django.contrib.auth.models import User
from django.db import transaction

from tandem.accounts import google_services
from tandem.accounts.models import GoogleConnection
from tandem.sync.models import UserSyncState
from tandem.sync.selectors import sync_status_for
from tandem.sync.tasks import (
    attention_apply_deletions,
    attention_keep_meetings,
    attention_resume,
    request_sync,
)

Level = Literal["success", "info", "warning", "error"]
ANSWERS = {"apply": "mass_delete", "keep": "mass_delete", "resume": "stopped"}

CONNECT_FIRST = "Connect Google with calendar access first."
SETTINGS_FIRST = "Save the synchronization settings first."
SYNC_STARTS = "A sync starts within seconds."
ALREADY_QUEUED = "A sync is already queued; it starts within seconds."
NOTHING_WAITS = "Nothing waits for your answer."
ANSWER_DOES_NOT_FIT = "That answer does not fit what the sync is waiting for."
ALREADY_ANSWERED = "This question has been answered already."
ANSWERED = {
    "apply": (
        "The deletions are applied within seconds; deleted meetings can be restored for 30 days."
    ),
    "keep": "Your meetings stay. Tandem re-reads your Google calendars.",
    "resume": "Sync resumes within seconds.",
}


@dataclass(frozen=True)
class ActionResult:
    """``accepted``: something was (or already is) queued. ``missing`` names the step the
    user must take first: "connect" or "settings"; ``refused`` says the request did not fit
    the sync's state."""

    accepted: bool
    level: Level
    message: str
    missing: str = ""
    refused: bool = False


def sync_now_request(*, user: User) -> ActionResult:
    """Queues a sync of the user soon, unless one is already queued."""
    connection = google_services.connection_for(user=user)
    if connection.status != GoogleConnection.Status.CONNECTED:
        return ActionResult(False, "error", CONNECT_FIRST, missing="connect")
    if not google_services.settings_for(connection=connection).is_complete:
        return ActionResult(False, "warning", SETTINGS_FIRST, missing="settings")
    if request_sync(user_id=user.pk, trigger="manual"):
        return ActionResult(True, "success", SYNC_STARTS)
    return ActionResult(True, "info", ALREADY_QUEUED)


def attention_answer(*, user: User, answer: str) -> ActionResult:
    """The user's answer to what the sync waits for: "apply" or "keep" the deletions the
    mass-delete breaker held back, or "resume" a sync stopped for another reason."""
    refusal = answer_claim(user=user, answer=answer)
    if refusal is not None:
        return refusal
    if answer == "apply":
        attention_apply_deletions(user_id=user.pk)
    elif answer == "keep":
        attention_keep_meetings(user_id=user.pk)
    else:
        attention_resume(user_id=user.pk)
    return ActionResult(True, "success", ANSWERED[answer])


def answer_claim(*, user: User, answer: str) -> ActionResult | None:
    """Checks ``answer`` and, when it fits, records it, in one transaction that locks the
    user's sync state: the page, the API, the CLI or two tabs cannot give one question two
    answers (an "apply" would otherwise run after a "keep"). None when it fits."""
    with transaction.atomic():
        UserSyncState.objects.select_for_update().filter(owner=user).first()
        refusal = answer_refusal(user=user, answer=answer)
        if refusal is None and ANSWERS.get(answer) == "mass_delete":
            UserSyncState.objects.filter(owner=user).update(attention_answer=answer)
        return refusal


def answer_refusal(*, user: User, answer: str) -> ActionResult | None:
    """Why ``answer`` does not fit what the user's sync waits for, or None if it does."""
    status = sync_status_for(user=user, runs=5, conflicts=0)
    if not status.needs_attention:
        return ActionResult(False, "info", NOTHING_WAITS, refused=True)
    if ANSWERS.get(answer) != status.attention_kind:
        return ActionResult(False, "error", ANSWER_DOES_NOT_FIT, refused=True)
    given = (
        UserSyncState.objects.filter(owner=user).values_list("attention_answer", flat=True).first()
    )
    if given:
        return ActionResult(False, "info", f"{ALREADY_ANSWERED} {ANSWERED[given]}", refused=True)
    return None
