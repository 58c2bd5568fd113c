"""Which failures a sync task retries, after how long, and what the user is told.

Truncated exponential backoff with full jitter (https://cloud.google.com/storage/docs/
retry-strategy), honouring Google's Retry-After when it sends one. quotaExceeded and a dead
grant are not retried: waiting does not fix them, and the user is told why on the status page.
A task applies this policy through ``tandem.sync.tasks.retry_if_needed``; after MAX_RETRIES
it gives up and the status page says why (``gave_up_reason``).
"""

from __future__ import annotations

import random

from tandem.google.errors import (
    ConnectionLost,
    GoogleError,
    QuotaExceeded,
    RateLimited,
    TransientError,
)

BASE_SECONDS = 2.0
MAX_BACKOFF_SECONDS = 64.0
MAX_RETRIES = 6


def is_retryable(error: BaseException) -> bool:
    if isinstance(error, ConnectionLost | QuotaExceeded):
        return False
    return isinstance(error, TransientError)


def backoff_seconds(
    attempt: int, *, retry_after: float | None = None, rng: random.Random | None = None
) -> float:
    """Seconds to wait before retry number ``attempt`` (0-based)."""
    ceiling = min(MAX_BACKOFF_SECONDS, BASE_SECONDS * (2**attempt))
    wait = (rng or random).uniform(0, ceiling)
    if retry_after is not None:
        wait = max(wait, min(retry_after, MAX_BACKOFF_SECONDS * 4))
    return wait


def plain_reason(error: BaseException) -> str:
    """The failure in words a user understands (the status page shows this)."""
    if isinstance(error, QuotaExceeded):
        return "Google's daily usage limit for Tandem is reached; sync resumes when it resets."
    if isinstance(error, ConnectionLost):
        return "Google no longer accepts the connection. Reconnect Google under External services."
    if isinstance(error, TransientError):
        return "Google was busy or unreachable; Tandem retries automatically."
    if isinstance(error, GoogleError):
        return f"Google refused a request: {error.message}"
    return "An unexpected error stopped the sync; it is retried at the next run."


def gave_up_reason(*, error: BaseException | None, tries: int) -> str:
    """Why a task stopped retrying, for the status page: after ``tries`` runs it kept finding
    the user busy (``error`` None) or kept stopping on a retryable ``error``."""
    if error is None:
        why = "another sync of this account kept running"
    elif isinstance(error, RateLimited):  # Google's rate limit or our own request budget
        why = "the limit of Google requests per minute kept being reached"
    else:
        why = "Google stayed busy or unreachable"
    return f"Sync gave up after {tries} tries: {why}. It is tried again at the next sync."
