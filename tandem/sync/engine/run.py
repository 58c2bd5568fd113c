"""One sync run for one user: lock, settings changes, inbound, outbound, record."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from tandem.accounts.models import GoogleConnection, SyncSettings
from tandem.accounts.selectors import preferences_for
from tandem.accounts.tokens import connection_mark_scope_missing
from tandem.google import errors as google_errors
from tandem.meetings.services import hiding_rows_delete, meeting_delete
from tandem.sync.adapters.crm import crm_meeting
from tandem.sync.adapters.links import link_from_row
from tandem.sync.core.actions import DeleteInCrm, DropLink, ForgetImport, MoveToTarget
from tandem.sync.core.planner import plan_settings_change
from tandem.sync.core.run_report import RunReport, RunStatus
from tandem.sync.engine.context import CalendarPlan, RunContext, installation_namespace
from tandem.sync.engine.inbound import InboundPass
from tandem.sync.engine.outbound import OutboundPass
from tandem.sync.engine.placement import homes_of
from tandem.sync.google_client import CalendarClientFactory, google_client_for
from tandem.sync.locks import default_lease, lock_acquire, lock_release, lock_renew
from tandem.sync.models import (
    CalendarSyncState,
    EventLink,
    ImportedMeeting,
    SyncRun,
    UserSyncState,
)
from tandem.sync.retry import is_retryable, plain_reason
from tandem.sync.scheduling import next_due_after

logger = logging.getLogger(__name__)

# The share of the lease after which a run renews it (between calendars and pages): a tenth
# of the 5-minute lease leaves nine tenths of margin for a slow page or a slow clock.
LEASE_RENEWED_AFTER = 0.1


@dataclass
class SyncOutcome:
    run: SyncRun | None
    busy: bool = False
    skipped: str = ""
    retryable_error: google_errors.GoogleError | None = None
    counts: dict[str, int] = field(default_factory=dict)

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
) -> SyncOutcome:
    """Syncs one user now, unless another worker is (``busy``). ``client_for`` builds the
    run's Google client from the user's connection: the production one unless the caller
    hands in another (tandem.sync.google_client)."""
    asked = time.monotonic()
    token = lock_acquire(user_id=user_id)
    if token is None:
        return SyncOutcome(run=None, busy=True)
    renewed = [asked]  # when the lease last began (this worker's clock, before its UPDATE)
    renew_after = default_lease().total_seconds() * LEASE_RENEWED_AFTER

    def keep_alive() -> None:
        began = time.monotonic()
        if began - renewed[0] < renew_after:
            # A lease this young cannot have run out, so no other worker can hold the user:
            # an idle run (a few milliseconds) renews nothing.
            return
        if not lock_renew(user_id=user_id, token=token):
            # The lease ran out and another worker took the user: stop writing at once.
            raise LockLost(f"Lost the sync lock of user {user_id}.")
        renewed[0] = began

    try:
        return _sync(user_id, trigger, allow_mass_delete, keep_alive, client_for)
    finally:
        lock_release(user_id=user_id, token=token)


class LockLost(Exception):
    """This worker's lease on the user expired mid-run; another worker owns the user now."""


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


