"""The emulator's own request/response pair, shared by the WSGI front and batch parts."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from werkzeug.datastructures import Headers, MultiDict


@dataclass
class ApiRequest:
    method: str
    path: str  # percent-decoded, without the query string
    query: MultiDict[str, str]
    headers: Headers
    body: bytes
    base_url: str  # scheme://host[:port] the client used
    environ: dict[str, Any] = field(default_factory=dict)
    account: str | None = None  # filled in once the bearer token is known
    client_id: str | None = None
    in_batch: bool = False

    def json(self) -> Any:
        if not self.body:
            return {}
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    def form(self) -> MultiDict[str, str]:
        from urllib.parse import parse_qsl

        return MultiDict(parse_qsl(self.body.decode("utf-8", "replace"), keep_blank_values=True))

    def flag(self, name: str, default: bool = False) -> bool:
        value = self.query.get(name)
        if value is None:
            return default
        return value.lower() == "true"


@dataclass
class ApiResponse:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


def json_response(
    payload: Any, status: int = 200, *, pretty: bool = False, headers: dict[str, str] | None = None
) -> ApiResponse:
    layout: dict[str, Any] = {"indent": 1} if pretty else {"separators": (",", ":")}
    try:
        body = json.dumps(payload, ensure_ascii=False, **layout).encode("utf-8")
    except UnicodeEncodeError:
        # A lone UTF-16 surrogate (stored from a client's "\ud800") has no UTF-8 form. JSON
        # carries it escaped (RFC 8259 §7 and §8.2 allow "\ud800"; ES2019's well-formed
        # JSON.stringify writes it so), and so does the emulator: the whole body escaped,
        # which only this rare answer pays for. One odd event never fails a listing.
        body = json.dumps(payload, ensure_ascii=True, **layout).encode("ascii")
    all_headers = {"Content-Type": "application/json; charset=UTF-8"}
    all_headers.update(headers or {})
    return ApiResponse(status, body, all_headers)


def empty_response(status: int = 204) -> ApiResponse:
    return ApiResponse(status, b"", {})
