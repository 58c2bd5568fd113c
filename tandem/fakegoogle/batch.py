"""Batch requests: ``POST /batch/calendar/v3`` with up to 1000 ``application/http`` parts.

Reference: https://developers.google.com/workspace/calendar/api/guides/batch. Outer
headers (Authorization) are inherited by every part unless overridden; ``Content-*``
headers are not. Answers come back in request order with ``Content-ID: <response-…>``.
"""

from __future__ import annotations

import secrets
from http import HTTPStatus
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, unquote, urlsplit

from werkzeug.datastructures import Headers, MultiDict
from werkzeug.http import parse_options_header

from tandem.fakegoogle import errors
from tandem.fakegoogle.wire import ApiRequest, ApiResponse

if TYPE_CHECKING:
    from tandem.fakegoogle.emulator import FakeGoogle

MAX_PARTS = 1000


def _split_head(blob: bytes) -> tuple[list[str], bytes]:
    """Header lines and the body of an HTTP message (CRLF or bare LF line ends)."""
    for separator in (b"\r\n\r\n", b"\n\n"):
        index = blob.find(separator)
        if index >= 0:
            head, body = blob[:index], blob[index + len(separator) :]
            break
    else:
        head, body = blob, b""
    lines = head.decode("utf-8", "replace").replace("\r\n", "\n").split("\n")
    return [line for line in lines if line], body


def _header_map(lines: list[str]) -> Headers:
    headers = Headers()
    for line in lines:
        name, sep, value = line.partition(":")
        if sep:
            headers.add(name.strip(), value.strip())
    return headers


def parse_parts(body: bytes, boundary: str) -> list[tuple[str | None, bytes]]:
    delimiter = b"--" + boundary.encode()
    parts = []
    for chunk in body.split(delimiter)[1:]:
        if chunk.startswith(b"--"):
            break
        chunk = chunk.removeprefix(b"\r\n").removeprefix(b"\n")
        chunk = chunk.removesuffix(b"\r\n").removesuffix(b"\n")
        lines, inner = _split_head(chunk)
        parts.append((_header_map(lines).get("Content-ID"), inner))
    return parts


def _inner_request(outer: ApiRequest, blob: bytes) -> ApiRequest:
    lines, body = _split_head(blob)
    if not lines:
        raise errors.bad_request("Invalid batch part.")
    request_line = lines[0].split(" ")
    if len(request_line) < 2:
        raise errors.bad_request("Invalid batch part.")
    method, target = request_line[0].upper(), request_line[1]
    url = urlsplit(target)
    headers = Headers(
        [(k, v) for k, v in outer.headers.items() if not k.lower().startswith("content-")]
    )
    for name, value in _header_map(lines[1:]).items():
        headers.set(name, value)
    return ApiRequest(
        method=method,
        path=unquote(url.path),
        query=MultiDict(parse_qsl(url.query, keep_blank_values=True)),
        headers=headers,
        body=body.rstrip(b"\r\n") if body.strip() else b"",
        base_url=outer.base_url,
        in_batch=True,
    )


def _response_id(content_id: str | None) -> str:
    inner = (content_id or "").strip().removeprefix("<").removesuffix(">")
    return f"<response-{inner}>"


def handle(emu: FakeGoogle, req: ApiRequest) -> ApiResponse:
    mimetype, options = parse_options_header(req.headers.get("Content-Type", ""))
    boundary = options.get("boundary")
    if mimetype != "multipart/mixed" or not boundary:
        raise errors.bad_request("Batch requests must be multipart/mixed.")
    parts = parse_parts(req.body, boundary)
    if len(parts) > MAX_PARTS:
        raise errors.bad_request(f"A batch request cannot contain more than {MAX_PARTS} requests.")
    out_boundary = "batch_" + secrets.token_urlsafe(18)
    chunks: list[bytes] = []
    for content_id, blob in parts:
        try:
            inner = _inner_request(req, blob)
            response = emu.dispatch(inner)
        except errors.ApiError as exc:
            from tandem.fakegoogle.wire import json_response

            response = json_response(exc.body(), exc.code)
        chunks.append(_serialise(out_boundary, content_id, response))
    body = b"".join(chunks) + f"--{out_boundary}--\r\n".encode()
    return ApiResponse(200, body, {"Content-Type": f"multipart/mixed; boundary={out_boundary}"})


def _serialise(boundary: str, content_id: str | None, response: ApiResponse) -> bytes:
    try:
        reason = HTTPStatus(response.status).phrase
    except ValueError:
        reason = "Unknown"
    head = [
        f"--{boundary}",
        "Content-Type: application/http",
        f"Content-ID: {_response_id(content_id)}",
        "",
        f"HTTP/1.1 {response.status} {reason}",
    ]
    head.extend(f"{k}: {v}" for k, v in response.headers.items())
    head.append(f"Content-Length: {len(response.body)}")
    return ("\r\n".join(head) + "\r\n\r\n").encode() + response.body + b"\r\n"
