"""calendarList.list/get and calendars.insert/get/delete.

References: https://developers.google.com/workspace/calendar/api/v3/reference/calendarList
and .../calendars. The primary calendar's id is the account's email; secondary calendars
get ``…@group.calendar.google.com`` ids (observed).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tandem.fakegoogle import errors, sync_tokens
from tandem.fakegoogle.access import ROLE_RANK, authorize, calendar_for
from tandem.fakegoogle.store import Calendar, ListEntry
from tandem.fakegoogle.timeutil import zone
from tandem.fakegoogle.util import etag_for, random_base32hex, rfc3339_ms
from tandem.fakegoogle.wire import ApiRequest, ApiResponse, empty_response, json_response

if TYPE_CHECKING:
    from tandem.fakegoogle.emulator import FakeGoogle

# Google's calendar palette, colorId -> backgroundColor: colors.get's "calendar" section
# (https://developers.google.com/calendar/api/v3/reference/colors). A calendarList entry
# carries its "colorId" and, as "backgroundColor"/"foregroundColor", the colour itself in
# "#0088aa" form (https://developers.google.com/calendar/api/v3/reference/calendarList).
# Text on these calendar colours comes back black ("#000000", observed).
CALENDAR_COLORS = {
    "1": "#ac725e",
    "2": "#d06b64",
    "3": "#f83a22",
    "4": "#fa573c",
    "5": "#ff7537",
    "6": "#ffad46",
    "7": "#42d692",
    "8": "#16a765",
    "9": "#7bd148",
    "10": "#b3dc6c",
    "11": "#fbe983",
    "12": "#fad165",
    "13": "#92e1c0",
    "14": "#9fe1e7",
    "15": "#9fc6e7",
    "16": "#4986e7",
    "17": "#9a9cff",
    "18": "#b99aff",
    "19": "#c2c2c2",
    "20": "#cabdbf",
    "21": "#cca6ac",
    "22": "#f691b2",
    "23": "#cd74e6",
    "24": "#a47ae2",
}
FOREGROUND = "#000000"
# Google gives each calendar added to a list a colour of its own; the emulator takes them in
# this order (the primary calendar first), so a user's calendars are told apart.
COLOR_ROTATION = ("14", "7", "12", "17", "3", "22", "9", "16", "6", "23", "2", "13")


def color_for_new_entry(entries_so_far: int) -> str:
    return COLOR_ROTATION[entries_so_far % len(COLOR_ROTATION)]


def entry_resource(calendar: Calendar, entry: ListEntry) -> dict[str, Any]:
    background = CALENDAR_COLORS.get(entry.color_id, CALENDAR_COLORS["14"])
    foreground = FOREGROUND
    body: dict[str, Any] = {
        "kind": "calendar#calendarListEntry",
        "etag": f'"{entry.seq}"',
        "id": calendar.id,
        "summary": calendar.summary,
    }
    if calendar.description:
        body["description"] = calendar.description
    if entry.summary_override:
        body["summaryOverride"] = entry.summary_override
    body.update(
        timeZone=calendar.time_zone,
        colorId=entry.color_id,
        backgroundColor=background,
        foregroundColor=foreground,
    )
    # Google writes these booleans only when they are true.
    for name, value in (
        ("selected", entry.selected),
        ("hidden", entry.hidden),
        ("primary", entry.primary),
        ("deleted", entry.deleted),
    ):
        if value:
            body[name] = True
    body["accessRole"] = entry.access_role
    body["defaultReminders"] = (
        [{"method": "popup", "minutes": 30}]
        if entry.access_role in ("owner", "writer") and not entry.deleted
        else []
    )
    if entry.access_role == "owner" and not entry.primary:
        body["dataOwner"] = calendar.owner_email
    body["conferenceProperties"] = {"allowedConferenceSolutionTypes": ["hangoutsMeet"]}
    return body


def calendar_resource(calendar: Calendar) -> dict[str, Any]:
    body: dict[str, Any] = {
        "kind": "calendar#calendar",
        "etag": calendar.etag,
        "id": calendar.id,
        "summary": calendar.summary,
    }
    if calendar.description:
        body["description"] = calendar.description
    if calendar.location:
        body["location"] = calendar.location
    body["timeZone"] = calendar.time_zone
    if calendar.id != calendar.owner_email:
        body["dataOwner"] = calendar.owner_email
    body["conferenceProperties"] = {"allowedConferenceSolutionTypes": ["hangoutsMeet"]}
    return body


def list_entries(emu: FakeGoogle, req: ApiRequest) -> ApiResponse:
    token = authorize(emu, req, "calendarList.list")
    q = req.query
    sync_token = q.get("syncToken")
    if sync_token and (q.get("minAccessRole") or q.get("showOwnOrganizationOnly")):
        raise errors.bad_request("Sync token cannot be used with minAccessRole.", reason="invalid")
    min_role = q.get("minAccessRole")
    if min_role is not None and min_role not in ROLE_RANK:
        raise errors.invalid("Invalid value for: minAccessRole")
    raw_max = q.get("maxResults")
    try:
        max_results = min(int(raw_max), 250) if raw_max else 100
    except ValueError as exc:
        raise errors.invalid("Invalid value for: maxResults") from exc
    if max_results < 1:
        raise errors.invalid("Invalid value for: maxResults")
    state = emu.state
    with state.lock:
        since = None
        if sync_token:
            payload = sync_tokens.decode(state.secret, sync_token)
            if payload is None or payload.get("k") != "cl" or payload.get("e") != token.email:
                raise errors.full_sync_required()
            since = int(payload["s"])
        offset = 0
        if q.get("pageToken"):
            page = sync_tokens.decode(state.secret, q["pageToken"])
            if page is None or page.get("k") != "clp":
                raise errors.invalid("Invalid page token value.")
            offset = int(page["o"])
        # With a sync token, deleted and hidden entries always come back (reference page).
        show_deleted = since is not None or req.flag("showDeleted")
        show_hidden = since is not None or req.flag("showHidden")
        entries = []
        for entry in sorted(
            state.entries_of(token.email).values(), key=lambda e: (not e.primary, e.seq)
        ):
            calendar = state.calendars.get(entry.calendar_id)
            if calendar is None:
                continue
            if since is not None and entry.seq <= since:
                continue
            if (entry.deleted and not show_deleted) or (entry.hidden and not show_hidden):
                continue
            if min_role and ROLE_RANK[entry.access_role] < ROLE_RANK[min_role]:
                continue
            entries.append(entry_resource(calendar, entry))
        page_items = entries[offset : offset + max_results]
        body: dict[str, Any] = {"kind": "calendar#calendarList", "etag": f'"{state.seq}"'}
        if offset + max_results < len(entries):
            body["nextPageToken"] = sync_tokens.encode(
                state.secret, {"k": "clp", "o": offset + max_results}
            )
        else:
            body["nextSyncToken"] = sync_tokens.encode(
                state.secret, {"k": "cl", "e": token.email, "s": state.seq}
            )
        body["items"] = page_items
    return json_response(body)


def get_entry(emu: FakeGoogle, req: ApiRequest, calendar_id: str) -> ApiResponse:
    token = authorize(emu, req, "calendarList.get")
    with emu.state.lock:
        calendar, entry = calendar_for(
            emu, token, calendar_id, method="calendarList.get", write=False
        )
        if entry.deleted:
            raise errors.not_found()
        return json_response(entry_resource(calendar, entry))


def get_calendar(emu: FakeGoogle, req: ApiRequest, calendar_id: str) -> ApiResponse:
    token = authorize(emu, req, "calendars.get")
    with emu.state.lock:
        calendar, _ = calendar_for(emu, token, calendar_id, method="calendars.get", write=False)
        return json_response(calendar_resource(calendar))


def insert_calendar(emu: FakeGoogle, req: ApiRequest) -> ApiResponse:
    """The caller becomes the data owner; the calendar joins their list as ``owner``."""
    token = authorize(emu, req, "calendars.insert")
    body = req.json()
    if not isinstance(body, dict):
        raise errors.bad_request("Parse Error", reason="parseError")
    summary = body.get("summary")
    if not summary or not isinstance(summary, str):
        raise errors.required("Missing title.")
    time_zone = body.get("timeZone")
    if time_zone is not None and zone(str(time_zone)) is None:
        raise errors.invalid("Invalid time zone definition.")
    with emu.state.lock:
        primary = emu.state.calendars.get(token.email)
        calendar = emu.add_calendar(
            owner_email=token.email,
            summary=summary,
            description=str(body.get("description") or ""),
            location=str(body.get("location") or ""),
            time_zone=str(time_zone or (primary.time_zone if primary else "UTC")),
            created_by_client=token.client_id,
        )
        return json_response(calendar_resource(calendar))


def delete_calendar(emu: FakeGoogle, req: ApiRequest, calendar_id: str) -> ApiResponse:
    token = authorize(emu, req, "calendars.delete")
    with emu.state.lock:
        calendar, entry = calendar_for(
            emu, token, calendar_id, method="calendars.delete", write=True
        )
        if entry.access_role != "owner":
            raise errors.forbidden()
        if calendar.id == token.email:
            raise errors.bad_request(
                "Cannot delete primary calendar.", reason="cannotDeletePrimaryCalendar"
            )
        calendar.deleted = True
        calendar.sync_generation += 1
        for entries in emu.state.list_entries.values():
            if calendar.id in entries:
                entries[calendar.id].deleted = True
                entries[calendar.id].seq = emu.state.next_seq()
        calendar.etag = etag_for(emu.now(), emu.state.seq)
        calendar.updated = rfc3339_ms(emu.now())
        emu.persist_soon()
    return empty_response(204)


def new_calendar_id() -> str:
    return f"{random_base32hex(52)}@group.calendar.google.com"
