"""Small helpers: ids, etags and RFC 3339 formatting as Google writes them."""

from __future__ import annotations

import random
import secrets
from datetime import UTC, datetime

BASE32HEX = "0123456789abcdefghijklmnopqrstuv"


def random_base32hex(length: int = 26, ids: random.Random | None = None) -> str:
    """A random id; ``ids``: the generator (the state's, which tests may seed)."""
    choice = ids.choice if ids is not None else secrets.choice
    return "".join(choice(BASE32HEX) for _ in range(length))


def random_token(prefix: str, nbytes: int = 32) -> str:
    return prefix + secrets.token_urlsafe(nbytes)


def rfc3339_ms(moment: datetime) -> str:
    """``2026-01-02T03:04:05.678Z``: Google's ``created``/``updated`` format (ms, UTC)."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def rfc3339_whole_seconds(moment: datetime) -> str:
    """``2026-01-02T03:04:05.000Z``: Google's ``created`` (whole seconds, written with a
    zero millisecond part, in events recorded from real Google), unlike ``updated``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def etag_for(moment: datetime, seq: int) -> str:
    """A quoted opaque etag that changes on every write (microseconds plus a sequence)."""
    micros = int(moment.timestamp() * 1_000_000)
    return f'"{micros * 10 + seq % 10}"'


def is_base32hex_id(value: str) -> bool:
    """Client-supplied event ids: base32hex (a-v, 0-9), 5 to 1024 characters."""
    return 5 <= len(value) <= 1024 and all(ch in BASE32HEX for ch in value)
