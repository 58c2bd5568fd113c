"""Writes to meetings. Views, the API, admin actions and the sync engine all come here.

Each write bumps ``version`` (the sync engine compares it with the version it last agreed
with Google) and announces itself through ``meeting_changed`` once the transaction commits.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

import django.dispatch
import msgspec
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from tandem.bulk import pks_reserve, rows_insert
from tandem.meetings import recurrence, rules
from tandem.meetings.models import (
    TOMBSTONE_DAYS,
    Meeting,
    Visibility,
)
from tandem.meetings.rules import original_moved
from tandem.sync.core.identity import import_key_prefix

# Sent on commit with ``meeting`` and ``origin`` ("crm" for people, "sync" for the engine).
meeting_changed = django.dispatch.Signal()

MEETING_FIELDS = (
    "subject",
    "all_day",
    "start",
    "end",
    "start_date",
    "end_date",
    "time_zone",
    "description",
    "location",
    "visibility",
    "recurrence",
)


@dataclass(frozen=True)
class MeetingInput:
    """What a person (or Google) says a meeting is. ``start``/``end`` for timed meetings,
    ``start_date``/``end_date`` (end exclusive) for all-day ones."""

    subject: str
    start: datetime | None = None
    end: datetime | None = None
    all_day: bool = False
    start_date: date | None = None
    end_date: date | None = None
    time_zone: str = "UTC"
    description: str = ""
    location: str = ""
    visibility: str = Visibility.DEFAULT
    recurrence: list[str] = field(default_factory=list)


def input_of(meeting: Meeting) -> MeetingInput:
    """The meeting's own values as service input, the base a change is made on. An all-day
    meeting gives no start/end: its stored midnights are a by-product, and a change that
    makes it a timed meeting must say when it starts and ends."""
    return MeetingInput(
        subject=meeting.subject,
        all_day=meeting.all_day,
        start=None if meeting.all_day else meeting.start,
        end=None if meeting.all_day else meeting.end,
        start_date=meeting.start_date,
        end_date=meeting.end_date,
        time_zone=meeting.time_zone,
        description=meeting.description,
        location=meeting.location,
        visibility=meeting.visibility,
        recurrence=list(meeting.recurrence),
    )


def _midnight(day: date, zone: str) -> datetime:
    return datetime.combine(day, time.min, tzinfo=zoneinfo.ZoneInfo(zone))


def normalised(data: MeetingInput) -> dict[str, Any]:
    """Validated model field values for ``data``; raises ValidationError keyed by field,
    with every problem at once. The rules are ``tandem.meetings.rules``, the same ones the
    sync core's ``MeetingFields`` follows, so what is saved here the sync can carry."""
    subject = rules.clean_subject(data.subject or "")
    description, location = rules.clean_description(data.description or ""), data.location or ""
    bounds = (data.start_date, data.end_date) if data.all_day else (data.start, data.end)
    problems = rules.meeting_problems(
        subject=subject,
        description=description,
        location=location,
        visibility=data.visibility,
        all_day=data.all_day,
        start=bounds[0],
        end=bounds[1],
        time_zone=data.time_zone or "",  # the model's column: every meeting has one
        recurrence=data.recurrence,
    )
    if problems:
        raise ValidationError(rules.by_field(problems))
    values: dict[str, Any] = {
        "subject": subject,
        "all_day": data.all_day,
        "time_zone": data.time_zone,
        "description": description,
        "location": location,
        "visibility": data.visibility,
        "recurrence": list(rules.clean_recurrence(data.recurrence)),
    }
    if data.all_day:
        assert data.start_date is not None and data.end_date is not None  # the rules
        return values | {
            "start_date": data.start_date,
            "end_date": data.end_date,
            "start": _midnight(data.start_date, data.time_zone),
            "end": _midnight(data.end_date, data.time_zone),
        }
    return values | {"start": data.start, "end": data.end, "start_date": None, "end_date": None}


