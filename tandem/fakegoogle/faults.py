"""Injected faults per route, and the optional sliding-window quota.

Quota figures: https://developers.google.com/workspace/calendar/api/guides/quota (600
requests per minute per user, 10,000 per project, sliding window; a patch costs 3).
"""

from __future__ import annotations

import fnmatch
import threading
from collections import deque
from dataclasses import asdict, dataclass

from tandem.fakegoogle import errors
from tandem.fakegoogle.store import QuotaSettings

WINDOW = 60.0


@dataclass
class Fault:
    """``route`` is ``"METHOD path-glob"`` (``"POST */events"``) or just a path glob."""

    route: str
    status: int = 0  # 0: no error, only the delay
    reason: str | None = None
    times: int = 1  # how many matching calls fail; -1 for all of them
    after: int = 0  # let this many matching calls through first
    delay: float = 0.0
    drop: bool = False  # close the connection without an answer
    # With drop: serve the call first, then hang up (the write took effect, no answer came).
    applied: bool = False
    malformed: bool = False  # answer 200 with a body cut off in the middle of its JSON
    html: bool = False  # answer 200 with an HTML page, as a proxy or captive portal does
    # Serve the call, then take nextPageToken and nextSyncToken out of the answer: a listing
    # page that says neither "more" nor "done" (a truncated answer).
    no_tokens: bool = False
    seen: int = 0
    fired: int = 0

    def matches(self, method: str, path: str) -> bool:
        wanted_method, _, glob = (
            self.route.partition(" ") if " " in self.route else ("*", "", self.route)
        )
        if wanted_method not in ("*", method.upper()):
            return False
        return fnmatch.fnmatchcase(path, glob)

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


class FaultInjector:
    def __init__(self) -> None:
        self.faults: list[Fault] = []
        self._lock = threading.Lock()

    def add(self, fault: Fault) -> None:
        with self._lock:
            self.faults.append(fault)

    def clear(self) -> None:
        with self._lock:
            self.faults.clear()

    def take(self, method: str, path: str) -> Fault | None:
        """The fault that fires for this call, counting the call against every match."""
        with self._lock:
            for fault in self.faults:
                if not fault.matches(method, path):
                    continue
                fault.seen += 1
                if fault.seen > fault.after and (fault.times < 0 or fault.fired < fault.times):
                    fault.fired += 1
                    return fault
            return None


# What a ``malformed`` fault answers: JSON cut off mid-way, as a broken proxy might send.
MALFORMED_BODY = b'{"kind": "calendar#events", "items": [{"id": "'
# What an ``html`` fault answers: a page where JSON was promised (a login wall, a proxy).
HTML_BODY = b"<!DOCTYPE html><html><body><h1>Sign in to the network</h1></body></html>"


class DropConnection(Exception):
    """Raised to make the front end close the connection without a response."""


def fault_exception(fault: Fault) -> errors.ApiError:
    return errors.fault_error(fault.status, fault.reason)


class QuotaLimiter:
    """Counts units per user and per project over the last 60 seconds of the emulator clock."""

    def __init__(self, settings: QuotaSettings) -> None:
        self.settings = settings
        self._users: dict[str, deque[tuple[float, int]]] = {}
        self._projects: dict[str, deque[tuple[float, int]]] = {}
        self._lock = threading.Lock()

    def reset(self) -> None:
        with self._lock:
            self._users.clear()
            self._projects.clear()

    @staticmethod
    def _used(window: deque[tuple[float, int]], now: float) -> int:
        while window and window[0][0] <= now - WINDOW:
            window.popleft()
        return sum(units for _, units in window)

    def charge(self, *, user: str, project: str, units: int, now: float) -> None:
        if not self.settings.enabled:
            return
        with self._lock:
            user_window = self._users.setdefault(user, deque())
            project_window = self._projects.setdefault(project, deque())
            if self._used(project_window, now) + units > self.settings.per_project_per_minute:
                raise errors.fault_error(403, "rateLimitExceeded")
            if self._used(user_window, now) + units > self.settings.per_user_per_minute:
                raise errors.fault_error(403, "userRateLimitExceeded")
            user_window.append((now, units))
            project_window.append((now, units))
