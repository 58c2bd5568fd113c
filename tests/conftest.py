"""Fixtures shared by every test package.

Google emulator fixtures (the emulator is the only stand-in for Google):

- ``fake_google``: a fresh in-memory FakeGoogle with our OAuth client registered and the
  demo account (``DEMO_GOOGLE_EMAIL``), nothing routed to it yet.
- ``google_in_process``: Django's Google settings point at that emulator and every Google
  call goes through its in-process transport. Yields a ``GoogleHarness``.
- ``google_live``: the same emulator served on a real loopback port; Django talks to it over
  real sockets. Yields a ``GoogleHarness``.
- ``google``: parametrized over both, for tests that must hold against either.

``GoogleHarness.connect(client)`` drives the whole OAuth flow the way a browser does.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from html import unescape
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from cryptography.fernet import Fernet
from django.test import Client
from playwright.sync_api import Browser, sync_playwright

from tandem.accounts.google_clients import use_transport
from tandem.fakegoogle import FakeGoogle

# pytest-django's live_server and Playwright's sync API both run an event loop in the
# thread; Django's async-safety check would otherwise refuse database access.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One Debian Chromium per test process: Playwright's sync API allows one at a time."""
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=os.environ.get("TANDEM_CHROMIUM", "/usr/bin/chromium"),
            args=CHROMIUM_ARGS,
        )
        yield chromium
        chromium.close()


GOOGLE_TEST_CLIENT_ID = "tandem-tests.apps.googleusercontent.test"
GOOGLE_TEST_CLIENT_SECRET = "tandem-tests-client-secret"
# Django's test client serves http://testserver; the emulator must know this exact URI.
GOOGLE_TEST_REDIRECT_URI = "http://testserver/preferences/external-services/google/callback/"
DEMO_GOOGLE_EMAIL = "dana@example.com"
IN_PROCESS_BASE_URL = "http://fakegoogle.test"

_CONSENT_ID = re.compile(r"name=consent_id value='([^']*)'")
_TICKED_SCOPE = re.compile(r"<input type=checkbox name=scope value='([^']*)' checked(?! disabled)")
_LOCKED_SCOPE = re.compile(r"<input type=hidden name=scope value='([^']*)'>")


@dataclass
class GoogleHarness:
    """An emulator wired into Django's settings, plus a 'browser' that can talk to it."""

    emulator: FakeGoogle
    base_url: str
    browser: httpx.Client

    def consent(
        self,
        authorize_url: str,
        *,
        account: str | None = DEMO_GOOGLE_EMAIL,
        untick: Iterable[str] = (),
        allow: bool = True,
    ) -> str:
        """Opens Google's consent page and submits it as a person would; returns the
        Location Google redirects the browser to (our callback), without following it."""
        page = self.browser.get(authorize_url)
        if page.status_code == 302:
            return page.headers["Location"]  # already granted: Google skips the page
        assert page.status_code == 200, page.text
        html = page.text
        match = _CONSENT_ID.search(html)
        assert match, f"no consent form on Google's page: {html[:500]}"
        unticked = set(untick)
        scopes = [unescape(s) for s in _TICKED_SCOPE.findall(html) if unescape(s) not in unticked]
        scopes += [unescape(s) for s in _LOCKED_SCOPE.findall(html)]
        form: dict[str, str | list[str]] = {
            "consent_id": unescape(match.group(1)),
            "scope": scopes,
            "action": "allow" if allow else "deny",
        }
        if account is not None:
            form["account"] = account
        answer = self.browser.post(f"{self.base_url}/o/oauth2/v2/auth", data=form)
        assert answer.status_code == 302, answer.text
        return answer.headers["Location"]

    def connect(
        self,
        client: Client,
        *,
        account: str | None = DEMO_GOOGLE_EMAIL,
        untick: Iterable[str] = (),
        allow: bool = True,
    ) -> Any:
        """The whole flow: Connect → Google's consent → our callback. Returns the callback's
        response (not followed)."""
        start = client.get("/preferences/external-services/google/connect/")
        assert start.status_code == 302, start.content
        location = self.consent(start["Location"], account=account, untick=untick, allow=allow)
        return client.get(callback_path(location))

    def tokens_issued(self) -> set[str]:
        """Every access and refresh token the emulator has handed out."""
        state = self.emulator.state
        with state.lock:
            return set(state.access_tokens) | set(state.refresh_tokens)


def callback_path(location: str) -> str:
    """The path and query of Google's redirect, for Django's test client."""
    parts = urlsplit(location)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == GOOGLE_TEST_REDIRECT_URI, location
    return f"{parts.path}?{parts.query}"


@pytest.fixture(scope="session")
def token_encryption_key() -> str:
    """A Fernet key for tests, so no test writes var/token-keys."""
    return Fernet.generate_key().decode()


@pytest.fixture
def fake_google(request: pytest.FixtureRequest) -> FakeGoogle:
    emulator = FakeGoogle()
    if request.node.get_closest_marker("snapshot_paging"):
        # The switch: listing pages keep a snapshot (live paging, as Google, is the default).
        emulator.set_paging(live=False)
    emulator.register_client(
        client_id=GOOGLE_TEST_CLIENT_ID,
        client_secret=GOOGLE_TEST_CLIENT_SECRET,
        redirect_uris=[GOOGLE_TEST_REDIRECT_URI],
    )
    emulator.create_account(email=DEMO_GOOGLE_EMAIL, name="Dana Demo", time_zone="Europe/Berlin")
    return emulator


def _point_django_at(settings: Any, *, base_url: str, key: str) -> None:
    settings.GOOGLE_ENDPOINTS = "emulator"
    settings.FAKE_GOOGLE_URL = base_url
    settings.GOOGLE_CLIENT_ID = GOOGLE_TEST_CLIENT_ID
    settings.GOOGLE_CLIENT_SECRET = GOOGLE_TEST_CLIENT_SECRET
    settings.GOOGLE_REDIRECT_URI = GOOGLE_TEST_REDIRECT_URI
    settings.TOKEN_ENCRYPTION_KEYS = key


@pytest.fixture
def google_in_process(
    fake_google: FakeGoogle, settings: Any, token_encryption_key: str
) -> Iterator[GoogleHarness]:
    _point_django_at(settings, base_url=IN_PROCESS_BASE_URL, key=token_encryption_key)
    with (
        use_transport(fake_google.transport()),
        httpx.Client(transport=fake_google.transport()) as browser,
    ):
        yield GoogleHarness(emulator=fake_google, base_url=IN_PROCESS_BASE_URL, browser=browser)


@pytest.fixture
def google_live(
    fake_google: FakeGoogle, settings: Any, token_encryption_key: str
) -> Iterator[GoogleHarness]:
    with fake_google.serve() as server, httpx.Client(timeout=10) as browser:
        _point_django_at(settings, base_url=server.base_url, key=token_encryption_key)
        yield GoogleHarness(emulator=fake_google, base_url=server.base_url, browser=browser)


@pytest.fixture(params=["in_process", "live"])
def google(request: pytest.FixtureRequest) -> GoogleHarness:
    """The emulator in-process and as a real loopback server: the same test runs on both."""
    harness: GoogleHarness = request.getfixturevalue(f"google_{request.param}")
    return harness


@pytest.fixture
def eager_tasks() -> Iterator[None]:
    """Tasks queued by a view run inline, as a worker would run them moments later."""
    from config.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    try:
        yield
    finally:
        app.conf.task_always_eager = previous
