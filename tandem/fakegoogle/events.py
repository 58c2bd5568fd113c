"""events.get/insert/update/patch/delete/move/import: the write side of the Calendar API.

Reference: https://developers.google.com/workspace/calendar/api/v3/reference/events and
the shared spec §2.5-2.6 (write semantics, tombstones, etags, client-supplied ids).
"""

from __future__ import annotations

from datetime import UTC, date
from typing import TYPE_CHECKING, Any

from tandem.fakegoogle import errors, event_types
from tandem.fakegoogle.access import authorize, calendar_for
from tandem.fakegoogle.event_model import (
    SERVER_FIELDS,
    clean_body,
    complete_and_validate,
    drop_nulls,
    exceptions_of,
    html_link,
    instance_resource,
    merge_patch,
    people,
    stamp,
    time_changed,
    view,
    virtual_instance,
)
from tandem.fakegoogle.store import AccessToken, Calendar, StoredEvent
from tandem.fakegoogle.timeutil import bound, event_tz_name, zone
from tandem.fakegoogle.util import is_base32hex_id, random_base32hex, rfc3339_whole_seconds
from tandem.fakegoogle.wire import ApiRequest, ApiResponse, empty_response, json_response

if TYPE_CHECKING:
    from tandem.fakegoogle.emulator import FakeGoogle

SEND_UPDATES = {None, "all", "externalOnly", "none"}


def _etag_matches(header: str, etag: str) -> bool:
    candidates = [c.strip().removeprefix("W/") for c in header.split(",")]
    return "*" in candidates or etag in candidates


def _check_if_match(req: ApiRequest, resource: dict[str, Any]) -> None:
    header = req.headers.get("If-Match")
    if header and not _etag_matches(header, resource["etag"]):
        raise errors.condition_not_met()


def _check_send_updates(req: ApiRequest) -> None:
    if req.query.get("sendUpdates") not in SEND_UPDATES:
        raise errors.invalid("Invalid value for: sendUpdates")


def _respond(
    resource: dict[str, Any], entry_role: str, token: AccessToken, calendar: Calendar
) -> ApiResponse:
    return json_response(view(resource, role=entry_role, viewer=token.email, calendar=calendar))


def _new_id(emu: FakeGoogle, calendar: Calendar, requested: Any) -> str:
    if requested is None:
        while True:
            candidate = random_base32hex(26, emu.state.ids)
            if candidate not in calendar.events:
                return candidate
    if not isinstance(requested, str) or not is_base32hex_id(requested):
        raise errors.invalid("Invalid resource id value.")
    if requested in calendar.events:  # deleted ids stay taken (observed)
        raise errors.duplicate()
    return requested


def _create(
    emu: FakeGoogle,
    base_url: str,
    calendar: Calendar,
    body: dict[str, Any],
    *,
    actor: str,
    event_id: str,
    keep_people: bool = False,
    seeded: bool = False,
) -> dict[str, Any]:
    now = emu.now()
    organizer, creator = people(calendar, actor, emu.state)
    if keep_people:
        organizer = body.get("organizer") or organizer
        creator = body.get("creator") or creator
    fields = drop_nulls({k: v for k, v in body.items() if k not in SERVER_FIELDS and k != "id"})
    resource: dict[str, Any] = {
        "kind": "calendar#event",
        "etag": "",
        "id": event_id,
        "status": "confirmed",
        "htmlLink": html_link(base_url, calendar.id, event_id),
        "created": rfc3339_whole_seconds(now),
        "updated": "",
        **fields,
        "creator": creator,
        "organizer": organizer,
        "iCalUID": fields.get("iCalUID") or f"{event_id}@google.com",
        "sequence": body.get("sequence", 0) if keep_people else 0,
        "reminders": fields.get("reminders") or {"useDefault": True},
        "eventType": fields.get("eventType") or "default",
    }
    complete_and_validate(resource, calendar)
    if not seeded:
        event_types.check_create(resource, primary=calendar.id == calendar.owner_email)
    seq = stamp(emu.state, resource, now)
    calendar.events[event_id] = StoredEvent(resource=resource, seq=seq, created_seq=seq)
    return resource


