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
    if pretty:
        text = json.dumps(payload, indent=1, ensure_ascii=False)
    else:
        text = json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
    all_headers = {"Content-Type": "application/json; charset=UTF-8"}
    all_headers.update(headers or {})
    return ApiResponse(status, text.encode("utf-8"), all_headers)


def empty_response(status: int = 204) -> ApiResponse:
    return ApiResponse(status, b"", {})