def fields_changed(meeting: Meeting, values: dict[str, Any]) -> list[str]:
    """The names of ``values`` (``normalised``'s) that differ from the meeting's own."""
    return [name for name, value in values.items() if getattr(meeting, name) != value]


def validate_lengths(meeting: Meeting) -> None:
    """The rules of ``normalised`` once more, on a meeting about to be saved (a caller may
    have set a field after ``normalised``). Not ``full_clean()``: the model's validators
    would be a second set of rules, and they miss the description's limit (a TextField's
    max_length is no model validator)."""
    problems = rules.meeting_problems(
        subject=rules.clean_subject(meeting.subject),
        description=meeting.description,
        location=meeting.location,
        visibility=meeting.visibility,
        all_day=meeting.all_day,
        start=meeting.start_date if meeting.all_day else meeting.start,
        end=meeting.end_date if meeting.all_day else meeting.end,
        time_zone=meeting.time_zone or "",
        recurrence=meeting.recurrence or [],
    )
    if problems:
        raise ValidationError(rules.by_field(problems))


def announce(meeting: Meeting, origin: str) -> None:
    transaction.on_commit(
        lambda: meeting_changed.send(sender=Meeting, meeting=meeting, origin=origin)
    )


@transaction.atomic
def meeting_create(
    *,
    owner: User,
    data: MeetingInput,
    origin: str = "crm",
    read_only: bool = False,
    split_from: Meeting | None = None,
    import_key: str | None = None,
) -> Meeting:
    """``split_from``: the series whose following occurrences this new series takes over
    ("this and following events", series_edits.series_split). ``import_key``: the Google
    event the sync makes it from (Meeting.import_key); the key's unique constraint refuses
    a second meeting for it with an IntegrityError."""
    if split_from is not None and split_from.owner_id != owner.pk:
        raise ValidationError("A series can only be cut from a series of the same owner.")
    meeting = Meeting(
        owner=owner,
        read_only=read_only,
        split_from=split_from,
        import_key=import_key,
        **normalised(data),
    )
    validate_lengths(meeting)
    if origin == "crm":
        _check_rule_of_a_person(meeting, changed=MEETING_FIELDS)
    meeting.save()
    announce(meeting, origin)
    return meeting


@transaction.atomic
def meeting_update(
    *,
    meeting: Meeting,
    data: MeetingInput,
    origin: str = "crm",
    unseen_rows: frozenset[int] = frozenset(),
) -> Meeting:
    """``unseen_rows``: occurrence rows of the series that Google has never seen (the sync
    passes its unpushed ones, ``_exceptions_follow``)."""
    if meeting.read_only and origin == "crm":
        raise ValidationError("This meeting comes from a Google calendar you cannot edit.")
    if meeting.is_deleted:
        raise ValidationError("A deleted meeting must be restored before it is edited.")
    values = normalised(data)
    changed = fields_changed(meeting, values)
    if not changed:
        return meeting
    moved_from = meeting.start if "start" in changed else None
    originals_are_days = meeting.all_day  # the series' kind its rows were made for
    for name in changed:
        setattr(meeting, name, values[name])
    validate_lengths(meeting)
    if origin == "crm":
        _check_rule_of_a_person(meeting, changed=changed)
    meeting.version = F("version") + 1
    meeting.save(update_fields=[*changed, "version", "updated_at"])
    meeting.refresh_from_db(fields=["version"])
    if moved_from is not None and meeting.is_recurring and meeting.series_id is None:
        _exceptions_follow(
            meeting, moved_from, originals_are_days=originals_are_days, unseen_rows=unseen_rows
        )
    announce(meeting, origin)
    return meeting


def meeting_mark_read_only(*, meeting: Meeting) -> Meeting:
    """The meeting becomes read-only (the sync found that Google lets nothing be written to
    its event). Not a change of its fields: no version bump, nothing to sync."""
    if not meeting.read_only:
        meeting.read_only = True
        meeting.save(update_fields=["read_only"])
    return meeting


