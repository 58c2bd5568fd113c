"""LinkStore (tandem.sync.core.sides) over EventLink and CalendarSyncState rows."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.utils import timezone

from tandem.sync.adapters.serialize import fields_from_json, fields_to_json
from tandem.sync.core.state import Link
from tandem.sync.models import CalendarSyncState, EventLink


def link_from_row(row: EventLink) -> Link:
    return Link(
        calendar_id=row.calendar_id,
        meeting_id=row.meeting_id,
        event_id=row.event_id,
        base=fields_from_json(row.base),
        etag=row.etag,
        crm_version=row.base_version,
        origin="crm" if row.origin == EventLink.Origin.CRM else "google",
        leaving=row.leaving,
        event_type=row.event_type or "default",
    )


class DjangoLinks:
    def __init__(self, *, user: User, google_sub: str) -> None:
        self.user = user
        self.google_sub = google_sub

    def _rows(self, calendar_id: str | None = None):  # type: ignore[no-untyped-def]
        rows = EventLink.objects.filter(owner=self.user, google_sub=self.google_sub)
        return rows if calendar_id is None else rows.filter(calendar_id=calendar_id)

    def links(self, *, calendar_id: str) -> list[Link]:
        return [link_from_row(row) for row in self._rows(calendar_id)]

    def linked_meeting_ids(self) -> set[int]:
        return set(self._rows().values_list("meeting_id", flat=True))

    def save_link(self, link: Link, *, ical_uid: str | None = None) -> None:
        self._rows(link.calendar_id).filter(meeting_id=link.meeting_id).exclude(
            event_id=link.event_id
        ).delete()
        known = {} if ical_uid is None else {"ical_uid": ical_uid}
        EventLink.objects.update_or_create(
            owner=self.user,
            google_sub=self.google_sub,
            calendar_id=link.calendar_id,
            event_id=link.event_id,
            defaults={
                "meeting_id": link.meeting_id,
                "origin": link.origin,
                "etag": link.etag,
                "base": fields_to_json(link.base),
                "base_version": link.crm_version,
                "leaving": link.leaving,
                "event_type": link.event_type,
                **known,
            },
        )

    def meeting_of(self, *, calendar_id: str, event_id: str) -> int | None:
        found: int | None = (
            self._rows(calendar_id)
            .filter(event_id=event_id)
            .values_list("meeting_id", flat=True)
            .first()
        )
        return found

    def drop_link(self, *, calendar_id: str, meeting_id: int) -> None:
        self._rows(calendar_id).filter(meeting_id=meeting_id).delete()

    def move_link(self, *, calendar_id: str, meeting_id: int, destination: str) -> None:
        # One UPDATE: the row keeps what it holds beyond Link (iCalUID, extras).
        self._rows(calendar_id).filter(meeting_id=meeting_id).update(
            calendar_id=destination, updated_at=timezone.now()
        )

    def _state(self, calendar_id: str) -> CalendarSyncState:
        state, _ = CalendarSyncState.objects.get_or_create(
            owner=self.user, google_sub=self.google_sub, calendar_id=calendar_id
        )
        return state

    def sync_token(self, *, calendar_id: str) -> str | None:
        return self._state(calendar_id).sync_token or None

    def save_sync_token(self, *, calendar_id: str, token: str | None) -> None:
        CalendarSyncState.objects.filter(pk=self._state(calendar_id).pk).update(
            sync_token=token or ""
        )
