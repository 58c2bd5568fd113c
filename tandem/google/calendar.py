"""A thin typed client for the parts of Google Calendar API v3 the sync uses.

Reference: https://developers.google.com/workspace/calendar/api/v3/reference. Every write
sends ``sendUpdates=none`` (sync must never mail attendees). Errors come out as the
exceptions of :mod:`tandem.google.errors`; a 401 refreshes the access token once.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import quote

import httpx

from tandem.google.errors import (
    AuthError,
    MalformedResponse,
    NetworkError,
    error_from_response,
    json_object_from,
)

JSON = dict[str, Any]


class TokenSource(Protocol):
    """Where the client gets a valid access token (see tandem.accounts.tokens)."""

    def access_token(self) -> str: ...

    def refreshed_access_token(self) -> str: ...


@dataclass(frozen=True)
class EventsPage:
    items: list[JSON]
    next_page_token: str | None
    next_sync_token: str | None
    access_role: str | None


@dataclass
class RequestCounter:
    """Counts the requests a client made, for the run record and the request budget."""

    total: int = 0
    by_method: dict[str, int] = field(default_factory=dict)

    def add(self, method: str) -> None:
        self.total += 1
        self.by_method[method] = self.by_method.get(method, 0) + 1


def _segment(value: str) -> str:
    return quote(value, safe="")


# Pages of events.instances followed when looking one instance up (each may be empty).
INSTANCE_PAGES_MAX = 5


class CalendarClient:
    def __init__(
        self,
        *,
        http: httpx.Client,
        base_url: str,
        tokens: TokenSource,
        counter: RequestCounter | None = None,
    ) -> None:
        self._http = http
        self._base = base_url.rstrip("/")
        self._tokens = tokens
        self.counter = counter or RequestCounter()

    # -- plumbing -------------------------------------------------------------------------

    def _send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: JSON | None = None,
        headers: Mapping[str, str] | None = None,
        token: str | None = None,
    ) -> httpx.Response:
        all_headers = {"Authorization": f"Bearer {token or self._tokens.access_token()}"}
        all_headers.update(headers or {})
        self.counter.add(method)
        try:
            return self._http.request(
                method, f"{self._base}/{path}", params=params, json=json, headers=all_headers
            )
        except httpx.TransportError as error:
            raise NetworkError(f"Google did not answer: {type(error).__name__}") from error

    def _call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: JSON | None = None,
        headers: Mapping[str, str] | None = None,
        expect_body: bool = True,
    ) -> JSON | None:
        response = self._send(method, path, params=params, json=json, headers=headers)
        if response.status_code == 401:
            # The access token expired or was revoked early: refresh once (google-auth does
            # the same). A second 401 is real and goes up as AuthError.
            token = self._tokens.refreshed_access_token()
            response = self._send(
                method, path, params=params, json=json, headers=headers, token=token
            )
        if response.status_code >= 400:
            raise error_from_response(response)
        if not expect_body or response.status_code == 204 or not response.content:
            return None
        return json_object_from(response, source="Google Calendar")

    def _json(self, method: str, path: str, **kwargs: Any) -> JSON:
        body = self._call(method, path, **kwargs)
        if body is None:
            raise MalformedResponse(f"Google sent an empty body for {method} {path}.")
        return body

    # -- calendars --------------------------------------------------------------------------

    def calendar_list(self) -> list[JSON]:
        """Every calendar-list entry of the account (all pages)."""
        entries: list[JSON] = []
        page_token: str | None = None
        while True:
            params: dict[str, Any] = {"maxResults": 250}
            if page_token:
                params["pageToken"] = page_token
            body = self._json("GET", "users/me/calendarList", params=params)
            entries.extend(item for item in body.get("items", []) if isinstance(item, dict))
            page_token = body.get("nextPageToken")
            if not page_token:
                return entries

    def calendar_insert(self, *, summary: str, time_zone: str | None = None) -> JSON:
        body: JSON = {"summary": summary}
        if time_zone:
            body["timeZone"] = time_zone
        return self._json("POST", "calendars", json=body)

    # -- events -----------------------------------------------------------------------------

    def events_page(
        self,
        calendar_id: str,
        *,
        sync_token: str | None = None,
        time_min: str | None = None,
        page_token: str | None = None,
        max_results: int = 2500,
    ) -> EventsPage:
        """One page of events.list with showDeleted (the sync contract, guides/sync).

        With ``sync_token`` no time filter may be sent (Google answers 400)."""
        params: dict[str, Any] = {"maxResults": max_results, "showDeleted": "true"}
        if sync_token:
            params["syncToken"] = sync_token
        elif time_min:
            params["timeMin"] = time_min
        if page_token:
            params["pageToken"] = page_token
        body = self._json("GET", f"calendars/{_segment(calendar_id)}/events", params=params)
        items = body.get("items", [])
        if not isinstance(items, list):
            raise MalformedResponse("events.list sent 'items' that is not a list.")
        next_page = body.get("nextPageToken")
        next_sync = body.get("nextSyncToken")
        if not next_page and not next_sync:
            # A listing that ends without either token is truncated: never treat it as
            # complete (it could look like mass deletion).
            raise MalformedResponse("events.list ended without nextPageToken or nextSyncToken.")
        return EventsPage(
            items=[item for item in items if isinstance(item, dict)],
            next_page_token=next_page,
            next_sync_token=next_sync,
            access_role=body.get("accessRole"),
        )

    def events_pages(
        self, calendar_id: str, *, sync_token: str | None = None, time_min: str | None = None
    ) -> Iterator[EventsPage]:
        page_token: str | None = None
        while True:
            page = self.events_page(
                calendar_id, sync_token=sync_token, time_min=time_min, page_token=page_token
            )
            yield page
            if page.next_page_token is None:
                return
            page_token = page.next_page_token

    def event_get(self, calendar_id: str, event_id: str) -> JSON:
        return self._json("GET", f"calendars/{_segment(calendar_id)}/events/{_segment(event_id)}")

    def event_instance(
        self, calendar_id: str, series_event_id: str, *, original_start: str
    ) -> JSON | None:
        """The instance of a recurring event that the series puts at ``original_start`` (a
        date, or an RFC 3339 time), cancelled or not; None if the series has none there.
        Instance ids are opaque (Google warns not to build them), so we ask.

        A page may come back empty with a ``nextPageToken`` ("maxResults does not guarantee
        the number of results on one page. Incomplete results can be detected by a
        non-empty nextPageToken field", https://developers.google.com/workspace/calendar/
        api/guides/pagination): the token is followed, a few pages at most, before the
        answer is "none there"."""
        path = f"calendars/{_segment(calendar_id)}/events/{_segment(series_event_id)}/instances"
        params: dict[str, Any] = {
            "originalStart": original_start,
            "showDeleted": "true",
            "maxResults": 1,
        }
        for _ in range(INSTANCE_PAGES_MAX):
            body = self._json("GET", path, params=params)
            items = body.get("items", [])
            if not isinstance(items, list):
                raise MalformedResponse("events.instances sent 'items' that is not a list.")
            found = next((item for item in items if isinstance(item, dict)), None)
            token = body.get("nextPageToken")
            if found is not None or not isinstance(token, str) or not token:
                return found
            params["pageToken"] = token
        return None

    def event_insert(self, calendar_id: str, body: JSON) -> JSON:
        return self._json(
            "POST",
            f"calendars/{_segment(calendar_id)}/events",
            params={"sendUpdates": "none"},
            json=body,
        )

    def event_patch(self, calendar_id: str, event_id: str, body: JSON, *, etag: str | None) -> JSON:
        return self._json(
            "PATCH",
            f"calendars/{_segment(calendar_id)}/events/{_segment(event_id)}",
            params={"sendUpdates": "none"},
            json=body,
            headers={"If-Match": etag} if etag else None,
        )

    def event_delete(self, calendar_id: str, event_id: str, *, etag: str | None) -> None:
        self._call(
            "DELETE",
            f"calendars/{_segment(calendar_id)}/events/{_segment(event_id)}",
            params={"sendUpdates": "none"},
            headers={"If-Match": etag} if etag else None,
            expect_body=False,
        )

    def event_move(self, calendar_id: str, event_id: str, *, destination: str) -> JSON:
        return self._json(
            "POST",
            f"calendars/{_segment(calendar_id)}/events/{_segment(event_id)}/move",
            params={"destination": destination, "sendUpdates": "none"},
        )

    # -- push -------------------------------------------------------------------------------

    def events_watch(
        self, calendar_id: str, *, channel_id: str, address: str, token: str, ttl_seconds: int
    ) -> JSON:
        return self._json(
            "POST",
            f"calendars/{_segment(calendar_id)}/events/watch",
            json={
                "id": channel_id,
                "type": "web_hook",
                "address": address,
                "token": token,
                "params": {"ttl": str(ttl_seconds)},
            },
        )

    def channel_stop(self, *, channel_id: str, resource_id: str) -> None:
        self._call(
            "POST",
            "channels/stop",
            json={"id": channel_id, "resourceId": resource_id},
            expect_body=False,
        )


__all__ = ["AuthError", "CalendarClient", "EventsPage", "RequestCounter", "TokenSource"]