def seed(
    emu: FakeGoogle, *, calendar_id: str, body: dict[str, Any], base_url: str
) -> dict[str, Any]:
    """An event of any type as Google itself makes it (a Gmail-made flight, a contact's
    birthday): the control API's path for what no client can create through the API."""
    body = clean_body(body)
    with emu.state.lock:
        calendar = emu.state.calendars.get(calendar_id)
        if calendar is None:
            raise ValueError(f"no calendar {calendar_id!r}")
        event_id = _new_id(emu, calendar, body.get("id"))
        resource = _create(
            emu,
            base_url,
            calendar,
            body,
            actor=calendar.owner_email,
            event_id=event_id,
            keep_people=True,
            seeded=True,
        )
        emu.changed(calendar.id)
        return resource


def insert(emu: FakeGoogle, req: ApiRequest, calendar_id: str) -> ApiResponse:
    token = authorize(emu, req, "events.insert")
    _check_send_updates(req)
    body = clean_body(req.json())
    with emu.state.lock:
        calendar, entry = calendar_for(emu, token, calendar_id, method="events.insert", write=True)
        event_id = _new_id(emu, calendar, body.get("id"))
        resource = _create(emu, req.base_url, calendar, body, actor=token.email, event_id=event_id)
        emu.changed(calendar.id)
        return _respond(resource, entry.access_role, token, calendar)


def import_(emu: FakeGoogle, req: ApiRequest, calendar_id: str) -> ApiResponse:
    """A private copy keyed by iCalUID: a second import of the same iCalUID updates the copy."""
    token = authorize(emu, req, "events.import")
    body = clean_body(req.json())
    if not body.get("iCalUID"):
        raise errors.required("Missing iCalUID.")
    if body.get("eventType") not in (None, "default"):
        raise errors.bad_request(
            "Only default events can be imported.", reason="eventTypeRestriction"
        )
    with emu.state.lock:
        calendar, entry = calendar_for(emu, token, calendar_id, method="events.import", write=True)
        existing = next(
            (
                s
                for s in calendar.events.values()
                if s.resource.get("iCalUID") == body["iCalUID"]
                and not s.resource.get("recurringEventId")
            ),
            None,
        )
        if existing is not None:
            resource = _replace(emu, calendar, existing, body, keep_people=True)
        else:
            event_id = _new_id(emu, calendar, body.get("id"))
            resource = _create(
                emu,
                req.base_url,
                calendar,
                body,
                actor=token.email,
                event_id=event_id,
                keep_people=True,
            )
        emu.changed(calendar.id)
        return _respond(resource, entry.access_role, token, calendar)


def _target(
    emu: FakeGoogle, calendar: Calendar, event_id: str
) -> StoredEvent | tuple[StoredEvent, Any]:
    stored = calendar.events.get(event_id)
    if stored is not None:
        return stored
    virtual = virtual_instance(emu.state, calendar, event_id)
    if virtual is None:
        raise errors.not_found()
    return virtual


def get(emu: FakeGoogle, req: ApiRequest, calendar_id: str, event_id: str) -> ApiResponse:
    token = authorize(emu, req, "events.get")
    with emu.state.lock:
        calendar, entry = calendar_for(emu, token, calendar_id, method="events.get", write=False)
        found = _target(emu, calendar, event_id)
        if isinstance(found, StoredEvent):
            resource = found.resource
        else:
            series, occ = found
            resource = instance_resource(emu.state, calendar, series.resource, occ)
        none_match = req.headers.get("If-None-Match")
        if none_match and _etag_matches(none_match, resource["etag"]):
            return empty_response(304)
        return _respond(resource, entry.access_role, token, calendar)


def _replace(
    emu: FakeGoogle,
    calendar: Calendar,
    stored: StoredEvent,
    body: dict[str, Any],
    *,
    keep_people: bool = False,
) -> dict[str, Any]:
    """PUT semantics: the body replaces every writable field; omitted ones are gone."""
    current = stored.resource
    kept = {
        k: current[k]
        for k in (
            "kind",
            "id",
            "htmlLink",
            "created",
            "creator",
            "organizer",
            "iCalUID",
            "eventType",
            "recurringEventId",
            "originalStartTime",
        )
        if k in current
    }
    if keep_people:
        kept.update({k: body[k] for k in ("organizer", "creator") if body.get(k)})
    fields = drop_nulls({k: v for k, v in body.items() if k not in SERVER_FIELDS and k not in kept})
    resource: dict[str, Any] = {"status": "confirmed", **kept, **fields, "etag": "", "updated": ""}
    resource.setdefault("reminders", {"useDefault": True})
    resource["sequence"] = current.get("sequence", 0) + (
        1 if time_changed(current, resource) else 0
    )
    complete_and_validate(resource, calendar)
    # PUT replaces the whole event: a body without eventType asks for "default".
    event_types.check_write(current, resource, event_type_sent=body.get("eventType") or "default")
    _exceptions_follow(emu, calendar, current, resource)
    stored.resource = resource
    stored.seq = stamp(emu.state, resource, emu.now())
    return resource


