"""Celery tasks: thin interfaces over the engine, sharing one retry policy.

- ``dispatch_due_syncs`` (beat, every minute): one ``sync_scheduled_users`` task per
  SCHEDULE_CHUNK due users.
- ``sync_scheduled_users``: runs its users in turn. A user it cannot run now (busy), whose
  run needs a retry, or who has a start that never finished gets their own ``sync_user``
  task, so one user never holds the others back.
- ``sync_user``: a per-user lease lock, and a delivery cap for a run that keeps killing its
  worker. Edits and push notifications send one each (``request_sync``).
- ``sync_user_keeping_meetings`` and ``sync_user_allowing_deletions``: the user's answers
  when the mass-delete breaker held deletions back.

Why scheduled users go in chunks and the others do not: an idle run costs the worker about
8 ms of CPU, and Celery's own work for each message (receiving, tracing, acknowledging, and
its Django fix-up closing the database connection before and after every task, so each task
opens a new one) 3-4 ms more on SQLite, more on PostgreSQL (docs/benchmarks.md, issue 11,
sixth session). A chunk shares that among SCHEDULE_CHUNK users, and no scheduled run has to
start within seconds. An edit or a push notification must, so it never waits behind a chunk
of other users' runs: one task each.

The three sync tasks share ``SYNC_TASK_OPTIONS`` (acks_late: a worker that dies mid-run
leaves the message to be redelivered; every step is idempotent) and ``retry_if_needed``: a
run that found the user busy is tried again after the debounce, one stopped by a retryable
Google error (or the request budget) after a backoff (tandem.sync.retry), and after
MAX_RETRIES the task gives up and the status page says why. A chunk is acknowledged late
too: a worker that dies mid-chunk has it delivered again, and its users run again (the ones
already done cheaply: an idle run changes nothing), except the one whose start never
finished, who gets a ``sync_user`` task and so the delivery cap.

The delivery cap costs no statement of its own: the lock's UPDATE counts a start, and the
run's last UPDATE clears it (tandem/sync/locks.py, engine/run.py).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from celery import shared_task
from celery.app.task import Task
from django.conf import settings
from django.db import close_old_connections, transaction
from django.utils import timezone

from tandem.sync.locks import UserBusy, user_lock, user_sync_state
from tandem.sync.models import SyncRun, UserSyncState
from tandem.sync.retry import (
    MAX_RETRIES,
    backoff_seconds,
    gave_up_reason,
    is_retryable,
    plain_reason,
)
from tandem.sync.scheduling import due_user_ids

if TYPE_CHECKING:
    from tandem.sync.engine import SyncOutcome

logger = logging.getLogger(__name__)

# A run that started this many times without finishing is assumed to kill its worker.
MAX_UNFINISHED_STARTS = 3
# Scheduled users per sync_scheduled_users task: Celery's work per message is shared by this
# many idle runs, while a chunk of idle runs ends within about a second and a cycle's chunks
# still spread over every worker.
SCHEDULE_CHUNK = 25

# Every task that syncs a user: acknowledged once it ends, so a message whose worker died
# is delivered again (reject_on_worker_lost), and retried by retry_if_needed at most
# MAX_RETRIES times.
SYNC_TASK_OPTIONS: dict[str, Any] = {
    "bind": True,
    "acks_late": True,
    "reject_on_worker_lost": True,
    "max_retries": MAX_RETRIES,
}


def retry_if_needed(
    task: Task,
    outcome: SyncOutcome,
    *,
    user_id: int,
    kwargs: dict[str, Any] | None = None,
) -> None:
    """Raises the task's retry when the run did not happen because another worker holds the
    user (``busy``: again after the debounce) or stopped on a retryable Google error (again
    after the backoff, or Google's Retry-After); returns otherwise. ``kwargs`` replace the
    task's arguments for the retry.

    Once the retries are spent the user's status records why, and Celery's retry ends the
    task with the error (MaxRetriesExceededError when busy)."""
    error = outcome.retryable_error
    countdown = retry_countdown(outcome, retries=task.request.retries)
    if countdown is None:
        return
    if task.max_retries is not None and task.request.retries >= task.max_retries:
        reason = gave_up_reason(error=error, tries=task.request.retries + 1)
        UserSyncState.objects.filter(owner_id=user_id).update(last_error=reason[:500])
        logger.error(
            "%s of user %s gave up: %s",
            task.name,
            user_id,
            reason,
            extra={"event": "gave_up", "user_id": user_id, "task": task.name},
        )
    raise task.retry(countdown=countdown, exc=error, kwargs=kwargs)


def retry_countdown(outcome: SyncOutcome, *, retries: int) -> float | None:
    """When the user's sync runs again after this outcome, its ``retries``-th retry: a busy
    user after the debounce, a retryable Google error after the backoff (or Google's
    Retry-After); None when it needs no retry."""
    if outcome.busy:
        # Another worker holds the user: run again shortly so this change is not lost.
        return float(settings.SYNC_DEBOUNCE_SECONDS + 1)
    if outcome.retryable_error is not None:
        return backoff_seconds(retries, retry_after=outcome.retryable_error.retry_after)
    return None


def request_sync(*, user_id: int, trigger: str, delay: float | None = None) -> bool:
    """Queues a sync for the user soon, unless one is already queued (debounce).

    Returns True when a task was sent. Call it from on_commit hooks: the task must see the
    committed change."""
    delay = settings.SYNC_DEBOUNCE_SECONDS if delay is None else delay
    now = timezone.now()
    user_sync_state(user_id=user_id)
    queued = UserSyncState.objects.filter(owner_id=user_id).exclude(queued_for__gt=now)
    if queued.update(queued_for=now + timedelta(seconds=delay)) == 0:
        return False  # A task is already queued to run after this change was committed.
    sync_user.apply_async(kwargs={"user_id": user_id, "trigger": trigger}, countdown=delay)
    return True


@shared_task(name="tandem.sync.tasks.dispatch_due_syncs")
def dispatch_due_syncs() -> int:
    """One sync_scheduled_users task per SCHEDULE_CHUNK due users; returns how many users
    were queued."""
    now = timezone.now()
    user_ids = due_user_ids(now=now)
    if not user_ids:
        return 0
    # Mark them first, so the next beat does not queue them again before their task runs;
    # the run itself sets the real next time (with jitter) when it finishes. A task lost on
    # the way is thus retried one interval later, never forgotten.
    UserSyncState.objects.bulk_create(
        [UserSyncState(owner_id=user_id) for user_id in user_ids], ignore_conflicts=True
    )
    UserSyncState.objects.filter(owner_id__in=user_ids).update(
        next_due_at=now + timedelta(seconds=settings.SYNC_INTERVAL_SECONDS)
    )
    for start in range(0, len(user_ids), SCHEDULE_CHUNK):
        sync_scheduled_users.delay(user_ids=user_ids[start : start + SCHEDULE_CHUNK])
    logger.info("queued scheduled syncs", extra={"event": "dispatch", "users": len(user_ids)})
    return len(user_ids)


@shared_task(name="tandem.sync.tasks.sync_user", **SYNC_TASK_OPTIONS)
def sync_user(self: Task, *, user_id: int, trigger: str = "schedule") -> dict[str, object]:
    from tandem.sync.engine import sync_user_now

    # A start that never finishes (the worker was killed) leaves its count up; a run that
    # ends, well or badly, clears it, and one that did not run (busy: the lock is held, maybe
    # by a worker that died holding it) counted nothing.
    outcome = sync_user_now(user_id=user_id, trigger=trigger, starts_below=MAX_UNFINISHED_STARTS)
    if outcome.crash_capped:
        UserSyncState.objects.filter(owner_id=user_id).update(
            needs_attention="Sync stopped: it failed to finish several times in a row. "
            "An operator has been told.",
            unfinished_starts=0,
        )
        logger.error(
            "sync of user %s gave up after %s crashed starts", user_id, MAX_UNFINISHED_STARTS
        )
        return {"status": "gave_up"}
    summary = _logged(outcome, user_id=user_id, trigger=trigger)
    retry_if_needed(self, outcome, user_id=user_id)
    _push_channels_after_run(outcome, user_id=user_id)
    return summary


@shared_task(
    name="tandem.sync.tasks.sync_scheduled_users",
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
)
def sync_scheduled_users(self: Task, *, user_ids: list[int]) -> dict[str, int]:
    """The scheduled runs of a chunk of users, in turn. A user it does not finish here gets
    their own sync_user task, sent where this chunk came from, so the others go on:

    - busy, or stopped by a retryable Google error: the task is this run's first retry, with
      the retry policy's countdown (``retry_countdown``), and MAX_RETRIES - 1 more to go;
    - a start that never finished (this chunk was delivered again after its worker died in
      that user's run): sync_user runs them at once, under the delivery cap;
    - an error: logged with its traceback, as a failed sync_user task would be."""
    done = {"synced": 0, "handed_off": 0, "failed": 0}
    for user_id in user_ids:
        try:
            done[_scheduled_run(self, user_id=user_id)] += 1
        except Exception:
            # The run, or handing the user off (the broker), failed: said with its
            # traceback, as a failed sync_user task would be, and the others go on.
            logger.exception(
                "scheduled sync of user %s failed",
                user_id,
                extra={"event": "sync_error", "user_id": user_id, "trigger": "schedule"},
            )
            done["failed"] += 1
            # What Celery's Django fix-up does between tasks: a connection the error left
            # unusable is replaced before the next user.
            close_old_connections()
    return done


def _scheduled_run(chunk: Task, *, user_id: int) -> str:
    """One user's scheduled run in a chunk: "synced", or "handed_off" to their own task."""
    from tandem.sync.engine import sync_user_now

    outcome = sync_user_now(user_id=user_id, trigger="schedule", starts_below=1)
    if outcome.crash_capped:
        _hand_off(chunk, user_id=user_id, countdown=0, retries=0)
        return "handed_off"
    _logged(outcome, user_id=user_id, trigger="schedule")
    countdown = retry_countdown(outcome, retries=0)
    if countdown is not None:
        _hand_off(chunk, user_id=user_id, countdown=countdown, retries=1)
        return "handed_off"
    _push_channels_after_run(outcome, user_id=user_id)
    return "synced"


def _hand_off(chunk: Task, *, user_id: int, countdown: float, retries: int) -> None:
    """The user's own sync_user task, on the queue the chunk came from (as Celery's retry
    sends a task back where it came from)."""
    queue = (chunk.request.delivery_info or {}).get("routing_key")
    sync_user.apply_async(
        kwargs={"user_id": user_id, "trigger": "schedule"},
        countdown=countdown,
        retries=retries,
        **({"queue": queue} if queue else {}),
    )


def _logged(outcome: SyncOutcome, *, user_id: int, trigger: str) -> dict[str, object]:
    summary = outcome.summary()
    logger.info(
        "sync finished",
        extra={"event": "sync", "user_id": user_id, "trigger": trigger, **_loggable(summary)},
    )
    return summary


def _loggable(summary: dict[str, object]) -> dict[str, object]:
    counts = summary.get("counts")
    fields = {key: value for key, value in summary.items() if key != "counts"}
    if isinstance(counts, dict):
        fields |= {f"count_{name}": value for name, value in counts.items()}
    return fields


def request_sync_on_commit(*, user_id: int, trigger: str) -> None:
    transaction.on_commit(lambda: request_sync(user_id=user_id, trigger=trigger))


# -- the user's answers when a sync needs attention ----------------------------------------


def attention_apply_deletions(*, user_id: int) -> None:
    """The user confirmed the deletions the mass-delete breaker held back: queue a run that
    lets them through. The attention flag is cleared by that run once it succeeds."""
    transaction.on_commit(lambda: sync_user_allowing_deletions.delay(user_id=user_id))


def attention_keep_meetings(*, user_id: int) -> None:
    """The user keeps their meetings: queue the task that forgets the links of the events
    Google no longer has (tandem.sync.attention) and syncs; nothing is deleted."""
    transaction.on_commit(lambda: sync_user_keeping_meetings.delay(user_id=user_id))


def attention_resume(*, user_id: int) -> None:
    """A sync stopped for another reason (e.g. the delivery cap): try again now."""
    UserSyncState.objects.filter(owner_id=user_id).update(needs_attention="", unfinished_starts=0)
    request_sync_on_commit(user_id=user_id, trigger="resume")


@shared_task(name="tandem.sync.tasks.sync_user_keeping_meetings", **SYNC_TASK_OPTIONS)
def sync_user_keeping_meetings(
    self: Task, *, user_id: int, links_dropped: bool = False
) -> dict[str, object]:
    """Forgets the links of the events Google no longer has, then syncs (which restores
    them). ``links_dropped``: set on a retry once the links are forgotten, so the retry only
    finishes the sync; the answer covers the deletions the user was shown, not any made in
    Google since."""
    from tandem.google.errors import GoogleError
    from tandem.sync.attention import links_of_gone_events_drop
    from tandem.sync.engine import SyncOutcome, sync_user_now

    if not links_dropped:
        try:
            with user_lock(user_id=user_id):
                dropped = links_of_gone_events_drop(user_id=user_id)
        except UserBusy:
            retry_if_needed(self, SyncOutcome(run=None, busy=True), user_id=user_id)
            raise  # not reached: retry_if_needed always raises for busy
        except GoogleError as error:
            if is_retryable(error):
                retry_if_needed(self, SyncOutcome(run=None, retryable_error=error), user_id=user_id)
            UserSyncState.objects.filter(owner_id=user_id).update(
                last_error=plain_reason(error)[:500], attention_answer=""
            )
            return {"status": "failed"}
        logger.info(
            "kept meetings",
            extra={"event": "keep_meetings", "user_id": user_id, "links_dropped": dropped},
        )
    outcome = sync_user_now(user_id=user_id, trigger="keep_meetings")
    retry_if_needed(
        self, outcome, user_id=user_id, kwargs={"user_id": user_id, "links_dropped": True}
    )
    return outcome.summary()


@shared_task(name="tandem.sync.tasks.sync_user_allowing_deletions", **SYNC_TASK_OPTIONS)
def sync_user_allowing_deletions(self: Task, *, user_id: int) -> dict[str, object]:
    from tandem.sync.engine import sync_user_now

    outcome = sync_user_now(user_id=user_id, trigger="apply_deletions", allow_mass_delete=True)
    retry_if_needed(self, outcome, user_id=user_id)
    if outcome.run is not None and outcome.run.status == SyncRun.Status.SUCCEEDED:
        UserSyncState.objects.filter(owner_id=user_id).update(
            needs_attention="", attention_answer=""
        )
    elif outcome.run is None or outcome.run.status == SyncRun.Status.FAILED:
        # Not settled and not retried: the question may be answered again.
        UserSyncState.objects.filter(owner_id=user_id).update(attention_answer="")
    return outcome.summary()


# -- push notifications (tandem/sync/push.py) ---------------------------------------------


def _push_channels_after_run(outcome: SyncOutcome, *, user_id: int) -> None:
    """Opens missing watch channels once a run has synced the inbound calendars. No query
    when the run's own read of its calendars shows every channel in order, no Google call
    when every channel is live. Never raises: push only speeds up what polling does."""
    from tandem.sync.push import push_channels_ensure, push_channels_in_order

    if outcome.run is None or outcome.run.status != SyncRun.Status.SUCCEEDED:
        return
    if push_channels_in_order(
        states=outcome.calendar_states, inbound_calendar_ids=outcome.inbound_calendar_ids
    ):
        return
    push_channels_ensure(user_id=user_id)


@shared_task(name="tandem.sync.tasks.renew_push_channels")
def renew_push_channels() -> dict[str, int]:
    """Hourly: replaces channels that expire within a day (new one first, then the old one
    is stopped), since Google channels cannot be extended."""
    from tandem.sync.push import push_channels_renew

    report = push_channels_renew()
    return {"opened": report.opened, "stopped": report.stopped, "failed": report.failed}
