"""Google's HTTP errors as project exceptions, decided in exactly one place.

The tree (``retryable`` says whether the same call may simply be tried again later)::

    GoogleError
    ├── TransientError            retryable: try again with backoff
    │   ├── RateLimited           403/429 rateLimitExceeded, userRateLimitExceeded, 429
    │   ├── BackendError          500, 502, 503, 504
    │   └── NetworkError          connect/read timeouts, dropped connections
    ├── AuthError                 401 authError: refresh the access token, then retry once
    ├── ConnectionLost            the grant is dead; the user must reconnect
    │   ├── InvalidGrant          400 invalid_grant from the token endpoint
    │   └── InsufficientScope     403 insufficientPermissions
    ├── QuotaExceeded             403 quotaExceeded: long-lived, not retried
    ├── NotFound                  404
    ├── Gone                      410 deleted: the event is already deleted
    ├── SyncTokenInvalid          410 fullSyncRequired / updatedMinTooLongAgo: full re-list
    ├── Duplicate                 409 duplicate: the client-chosen id already exists
    ├── PreconditionFailed        412 conditionNotMet: the etag is stale; re-read and merge
    ├── Forbidden                 other 403s (e.g. forbiddenForNonOrganizer)
    ├── BadRequest                other 4xx (400 invalid, required, timeRangeEmpty...)
    └── MalformedResponse         Google answered something we cannot parse (also a 2xx
                                  whose body is not the JSON object promised: a proxy's or
                                  captive portal's HTML page, a body cut off)

Source: https://developers.google.com/workspace/calendar/api/guides/errors and
shared/google-calendar-api.md §3.1.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import msgspec


class GoogleError(Exception):
    retryable = False

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        reason: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.reason = reason
        self.retry_after = retry_after

    def __str__(self) -> str:
        parts = [self.message]
        if self.status is not None:
            parts.append(f"(HTTP {self.status}{', ' + self.reason if self.reason else ''})")
        return " ".join(parts)


class TransientError(GoogleError):
    retryable = True


class RateLimited(TransientError):
    pass


class BackendError(TransientError):
    pass


class NetworkError(TransientError):
    pass


class AuthError(GoogleError):
    pass


class ConnectionLost(GoogleError):
    pass


class InvalidGrant(ConnectionLost):
    pass


class InsufficientScope(ConnectionLost):
    pass


class QuotaExceeded(GoogleError):
    pass


class NotFound(GoogleError):
    pass


class Gone(GoogleError):
    pass


class SyncTokenInvalid(GoogleError):
    pass


class Duplicate(GoogleError):
    pass


class PreconditionFailed(GoogleError):
    pass


class Forbidden(GoogleError):
    pass


class BadRequest(GoogleError):
    pass


class MalformedResponse(GoogleError):
    pass


_RATE_LIMIT_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded"})
_SYNC_TOKEN_REASONS = frozenset({"fullSyncRequired", "updatedMinTooLongAgo"})


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None  # an HTTP-date: rare from Google; our own backoff applies instead


def _body(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return {}
    return body if isinstance(body, dict) else {}


def error_from_response(response: httpx.Response) -> GoogleError:
    """The project exception for a non-2xx Calendar API response."""
    status = response.status_code
    error = _body(response).get("error")
    reason: str | None = None
    message = response.reason_phrase or f"HTTP {status}"
    if isinstance(error, dict):
        message = str(error.get("message") or message)
        errors = error.get("errors")
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            reason = errors[0].get("reason")
    elif isinstance(error, str):  # OAuth endpoints: {"error": "invalid_grant", ...}
        reason = error
    retry_after = _retry_after(response)
    kwargs: dict[str, Any] = {"status": status, "reason": reason, "retry_after": retry_after}

    if status == 401:
        return AuthError(message, **kwargs)
    if status == 429 or (status == 403 and reason in _RATE_LIMIT_REASONS):
        return RateLimited(message, **kwargs)
    if status == 403 and reason == "quotaExceeded":
        return QuotaExceeded(message, **kwargs)
    if status == 403 and reason == "insufficientPermissions":
        return InsufficientScope(message, **kwargs)
    if status == 403:
        return Forbidden(message, **kwargs)
    if status == 404:
        return NotFound(message, **kwargs)
    if status == 409:
        return Duplicate(message, **kwargs)
    if status == 410 and reason in _SYNC_TOKEN_REASONS:
        return SyncTokenInvalid(message, **kwargs)
    if status == 410:
        return Gone(message, **kwargs)
    if status == 412:
        return PreconditionFailed(message, **kwargs)
    if status >= 500:
        return BackendError(message, **kwargs)
    if status == 400 and reason == "invalid_grant":
        return InvalidGrant(message, **kwargs)
    return BadRequest(message, **kwargs)


def json_object_from(response: httpx.Response, *, source: str) -> dict[str, Any]:
    """The JSON object a successful answer carries, or ``MalformedResponse`` saying what
    came instead. ``source`` names the endpoint in words ("Google's token endpoint").

    Every endpoint the project calls promises a JSON object (the Calendar API's resources,
    the token endpoint's RFC 6749 §5.1 response, userinfo); a 200 that holds an HTML page
    (a proxy or a captive portal answering in Google's place) or JSON cut off is a project
    error with a plain message, never a ValueError from deep inside a library."""
    try:
        body = _json_decode(response)
    except (ValueError, UnicodeDecodeError):
        kind = response.headers.get("Content-Type", "").split(";")[0].strip() or "no type"
        raise MalformedResponse(
            f"{source} answered HTTP {response.status_code} with a body that is not JSON "
            f"({kind}, {len(response.content)} bytes).",
            status=response.status_code,
        ) from None
    if not isinstance(body, dict):
        raise MalformedResponse(
            f"{source} answered HTTP {response.status_code} with JSON that is not an object.",
            status=response.status_code,
        )
    return body


_msgspec_decode = msgspec.json.Decoder().decode


def _json_decode(response: httpx.Response) -> Any:
    """The body as ``response.json()`` reads it, decoded by msgspec first: half the CPU of
    the standard library's decoder for a page of 2,500 events, and a first import's last
    page is decoded while nothing else can proceed (docs/benchmarks.md, ninth session).
    Where msgspec refuses a body (a UTF-16 or BOM-prefixed one, NaN, a lone surrogate
    escape, a number beyond a float's range) the standard library decides, as before: where
    msgspec accepts a body, both give the same value."""
    try:
        return _msgspec_decode(response.content)
    except msgspec.DecodeError:
        return response.json()
