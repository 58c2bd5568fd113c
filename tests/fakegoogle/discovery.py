"""Checking the emulator's answers against Google's own description of the API.

The source of truth is the Calendar v3 discovery document bundled with
google-api-python-client (``discovery_cache/documents/calendar.v3.json``). Its
``schemas`` are translated to JSON Schema Draft 2020-12, with objects closed
(``additionalProperties: false``) wherever the document lists their properties, so an
unknown field or a wrong type in any body the emulator returns fails the test that saw it.

Also here, because several test modules need them: clients that validate every response
they receive (an ``httplib2.Http`` for Google's official client, an httpx event hook), a
browser-like walk through the emulator's consent page, and a running loopback emulator.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from email.parser import BytesParser
from email.policy import HTTP
from functools import cache
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import googleapiclient
import httplib2
import httpx
from jsonschema import Draft202012Validator, FormatChecker

from tandem.fakegoogle import FakeGoogle, RunningServer

DISCOVERY_FILE = (
    Path(googleapiclient.__file__).parent / "discovery_cache" / "documents" / "calendar.v3.json"
)
API_PREFIX = "/calendar/v3/"
BATCH_PATH = "/batch/calendar/v3"

# --- the discovery document as JSON Schema -----------------------------------------------


@cache
def discovery_document() -> dict[str, Any]:
    return dict(json.loads(DISCOVERY_FILE.read_text()))


def _translate(node: dict[str, Any], *, top_level: bool = False) -> dict[str, Any]:
    """One discovery schema node as a JSON Schema node."""
    if "$ref" in node:
        return {"$ref": f"#/$defs/{node['$ref']}"}
    out: dict[str, Any] = {}
    kind = node.get("type")
    if kind and kind != "any":  # "any" means any JSON value
        out["type"] = kind
    for keyword in ("format", "enum"):
        if keyword in node:
            out[keyword] = node[keyword]
    if "items" in node:
        out["items"] = _translate(node["items"])
    if "properties" in node:
        properties = {name: _translate(sub) for name, sub in node["properties"].items()}
        kind_property = node["properties"].get("kind", {})
        if top_level and "#" in str(kind_property.get("default", "")):
            # A resource always names itself: "calendar#event" and never anything else.
            properties["kind"] = {"const": kind_property["default"]}
        out["properties"] = properties
    additional = node.get("additionalProperties")
    if isinstance(additional, dict):
        out["additionalProperties"] = _translate(additional)
    elif "properties" in node:
        out["additionalProperties"] = False
    return out


# Not in the discovery document: the JSON error body of
# https://developers.google.com/workspace/calendar/api/guides/errors ("status" and
# "details" appear in newer responses).
ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "additionalProperties": False,
            "required": ["errors", "code", "message"],
            "properties": {
                "errors": {
                    "type": "array",
                    "minItems": 1,
                    "items": {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["domain", "reason", "message"],
                        "properties": {
                            "domain": {"type": "string"},
                            "reason": {"type": "string"},
                            "message": {"type": "string"},
                            "locationType": {"type": "string"},
                            "location": {"type": "string"},
                        },
                    },
                },
                "code": {"type": "integer"},
                "message": {"type": "string"},
                "status": {"type": "string"},
                "details": {"type": "array"},
            },
        }
    },
}
# The token endpoint's answers: https://developers.google.com/identity/protocols/oauth2/web-server
TOKEN_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["access_token", "expires_in", "token_type", "scope"],
    "properties": {
        "access_token": {"type": "string", "minLength": 1, "maxLength": 2048},
        "expires_in": {"type": "integer", "minimum": 1},
        "token_type": {"const": "Bearer"},
        "scope": {"type": "string"},
        "refresh_token": {"type": "string", "minLength": 1, "maxLength": 512},
        "refresh_token_expires_in": {"type": "integer"},
        "id_token": {"type": "string"},
    },
}
OAUTH_ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["error"],
    "properties": {
        "error": {"type": "string"},
        "error_description": {"type": "string"},
        "error_subtype": {"type": "string"},
    },
}
EXTRA_SCHEMAS = {
    "Error": ERROR_SCHEMA,  # replaces the discovery doc's freeBusy "Error" item schema
    "Token": TOKEN_SCHEMA,
    "OAuthError": OAUTH_ERROR_SCHEMA,
}

_DATE_TIME = re.compile(
    r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$", re.IGNORECASE
)
_FORMATS = FormatChecker(formats=())


@_FORMATS.checks("date-time")
def _is_date_time(value: object) -> bool:
    """RFC 3339 with a zone: what Google writes in created, updated and dateTime."""
    return not isinstance(value, str) or bool(_DATE_TIME.match(value))


@_FORMATS.checks("date", raises=ValueError)
def _is_date(value: object) -> bool:
    if isinstance(value, str):
        date.fromisoformat(value)  # yyyy-mm-dd, a real day
        return len(value) == 10
    return True


@_FORMATS.checks("int64")
def _is_int64(value: object) -> bool:
    """Google sends 64-bit integers as decimal strings (Channel.expiration)."""
    return not isinstance(value, str) or (
        bool(re.fullmatch(r"-?\d+", value)) and -(2**63) <= int(value) < 2**63
    )


@_FORMATS.checks("int32")
def _is_int32(value: object) -> bool:
    return not isinstance(value, int) or -(2**31) <= value < 2**31


@cache
def json_schema() -> dict[str, Any]:
    """Every schema of the discovery document, translated, under ``$defs``."""
    schemas = discovery_document()["schemas"]
    defs = {name: _translate(node, top_level=True) for name, node in schemas.items()}
    defs.update(EXTRA_SCHEMAS)
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$defs": defs}


@cache
def validator(name: str) -> Draft202012Validator:
    root = {**json_schema(), "$ref": f"#/$defs/{name}"}
    Draft202012Validator.check_schema(root)
    return Draft202012Validator(root, format_checker=_FORMATS)


def schema_problems(name: str, body: Any) -> list[str]:
    """Every way ``body`` breaks schema ``name``, as readable lines (empty when it fits)."""
    return [
        f"{'/'.join(str(p) for p in error.absolute_path) or '(root)'}: {error.message}"
        for error in validator(name).iter_errors(body)
    ]


def assert_fits(name: str, body: Any) -> None:
    problems = schema_problems(name, body)
    assert not problems, f"{name} body breaks the discovery schema: {problems}"


# --- which schema a response has -----------------------------------------------------------


def calendar_schema(method: str, path: str) -> str | None:
    """The discovery schema of a 200 answer to a Calendar API call; None for an empty one."""
    seg = path.removeprefix(API_PREFIX).strip("/").split("/")
    n = len(seg)
    if seg[:3] == ["users", "me", "calendarList"]:
        return "CalendarList" if n == 3 else "CalendarListEntry"
    if seg == ["channels", "stop"]:
        return None
    if seg[0] == "calendars" and n <= 2:
        return None if method == "DELETE" else "Calendar"
    if seg[0] == "calendars" and seg[2] == "events":
        rest = seg[3:]
        if not rest:
            return "Events" if method == "GET" else "Event"
        if rest == ["watch"]:
            return "Channel"
        if len(rest) == 2 and rest[1] == "instances":
            return "Events"
        return None if method == "DELETE" else "Event"
    raise AssertionError(f"no discovery schema known for {method} {path}")


@dataclass
class Seen:
    method: str
    path: str
    status: int
    schema: str | None  # None: an empty body was checked


@dataclass
class Recorder:
    """Validates every response it is shown and remembers what it checked."""

    seen: list[Seen] = field(default_factory=list)

    def check(
        self,
        *,
        method: str,
        url: str,
        status: int,
        headers: dict[str, str],
        body: bytes,
        request_body: bytes = b"",
        request_type: str = "",
    ) -> None:
        path = urlsplit(url).path
        content_type = headers.get("content-type", "")
        if path == BATCH_PATH and status == 200:
            self._check_batch(request_body, request_type, content_type, body)
            return
        schema = _schema_for(method, path, status)
        if schema == "-":
            return  # not a JSON API (consent pages, certs, the control API)
        if schema is None or status in (204, 304):
            assert body == b"", f"{method} {path} -> {status} should have an empty body"
            self.seen.append(Seen(method, path, status, None))
            return
        assert content_type.startswith("application/json"), (method, path, content_type)
        payload = json.loads(body)
        assert_fits(schema, payload)
        if schema == "Error":
            assert payload["error"]["code"] == status, "error.code must equal the HTTP status"
        self.seen.append(Seen(method, path, status, schema))

    def _check_batch(
        self, request_body: bytes, request_type: str, content_type: str, body: bytes
    ) -> None:
        requests = [_request_line(part) for part in split_multipart(request_type, request_body)]
        answers = split_multipart(content_type, body)
        assert len(answers) == len(requests), "one answer per batch part, in order"
        for (method, target), (part_headers, payload) in zip(requests, answers, strict=True):
            status, inner_headers, inner_body = parse_http_message(payload)
            assert part_headers.get("content-type") == "application/http"
            self.check(
                method=method, url=target, status=status, headers=inner_headers, body=inner_body
            )

    def schemas(self) -> set[str | None]:
        return {s.schema for s in self.seen}

    def requests_hook(self, response: Any, *args: Any, **kwargs: Any) -> None:
        """A requests ``response`` hook (google-auth's AuthorizedSession, requests-oauthlib)."""
        request = response.request
        body = request.body or b""
        self.check(
            method=request.method,
            url=request.url,
            status=response.status_code,
            headers={k.lower(): v for k, v in response.headers.items()},
            body=response.content,
            request_body=body.encode() if isinstance(body, str) else body,
            request_type=request.headers.get("content-type", ""),
        )

    def httpx_hook(self, response: httpx.Response) -> None:
        """An httpx ``response`` event hook: validates the body on arrival."""
        response.read()
        request = response.request
        self.check(
            method=request.method,
            url=str(request.url),
            status=response.status_code,
            headers={k.lower(): v for k, v in response.headers.items()},
            body=response.content,
            request_body=request.content,
            request_type=request.headers.get("content-type", ""),
        )


def _schema_for(method: str, path: str, status: int) -> str | None:
    """Schema name; None for an empty body; "-" for answers outside the JSON APIs."""
    if path.startswith(API_PREFIX) or path == BATCH_PATH:
        if status >= 400:
            return "Error"
        return calendar_schema(method, path) if status == 200 else None
    if path == "/token":
        return "Token" if status == 200 else "OAuthError"
    if path == "/revoke":
        return "-" if status == 200 else "OAuthError"
    return "-"


def split_multipart(content_type: str, body: bytes) -> list[tuple[dict[str, str], bytes]]:
    """(headers, payload) of each part of a multipart/mixed body, parsed by the stdlib."""
    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body
    )
    assert message.is_multipart(), "expected a multipart/mixed body"
    parts = []
    for part in message.iter_parts():
        payload = part.get_payload(decode=True)
        assert isinstance(payload, bytes)
        parts.append(({k.lower(): str(v) for k, v in part.items()}, payload))
    return parts