def _exceptions_follow(
    emu: FakeGoogle, calendar: Calendar, before: dict[str, Any], after: dict[str, Any]
) -> None:
    """A series whose start moves keeps its exceptions (changed and cancelled instances):
    "changes are preserved even if the recurring event itself is updated"
    (https://gsuite-developers.googleblog.com/2011/12/calendar-v3-best-practices-recurring.html).
    Each stays on the occurrence it was made for: its originalStartTime moves with the
    series, so the occurrence it replaces is not shown a second time.

    A new rule that no longer has an exception's occurrence (a series ended earlier, the
    first half of "this and following") leaves the exception in place, changed or
    cancelled; only deleting the series cancels them. Google's guides say nothing of it;
    clients that trim a series through the API observe it and delete the exceptions past
    the cut themselves ("Truncating the master does not remove materialized exceptions after
    the cutoff", https://github.com/BuilderIO/agent-native/pull/3488)."""
    if not after.get("recurrence") or after.get("recurringEventId"):
        return
    # Occurrences are laid out on the wall clock of the series' zone: the move is measured
    # there, so a series moved across a daylight-saving change keeps its exceptions on their
    # days and times.
    name = event_tz_name(after, calendar.time_zone)
    tz = zone(name) or UTC
    old = bound(before["start"], name).astimezone(tz).replace(tzinfo=None)
    new = bound(after["start"], name).astimezone(tz).replace(tzinfo=None)
    wall = new - old
    if not wall:
        return
    for exception in exceptions_of(calendar, after["id"]).values():
        original = dict(exception.resource["originalStartTime"])
        if original.get("date"):
            # A day moves as the series' days do: a series moved from 09:00 to 08:00 of
            # the same day keeps it (``wall.days``, the floor, would take a day off).
            day = date.fromisoformat(original["date"]) + (new.date() - old.date())
            original["date"] = day.isoformat()
        else:
            local = bound(original, name).astimezone(tz).replace(tzinfo=None) + wall
            original["dateTime"] = local.replace(tzinfo=tz).isoformat()
        exception.resource["originalStartTime"] = original
        exception.seq = stamp(emu.state, exception.resource, emu.now())


def _materialise(emu: FakeGoogle, calendar: Calendar, series: StoredEvent, occ: Any) -> StoredEvent:
    """Editing one instance turns it into a stored exception of its series."""
    resource = instance_resource(emu.state, calendar, series.resource, occ)
    seq = emu.state.next_seq()
    stored = StoredEvent(resource=resource, seq=seq, created_seq=seq)
    calendar.events[resource["id"]] = stored
    return stored


def update(emu: FakeGoogle, req: ApiRequest, calendar_id: str, event_id: str) -> ApiResponse:
    token = authorize(emu, req, "events.update")
    _check_send_updates(req)
    body = clean_body(req.json())
    with emu.state.lock:
        calendar, entry = calendar_for(emu, token, calendar_id, method="events.update", write=True)
        stored = _writable_target(emu, req, calendar, event_id)
        resource = _replace(emu, calendar, stored, body)
        emu.changed(calendar.id)
        return _respond(resource, entry.access_role, token, calendar)


def _writable_target(
    emu: FakeGoogle, req: ApiRequest, calendar: Calendar, event_id: str
) -> StoredEvent:
    found = _target(emu, calendar, event_id)
    if isinstance(found, StoredEvent):
        _check_if_match(req, found.resource)
        return found
    series, occ = found
    _check_if_match(req, series.resource)
    return _materialise(emu, calendar, series, occ)


