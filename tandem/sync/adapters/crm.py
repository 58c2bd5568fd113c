"""The CRM side of the sync: meetings of one user, read and written through the meetings
services with origin "sync" (so the engine's own writes do not trigger another push)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q

from tandem.meetings.models import Meeting, may_end_after
from tandem.meetings.services import (
    MeetingInput,
    import_key_forget,
    import_key_record,
    meeting_create,
    meeting_delete,
    meeting_mark_read_only,
    meeting_restore,
    meeting_update,
    occurrence_detach,
    occurrence_row_discard,
)
from tandem.sync.core.fields import (
    InvalidFields,
    MeetingFields,
    fields_from_meeting_values,
    meeting_values_from_fields,
)
from tandem.sync.core.sides import NotFound, PreconditionFailed, SideError
from tandem.sync.core.state import CrmMeeting
from tandem.sync.models import EventLink


def unseen_by_google(*, owner: User, google_sub: str | None) -> Q:
    """Meetings Google never saw: made in the CRM and never pushed, so no link, and not
    made from an event, so no import key (as the planner's ``born_on`` reads a CrmMeeting
    whose import_key is None). ``google_sub``: links of that Google account only (links
    are per account, and a new account gets the user's meetings pushed afresh), or None
    for links of any account the user had.

    A NOT IN over the owner's links (one scan, hashed), not NOT EXISTS per meeting: see
    engine/outbound.py ``restored_imports`` for what the latter cost after a large import."""
    links = EventLink.objects.filter(owner=owner)
    if google_sub is not None:
        links = links.filter(google_sub=google_sub)
    return ~Q(pk__in=links.values("meeting_id")) & Q(import_key__isnull=True)


def meeting_fields(meeting: Meeting) -> MeetingFields:
    return fields_from_meeting_values(
        subject=meeting.subject,
        all_day=meeting.all_day,
        start=meeting.start,
        end=meeting.end,
        start_date=meeting.start_date,
        end_date=meeting.end_date,
        time_zone=meeting.time_zone,
        description=meeting.description,
        location=meeting.location,
        visibility=meeting.visibility,
        recurrence=meeting.recurrence or (),
    )


def crm_meeting(meeting: Meeting, *, import_key: str | None, home: str | None = None) -> CrmMeeting:
    """``home``: the calendar it belongs in (core/placement.py), when the caller worked it
    out (engine/placement.py); None, the target."""
    return CrmMeeting(
        meeting_id=meeting.pk,
        version=meeting.version,
        fields=meeting_fields(meeting),
        changed_at=meeting.updated_at,
        deleted=meeting.deleted_at is not None,
        read_only=meeting.read_only,
        import_key=import_key,
        in_series_out_of_google=_series_is_private_and_ours(meeting),
        hides_occurrence=meeting.is_cancelled_occurrence,
        home=home,
    )


def _series_is_private_and_ours(meeting: Meeting) -> bool:
    """An occurrence row whose series is private and was made in the CRM (no import
    record). Queried only for occurrence rows of private series, which are rare."""
    if meeting.series_id is None:
        return False
    series = meeting.series
    return series is not None and series.is_private and series.import_key is None


def meeting_input(fields: MeetingFields, *, all_day_zone: str) -> MeetingInput:
    values: dict[str, Any] = meeting_values_from_fields(fields, all_day_zone=all_day_zone)
    return MeetingInput(**values)


class DjangoCrm:
    """CrmSide (tandem.sync.core.sides) over one user's meetings."""

    def __init__(self, *, user: User, all_day_zone: str, window_start: datetime) -> None:
        self.user = user
        self.all_day_zone = all_day_zone
        self.window_start = window_start

    def list_meetings(self) -> list[CrmMeeting]:
        # In the window, or linked whatever its dates (its event is synced; left out, the
        # meeting would read as deleted in the CRM).
        linked = EventLink.objects.filter(owner=self.user).values("meeting_id")
        meetings = list(
            Meeting.objects.filter(owner=self.user, is_cancelled_occurrence=False).filter(
                may_end_after(self.window_start) | Q(pk__in=linked)
            )
        )
        return [crm_meeting(m, import_key=m.import_key) for m in meetings]

    def get(self, meeting_id: int) -> CrmMeeting:
        try:
            meeting = Meeting.objects.get(owner=self.user, pk=meeting_id)
        except Meeting.DoesNotExist:
            raise NotFound(f"Meeting {meeting_id} does not exist.") from None
        return crm_meeting(meeting, import_key=meeting.import_key)

    def create_meeting(
        self, *, fields: MeetingFields, import_key: str, read_only: bool
    ) -> CrmMeeting:
        existing = self._imported(import_key)
        if existing is not None:
            return crm_meeting(existing, import_key=import_key)
        try:
            with transaction.atomic():
                meeting = meeting_create(
                    owner=self.user,
                    data=meeting_input(fields, all_day_zone=self.all_day_zone),
                    origin="sync",
                    read_only=read_only,
                    import_key=import_key,
                )
        except ValidationError as error:
            raise SideError(f"The CRM refused the meeting: {error.messages}") from error
        except IntegrityError:
            # Created meanwhile by another run of the same import: that one stands.
            existing = self._imported(import_key)
            if existing is None:
                raise  # another constraint refused it: not the race above
            return crm_meeting(existing, import_key=import_key)
        return crm_meeting(meeting, import_key=import_key)

    def _imported(self, import_key: str) -> Meeting | None:
        return Meeting.objects.filter(owner=self.user, import_key=import_key).first()

    def _locked(self, meeting_id: int, expected_version: int | None) -> Meeting:
        try:
            meeting = Meeting.objects.select_for_update().get(owner=self.user, pk=meeting_id)
        except Meeting.DoesNotExist:
            raise NotFound(f"Meeting {meeting_id} does not exist.") from None
        if expected_version is not None and meeting.version != expected_version:
            raise PreconditionFailed(f"Meeting {meeting_id} changed meanwhile.")
        return meeting

    def update_meeting(
        self,
        *,
        meeting_id: int,
        fields: MeetingFields,
        expected_version: int | None,
        restore: bool,
        read_only: bool = False,
    ) -> CrmMeeting:
        try:
            with transaction.atomic():
                meeting = self._locked(meeting_id, expected_version)
                if restore and meeting.deleted_at is not None:
                    meeting = meeting_restore(meeting=meeting, origin="sync")
                zone = meeting.time_zone if fields.all_day else self.all_day_zone
                meeting = meeting_update(
                    meeting=meeting,
                    data=meeting_input(fields, all_day_zone=zone),
                    origin="sync",
                    unseen_rows=self._unseen_rows(meeting, fields),
                )
                if read_only:
                    meeting = meeting_mark_read_only(meeting=meeting)
        except (ValidationError, InvalidFields) as error:
            raise SideError(f"The CRM refused the change: {error}") from error
        return self.get(meeting.pk)

    def _unseen_rows(self, series: Meeting, fields: MeetingFields) -> frozenset[int]:
        """The occurrence rows of a series that Google makes timed or all-day which Google
        has never seen (no link, no import record): they follow their occurrence to its new
        time, while Google's own exceptions stay on their days
        (meetings.services ``_exceptions_follow``). Asked only then: a rare change."""
        if not (series.is_recurring and series.all_day != fields.all_day):
            return frozenset()
        rows = Meeting.objects.filter(
            owner=self.user, series=series, original_start__isnull=False
        ).filter(unseen_by_google(owner=self.user, google_sub=None))
        return frozenset(rows.values_list("pk", flat=True))

    def delete_meeting(self, *, meeting_id: int, expected_version: int) -> CrmMeeting:
        with transaction.atomic():
            meeting = self._locked(meeting_id, None)
            if meeting.deleted_at is None:  # else deleted already (CrmSide.delete_meeting)
                if meeting.version != expected_version:
                    raise PreconditionFailed(f"Meeting {meeting_id} changed meanwhile.")
                meeting_delete(meeting=meeting, origin="sync")
        return self.get(meeting_id)

    def forget_import(self, *, meeting_id: int) -> None:
        import_key_forget(owner=self.user, meeting_ids=[meeting_id])

    def import_recorded(self, *, import_key: str) -> bool:
        return Meeting.objects.filter(owner=self.user, import_key=import_key).exists()

    def record_import(self, *, meeting_id: int, import_key: str) -> None:
        if not import_key_record(owner=self.user, meeting_id=meeting_id, import_key=import_key):
            raise NotFound(f"Meeting {meeting_id} does not exist.")

    def discard_occurrence_row(self, *, meeting_id: int) -> None:
        try:
            occurrence_row_discard(meeting=self._mine(meeting_id))
        except ValidationError as error:
            raise SideError(f"The CRM refused to discard the row: {error.messages}") from error

    def detach_occurrence(self, *, meeting_id: int, expected_version: int | None) -> CrmMeeting:
        try:
            with transaction.atomic():
                occurrence_detach(meeting=self._locked(meeting_id, expected_version))
        except ValidationError as error:
            raise SideError(
                f"The CRM refused to detach the occurrence: {error.messages}"
            ) from error
        return self.get(meeting_id)

    def merge_occurrence_row(self, *, meeting_id: int, into: int, fields: MeetingFields) -> bool:
        try:
            with transaction.atomic():
                other = self._locked(into, None)
                occurrence_row_discard(meeting=self._mine(meeting_id))
                if meeting_fields(other) == fields:
                    return False
                # As an edit made in the CRM: the row's values were, and the outbound look
                # pushes them to the event of ``into``.
                meeting_update(
                    meeting=other,
                    data=meeting_input(fields, all_day_zone=other.time_zone),
                    origin="crm",
                )
        except (ValidationError, InvalidFields) as error:
            raise SideError(f"The CRM refused the change: {error}") from error
        return True

    def _mine(self, meeting_id: int) -> Meeting:
        try:
            return Meeting.objects.get(owner=self.user, pk=meeting_id)
        except Meeting.DoesNotExist:
            raise NotFound(f"Meeting {meeting_id} does not exist.") from None
