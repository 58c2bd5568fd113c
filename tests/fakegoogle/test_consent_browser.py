"""A person clicks through the consent page in a real Chromium."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs, urlencode

import pytest
from playwright.sync_api import Browser, Page

from tandem.fakegoogle import CALENDAR_SCOPE, FakeGoogle, RunningServer

from .receiver import Receiver

pytestmark = pytest.mark.browser

CLIENT_ID = "browser-test-client"


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context()
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


@pytest.fixture
def callback() -> Iterator[Receiver]:
    receiver = Receiver()
    yield receiver
    receiver.stop()


@pytest.fixture
def server(callback: Receiver) -> Iterator[RunningServer]:
    google = FakeGoogle()
    google.register_client(client_id=CLIENT_ID, client_secret="s", redirect_uris=[callback.url])
    google.create_account(email="ann@example.com", name="Ann <b>Example</b>")
    with google.serve() as running:
        yield running


def _authorize_url(server: RunningServer, callback: Receiver) -> str:
    params = {
        "client_id": CLIENT_ID,
        "redirect_uri": callback.url,
        "response_type": "code",
        "scope": f"openid email {CALENDAR_SCOPE}",
        "state": "s-1",
        "access_type": "offline",
    }
    return f"{server.base_url}/o/oauth2/v2/auth?{urlencode(params)}"


def test_allow_with_calendar_unticked(
    page: Page, server: RunningServer, callback: Receiver
) -> None:
    """The signed-in account is preselected; unticking the calendar scope grants the rest."""
    page.goto(_authorize_url(server, callback))
    assert page.get_by_role("radio").is_checked()
    assert "Ann <b>Example</b>" in page.content().replace("&lt;", "<").replace("&gt;", ">")
    page.locator(f"input[type=checkbox][value='{CALENDAR_SCOPE}']").uncheck()
    page.click("#allow")
    page.wait_for_url(f"{callback.url}?*")
    query = {k: v[0] for k, v in parse_qs(callback.queries[-1]).items()}
    assert query["state"] == "s-1" and query["code"]
    assert CALENDAR_SCOPE not in query["scope"].split()
    assert "openid" in query["scope"].split()


def test_cancel_returns_access_denied(
    page: Page, server: RunningServer, callback: Receiver
) -> None:
    """Cancel sends the browser back with error=access_denied."""
    page.goto(_authorize_url(server, callback))
    page.click("#deny")
    page.wait_for_url(f"{callback.url}?*")
    assert parse_qs(callback.queries[-1]) == {"error": ["access_denied"], "state": ["s-1"]}