def patch(emu: FakeGoogle, req: ApiRequest, calendar_id: str, event_id: str) -> ApiResponse:
    token = authorize(emu, req, "events.patch")
    _check_send_updates(req)
    body = clean_body(req.json())
    with emu.state.lock:
        calendar, entry = calendar_for(emu, token, calendar_id, method="events.patch", write=True)
        stored = _writable_target(emu, req, calendar, event_id)
        current = stored.resource
        merged = merge_patch(
            {k: v for k, v in current.items() if k not in SERVER_FIELDS},
            {
                k: v
                for k, v in body.items()
                if k not in SERVER_FIELDS and k not in ("id", "eventType")
            },
        )
        merged.update({k: current[k] for k in SERVER_FIELDS if k in current})
        merged["id"] = current["id"]
        resource = drop_nulls(merged)
        resource["sequence"] = current.get("sequence", 0) + (
            1 if time_changed(current, resource) else 0
        )
        complete_and_validate(resource, calendar)
        event_types.check_write(current, resource, event_type_sent=body.get("eventType"))
        _exceptions_follow(emu, calendar, current, resource)
        stored.resource = resource
        stored.seq = stamp(emu.state, resource, emu.now())
        emu.changed(calendar.id)
        return _respond(resource, entry.access_role, token, calendar)


def delete(emu: FakeGoogle, req: ApiRequest, calendar_id: str, event_id: str) -> ApiResponse:
    """A soft delete: the event stays as a cancelled tombstone that sync tokens report."""
    token = authorize(emu, req, "events.delete")
    _check_send_updates(req)
    with emu.state.lock:
        calendar, _ = calendar_for(emu, token, calendar_id, method="events.delete", write=True)
        found = _target(emu, calendar, event_id)
        if isinstance(found, StoredEvent) and found.resource.get("status") == "cancelled":
            raise errors.deleted()
        event_types.check_delete(
            found.resource if isinstance(found, StoredEvent) else found[0].resource
        )
        stored = _writable_target(emu, req, calendar, event_id)
        _cancel(emu, stored)
        if stored.resource.get("recurrence"):
            for exception in exceptions_of(calendar, stored.resource["id"]).values():
                if exception.resource.get("status") != "cancelled":
                    _cancel(emu, exception)
        emu.changed(calendar.id)
    return empty_response(204)


def _cancel(emu: FakeGoogle, stored: StoredEvent) -> None:
    stored.resource = {**stored.resource, "status": "cancelled"}
    stored.seq = stamp(emu.state, stored.resource, emu.now())


def move(emu: FakeGoogle, req: ApiRequest, calendar_id: str, event_id: str) -> ApiResponse:
    """The event changes calendar (and organizer); the source keeps a cancelled tombstone."""
    token = authorize(emu, req, "events.move")
    _check_send_updates(req)
    destination_id = req.query.get("destination")
    if not destination_id:
        raise errors.required("Required parameter: destination")
    with emu.state.lock:
        source, _ = calendar_for(emu, token, calendar_id, method="events.move", write=True)
        destination, entry = calendar_for(
            emu, token, destination_id, method="events.move", write=True
        )
        stored = source.events.get(event_id)
        if stored is None:
            if virtual_instance(emu.state, source, event_id):
                raise errors.bad_request(
                    "Cannot change the organizer of an instance.",
                    reason="cannotChangeOrganizerOfInstance",
                )
            raise errors.not_found()
        if stored.resource.get("recurringEventId"):
            raise errors.bad_request(
                "Cannot change the organizer of an instance.",
                reason="cannotChangeOrganizerOfInstance",
            )
        if stored.resource.get("status") == "cancelled":
            raise errors.not_found()
        if stored.resource.get("eventType", "default") != "default":
            raise errors.bad_request(
                "Only default events can be moved.", reason="eventTypeRestriction"
            )
        _check_if_match(req, stored.resource)
        if destination.id == source.id:
            return json_response(stored.resource)
        clash = destination.events.get(event_id)
        if clash is not None and clash.resource.get("status") != "cancelled":
            raise errors.duplicate()
        moving = [stored, *exceptions_of(source, event_id).values()]
        destination.instance_ids.update(
            {iid: known for iid, known in source.instance_ids.items() if known[0] == event_id}
        )
        moved_resource: dict[str, Any] = {}
        for item in moving:
            organizer, _ = people(destination, token.email, emu.state)
            resource = {
                **item.resource,
                "organizer": organizer,
                "htmlLink": html_link(req.base_url, destination.id, item.resource["id"]),
            }
            seq = stamp(emu.state, resource, emu.now())
            destination.events[resource["id"]] = StoredEvent(
                resource=resource, seq=seq, created_seq=seq
            )
            _cancel(emu, item)
            if item is stored:
                moved_resource = resource
        emu.changed(source.id)
        emu.changed(destination.id)
        return _respond(moved_resource, entry.access_role, token, destination)