def _request_line(part: tuple[dict[str, str], bytes]) -> tuple[str, str]:
    first = part[1].split(b"\n", 1)[0].decode().strip()
    method, target, _ = first.split(" ", 2)
    return method, target


def parse_http_message(blob: bytes) -> tuple[int, dict[str, str], bytes]:
    """Status, headers and body of one ``HTTP/1.1 <code> <reason>`` batch answer."""
    head, _, body = blob.replace(b"\r\n", b"\n").partition(b"\n\n")
    lines = head.decode().split("\n")
    status = int(lines[0].split(" ")[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return status, headers, body.rstrip(b"\n")


class RecordingHttp(httplib2.Http):
    """The official client's transport, validating every answer against the discovery doc."""

    def __init__(self, recorder: Recorder) -> None:
        super().__init__(timeout=30)
        self.recorder = recorder

    def request(  # type: ignore[override]
        self, uri: str, method: str = "GET", body: Any = None, headers: Any = None, **kwargs: Any
    ) -> tuple[httplib2.Response, bytes]:
        response, content = super().request(uri, method, body=body, headers=headers, **kwargs)
        raw_body = body.encode() if isinstance(body, str) else (body or b"")
        request_headers = {k.lower(): v for k, v in (headers or {}).items()}
        self.recorder.check(
            method=method,
            url=uri,
            status=response.status,
            headers={k.lower(): v for k, v in response.items()},
            body=content,
            request_body=raw_body,
            request_type=request_headers.get("content-type", ""),
        )
        return response, content


# --- a running emulator and a browser's walk through its consent page ----------------------

ANN = "ann@example.com"
BOB = "bob@example.com"
CLIENT_ID = "fidelity-test.apps.googleusercontent.com"
CLIENT_SECRET = "fidelity-secret"
REDIRECT_URI = "http://127.0.0.1:9/oauth/callback"  # never visited: the test reads the redirect
SCOPE = "https://www.googleapis.com/auth/"


@contextmanager
def running_emulator(**options: Any) -> Iterator[tuple[FakeGoogle, RunningServer]]:
    """A FakeGoogle on a real loopback port, with a client and Ann's (and Bob's) account."""
    google = FakeGoogle(**options)
    google.register_client(
        client_id=CLIENT_ID, client_secret=CLIENT_SECRET, redirect_uris=[REDIRECT_URI]
    )
    google.create_account(email=ANN, name="Ann Example")
    google.create_account(email=BOB, name="Bob Example")
    with google.serve() as server:
        yield google, server


@dataclass
class FormField:
    name: str
    value: str
    type: str
    checked: bool
    disabled: bool


class _FormReader(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.action = ""
        self.fields: list[FormField] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "form":
            self.action = a.get("action") or ""
        elif tag in ("input", "button") and a.get("name"):
            self.fields.append(
                FormField(
                    name=a["name"] or "",
                    value=a.get("value") or "",
                    type=(a.get("type") or ("submit" if tag == "button" else "text")).lower(),
                    checked="checked" in a,
                    disabled="disabled" in a,
                )
            )


def consent(
    browser: httpx.Client,
    authorization_url: str,
    *,
    account: str,
    allow: bool = True,
    untick: tuple[str, ...] = (),
) -> str:
    """Open the authorization URL, pick ``account``, tick boxes and press a button, as a
    browser would; returns the ``Location`` of the redirect back to the app (not followed)."""
    page = browser.get(authorization_url)
    if page.status_code == 302:
        return page.headers["location"]  # already consented: no page shown
    assert page.status_code == 200, page.text
    reader = _FormReader()
    reader.feed(page.text)
    button = "allow" if allow else "deny"
    form: list[tuple[str, str]] = []
    for item in reader.fields:
        if item.disabled:
            continue  # browsers never submit disabled controls
        if item.type == "radio":
            if item.value == account:
                form.append((item.name, item.value))
        elif item.type == "checkbox":
            if item.checked and item.value not in untick:
                form.append((item.name, item.value))
        elif item.type == "submit":
            if item.value == button:
                form.append((item.name, item.value))
        else:
            form.append((item.name, item.value))
    answer = browser.post(urljoin(authorization_url, reader.action), data=dict_multi(form))
    assert answer.status_code == 302, answer.text
    return answer.headers["location"]


def dict_multi(pairs: list[tuple[str, str]]) -> dict[str, list[str]]:
    """Form pairs as httpx wants repeated fields: name -> [values]."""
    out: dict[str, list[str]] = {}
    for name, value in pairs:
        out.setdefault(name, []).append(value)
    return out
