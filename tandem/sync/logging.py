"""Structured logs that never contain a token.

- ``JsonFormatter``: one JSON object per line (time, level, logger, message, the ``extra``
  fields a caller passed, the exception), for log shippers.
- ``RedactTokensFilter``: rewrites anything that looks like a credential before any handler
  sees it: ``Authorization:`` header values, ``Bearer …``, Google access tokens (``ya29.``),
  refresh tokens (``1//``), authorization codes (``4/``), and ``access_token``,
  ``refresh_token``, ``client_secret``, ``code``, ``token`` or ``channel_token`` values in
  JSON, query strings or ``key=value`` text. Wired on the console handler in
  config/settings/base.py, so it covers every logger, ours and the libraries'.

Token shapes: https://developers.google.com/identity/protocols/oauth2 ("Token types").
"""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime
from typing import Any

REDACTED = "[redacted]"

_SECRET_KEYS = (
    r"access_token|refresh_token|id_token|client_secret|code_verifier|code|token|"
    r"channel_token|x-goog-channel-token|password|secret"
)
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # Authorization: Bearer abc / Authorization: Basic abc (headers, dict reprs)
    (
        re.compile(r"(?i)(['\"]?authorization['\"]?\s*[:=]\s*['\"]?)[^'\",}\r\n]+"),
        rf"\1{REDACTED}",
    ),
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+"), rf"\1 {REDACTED}"),
    # "refresh_token": "…" (JSON) or refresh_token='…' (reprs)
    (
        re.compile(rf"(?i)(['\"]({_SECRET_KEYS})['\"]\s*:\s*['\"])[^'\"]*"),
        rf"\1{REDACTED}",
    ),
    # ?code=…&refresh_token=… and key=value text
    (re.compile(rf"(?i)\b(({_SECRET_KEYS})=)[^&\s'\",]+"), rf"\1{REDACTED}"),
    # Bare Google tokens wherever they appear
    (re.compile(r"\bya29\.[A-Za-z0-9._~+/=-]+"), REDACTED),
    (re.compile(r"(?<![\w/])1//[A-Za-z0-9._~+/=-]+"), REDACTED),
    (re.compile(r"(?<![\w/])4/[A-Za-z0-9._~+-]{20,}"), REDACTED),
)

# Attributes every LogRecord has; anything else came from ``extra=`` and is logged as a field.
_STANDARD_ATTRIBUTES = frozenset(
    logging.LogRecord("", 0, "", 0, "", None, None).__dict__.keys() | {"message", "asctime"}
)


def redact(text: str) -> str:
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def _redact_value(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, int | float | bool) or value is None:
        return value
    return redact(repr(value))


class RedactTokensFilter(logging.Filter):
    """Redacts credentials from the message, its arguments, extras and the traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        # Render once so a token passed as an argument cannot slip through %-formatting.
        record.msg = redact(record.getMessage())
        record.args = None
        for key, value in list(record.__dict__.items()):
            if key not in _STANDARD_ATTRIBUTES:
                setattr(record, key, _redact_value(value))
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line; ``extra`` fields become top-level keys."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD_ATTRIBUTES and not key.startswith("_"):
                entry[key] = value if _is_json_scalar(value) else repr(value)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = record.stack_info
        # The filter already redacted the parts; redact again in case this formatter is used
        # without it (a handler configured elsewhere).
        return redact(json.dumps(entry, ensure_ascii=False, default=str))


def _is_json_scalar(value: Any) -> bool:
    return isinstance(value, str | int | float | bool) or value is None
