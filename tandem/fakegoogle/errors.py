"""Google's error shapes, raised by handlers and rendered in exactly one place.

Source of truth: https://developers.google.com/workspace/calendar/api/guides/errors
(the Calendar JSON error body) and the OAuth 2.0 token-endpoint errors of
https://developers.google.com/identity/protocols/oauth2/web-server.
"""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """A Calendar API error: rendered as ``{"error": {"errors": [...], "code", "message"}}``."""

    def __init__(
        self,
        code: int,
        reason: str,
        message: str,
        *,
        domain: str = "global",
        location_type: str | None = None,
        location: str | None = None,
        status: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.domain = domain
        self.location_type = location_type
        self.location = location
        self.status = status
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        item: dict[str, Any] = {
            "domain": self.domain,
            "reason": self.reason,
            "message": self.message,
        }
        if self.location_type:
            item["locationType"] = self.location_type
        if self.location:
            item["location"] = self.location
        error: dict[str, Any] = {"errors": [item], "code": self.code, "message": self.message}
        if self.status:
            error["status"] = self.status
        return {"error": error}


class OAuthError(Exception):
    """A token/revoke endpoint error: ``{"error": code, "error_description": text}``."""

    def __init__(
        self, status: int, error: str, description: str = "", subtype: str | None = None
    ) -> None:
        super().__init__(f"{error}: {description}")
        self.status = status
        self.error = error
        self.description = description
        self.subtype = subtype

    def body(self) -> dict[str, str]:
        body = {"error": self.error}
        if self.description:
            body["error_description"] = self.description
        if self.subtype:
            body["error_subtype"] = self.subtype
        return body


# The errors below are the ones Google returns verbatim; keep their texts as Google's.


def bad_request(
    message: str, *, reason: str = "badRequest", location: str | None = None
) -> ApiError:
    return ApiError(
        400, reason, message, location_type="parameter" if location else None, location=location
    )


def invalid(message: str) -> ApiError:
    return ApiError(400, "invalid", message)


def required(message: str) -> ApiError:
    return ApiError(400, "required", message)


def time_range_empty(location: str = "timeMax") -> ApiError:
    return ApiError(
        400,
        "timeRangeEmpty",
        "The specified time range is empty.",
        domain="calendar",
        location_type="parameter",
        location=location,
    )


def login_required() -> ApiError:
    return ApiError(
        401,
        "required",
        "Login Required.",
        location_type="header",
        location="Authorization",
        status="UNAUTHENTICATED",
        headers={"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/"'},
    )


def invalid_credentials() -> ApiError:
    return ApiError(
        401,
        "authError",
        "Invalid Credentials",
        location_type="header",
        location="Authorization",
        status="UNAUTHENTICATED",
        headers={
            "WWW-Authenticate": 'Bearer realm="https://accounts.google.com/", error="invalid_token"'
        },
    )


def insufficient_permissions() -> ApiError:
    return ApiError(
        403,
        "insufficientPermissions",
        "Request had insufficient authentication scopes.",
        status="PERMISSION_DENIED",
        headers={
            "WWW-Authenticate": 'Bearer realm="https://accounts.google.com/", '
            'error="insufficient_scope"'
        },
    )


def forbidden(message: str = "Forbidden") -> ApiError:
    return ApiError(403, "forbidden", message)


def requires_writer() -> ApiError:
    return ApiError(403, "requiredAccessLevel", "You need to have writer access to this calendar.")


def not_found() -> ApiError:
    return ApiError(404, "notFound", "Not Found")


def duplicate() -> ApiError:
    return ApiError(409, "duplicate", "The requested identifier already exists.")


def deleted() -> ApiError:
    return ApiError(410, "deleted", "Resource has been deleted")


def full_sync_required() -> ApiError:
    message = "Sync token is no longer valid, a full sync is required."
    return ApiError(
        410,
        "fullSyncRequired",
        message,
        domain="calendar",
        location_type="parameter",
        location="syncToken",
    )


def updated_min_too_long_ago() -> ApiError:
    return ApiError(
        410,
        "updatedMinTooLongAgo",
        "The requested minimum modification time lies too far in the past.",
        domain="calendar",
        location_type="parameter",
        location="updatedMin",
    )


def condition_not_met() -> ApiError:
    return ApiError(
        412, "conditionNotMet", "Precondition Failed", location_type="header", location="If-Match"
    )


USAGE_LIMIT_MESSAGES = {
    "rateLimitExceeded": "Rate Limit Exceeded",
    "userRateLimitExceeded": "User Rate Limit Exceeded",
    "quotaExceeded": "Calendar usage limits exceeded.",
}


def fault_error(status: int, reason: str | None) -> ApiError:
    """The error a fault injection produces: Google's usage-limit or backend error shapes."""
    if reason in USAGE_LIMIT_MESSAGES:
        return ApiError(status, reason, USAGE_LIMIT_MESSAGES[reason], domain="usageLimits")
    if status == 429:
        return ApiError(
            429, reason or "rateLimitExceeded", "Rate Limit Exceeded", domain="usageLimits"
        )
    if status >= 500:
        return ApiError(status, reason or "backendError", "Backend Error")
    return ApiError(status, reason or "badRequest", reason or "Injected fault")
