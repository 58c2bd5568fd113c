"""One HTTP client per process for the Calendar API: every user's Calendar client shares its
connection pool (an idle run no longer pays ~20 ms to build one), while each user's token
and request budget stay the user's own; a forked child and a swapped-in transport get a
client of their own."""

from __future__ import annotations

import os
import threading

import httpx
import pytest
from django.contrib.auth.models import User
from django.test import Client

from tandem.accounts.google_clients import http_client, use_transport
from tandem.accounts.google_services import calendar_client_for
from tandem.accounts.models import GoogleConnection
from tandem.google.calendar import CalendarClient, RequestCounter
from tests.conftest import DEMO_GOOGLE_EMAIL, GoogleHarness

BASE = "https://calendar.test/calendar/v3"


class _Token:
    def __init__(self, token: str) -> None:
        self.token = token

    def access_token(self) -> str:
        return self.token

    def refreshed_access_token(self) -> str:
        return self.token


class _Recorder:
    """A Google stand-in that answers every list with an empty page, sets a cookie, and
    remembers the headers of each request."""

    def __init__(self) -> None:
        self.headers: list[httpx.Headers] = []
        self.transport = httpx.MockTransport(self._answer)

    def _answer(self, request: httpx.Request) -> httpx.Response:
        self.headers.append(request.headers)
        return httpx.Response(
            200,
            json={"items": [], "nextSyncToken": "t"},
            headers={"Set-Cookie": "session=of-whoever-asked-first; Path=/"},
        )


def _client(token: str) -> CalendarClient:
    return CalendarClient(http=http_client(), base_url=BASE, tokens=_Token(token))


def test_every_caller_and_every_thread_gets_the_same_client() -> None:
    """Built once per process: the pool is shared by every user's Calendar client."""
    first = http_client()
    seen: list[httpx.Client] = []
    threads = [threading.Thread(target=lambda: seen.append(http_client())) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert http_client() is first
    assert len(seen) == 8 and all(client is first for client in seen)


def test_tokens_budgets_and_cookies_stay_with_their_user() -> None:
    """Two users on the shared client: each request carries its own user's token, each
    client counts only its own requests, and a cookie set for one is never sent for the
    other (the shared client keeps none)."""
    google = _Recorder()
    with use_transport(google.transport):
        ann, bob = _client("ann-token"), _client("bob-token")
        list(ann.events_pages("primary", time_min="2026-01-01T00:00:00Z"))
        list(bob.events_pages("primary", time_min="2026-01-01T00:00:00Z"))
        list(bob.events_pages("primary", time_min="2026-01-01T00:00:00Z"))
    assert [h["authorization"] for h in google.headers] == [
        "Bearer ann-token",
        "Bearer bob-token",
        "Bearer bob-token",
    ]
    assert all("cookie" not in h for h in google.headers)
    assert (ann.counter.total, bob.counter.total) == (1, 2)
    assert ann.counter is not bob.counter


def test_a_swapped_in_transport_gets_a_client_of_its_own() -> None:
    """Tests route Google through an emulator's transport: the client follows the swap,
    and the one for real sockets comes back after it."""
    real = http_client()
    first, second = _Recorder(), _Recorder()
    with use_transport(first.transport):
        on_first = http_client()
        assert on_first is not real and http_client() is on_first
        _client("x").calendar_list()
        with use_transport(second.transport):
            assert http_client() is not on_first
            _client("y").calendar_list()
    assert len(first.headers) == 1 and len(second.headers) == 1
    restored = http_client()
    assert restored is http_client()
    with use_transport(first.transport):
        assert http_client() is not restored


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_child_builds_its_own_client() -> None:
    """A Celery prefork child must not talk through its parent's sockets."""
    parent = http_client()
    reading, writing = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: answer on the pipe, then leave without running any cleanup
        try:
            child = http_client()
            answer = b"own" if child is not parent and http_client() is child else b"parent's"
        except BaseException:
            answer = b"error"
        os.write(writing, answer)
        os._exit(0)
    os.close(writing)
    answer = os.read(reading, 16)
    os.close(reading)
    os.waitpid(pid, 0)
    assert answer == b"own"
    assert http_client() is parent


@pytest.mark.django_db
def test_two_users_calendar_clients_share_the_pool_not_the_user(
    google_in_process: GoogleHarness,
    client_ann: Client,
    client_ben: Client,
    ann: User,
    ben: User,
) -> None:
    """The clients built for two connections share the HTTP client, and each has its own
    tokens and request counter; both work against the emulator."""
    google_in_process.connect(client_ann)
    google_in_process.connect(client_ben)
    for_ann = calendar_client_for(connection=GoogleConnection.objects.get(user=ann))
    for_ben = calendar_client_for(connection=GoogleConnection.objects.get(user=ben))
    assert for_ann._http is for_ben._http is http_client()
    assert for_ann._tokens is not for_ben._tokens
    assert isinstance(for_ann.counter, RequestCounter) and for_ann.counter is not for_ben.counter
    assert any(entry["id"] == DEMO_GOOGLE_EMAIL for entry in for_ann.calendar_list())
    assert for_ben.calendar_list()
    assert (for_ann.counter.total, for_ben.counter.total) == (1, 1)
