"""The sync's pause of the cyclic garbage collector (tandem/sync/core/collector.py): counted,
so runs that overlap in two threads of one process leave it as they found it."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator

import pytest

from tandem.sync.core.collector import collector_paused


@pytest.fixture(autouse=True)
def collector_on() -> Iterator[None]:
    gc.enable()
    yield
    gc.enable()


def test_nested_pauses_turn_it_back_on_when_the_outer_one_ends():
    with collector_paused():
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_collector_turned_off_by_the_caller_stays_off():
    gc.disable()
    with collector_paused():
        pass
    assert not gc.isenabled()


def test_two_threads_that_overlap_leave_it_on_once_both_are_done():
    """The first run leaves while the second is inside: the collector stays off until the
    second leaves too, then is on (each run reading and restoring its own state turned it
    on under the second run, or left it off for good; review of 7e66741)."""
    first_in, second_in, first_out = threading.Event(), threading.Event(), threading.Event()
    states: dict[str, bool] = {}

    def first() -> None:
        with collector_paused():
            first_in.set()
            second_in.wait(5)
        first_out.set()

    def second() -> None:
        first_in.wait(5)
        with collector_paused():
            second_in.set()
            first_out.wait(5)
            states["second inside, first gone"] = gc.isenabled()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert states == {"second inside, first gone": False}
    assert gc.isenabled()
