"""A real Chromium, driven by Playwright, against pytest-django's live server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Browser, Page

from tandem.accounts.selectors import preferences_for


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


def make_user(username: str, first_name: str, time_zone: str = "Europe/Berlin") -> User:
    user = User.objects.create_user(
        username, password=f"{username}-secret-pw", first_name=first_name
    )
    preferences = preferences_for(user=user)
    preferences.time_zone = time_zone
    preferences.save()
    return user


def sign_in(page: Page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(f"{username}-secret-pw")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base_url}/")