# What a person's rule is checked against: its lines and kind, and the start its UNTIL must
# not precede (a series moved after its last day is refused as a rule that ends too soon).
_RULE_FIELDS = frozenset({"recurrence", "all_day"})
_START_FIELDS = frozenset({"start", "start_date"})


def rule_problems_of_a_person(meeting: Meeting, *, changed: Iterable[str]) -> list[str]:
    """The stricter checks of a rule a person writes, for a meeting whose fields ``changed``
    (``recurrence.recurrence_problems``, then ``recurrence.ends_before_start``): the one
    place for them, used by the saves below and by the form's series preview. Not for the
    sync, which must take any rule Google holds; nor for a change that leaves the rule and
    the start alone (a series renamed keeps the rule it came with)."""
    fields = set(changed)
    problems: list[str] = []
    if fields & _RULE_FIELDS:
        problems = recurrence.recurrence_problems(meeting.recurrence, all_day=meeting.all_day)
    if not problems and fields & (_RULE_FIELDS | _START_FIELDS):
        problems = recurrence.ends_before_start(
            meeting.recurrence,
            start=meeting.start_date or meeting.start,  # a date only for an all-day one
            zone=zoneinfo.ZoneInfo(meeting.time_zone),
        )
    return problems


def _check_rule_of_a_person(meeting: Meeting, *, changed: Iterable[str]) -> None:
    problems = rule_problems_of_a_person(meeting, changed=changed)
    if problems:
        raise ValidationError({"recurrence": problems})


def _exceptions_follow(
    series: Meeting,
    moved_from: datetime,
    *,
    originals_are_days: bool,
    unseen_rows: frozenset[int],
) -> None:
    """A series whose start moves keeps the occurrences changed or cancelled alone, each on
    the occurrence it was made for, as Google does ("changes are preserved even if the
    recurring event itself is updated",
    https://gsuite-developers.googleblog.com/2011/12/calendar-v3-best-practices-recurring.html).
    Their ``original_start`` moves with the series (a changed one keeps its own time); a
    row that only hides a cancelled occurrence takes the occurrence's new time too. Not a
    change of the rows' own fields: no version bump, nothing to sync.

    The move is measured on the wall clock of the series' zone, as its occurrences are laid
    out: a series moved from 09:00 CET to 09:00 CEST a week later moves each occurrence by
    exactly a week of days, whatever daylight saving does in between.

    The rows of an all-day series (``originals_are_days``) move by whole days, also onto a
    series made timed, where they name no occurrence, as Google's exceptions of an all-day
    series do (``rules.original_moved``); so do the rows of a timed series made all-day,
    keeping their time of day, where they name no occurrence either. Not a row Google has
    never seen (``unseen_rows``: changed in the CRM since the last sync): nothing holds it
    to its day, so it follows its occurrence to the new time, where the sync then changes
    that instance (a change of the occurrence merged with Google's change of its series)."""
    zone = zoneinfo.ZoneInfo(series.time_zone)

    def moved(moment: datetime, row: Meeting) -> datetime:
        seen = row.pk not in unseen_rows
        return original_moved(
            moment,
            zone,
            old=moved_from,
            new=series.start,
            of_all_day=originals_are_days and seen,
            to_all_day=series.all_day and seen,
        )

    for row in Meeting.objects.filter(series=series, original_start__isnull=False):
        assert row.original_start is not None  # the filter above
        row.original_start = moved(row.original_start, row)
        if not row.is_cancelled_occurrence:
            row.save(update_fields=["original_start"])
            continue
        row.start, row.end = moved(row.start, row), moved(row.end, row)
        if row.start_date is not None and row.end_date is not None:
            row.start_date = row.start.astimezone(zone).date()
            row.end_date = row.end.astimezone(zone).date()
        row.save(update_fields=["original_start", "start", "end", "start_date", "end_date"])