def _sync(
    user_id: int,
    trigger: str,
    allow_mass_delete: bool,
    keep_alive: Callable[[], None],
    client_for: CalendarClientFactory,
) -> SyncOutcome:
    # The connection with its user and its settings in one statement (one row each).
    connection = (
        GoogleConnection.objects.select_related("user", "sync_settings")
        .filter(user_id=user_id)
        .first()
    )
    if connection is None:
        User.objects.get(pk=user_id)  # an unknown user is still an error
        return SyncOutcome(run=None, skipped="Google is not connected.")
    user = connection.user
    if connection.status != GoogleConnection.Status.CONNECTED:
        return SyncOutcome(run=None, skipped="Google is not connected.")
    sync_settings: SyncSettings | None = getattr(connection, "sync_settings", None)
    if sync_settings is None or not sync_settings.is_complete:
        return SyncOutcome(run=None, skipped="Synchronization settings are not saved yet.")
    state, _ = UserSyncState.objects.get_or_create(owner=user)
    run = SyncRun.objects.create(owner=user, trigger=trigger)
    client = client_for(connection)
    now = timezone.now()
    ctx = RunContext(
        user=user,
        google_sub=connection.google_sub,
        client=client,
        namespace=installation_namespace(),
        now=now,
        sync_private=sync_settings.sync_private,
        target_calendar_id=sync_settings.target_calendar_id,
        all_day_zone=preferences_for(user=user).time_zone,
        allow_mass_delete=allow_mass_delete,
        run_id=run.pk,
        keep_alive=keep_alive,
        # A settings change (private sync off, a new target) concerns meetings that did
        # not change: look at every link once.
        force_full_outbound=state.last_success_at is None
        or (sync_settings.saved_at is not None and sync_settings.saved_at > state.last_success_at),
    )
    outcome = SyncOutcome(run=run)
    report = ctx.report
    try:
        calendars = _calendars(sync_settings)
        ctx.writable_calendar_ids = frozenset(c.calendar_id for c in calendars if c.writable)
        _apply_settings_changes(ctx, calendars, sync_settings)
        ctx.inbound_started_at = timezone.now()
        for calendar in calendars:
            keep_alive()
            InboundPass(ctx, calendar, _zone(sync_settings, calendar.calendar_id)).run()
        # The breaker's question stops the run before anything goes to Google.
        if not report.needs_attention:
            for calendar in calendars:
                keep_alive()
                OutboundPass(ctx, calendar, _zone(sync_settings, calendar.calendar_id)).run()
    except google_errors.GoogleError as error:
        if isinstance(error, google_errors.InsufficientScope):
            # Calendar access was withdrawn at Google: the user must grant it again.
            connection_mark_scope_missing(connection=connection)
        report.fail(plain_reason(error))
        if is_retryable(error):
            outcome.retryable_error = error
        logger.warning("sync of user %s stopped: %s", user_id, type(error).__name__)
    except LockLost:
        # Another worker owns the user now; it will finish the job. Nothing half-written:
        # every page and every Google write is its own idempotent step.
        report.fail("Stopped: another worker took over this user's sync.")
        outcome.busy = True
    except BaseException as error:
        # A bug or a dying worker (SystemExit) must not be recorded as a success.
        report.fail(plain_reason(error))
        raise
    finally:
        report.requests = client.counter.total
        _finish(run, state, report)
    outcome.counts = dict(report.counts)
    return outcome


def _finish(run: SyncRun, state: UserSyncState, report: RunReport) -> None:
    """The run's report into its record and the user's sync state."""
    finished = timezone.now()
    status = report.status
    run.status = status
    run.finished_at = finished
    run.requests = report.requests
    for name, value in report.as_record().items():
        setattr(run, name, value)
    run.save()
    # Only the fields the run decides, in one UPDATE: the lock's fields stay as the lock
    # functions left them (no read of the row first).
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
    UserSyncState.objects.filter(pk=state.pk).update(**fields)


