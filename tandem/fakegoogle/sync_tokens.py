"""Opaque, signed sync and page tokens that carry the listing's snapshot.

A sync token records the change sequence it was issued at, so the next incremental list
returns every write after it (the contract of
https://developers.google.com/workspace/calendar/api/guides/sync). A page token records
the snapshot of the first page and the last item returned, so writes made while a client
pages neither shift nor hide items. Tampered, expired or foreign tokens do not decode.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any


def encode(secret: bytes, payload: dict[str, Any]) -> str:
    body = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
    signature = hmac.new(secret, body, hashlib.sha256).digest()[:12]
    return base64.urlsafe_b64encode(signature + body).decode().rstrip("=")


def decode(secret: bytes, token: str) -> dict[str, Any] | None:
    """The payload, or None when the token is not one of ours or has been tampered with."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (ValueError, TypeError):
        return None
    signature, body = raw[:12], raw[12:]
    expected = hmac.new(secret, body, hashlib.sha256).digest()[:12]
    if not hmac.compare_digest(signature, expected):
        return None
    try:
        payload = json.loads(body)
    except ValueError:
        return None
    return payload if isinstance(payload, dict) else None


def fingerprint(parts: dict[str, Any]) -> str:
    """A short digest of the query parameters a token is bound to."""
    body = json.dumps(parts, sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(body).hexdigest()[:16]
