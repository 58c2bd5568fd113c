"""URL layout: which handler serves which method and path (one base URL for everything)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from tandem.fakegoogle import batch, calendars, event_list, events, oauth, push
from tandem.fakegoogle.errors import not_found
from tandem.fakegoogle.wire import ApiRequest, ApiResponse

if TYPE_CHECKING:
    from tandem.fakegoogle.emulator import FakeGoogle

Handler = Callable[["FakeGoogle", ApiRequest], ApiResponse]

OAUTH_ROUTES: dict[tuple[str, str], Handler] = {
    ("GET", "/o/oauth2/v2/auth"): oauth.authorize_get,
    ("GET", "/o/oauth2/auth"): oauth.authorize_get,
    ("POST", "/o/oauth2/v2/auth"): oauth.authorize_post,
    ("POST", "/token"): oauth.token,
    ("POST", "/revoke"): oauth.revoke,
    ("GET", "/v1/userinfo"): oauth.userinfo,
    ("GET", "/oauth2/v3/userinfo"): oauth.userinfo,
    ("GET", "/oauth2/v2/userinfo"): oauth.userinfo,
    ("GET", "/oauth2/v3/certs"): oauth.certs_v3,
    ("GET", "/oauth2/v1/certs"): oauth.certs_v1,
    ("GET", "/.well-known/openid-configuration"): oauth.openid_configuration,
    ("POST", "/batch/calendar/v3"): batch.handle,
}
CALENDAR_PREFIX = "/calendar/v3/"


def is_calendar_api(path: str) -> bool:
    return path.startswith(CALENDAR_PREFIX)


def route(emu: FakeGoogle, req: ApiRequest) -> ApiResponse:
    handler = OAUTH_ROUTES.get((req.method, req.path))
    if handler is not None:
        return handler(emu, req)
    if is_calendar_api(req.path):
        return _calendar(emu, req, req.path[len(CALENDAR_PREFIX) :].split("/"))
    raise not_found()


def _calendar(emu: FakeGoogle, req: ApiRequest, seg: list[str]) -> ApiResponse:
    m, n = req.method, len(seg)
    if seg[:3] == ["users", "me", "calendarList"]:
        if n == 3 and m == "GET":
            return calendars.list_entries(emu, req)
        if n == 4 and m == "GET":
            return calendars.get_entry(emu, req, seg[3])
    elif seg == ["channels", "stop"] and m == "POST":
        return push.stop(emu, req)
    elif seg[0] == "calendars":
        if n == 1 and m == "POST":
            return calendars.insert_calendar(emu, req)
        if n == 2 and m == "GET":
            return calendars.get_calendar(emu, req, seg[1])
        if n == 2 and m == "DELETE":
            return calendars.delete_calendar(emu, req, seg[1])
        if n >= 3 and seg[2] == "events":
            return _events(emu, req, seg[1], seg[3:])
    raise not_found()


def _events(emu: FakeGoogle, req: ApiRequest, cal: str, rest: list[str]) -> ApiResponse:
    m = req.method
    if not rest:
        if m == "GET":
            return event_list.list_events(emu, req, cal)
        if m == "POST":
            return events.insert(emu, req, cal)
    elif len(rest) == 1:
        if rest[0] == "import" and m == "POST":
            return events.import_(emu, req, cal)
        if rest[0] == "watch" and m == "POST":
            return push.watch(emu, req, cal)
        single = {
            "GET": events.get,
            "PUT": events.update,
            "PATCH": events.patch,
            "DELETE": events.delete,
        }
        if m in single:
            return single[m](emu, req, cal, rest[0])
    elif len(rest) == 2:
        if rest[1] == "move" and m == "POST":
            return events.move(emu, req, cal, rest[0])
        if rest[1] == "instances" and m == "GET":
            return event_list.instances(emu, req, cal, rest[0])
    raise not_found()