@transaction.atomic
def meeting_delete(*, meeting: Meeting, origin: str = "crm") -> Meeting:
    """Soft delete: the meeting becomes a tombstone, restorable for TOMBSTONE_DAYS."""
    if meeting.read_only and origin == "crm":
        raise ValidationError("This meeting comes from a Google calendar you cannot edit.")
    if meeting.is_deleted:
        return meeting
    meeting.deleted_at = timezone.now()
    meeting.version = F("version") + 1
    meeting.save(update_fields=["deleted_at", "version", "updated_at"])
    meeting.refresh_from_db(fields=["version"])
    if meeting.recurrence:
        # Its changed occurrences go with it, as a recurring event deleted in Google takes
        # all its instances, exceptions included (the emulator does the same:
        # https://developers.google.com/workspace/calendar/api/guides/recurringevents);
        # restored with it too (same deletion time, meeting_restore).
        Meeting.objects.filter(series=meeting, deleted_at__isnull=True).update(
            deleted_at=meeting.deleted_at, version=F("version") + 1, updated_at=timezone.now()
        )
    announce(meeting, origin)
    return meeting


@transaction.atomic
def meeting_restore(*, meeting: Meeting, origin: str = "crm") -> Meeting:
    if not meeting.is_deleted:
        return meeting
    if not meeting.can_be_restored():
        raise ValidationError(
            f"Deleted meetings can be restored for {TOMBSTONE_DAYS} days; this one is older."
        )
    deleted_at = meeting.deleted_at
    meeting.deleted_at = None
    meeting.version = F("version") + 1
    meeting.save(update_fields=["deleted_at", "version", "updated_at"])
    meeting.refresh_from_db(fields=["version"])
    if meeting.recurrence:
        # The occurrences deleted with the series (meeting_delete) come back with it.
        Meeting.objects.filter(series=meeting, deleted_at=deleted_at).update(
            deleted_at=None, version=F("version") + 1, updated_at=timezone.now()
        )
    announce(meeting, origin)
    return meeting


def meeting_purge_expired_tombstones(*, now: datetime | None = None) -> int:
    """Removes tombstones older than TOMBSTONE_DAYS for good; returns how many. A deleted
    occurrence of a live series is kept as the row that hides that occurrence (removed, the
    series would show it again)."""
    cutoff = (now or timezone.now()) - timedelta(days=TOMBSTONE_DAYS)
    expired = Meeting.objects.filter(deleted_at__lt=cutoff)
    expired.filter(series__isnull=False, series__deleted_at__isnull=True).update(
        is_cancelled_occurrence=True, deleted_at=None
    )
    deleted, _ = expired.delete()
    return deleted


# -- the sync engine's bulk writes ---------------------------------------------------------

NEW_MEETING_VERSION = 1  # Meeting.version of a new meeting (the model's default)


class ImportedRow(msgspec.Struct, frozen=True):
    """A meeting the sync makes from a Google event: ``values`` are the model's field values
    (``tandem.sync.core.fields.meeting_values_from_fields``, already validated by the core);
    for an occurrence of a series, ``series_id`` and ``original_start`` place it, and
    ``hides_occurrence`` makes it a row that only hides a cancelled occurrence."""

    values: dict[str, Any]
    import_key: str
    read_only: bool = False
    series_id: int | None = None
    original_start: datetime | None = None
    hides_occurrence: bool = False


def meetings_import_bulk(*, owner: User, now: datetime, rows: list[ImportedRow]) -> list[int]:
    """Creates meetings from Google in one statement per page, whatever its size (an import
    of 10,000 events; ``tandem.bulk``), and returns their ids in order. Origin "sync": no
    announcement (the engine's own writes must not queue another run), no model signals."""
    if not rows:
        return []
    ids = pks_reserve(model=Meeting, count=len(rows))
    owner_id = owner.pk
    rows_insert(
        model=Meeting,
        rows=[
            {
                "id": meeting_id,
                "owner_id": owner_id,
                "read_only": row.read_only,
                "created_at": now,
                "updated_at": now,
                "version": NEW_MEETING_VERSION,
                "series_id": row.series_id,
                "original_start": row.original_start,
                "is_cancelled_occurrence": row.hides_occurrence,
                "import_key": row.import_key,
                **row.values,
            }
            for meeting_id, row in zip(ids, rows, strict=True)
        ],
    )
    return ids


