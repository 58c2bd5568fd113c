"""One sync run for one user: lock, settings changes, inbound, outbound, record."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.contrib.auth.models import User
from django.db import DatabaseError
from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone

from tandem.accounts.models import GoogleConnection, SyncSettings
from tandem.accounts.selectors import preferences_joined
from tandem.accounts.tokens import connection_mark_scope_missing
from tandem.compiled_queries import CompiledQuery
from tandem.google import errors as google_errors
from tandem.sync.budget import window_start, window_subqueries
from tandem.sync.core.collector import collector_paused
from tandem.sync.core.run_report import RunReport, RunStatus
from tandem.sync.engine.context import CalendarPlan, RunContext, installation_namespace
from tandem.sync.engine.inbound import InboundPass
from tandem.sync.engine.outbound import CHANGE_MARGIN, OutboundPass
from tandem.sync.engine.settings_changes import settings_changes_apply
from tandem.sync.google_client import CalendarClientFactory, google_client_for
from tandem.sync.locks import (
    default_lease,
    lock_acquire,
    lock_release,
    lock_renew,
    starts_capped,
    starts_clear,
)
from tandem.sync.models import CalendarSyncState, Installation, SyncRun, UserSyncState
from tandem.sync.retry import is_retryable, plain_reason
from tandem.sync.run_records import run_records_transaction
from tandem.sync.scheduling import next_due_after

logger = logging.getLogger(__name__)

# The share of the lease after which a run renews it (between calendars and pages): a tenth
# of the 5-minute lease leaves nine tenths of margin for a slow page or a slow clock.
LEASE_RENEWED_AFTER = 0.1


@dataclass
class SyncOutcome:
    run: SyncRun | None
    busy: bool = False
    # Nothing ran: the user had ``starts_below`` unfinished starts (runs that killed their
    # worker); the caller decides what that means (tandem/sync/tasks.py).
    crash_capped: bool = False
    skipped: str = ""
    retryable_error: google_errors.GoogleError | None = None
    counts: dict[str, int] = field(default_factory=dict)
    # What the run read of its calendars' sync states (their watch channels), and which
    # calendars are inbound: enough to tell that no channel needs opening, renewing or
    # stopping without reading them again (push.push_channels_in_order).
    calendar_states: list[CalendarSyncState] = field(default_factory=list)
    inbound_calendar_ids: frozenset[str] = frozenset()

    def summary(self) -> dict[str, Any]:
        return {
            "status": self.run.status if self.run else ("busy" if self.busy else "skipped"),
            "skipped": self.skipped,
            "counts": self.counts,
            "requests": self.run.requests if self.run else 0,
        }


def sync_user_now(
    *,
    user_id: int,
    trigger: str = "manual",
    allow_mass_delete: bool = False,
    client_for: CalendarClientFactory = google_client_for,
    starts_below: int | None = None,
) -> SyncOutcome:
    """Syncs one user now, unless another worker is (``busy``). ``client_for`` builds the
    run's Google client from the user's connection: the production one unless the caller
    hands in another (tandem.sync.google_client).

    ``starts_below`` (the tasks' delivery cap): the lock's UPDATE counts this start as
    unfinished, and refuses (``crash_capped``) once the user has that many; the run's last
    UPDATE clears the count, as does an end without a run record (skipped, or an error).

    The lock and the run's record are one transaction, as are the run's record and the
    user's sync state at its end (run_records.py). The read of what the run starts from
    comes after the first, outside it: on SQLite a transaction holds the database's one
    write lock, which another worker's run then waits for."""
    asked = time.monotonic()
    with run_records_transaction():
        token = lock_acquire(user_id=user_id, starts_below=starts_below)
        if token is None:
            if starts_below is not None and starts_capped(user_id=user_id, limit=starts_below):
                return SyncOutcome(run=None, crash_capped=True)
            return SyncOutcome(run=None, busy=True)
        run = SyncRun.objects.create(owner_id=user_id, trigger=trigger)
    lease = _Lease(user_id, token, asked, counted=starts_below is not None)
    try:
        try:
            start = _start(user_id, run)
        except Exception as error:
            _record_failed_start(run, error)
            raise
        if isinstance(start, str):
            # Nothing to run: no record of it (the lock goes back below).
            run.delete()
            if lease.counted:
                starts_clear(user_id=user_id)
            return SyncOutcome(run=None, skipped=start)
        # The cyclic garbage collector waits for the run's end, not only each page's
        # (core/collector.py): otherwise a collection starts while the read-ahead thread
        # decodes the next page, or in the run's tail, up to tens of milliseconds the
        # person waits for (docs/benchmarks.md, issue 11, tenth session). The pages' young
        # cycles go between pages; the collector is on again once the run has ended.
        with collector_paused():
            return _sync(start, allow_mass_delete, lease, client_for)
    except Exception:
        if lease.counted:
            starts_clear(user_id=user_id)  # the run ended, badly: it did not kill its worker
        raise
    finally:
        if not lease.released:
            lock_release(user_id=user_id, token=token)


class LockLost(Exception):
    """This worker's lease on the user expired mid-run; another worker owns the user now."""


class _Lease:
    """The run's hold on the user's lock: renewed between calendars and pages, given back by
    the run's last UPDATE (``_finish``), which also clears a counted start."""

    def __init__(self, user_id: int, token: str, asked: float, *, counted: bool) -> None:
        self.user_id = user_id
        self.token = token
        self.counted = counted
        self.released = False
        self.dying = False  # the run ended by SystemExit or the like: its start stays counted
        self._renewed = asked  # when the lease last began (this worker's clock, before its UPDATE)
        self._renew_after = default_lease().total_seconds() * LEASE_RENEWED_AFTER

    def keep_alive(self) -> None:
        began = time.monotonic()
        if began - self._renewed < self._renew_after:
            # A lease this young cannot have run out, so no other worker can hold the user:
            # an idle run (a few milliseconds) renews nothing.
            return
        if not lock_renew(user_id=self.user_id, token=self.token):
            # The lease ran out and another worker took the user: stop writing at once.
            raise LockLost(f"Lost the sync lock of user {self.user_id}.")
        self._renewed = began


def _calendars(sync_settings: SyncSettings) -> list[CalendarPlan]:
    roles = {c["id"]: c for c in sync_settings.known_calendars}
    ids = list(
        dict.fromkeys([*sync_settings.inbound_calendar_ids, sync_settings.target_calendar_id])
    )
    return [
        CalendarPlan(
            calendar_id=cid,
            access_role=str(roles.get(cid, {}).get("access_role", "reader")),
            inbound=cid in sync_settings.inbound_calendar_ids,
            target=cid == sync_settings.target_calendar_id,
        )
        for cid in ids
        if cid
    ]


def _zone(sync_settings: SyncSettings, calendar_id: str) -> str:
    for calendar in sync_settings.known_calendars:
        if calendar["id"] == calendar_id:
            return str(calendar.get("time_zone") or "UTC")
    return "UTC"


def _start_query(*, user_id: int, budget_since: datetime) -> QuerySet[GoogleConnection]:
    """Everything a run starts from in one statement: the connection, its user, their sync
    settings, preferences and sync state (one row each), the installation's namespace, the
    start of the user's last clean run (what the outbound look starts from) and the requests
    of the last minute (the client's budget, tandem/sync/budget.py)."""
    budget_used, budget_oldest = window_subqueries(user_ref=OuterRef("user_id"), since=budget_since)
    return (
        GoogleConnection.objects.select_related(
            "user", "sync_settings", "user__preferences", "user__sync_state"
        )
        .annotate(
            namespace=Subquery(Installation.objects.order_by("pk").values("namespace")[:1]),
            last_clean_started_at=Subquery(
                SyncRun.objects.filter(owner=OuterRef("user_id"), status=SyncRun.Status.SUCCEEDED)
                .order_by("-started_at")
                .values("started_at")[:1]
            ),
            # budget.USED_IN_WINDOW and budget.OLDEST_IN_WINDOW
            budget_used_in_window=budget_used,
            budget_oldest_in_window=budget_oldest,
        )
        .filter(user_id=user_id)
        .order_by("pk")[:1]
    )


# Built and compiled once per process: Django building this statement was about a fifth of
# an idle run's CPU (tandem/compiled_queries.py, docs/benchmarks.md).
_START = CompiledQuery(GoogleConnection, _start_query)


@dataclass(frozen=True)
class _Start:
    """What a run starts from: the user's connection, their sync settings and sync state,
    the installation's namespace, when their last clean run began, and the run's record."""

    connection: GoogleConnection
    sync_settings: SyncSettings
    state: UserSyncState
    namespace: str
    last_clean_started_at: datetime | None
    run: SyncRun


def _start(user_id: int, run: SyncRun) -> _Start | str:
    """What the run starts from (one statement, ``_start_query``); or why nothing runs."""
    connection = _START.first(user_id=user_id, budget_since=window_start())
    if connection is None:
        User.objects.get(pk=user_id)  # an unknown user is still an error
        return "Google is not connected."
    user = connection.user
    if connection.status != GoogleConnection.Status.CONNECTED:
        return "Google is not connected."
    sync_settings: SyncSettings | None = getattr(connection, "sync_settings", None)
    if sync_settings is None or not sync_settings.is_complete:
        return "Synchronization settings are not saved yet."
    # The lock's UPDATE, committed before this read, made sure of the state row.
    state = user.sync_state
    return _Start(
        connection=connection,
        sync_settings=sync_settings,
        state=state,
        # The query's annotations (_start_query).
        namespace=getattr(connection, "namespace", None) or installation_namespace(),
        last_clean_started_at=getattr(connection, "last_clean_started_at", None),
        run=run,
    )


def _sync(
    start: _Start,
    allow_mass_delete: bool,
    lease: _Lease,
    client_for: CalendarClientFactory,
) -> SyncOutcome:
    connection, sync_settings, run = start.connection, start.sync_settings, start.run
    user = connection.user
    client = client_for(connection)
    now = timezone.now()
    ctx = RunContext(
        user=user,
        google_sub=connection.google_sub,
        client=client,
        namespace=start.namespace,
        now=now,
        sync_private=sync_settings.sync_private,
        target_calendar_id=sync_settings.target_calendar_id,
        all_day_zone=preferences_joined(user=user).time_zone,
        last_clean_started_at=start.last_clean_started_at,
        allow_mass_delete=allow_mass_delete,
        run_id=run.pk,
        keep_alive=lease.keep_alive,
        force_full_outbound=_settings_unapplied(
            sync_settings, start.state, last_clean_started_at=start.last_clean_started_at
        ),
    )
    outcome = SyncOutcome(run=run)
    report = ctx.report
    try:
        calendars = _calendars(sync_settings)
        ctx.writable_calendar_ids = frozenset(c.calendar_id for c in calendars if c.writable)
        settings_changes_apply(ctx, calendars, lambda cid: _zone(sync_settings, cid))
        ctx.inbound_started_at = timezone.now()
        for calendar in calendars:
            lease.keep_alive()
            InboundPass(ctx, calendar, _zone(sync_settings, calendar.calendar_id)).run()
        # The breaker's question stops the run before anything goes to Google.
        if not report.needs_attention:
            for calendar in calendars:
                lease.keep_alive()
                OutboundPass(ctx, calendar, _zone(sync_settings, calendar.calendar_id)).run()
    except google_errors.GoogleError as error:
        if isinstance(error, google_errors.InsufficientScope):
            # Calendar access was withdrawn at Google: the user must grant it again.
            connection_mark_scope_missing(connection=connection)
        report.fail(plain_reason(error))
        if is_retryable(error):
            outcome.retryable_error = error
        logger.warning("sync of user %s stopped: %s", user.pk, type(error).__name__)
    except LockLost:
        # Another worker owns the user now; it will finish the job. Nothing half-written:
        # every page and every Google write is its own idempotent step.
        report.fail("Stopped: another worker took over this user's sync.")
        outcome.busy = True
    except BaseException as error:
        # A bug or a dying worker (SystemExit) must not be recorded as a success.
        report.fail(plain_reason(error))
        if not isinstance(error, Exception):
            # A dying worker: its start stays counted, for the delivery cap (tasks.py).
            lease.dying = True
        raise
    finally:
        report.requests = client.counter.total
        _finish(run, start.state, report, lease)
    outcome.counts = dict(report.counts)
    if run.status == SyncRun.Status.SUCCEEDED:
        outcome.calendar_states = list(ctx.calendar_states().values())
        outcome.inbound_calendar_ids = frozenset(sync_settings.inbound_calendar_ids)
    return outcome


def _settings_unapplied(
    sync_settings: SyncSettings, state: UserSyncState, *, last_clean_started_at: datetime | None
) -> bool:
    """Whether the run must look at every link once: no run succeeded yet, or the settings
    were saved since the last clean run read them. A settings change (private sync off, a
    new target) concerns meetings that did not change. Compared with when that run began
    (less the outbound look's margin for clocks), not when it ended: settings saved while it
    ran were not the ones it applied."""
    if state.last_success_at is None or last_clean_started_at is None:
        return True
    saved = sync_settings.saved_at
    return saved is not None and saved > last_clean_started_at - CHANGE_MARGIN


def _record_failed_start(run: SyncRun, error: Exception) -> None:
    """A run whose start read failed says so in its record and the user's sync state (the
    status page, the API), not "running" until its lease is over. Best effort: the database
    that failed the read may refuse this write too; the error itself goes on to the caller
    (the task's retry)."""
    report = RunReport()
    report.fail(plain_reason(error))
    finished = timezone.now()
    try:
        with run_records_transaction():
            SyncRun.objects.filter(pk=run.pk).update(
                status=report.status, finished_at=finished, **report.as_record()
            )
            # What _finish writes of a failed run: the status page's last error and attempt.
            UserSyncState.objects.filter(owner_id=run.owner_id).update(
                last_attempt_at=finished,
                next_due_at=next_due_after(finished),
                last_error=report.first_error[:500],
            )
    except DatabaseError as refused:
        logger.warning(
            "the failed start of run %s is not recorded: %s", run.pk, type(refused).__name__
        )


def _finish(run: SyncRun, state: UserSyncState, report: RunReport, lease: _Lease) -> None:
    """The run's report into its record and the user's sync state, in one transaction
    (run_records.py); the state's UPDATE gives the lock back and clears a counted start."""
    finished = timezone.now()
    status = report.status
    run.status = status
    run.finished_at = finished
    run.requests = report.requests
    for name, value in report.as_record().items():
        setattr(run, name, value)
    # Only the fields the run decides, in one UPDATE (no read of the row first), which also
    # releases the lock while this run still holds it.
    fields: dict[str, Any] = {
        "last_attempt_at": finished,
        "next_due_at": next_due_after(finished),
    }
    if status == RunStatus.SUCCEEDED:
        fields |= {"last_success_at": finished, "last_error": ""}
        fields["held_deletions"] = []  # nothing is held back any more
    elif report.errors:
        fields["last_error"] = report.first_error[:500]
    if status == RunStatus.NEEDS_ATTENTION:
        fields["needs_attention"] = report.needs_attention[:500]
        fields["held_deletions"] = [held.as_json() for held in report.held]
        fields["attention_answer"] = ""  # a question asked anew waits for a new answer
    if lease.counted and not lease.dying:
        fields["unfinished_starts"] = 0  # the run ended: it did not kill its worker
    with run_records_transaction():
        run.save()
        held = UserSyncState.objects.filter(pk=state.pk, lock_token=lease.token)
        released = held.update(**fields, lock_token="", locked_until=None) == 1
        if not released:
            # The lease ran out and another worker holds the user now: its lock stays.
            UserSyncState.objects.filter(pk=state.pk).update(**fields)
    lease.released = released
