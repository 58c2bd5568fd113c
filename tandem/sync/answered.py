"""A question the user has answered is not asked again while the answer waits for its run.

The answer queues a run (tandem.sync.tasks), and that run clears the question once it
succeeds, seconds later; the page the answer goes back to is drawn before then. So the
session remembers which question was answered: the question (its words) as it stood after
the last finished run. The status then says the answer is being applied instead of asking
again; if the answer's run raises the question anew, it is a newer run's question and is
asked again.
"""

from __future__ import annotations

from django.contrib.auth.models import User
from django.http import HttpRequest

from tandem.sync.models import SyncRun, UserSyncState

SESSION_KEY = "sync_question_answered"


def _question_of(user: User) -> str:
    question = (
        UserSyncState.objects.filter(owner=user).values_list("needs_attention", flat=True).first()
    )
    if not question:
        return ""
    last_finished = (
        SyncRun.objects.filter(owner=user)
        .exclude(status=SyncRun.Status.RUNNING)
        .order_by("-started_at", "-pk")
        .values_list("pk", flat=True)
        .first()
    )
    return f"{last_finished}|{question}"


def answer_remember(request: HttpRequest, *, user: User) -> None:
    question = _question_of(user)
    if question:
        request.session[SESSION_KEY] = question


def is_answered(request: HttpRequest | None, *, user: User) -> bool:
    """The question now waiting is the one this user's session answered."""
    session = getattr(request, "session", None)
    remembered = session.get(SESSION_KEY) if session is not None else None
    return bool(remembered) and remembered == _question_of(user)
