"""GoogleSide (tandem.sync.core.sides) over the Calendar REST client.

Only the errors the core decides on become core side errors (409, 412, 404/410, 410
fullSyncRequired, and a write Google refuses for that item: 400, or a 403 that is neither a
rate limit nor missing access, https://developers.google.com/workspace/calendar/api/guides/errors);
transient and connection errors propagate and end the run, which the Celery task retries
with backoff."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

from tandem.google import errors as google_errors
from tandem.google.calendar import CalendarClient, EventsPage
from tandem.sync.core.sides import (
    AlreadyExists,
    Event,
    NotFound,
    PreconditionFailed,
    Refused,
    SyncTokenInvalid,
)
from tandem.sync.core.storable import is_storable, storable_text

# A write refused for this item: no retry will change Google's mind, and the other items of
# the run must go on ("one bad item never stops the others").
_REFUSED = (google_errors.BadRequest, google_errors.Forbidden)


class GoogleCalendarSide:
    def __init__(
        self, *, client: CalendarClient, calendar_id: str, time_min: str, default_zone: str
    ) -> None:
        self.client = client
        self._calendar_id = calendar_id
        self.time_min = time_min
        self.default_zone = default_zone

    @property
    def calendar_id(self) -> str:
        return self._calendar_id

    def pages(self, *, sync_token: str | None) -> Iterator[EventsPage]:
        """events.list page by page: full from the window start, or incremental."""
        try:
            for page in self.client.events_pages(
                self._calendar_id,
                sync_token=sync_token,
                time_min=None if sync_token else self.time_min,
            ):
                yield replace(page, items=[storable_identifiers(item) for item in page.items])
        except google_errors.SyncTokenInvalid as error:
            raise SyncTokenInvalid(str(error)) from error

    def get_event(self, *, event_id: str) -> Event | None:
        try:
            return storable_identifiers(self.client.event_get(self._calendar_id, event_id))
        except google_errors.NotFound:
            return None

    def insert_event(self, *, body: Event) -> Event:
        try:
            return self.client.event_insert(self._calendar_id, body)
        except google_errors.Duplicate as error:
            raise AlreadyExists(str(error)) from error
        except _REFUSED as error:
            raise Refused(str(error)) from error

    def patch_event(self, *, event_id: str, patch: Event, etag: str) -> Event:
        try:
            return self.client.event_patch(self._calendar_id, event_id, patch, etag=etag or None)
        except google_errors.PreconditionFailed as error:
            raise PreconditionFailed(str(error)) from error
        except (google_errors.NotFound, google_errors.Gone) as error:
            raise NotFound(str(error)) from error
        except _REFUSED as error:
            raise Refused(str(error)) from error

    def delete_event(self, *, event_id: str, etag: str) -> None:
        try:
            self.client.event_delete(self._calendar_id, event_id, etag=etag or None)
        except google_errors.PreconditionFailed as error:
            raise PreconditionFailed(str(error)) from error
        except (google_errors.NotFound, google_errors.Gone) as error:
            raise NotFound(str(error)) from error
        except _REFUSED as error:
            raise Refused(str(error)) from error

    def move_event(self, *, event_id: str, destination: str) -> Event:
        try:
            moved = self.client.event_move(self._calendar_id, event_id, destination=destination)
        except google_errors.Duplicate as error:
            raise AlreadyExists(str(error)) from error
        except (google_errors.NotFound, google_errors.Gone) as error:
            raise NotFound(str(error)) from error
        except _REFUSED as error:
            raise Refused(str(error)) from error
        return storable_identifiers(moved)

    def instance(self, *, series_event_id: str, original_start: str) -> Event | None:
        try:
            found = self.client.event_instance(
                self._calendar_id, series_event_id, original_start=original_start
            )
        except (google_errors.NotFound, google_errors.Gone):
            return None  # No such series: no instance there either.
        if found is None or not isinstance(found.get("id"), str):
            return None
        return storable_identifiers(found)


def storable_identifiers(event: Event) -> Event:
    """The event with an ``iCalUID`` the database can store. The engine stores and matches
    it as it comes (the link's ``ical_uid``), not through ``read_event``, and an invitation
    imported from another system may carry any text there: a NUL stopped the run on
    PostgreSQL. The rule is ``core/storable.py``'s, so the same UID seen in two calendars
    is cleaned the same and still pairs. The mapped text is cleaned by ``read_event``."""
    uid = event.get("iCalUID")
    if isinstance(uid, str) and not is_storable(uid):
        return {**event, "iCalUID": storable_text(uid).text}
    return event
