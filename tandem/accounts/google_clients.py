"""Builds the OAuth and Calendar clients from settings. Only base URLs differ between the
emulator and real Google (tandem.google.endpoints)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

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


def http_client() -> httpx.Client:
    return httpx.Client(transport=google_transport(), timeout=HTTP_TIMEOUT)