def _apply_settings_changes(
    ctx: RunContext, calendars: list[CalendarPlan], sync_settings: SyncSettings
) -> None:
    """Meetings we pushed to another calendar than the target move to the target
    (events.move); calendars the user no longer syncs take their Google-created meetings
    out of the CRM (Google keeps the events, with the CRM edits pushed first)."""
    if ctx.force_full_outbound:
        # Our events sit outside the target only after a new target was saved, and then
        # every run looks at everything until one succeeds (force_full_outbound): an idle
        # run skips this scan of the user's links.
        moved = list(
            EventLink.objects.filter(
                owner=ctx.user, google_sub=ctx.google_sub, origin=EventLink.Origin.CRM
            )
            .exclude(calendar_id=ctx.target_calendar_id)
            .select_related("meeting")
        )
        # A series cut from a series of a calendar still synced stays beside it.
        homes = homes_of(ctx, [row.meeting for row in moved])
        for row in moved:
            _settings_plan_apply(ctx, row, calendar_synced=True, home=homes[row.meeting_id])
    current = {calendar.calendar_id for calendar in calendars}
    stale = CalendarSyncState.objects.filter(owner=ctx.user, google_sub=ctx.google_sub).exclude(
        calendar_id__in=current
    )
    for state in stale:
        if not _push_before_leaving(ctx, state, _zone(sync_settings, state.calendar_id)):
            continue  # A CRM edit has not reached Google yet: the next run tries again.
        links = EventLink.objects.filter(
            owner=ctx.user, google_sub=ctx.google_sub, calendar_id=state.calendar_id
        ).select_related("meeting")
        for row in links:
            _settings_plan_apply(ctx, row, calendar_synced=False)
        # The rows that hid cancelled occurrences of the series just removed: picked again,
        # the calendar's series come back as new meetings, and these would be paired with
        # the old ones instead of hiding the new ones' occurrences.
        hiding_rows_delete(owner=ctx.user, imported_from=state.calendar_id)
        # The import records left are those of meetings whose event Google deleted before
        # (their link went with the deletion): forgotten like the others ("calendar no
        # longer synced"), so that such a meeting restored in the CRM is pushed to the
        # target as a CRM meeting, as one removed with its calendar is; kept, it stayed out
        # of Google for good (no pass reads an un-picked calendar).
        ImportedMeeting.objects.filter(
            owner=ctx.user, import_key__startswith=f"{state.calendar_id}/"
        ).delete()
        state.delete()


def _push_before_leaving(ctx: RunContext, state: CalendarSyncState, zone: str) -> bool:
    """Pushes CRM edits not yet written to an un-picked calendar's events (its meetings
    leave the CRM next, so an edit not in Google by then would be lost). True when every
    write went through."""
    calendar = CalendarPlan(
        calendar_id=state.calendar_id,
        access_role=state.access_role or "reader",
        inbound=False,
        target=False,
    )
    outbound = OutboundPass(ctx, calendar, zone)
    outbound.run()
    return outbound.clean


def _settings_plan_apply(
    ctx: RunContext, row: EventLink, *, calendar_synced: bool, home: str | None = None
) -> None:
    """Plans one link with the planner's settings-change rows and carries the plan out
    (``home``: the meeting's home calendar, where it was worked out)."""
    plan = plan_settings_change(
        link=link_from_row(row),
        crm=crm_meeting(row.meeting, import_key=None, home=home),
        calendar_synced=calendar_synced,
        target_calendar_id=ctx.target_calendar_id,
    )
    for action in plan.actions:
        if isinstance(action, MoveToTarget):
            _move_to_target(ctx, row, action.destination)  # a Google call: no transaction
    with transaction.atomic():
        for action in plan.actions:
            match action:
                case DeleteInCrm():
                    meeting_delete(meeting=row.meeting, origin="sync")
                    ctx.report.counts["crm_removed_with_calendar"] += 1
                case DropLink():
                    row.delete()
                case ForgetImport():
                    ImportedMeeting.objects.filter(meeting_id=action.meeting_id).delete()


def _move_to_target(ctx: RunContext, link: EventLink, destination: str) -> None:
    try:
        moved = ctx.client.event_move(link.calendar_id, link.event_id, destination=destination)
    except (
        google_errors.NotFound,
        google_errors.Gone,
        google_errors.Forbidden,
        google_errors.BadRequest,
    ):
        # Cannot move (gone, or not a movable event): the outbound pass inserts it anew.
        link.delete()
        return
    link.calendar_id = destination
    link.etag = str(moved.get("etag", ""))
    link.save(update_fields=["calendar_id", "etag", "updated_at"])
    ctx.report.counts["google_moved"] += 1
