"""Who may call what: bearer tokens, per-method scopes, calendar access roles.

Per-method scope lists are copied from the ``scopes`` of each method in the discovery
document bundled with google-api-python-client (calendar.v3.json).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tandem.fakegoogle import errors, oauth_tokens
from tandem.fakegoogle.store import AccessToken, Calendar, ListEntry
from tandem.fakegoogle.wire import ApiRequest

if TYPE_CHECKING:
    from tandem.fakegoogle.emulator import FakeGoogle

_EVENT_READ = [
    "calendar",
    "calendar.app.created",
    "calendar.events",
    "calendar.events.freebusy",
    "calendar.events.owned",
    "calendar.events.owned.readonly",
    "calendar.events.public.readonly",
    "calendar.events.readonly",
    "calendar.readonly",
]
_EVENT_WRITE = ["calendar", "calendar.app.created", "calendar.events", "calendar.events.owned"]
METHOD_SCOPES: dict[str, list[str]] = {
    "calendarList.list": [
        "calendar",
        "calendar.calendarlist",
        "calendar.calendarlist.readonly",
        "calendar.readonly",
    ],
    "calendarList.get": [
        "calendar",
        "calendar.app.created",
        "calendar.calendarlist",
        "calendar.calendarlist.readonly",
        "calendar.readonly",
    ],
    "calendars.get": [
        "calendar",
        "calendar.app.created",
        "calendar.calendars",
        "calendar.calendars.readonly",
        "calendar.readonly",
    ],
    "calendars.insert": ["calendar", "calendar.app.created", "calendar.calendars"],
    "calendars.delete": ["calendar", "calendar.app.created", "calendar.calendars"],
    "events.list": _EVENT_READ,
    "events.get": _EVENT_READ,
    "events.instances": _EVENT_READ,
    "events.watch": _EVENT_READ,
    "events.insert": _EVENT_WRITE,
    "events.update": _EVENT_WRITE,
    "events.patch": _EVENT_WRITE,
    "events.delete": _EVENT_WRITE,
    "events.import": _EVENT_WRITE,
    "events.move": ["calendar", "calendar.events", "calendar.events.owned"],
    "channels.stop": [
        "calendar",
        "calendar.acls",
        "calendar.acls.readonly",
        "calendar.app.created",
        "calendar.calendarlist",
        "calendar.calendarlist.readonly",
        "calendar.events",
        "calendar.events.freebusy",
        "calendar.events.owned",
        "calendar.events.owned.readonly",
        "calendar.events.public.readonly",
        "calendar.events.readonly",
        "calendar.readonly",
        "calendar.settings",
        "calendar.settings.readonly",
    ],
}
ROLE_RANK = {
    "freeBusyReader": 0,
    "reader": 1,
    "writerWithoutPrivateAccess": 2,
    "writer": 2,
    "owner": 3,
}


def bearer(req: ApiRequest) -> str | None:
    header = req.headers.get("Authorization") or ""
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return req.query.get("access_token") or req.query.get("oauth_token")


def authorize(emu: FakeGoogle, req: ApiRequest, method: str) -> AccessToken:
    """The caller's live token, carrying at least one scope the method accepts."""
    token = oauth_tokens.authenticate(emu.state, bearer(req), now=emu.now_ts())
    req.account, req.client_id = token.email, token.client_id
    if not _matching_scopes(token, method):
        raise errors.insufficient_permissions()
    return token


def _matching_scopes(token: AccessToken, method: str) -> list[str]:
    accepted = {oauth_tokens.SCOPE_PREFIX + s for s in METHOD_SCOPES[method]}
    return [s for s in token.scopes if s in accepted]


def calendar_for(
    emu: FakeGoogle, token: AccessToken, calendar_id: str, *, method: str, write: bool
) -> tuple[Calendar, ListEntry]:
    """Resolve ``primary`` and the id, then check the role and the scope's reach."""
    if calendar_id == "primary":
        calendar_id = token.email
    entry = emu.state.entries_of(token.email).get(calendar_id)
    calendar = emu.state.calendars.get(calendar_id)
    if entry is None or calendar is None or calendar.deleted:
        raise errors.not_found()
    if write and ROLE_RANK[entry.access_role] < ROLE_RANK["writer"]:
        raise errors.requires_writer()
    # Narrow scopes reach only some calendars: *.owned the owner's, app.created the app's own.
    for scope in _matching_scopes(token, method):
        suffix = scope.removeprefix(oauth_tokens.SCOPE_PREFIX)
        if suffix.startswith("calendar.events.owned"):
            if entry.access_role == "owner":
                return calendar, entry
        elif suffix == "calendar.app.created":
            if (
                calendar.created_by_client is not None
                and calendar.created_by_client == token.client_id
            ):
                return calendar, entry
        else:
            return calendar, entry
    raise errors.insufficient_permissions()
