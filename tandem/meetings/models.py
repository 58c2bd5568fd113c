"""CRM meetings.

A meeting is a half-open interval [start, end). Timed meetings store aware instants plus the
IANA zone they were planned in. All-day meetings store dates with an *exclusive* end date
(Google's convention, so the sync maps them one to one); ``start``/``end`` are then midnight of
those dates in the meeting's zone, which keeps one range query for both kinds. Forms show
the inclusive last day to people.

Recurrence is stored the way Google stores it (RRULE/RDATE/EXDATE lines, no DTSTART) on the
series' first meeting; a changed or cancelled occurrence is its own row pointing at the
series with the original start it replaces. Links to Google events live in the sync app, so
nothing here knows about Google.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

from tandem.timezones import validate_time_zone

TOMBSTONE_DAYS = 30


class Visibility(models.TextChoices):
    """Google's values, so the mapping is the identity."""

    DEFAULT = "default", "Default"
    PUBLIC = "public", "Public"
    PRIVATE = "private", "Private"
    CONFIDENTIAL = "confidential", "Confidential"


PRIVATE_VISIBILITIES = frozenset({Visibility.PRIVATE, Visibility.CONFIDENTIAL})

SUBJECT_MAX_LENGTH = 1024
LOCATION_MAX_LENGTH = 1024
DESCRIPTION_MAX_LENGTH = 8192


class MeetingQuerySet(models.QuerySet["Meeting"]):
    def alive(self) -> MeetingQuerySet:
        return self.filter(deleted_at__isnull=True)

    def tombstones(self) -> MeetingQuerySet:
        return self.filter(deleted_at__isnull=False)

    def may_end_after(self, moment) -> MeetingQuerySet:  # type: ignore[no-untyped-def]
        return self.filter(may_end_after(moment))


def may_end_after(moment) -> models.Q:  # type: ignore[no-untyped-def]
    """Meetings that may still be going on after ``moment``: those ending after it, and
    every recurring series (its ``end`` is its first occurrence's; whether the last one is
    over is the sync planner's question, core/series_end.py)."""
    return models.Q(end__gt=moment) | ~models.Q(recurrence=[])


class Meeting(models.Model):
    # No index of its own on owner, start or end: the (owner, start, end) index below serves
    # every lookup by owner and by range (every query is scoped to its owner), and each
    # extra index slows every write (an import writes thousands of rows a page).
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="meetings", db_index=False
    )
    subject = models.CharField(max_length=SUBJECT_MAX_LENGTH)
    all_day = models.BooleanField(default=False)
    start = models.DateTimeField()
    end = models.DateTimeField()
    start_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True, help_text="Exclusive, as in Google.")
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    description = models.TextField(blank=True, max_length=DESCRIPTION_MAX_LENGTH)
    location = models.CharField(max_length=LOCATION_MAX_LENGTH, blank=True)
    visibility = models.CharField(
        max_length=16, choices=Visibility.choices, default=Visibility.DEFAULT
    )

    # Recurrence, Google-shaped: ["RRULE:FREQ=WEEKLY;BYDAY=MO", "EXDATE;TZID=...:2026..."].
    recurrence = models.JSONField(default=list, blank=True)
    series = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        db_index=False,  # a partial index below: most meetings are no occurrence
        related_name="exceptions",
        help_text="Set on a changed or cancelled occurrence of a recurring meeting.",
    )
    original_start = models.DateTimeField(null=True, blank=True)
    is_cancelled_occurrence = models.BooleanField(default=False)
    # The series "this and following events" cut this one from (series_edits.series_split):
    # the sync puts a new series beside its first part, in the same Google calendar, as
    # Google Calendar does (tandem/sync/core/placement.py). Nothing else reads it.
    split_from = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        db_index=False,  # a partial index below: few meetings are cut from a series
        related_name="split_series",
    )

    # Meetings from Google calendars the user cannot write are shown but not editable.
    read_only = models.BooleanField(default=False)

    # Which Google event the sync first made this meeting from ("<calendar id>/<event id>"),
    # kept when its link goes, so a replayed import finds the meeting instead of copying it.
    # Written by the sync only, through services (meetings_import_bulk, import_key_record,
    # import_key_forget); never a change of the meeting: no version, no updated_at. A column
    # of the meeting rather than a row of its own, so an imported event costs one row and
    # one foreign key fewer (issue 11, a first import's last page: docs/benchmarks.md).
    # NULL, not "": a meeting made in the CRM has no key, as CrmMeeting.import_key is None.
    import_key = models.CharField(  # noqa: DJ001
        max_length=2100, null=True, blank=True, editable=False
    )

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)
    deleted_at = models.DateTimeField(null=True, blank=True)  # partial index below

    objects = MeetingQuerySet.as_manager()

    class Meta:
        ordering = ["start", "id"]
        indexes = [
            models.Index(fields=["owner", "start", "end"]),
            # Partial: only the few rows they find are indexed, so a plain meeting's insert
            # maintains neither. "deleted_at < cutoff" (the purge) and "series_id = …" or
            # "IN (…)" (a series' rows) imply NOT NULL, so SQLite and PostgreSQL use them;
            # "owner = … AND series IS NOT NULL" (a user's occurrence rows) reads only those.
            models.Index(
                fields=["deleted_at"],
                name="meeting_tombstones",
                condition=models.Q(deleted_at__isnull=False),
            ),
            models.Index(
                fields=["owner", "series"],
                name="meeting_occurrences",
                condition=models.Q(series__isnull=False),
            ),
            models.Index(
                fields=["split_from"],
                name="meeting_split_from",
                condition=models.Q(split_from__isnull=False),
            ),
            # The sync's idle run starts from the meetings changed since its last clean run
            # (tandem/sync/engine/outbound.py), not from all of a user's meetings.
            models.Index(fields=["owner", "updated_at"], name="meeting_owner_changed"),
        ]
        constraints = [
            # One meeting per imported event and user (the key is unique per user only:
            # two users may share a calendar). Partial: a meeting made in the CRM has none.
            models.UniqueConstraint(
                fields=["owner", "import_key"],
                name="meeting_one_per_import",
                condition=models.Q(import_key__isnull=False),
            ),
            # Zero-length meetings (end == start: reminders, deadlines) exist in Google too
            # (issue 12, must-have 6); the rules (meetings/rules.py) say the same.
            models.CheckConstraint(
                condition=models.Q(end__gte=models.F("start")), name="end_not_before_start"
            ),
        ]

    def __str__(self) -> str:
        # Busy for a private meeting: str() reaches places that know no viewer (the admin's
        # titles, messages and history, a series' label on its exceptions), and a private
        # meeting is Busy to everyone but its owner (DESIGN.md §3; issue 15, finding 2).
        return "Busy" if self.is_private else self.subject

    @property
    def is_private(self) -> bool:
        return self.visibility in PRIVATE_VISIBILITIES

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def is_recurring(self) -> bool:
        return bool(self.recurrence)

    @property
    def restorable_until(self):  # type: ignore[no-untyped-def]
        return None if self.deleted_at is None else self.deleted_at + timedelta(days=TOMBSTONE_DAYS)

    def can_be_restored(self) -> bool:
        return self.deleted_at is not None and timezone.now() < self.restorable_until
