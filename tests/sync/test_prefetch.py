"""The listing's read-ahead (tandem/sync/engine/prefetch.py): pages in order, errors after
the pages before them, and no thread for a listing of one page (an idle run's)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tandem.sync.engine.prefetch import pages_ahead


@dataclass
class Page:
    number: int
    last: bool


class Listing:
    """Pages numbered from 1, the last marked; records the thread that read each page."""

    def __init__(self, count: int, *, fail_at: int | None = None) -> None:
        self.count, self.fail_at = count, fail_at
        self.readers: list[str] = []

    def __iter__(self) -> Iterator[Page]:
        for number in range(1, self.count + 1):
            self.readers.append(threading.current_thread().name)
            if number == self.fail_at:
                raise RuntimeError(f"page {number} failed")
            yield Page(number, last=number == self.count)


def _is_last(page: Page) -> bool:
    return page.last


def test_a_listing_of_one_page_is_read_in_the_callers_thread_without_a_thread():
    listing = Listing(1)
    threads_before = threading.active_count()
    pages = pages_ahead(iter(listing), last=_is_last)
    first = next(pages)
    assert first == Page(1, last=True)
    assert threading.active_count() == threads_before  # no read-ahead thread started
    assert list(pages) == []
    assert listing.readers == [threading.current_thread().name]


def test_a_longer_listing_reads_its_first_page_here_and_the_others_ahead_in_order():
    listing = Listing(4)
    assert [page.number for page in pages_ahead(iter(listing), last=_is_last)] == [1, 2, 3, 4]
    assert listing.readers == [threading.current_thread().name] + ["sync-prefetch"] * 3


def test_without_last_every_page_is_read_ahead():
    listing = Listing(2)
    assert [page.number for page in pages_ahead(iter(listing))] == [1, 2]
    assert listing.readers == ["sync-prefetch"] * 2


def test_an_empty_listing_yields_nothing():
    assert list(pages_ahead(iter([]), last=_is_last)) == []


@pytest.mark.parametrize("fail_at", [1, 3])
def test_a_failing_page_raises_after_the_pages_before_it(fail_at):
    got: list[int] = []
    with pytest.raises(RuntimeError, match=f"page {fail_at} failed"):
        for page in pages_ahead(iter(Listing(4, fail_at=fail_at)), last=_is_last):
            got.append(page.number)
    assert got == list(range(1, fail_at))