def import_key_record(*, owner: User, meeting_id: int, import_key: str) -> bool:
    """The meeting was made from the Google event ``import_key`` (a row the sync placed on
    an occurrence before). Not a change of the meeting: no version, no announcement, and
    ``updated_at`` stays (what the sync's outbound look starts from). False when the user
    has no such meeting; an IntegrityError when another meeting holds the key, or when this
    one stands for another event already (a meeting is made from one event)."""
    rows = Meeting.objects.filter(owner=owner, pk=meeting_id)
    if rows.filter(import_key__isnull=True).update(import_key=import_key) == 1:
        return True
    if not rows.exists():
        return False
    if not rows.filter(import_key=import_key).exists():
        raise IntegrityError(f"Meeting {meeting_id} stands for another Google event already.")
    return True  # recorded before


def import_key_forget(
    *, owner: User, meeting_ids: Iterable[int] | None = None, imported_from: str | None = None
) -> None:
    """The meetings (by id, or every one imported from the calendar ``imported_from``) stop
    standing for the Google events they were made from; the user keeps them as the CRM's
    own. Not a change of the meetings, as ``import_key_record``."""
    rows = Meeting.objects.filter(owner=owner, import_key__isnull=False)
    if meeting_ids is not None:
        rows = rows.filter(pk__in=list(meeting_ids))
    if imported_from is not None:
        rows = rows.filter(import_key__startswith=import_key_prefix(imported_from))
    rows.update(import_key=None)


def hiding_rows_delete(
    *,
    owner: User,
    pks: list[int] | None = None,
    imported_from: str | None = None,
    series_id: int | None = None,
) -> int:
    """Removes rows that only hide a cancelled occurrence (never listed as meetings, so no
    tombstone): by id, every one imported from the calendar ``imported_from``, or every one
    of the series ``series_id``. Returns how many went."""
    rows = Meeting.objects.filter(owner=owner, is_cancelled_occurrence=True)
    if pks is not None:
        rows = rows.filter(pk__in=pks)
    if series_id is not None:
        rows = rows.filter(series_id=series_id)
    if imported_from is not None:
        rows = rows.filter(import_key__startswith=import_key_prefix(imported_from))
    deleted, _ = rows.delete()
    return deleted


def occurrence_row_discard(*, meeting: Meeting) -> None:
    """Removes, for good, a row that stood for one occurrence of a series which another row
    holds now (one row per occurrence): not a deletion of the user's meeting, no tombstone."""
    if meeting.series_id is None:
        raise ValidationError("Only a row of a recurring meeting's occurrence can be discarded.")
    meeting.delete()


@transaction.atomic
def occurrence_detach(*, meeting: Meeting, origin: str = "sync") -> Meeting:
    """One occurrence row becomes a meeting of its own, with its values: no series, no
    original start (the sync, when Google deleted the whole series and the CRM had changed
    this occurrence since: docs/sync-rules.md "Recurring events"). Not a change of its own
    fields (as ``_exceptions_follow``): no version bump, and ``updated_at`` stays that of the
    CRM's change that keeps it, which is what the sync's outbound look starts from (it
    inserts the meeting in Google in the same run). The CRM's own meeting now: its import
    key goes, so no listing takes it for the event it was imported from."""
    if meeting.series_id is None or meeting.is_cancelled_occurrence:
        raise ValidationError("Only a changed occurrence of a recurring meeting can stand alone.")
    if meeting.is_deleted:
        raise ValidationError("A deleted meeting must be restored before it is edited.")
    meeting.series = None
    meeting.original_start = None
    meeting.import_key = None
    meeting.save(update_fields=["series", "original_start", "import_key"])
    announce(meeting, origin)
    return meeting
