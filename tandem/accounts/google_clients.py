"""Builds the OAuth and Calendar clients from settings. Only base URLs differ between the
emulator and real Google (tandem.google.endpoints)."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.cookiejar import CookieJar, DefaultCookiePolicy

import httpx
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest
from django.urls import reverse

from tandem.google.endpoints import REAL_GOOGLE, GoogleEndpoints, emulator_endpoints
from tandem.google.oauth import GoogleOAuth

_transport: httpx.BaseTransport | None = None

HTTP_TIMEOUT = httpx.Timeout(30.0, connect=10.0)


def google_endpoints() -> GoogleEndpoints:
    choice = settings.GOOGLE_ENDPOINTS
    if choice == "google":
        return REAL_GOOGLE
    if choice == "emulator":
        return emulator_endpoints(settings.FAKE_GOOGLE_URL)
    raise ImproperlyConfigured(f'GOOGLE_ENDPOINTS must be "google" or "emulator", not {choice!r}.')


def google_transport() -> httpx.BaseTransport | None:
    """None means real sockets; tests may swap in the emulator's in-process transport."""
    return _transport


@contextmanager
def use_transport(transport: httpx.BaseTransport) -> Iterator[None]:
    """Routes every Google call through ``transport`` (e.g. FakeGoogle().transport())."""
    global _transport
    previous, _transport = _transport, transport
    try:
        yield
    finally:
        _transport = previous


def redirect_uri(request: HttpRequest | None = None) -> str:
    if settings.GOOGLE_REDIRECT_URI:
        return str(settings.GOOGLE_REDIRECT_URI)
    if request is None:
        raise ImproperlyConfigured("GOOGLE_REDIRECT_URI is needed outside a web request.")
    return request.build_absolute_uri(reverse("google-callback"))


def google_oauth(*, redirect: str = "") -> GoogleOAuth:
    return GoogleOAuth(
        endpoints=google_endpoints(),
        client_id=settings.GOOGLE_CLIENT_ID,
        client_secret=settings.GOOGLE_CLIENT_SECRET,
        redirect_uri=redirect or settings.GOOGLE_REDIRECT_URI,
        http_transport=google_transport(),
    )


# -- the process's HTTP client for the Calendar API -------------------------------------------
#
# Building an httpx.Client costs about 20 ms (mostly its TLS context), as much as the rest
# of an idle sync run, so every Calendar client of the process shares one, and with it the
# connection pool (keep-alive to Google across runs). httpx.Client is safe to share between
# threads. It holds nothing of a user: each request carries its user's token in its own
# header, the request budget is counted on each CalendarClient, and cookies are refused.
# A forked child (Celery's prefork pool) builds its own instead of using its parent's
# sockets; a transport swapped in by tests (use_transport) gets a client of its own.

_pool_lock = threading.Lock()
_pooled: tuple[int, httpx.BaseTransport | None, httpx.Client] | None = None


def _refusing_cookies() -> CookieJar:
    """A jar that keeps no cookie, so nothing one user's response sets reaches another's
    request through the shared client."""
    return CookieJar(policy=DefaultCookiePolicy(allowed_domains=[]))


def http_client() -> httpx.Client:
    """The process's shared HTTP client for Google's Calendar API (see above)."""
    global _pooled
    pid, transport = os.getpid(), google_transport()
    pooled = _pooled
    if pooled is not None and pooled[0] == pid and pooled[1] is transport:
        return pooled[2]
    with _pool_lock:
        if _pooled is None or _pooled[0] != pid or _pooled[1] is not transport:
            # The one it replaces is not closed: another thread may still be using it (or,
            # after a fork, its sockets are the parent's); it goes when nothing holds it.
            client = httpx.Client(
                transport=transport, timeout=HTTP_TIMEOUT, cookies=_refusing_cookies()
            )
            _pooled = (pid, transport, client)
        return _pooled[2]


def _after_fork_in_child() -> None:
    # A fork while another thread held the lock would leave it held forever in the child.
    global _pool_lock, _pooled
    _pool_lock = threading.Lock()
    _pooled = None


os.register_at_fork(after_in_child=_after_fork_in_child)
