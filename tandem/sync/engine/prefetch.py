"""Reads the next page of a listing while the current one is being written.

With Google, most of a page's time is the network and Google's own work; the CRM's work on
a page (mapping, planning, inserting) can run meanwhile. A background thread pulls pages
from the listing's iterator into a queue of one, so at most three pages are held at once
(the one being written, one waiting, one arriving) and memory stays flat however long the
listing is. Pages, and an error that ends the listing, reach the caller in the listing's
order, so a failure on page k still comes after pages 1..k-1 were written, as without the
thread.

The thread only reads Google. It may touch the database when the access token has to be
refreshed (the refreshed token is saved at once); Django gives it its own connection, which
it closes when it ends.
"""

from __future__ import annotations

import itertools
import queue
import threading
from collections.abc import Callable, Iterator
from typing import TypeVar

from django.db import connections

T = TypeVar("T")

POLL_SECONDS = 0.1  # how often a producer blocked on a full queue checks for a stop


class _End:
    """The listing ended normally."""


_END = _End()


def pages_ahead(pages: Iterator[T], *, last: Callable[[T], bool] | None = None) -> Iterator[T]:
    """Yields what ``pages`` yields, fetching one item ahead in a background thread.

    An exception raised by ``pages`` is raised here, after the items before it. When the
    caller stops early (an error while writing, a tripped breaker), the thread is told to
    stop and joined before this generator returns: no request outlives the listing.

    With ``last`` (is this item the listing's last?), the first item is read in the
    caller's thread, which has nothing to do until it arrives; when it is the last, as the
    one page of an idle incremental listing is, no thread is started at all."""
    if last is not None:
        first = next(pages, _END)
        if isinstance(first, _End):
            return
        if last(first):
            yield first
            yield from pages  # nothing more: the listing's iterator ends
            return
        pages = itertools.chain([first], pages)
    slot: queue.Queue[T | _End | BaseException] = queue.Queue(maxsize=1)
    stop = threading.Event()

    def hand_over(entry: T | _End | BaseException) -> bool:
        while not stop.is_set():
            try:
                slot.put(entry, timeout=POLL_SECONDS)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for page in pages:
                if not hand_over(page):
                    return
            hand_over(_End())
        except BaseException as error:  # handed to the caller, raised there
            hand_over(error)
        finally:
            connections.close_all()  # this thread's connections only (they are per thread)

    thread = threading.Thread(target=produce, name="sync-prefetch", daemon=True)
    thread.start()
    try:
        while True:
            entry = slot.get()
            if isinstance(entry, _End):
                return
            if isinstance(entry, BaseException):
                raise entry
            yield entry
    finally:
        stop.set()
        thread.join()
