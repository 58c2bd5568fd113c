"""Pausing Python's cyclic garbage collector while the sync works on a listing.

A page of a listing makes tens of thousands of short-lived containers (decoded JSON,
fields, rows), and every few hundred of them start a collection that walks the young
objects again and again, and now and then everything the process holds: a fifth of an
import's CPU time, and, between pages, collections in the read-ahead thread that delay the
next page (docs/benchmarks.md, issue 11). Reference counting still frees these objects as
usual; only cycles wait.

``gc.disable`` is process-wide, so the pause is counted: the first to pause turns the
collector off, the last to leave turns it back on if it was on, whichever thread they run
in (two runs in one process: eager tasks in a threaded web server). While any run holds
it, other threads of the process collect no cycles either.
https://docs.python.org/3/library/gc.html#gc.disable
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_holders = 0
_was_enabled = False


@contextmanager
def collector_paused() -> Iterator[None]:
    """The collector off inside; as the first holder found it once the last one leaves."""
    global _holders, _was_enabled
    with _lock:
        if _holders == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _holders += 1
    try:
        yield
    finally:
        with _lock:
            _holders -= 1
            if _holders == 0 and _was_enabled:
                gc.enable()


def young_collected() -> None:
    """Frees the cycles among the youngest objects (a page's leftovers): a quick walk, made
    while the next page is on its way, so memory stays flat over a long paused listing
    (without it, a 100,000-event import added 132 MB to peak RSS instead of 57)."""
    gc.collect(0)
