"""What the sync engine remembers between runs.

- ``CalendarSyncState``: per inbound calendar, the sync token (saved in the same transaction
  as the page of changes it follows, never before).
- ``EventLink``: a meeting ⇄ a Google event, with the last agreed copy (the *base*) that
  three-way merges compare against, the event's etag (echo suppression) and the meeting
  version that matched it.
- ``UserSyncState``: scheduling and the per-user lease lock (works on SQLite, where
  select_for_update does nothing, as on PostgreSQL).
- ``SyncRun`` and ``SyncConflict``: the visible record of every run and every settled conflict.

Links are keyed by the Google account (``google_sub``), so connecting a different account
starts clean and reconnecting the same one finds its links again.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from tandem.meetings.models import Meeting
from tandem.sync.core.run_report import RunReport


class CalendarSyncState(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    google_sub = models.CharField(max_length=255)
    calendar_id = models.CharField(max_length=1024)
    access_role = models.CharField(max_length=32, blank=True)
    sync_token = models.TextField(blank=True)
    full_sync_completed_at = models.DateTimeField(null=True, blank=True)
    last_listed_at = models.DateTimeField(null=True, blank=True)
    # Watch channel for push notifications (issue: scheduling).
    channel_id = models.CharField(max_length=64, blank=True, db_index=True)
    # SHA-256 of the channel's token (tandem.sync.push.channel_token_hash), never the token.
    channel_token_hash = models.CharField(max_length=128, blank=True)
    channel_resource_id = models.CharField(max_length=255, blank=True)
    channel_expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "google_sub", "calendar_id"], name="one_state_per_calendar"
            )
        ]

    def __str__(self) -> str:
        return f"{self.calendar_id} of {self.owner}"


class EventLink(models.Model):
    class Origin(models.TextChoices):
        CRM = "crm", "Created in the CRM"
        GOOGLE = "google", "Created in Google"

    # Indexed by the unique key below (whose prefix is owner, google_sub, calendar_id). No
    # database constraint: the owner repeats the meeting's, whose own key is checked, and on
    # PostgreSQL each constraint is a deferred check of every row at commit (with
    # the import records' of then, 8 of a 2,500-event page's 31 ms of commit: docs/benchmarks.md,
    # issue 11, sixth session). Django still cascades a user's deletion to these rows.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, db_index=False, db_constraint=False
    )
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="event_links")
    google_sub = models.CharField(max_length=255)
    calendar_id = models.CharField(max_length=1024)
    event_id = models.CharField(max_length=1024)
    ical_uid = models.CharField(max_length=1024, blank=True)
    origin = models.CharField(max_length=8, choices=Origin.choices)
    etag = models.CharField(max_length=255, blank=True)
    # The last copy both sides agreed on, as tandem.sync.core field values (JSON).
    base = models.JSONField(default=dict)
    base_version = models.PositiveIntegerField(default=0)
    # The event is cancelled in Google as of the last listing (an edit may bring it back).
    # We started removing the event from Google (private meeting, private sync off).
    leaving = models.BooleanField(default=False)
    # What the event shows beyond the six fields, as the last listing read it (organizer,
    # attendees and their answers, video link: core/event_extras.py), for the meeting's page
    # and the API; never written back. And its Google eventType (core/event_types.py).
    extras = models.JSONField(default=dict, blank=True)
    event_type = models.CharField(max_length=32, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            # Per owner: two CRM users may connect the same Google account, and each keeps
            # their own meetings and links to the same events.
            models.UniqueConstraint(
                fields=["owner", "google_sub", "calendar_id", "event_id"],
                name="one_link_per_owner_and_event",
            )
        ]
        indexes = [
            # Looked up by equality only: a plain index (db_index would add, on PostgreSQL,
            # a second one for LIKE that nothing uses).
            models.Index(fields=["ical_uid"], name="sync_link_ical_uid"),
            # Links that are leaving Google, for the outbound pass: partial, so the agreeing
            # links (nearly all) are not in it and an import maintains nothing.
            models.Index(
                fields=["owner", "google_sub", "calendar_id"],
                name="sync_link_leaving",
                condition=models.Q(leaving=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.meeting_id} ⇄ {self.calendar_id}/{self.event_id}"


class UserSyncState(models.Model):
    owner = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sync_state"
    )
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    next_due_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # Set when the mass-delete breaker tripped or an error needs the user; cleared by them.
    needs_attention = models.CharField(max_length=500, blank=True)
    # The meetings the breaker held back (HeldDeletion.as_json each), listed with its question.
    held_deletions = models.JSONField(default=list, blank=True)
    # The answer given to the mass-delete question ("apply" or "keep") while its run has
    # not settled it: one answer per question, from the page, the API or the CLI alike.
    attention_answer = models.CharField(max_length=8, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    # The lease lock: one worker at a time per user, on every database.
    lock_token = models.CharField(max_length=64, blank=True)
    locked_until = models.DateTimeField(null=True, blank=True)
    # Debounce: a sync is already queued to start at this time.
    queued_for = models.DateTimeField(null=True, blank=True)
    # Starts without a finish: counts runs that killed their worker (delivery cap).
    unfinished_starts = models.PositiveSmallIntegerField(default=0)

    def __str__(self) -> str:
        return f"Sync state of {self.owner}"


class SyncRun(models.Model):
    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        NEEDS_ATTENTION = "needs_attention", "Needs attention"

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    trigger = models.CharField(max_length=32, default="schedule")
    started_at = models.DateTimeField(auto_now_add=True, db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.RUNNING)
    requests = models.PositiveIntegerField(default=0)
    counts = models.JSONField(default=dict)
    # RunProblem.as_json each (runs recorded before they were typed kept plain strings,
    # which RunReport.from_record reads as messages).
    errors = models.JSONField(default=list)
    # What the run changed of Google's text to store it (NUL removed, over-long text cut):
    # the event is synced, so these are no errors (tandem/sync/core/storable.py).
    warnings = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-started_at"]
        indexes = [
            # The user's last clean run (the outbound pass's "changed since" watermark).
            models.Index(fields=["owner", "status", "started_at"], name="sync_run_owner_status"),
        ]

    def __str__(self) -> str:
        return f"Sync run {self.pk} of {self.owner} ({self.status})"

    @property
    def report(self) -> RunReport:
        """The run's report, typed, as the status page, the API and ``tandem sync`` show
        it (errors and warnings are stored as RunProblem.as_json)."""
        return RunReport.from_record(
            counts=self.counts, errors=self.errors, warnings=self.warnings, requests=self.requests
        )


class SyncConflict(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="conflicts")
    run = models.ForeignKey(SyncRun, null=True, on_delete=models.SET_NULL)
    field = models.CharField(max_length=32)
    base_value = models.JSONField(null=True)
    crm_value = models.JSONField(null=True)
    google_value = models.JSONField(null=True)
    winner = models.CharField(max_length=8)
    rule = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Conflict on {self.field} of meeting {self.meeting_id}"


class StaleChannel(models.Model):
    """A push channel we stopped using but Google did not confirm stopping (an error on
    channels.stop): retried by the hourly renewal until Google confirms or it expires, so
    Google does not keep notifying us about it for up to a week."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    google_sub = models.CharField(max_length=255)
    channel_id = models.CharField(max_length=64, unique=True)
    resource_id = models.CharField(max_length=255)
    expires_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Channel {self.channel_id} of {self.owner} (to stop)"


class Installation(models.Model):
    """One row: this CRM's namespace for client-chosen Google event ids and our marker, so
    two installations (or a reinstalled one) sharing a Google account never collide."""

    namespace = models.CharField(max_length=64, unique=True)

    def __str__(self) -> str:
        return self.namespace
