"""Issue 14, must have 2, in Chromium: meetings wear their Google calendar's colour in the
month, week (EventCalendar's time grid), day and list views, the legend names the
calendars, a colour chosen on the settings page is used; and a zero-length meeting shows its
title in the time grid. Each screen is saved to var/test/screenshots/colours-*.png (var/ is
kept out of git) at 1280 and 375 px."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.test import Client
from playwright.sync_api import Browser, Locator, Page, expect

from tandem.meetings.models import Visibility
from tests.conftest import GoogleHarness
from tests.sync.harness import (
    SyncWorld,
    connect_user,
    crm_create,
    run_clean,
    save_settings,
    soon,
)

from .conftest import sign_in
from .test_every_page import axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(django_settings.VAR_DIR) / "test" / "screenshots"
RED, BLUE, DEFAULT = "rgb(248, 58, 34)", "rgb(73, 134, 231)", "rgb(26, 102, 201)"
SETTINGS = "/preferences/external-services/google/settings/"


@pytest.fixture
def world(google_live: GoogleHarness) -> SyncWorld:
    team = google_live.emulator.create_calendar(
        email="dana@example.com", summary="Team <Sales>", color_id="3"
    )
    world = connect_user(google_live, Client())
    world.user.set_password("ann-secret-pw")
    world.user.save()
    save_settings(world, inbound=[world.primary, team["id"]], target=world.primary)
    world.google.create_event(team["id"], "Pipeline review", soon(hour=9))
    world.google.create_event(world.primary, "Call with Initech", soon(hour=11))
    crm_create(world, "Dentist", soon(hour=14), soon(hour=15), visibility=Visibility.PRIVATE)
    crm_create(world, "Send the offer", soon(hour=16), soon(hour=16))  # zero-length
    run_clean(world)
    return world


def shot(page: Page, name: str) -> None:
    """The page at a laptop's and a phone's width, each loaded at that width (the time grid
    chooses its view when it loads), then back at the laptop's."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for width in (1280, 375, 1280):
        page.set_viewport_size({"width": width, "height": 900 if width > 400 else 740})
        page.reload()
        page.wait_for_load_state("networkidle")
        page.screenshot(path=str(SCREENSHOTS / f"colours-{name}-{width}.png"), full_page=True)


def css(locator: Locator, prop: str) -> str:
    return str(locator.evaluate(f"(el) => getComputedStyle(el).{prop}"))


def test_meetings_wear_their_calendars_colour_in_every_view(
    page: Page, live_server: Any, world: SyncWorld
) -> None:
    base, day = live_server.url, soon().date().isoformat()
    sign_in(page, base, "ann")

    page.goto(f"{base}/?view=month&date={day}")
    review = page.locator(".month-grid .entry", has_text="Pipeline review")
    assert css(review, "borderLeftColor") == RED
    assert css(page.locator(".month-grid .entry", has_text="Dentist"), "borderLeftColor") == DEFAULT
    legend = page.get_by_role("list", name="Colours of your calendars")
    expect(legend).to_contain_text("Team <Sales>")
    expect(legend).to_contain_text("Only in the CRM")
    shot(page, "month")

    page.goto(f"{base}/?view=week&date={day}")
    event = page.locator(".ec-event", has_text="Pipeline review")
    expect(event).to_be_visible()
    assert css(event, "backgroundColor") == RED
    assert css(event, "color") == "rgb(0, 0, 0)"  # black reads best on Google's colours
    crm_only = page.locator(".ec-event", has_text="Dentist")
    assert css(crm_only, "backgroundColor") == DEFAULT
    assert css(crm_only, "color") == "rgb(255, 255, 255)"
    shot(page, "week")

    page.goto(f"{base}/?view=day&date={day}")
    expect(page.locator(".ec-event", has_text="Pipeline review")).to_be_visible()
    shot(page, "day")

    page.goto(f"{base}/?view=list&date={day}")
    assert (
        css(page.locator(".list-view .entry", has_text="Pipeline review"), "borderLeftColor") == RED
    )
    shot(page, "list")


def test_a_colour_chosen_on_the_settings_page_is_used(
    page: Page, live_server: Any, world: SyncWorld
) -> None:
    base, day = live_server.url, soon().date().isoformat()
    sign_in(page, base, "ann")
    page.goto(f"{base}{SETTINGS}")
    colour = page.get_by_label("Team <Sales>", exact=True)
    expect(colour).to_have_value("#f83a22")
    shot(page, "settings")
    colour.fill("#4986e7")
    page.get_by_role("button", name="Save").click()
    page.goto(f"{base}/?view=week&date={day}")
    expect(page.locator(".ec-event", has_text="Pipeline review")).to_be_visible()
    assert css(page.locator(".ec-event", has_text="Pipeline review"), "backgroundColor") == BLUE
    page.goto(f"{base}/?view=month&date={day}")
    legend_swatch = (
        page.get_by_role("list", name="Colours of your calendars")
        .locator("li", has_text="Team <Sales>")
        .locator(".legend-swatch")
    )
    assert css(legend_swatch, "backgroundColor") == BLUE


def test_a_zero_length_meeting_shows_its_title_in_the_time_grid(
    page: Page, live_server: Any, world: SyncWorld
) -> None:
    """Zero tall, the grid showed its time alone: it is drawn half an hour tall with its
    time and title on one line, and says its one moment, not a half hour."""
    base, day = live_server.url, soon().date().isoformat()
    sign_in(page, base, "ann")
    page.goto(f"{base}/?view=day&date={day}")
    event = page.locator(".ec-event", has_text="Send the offer")
    title = event.locator(".ec-event-title")
    expect(title).to_be_visible()
    box, title_box = event.bounding_box(), title.bounding_box()
    assert box is not None and title_box is not None
    # A whole line of text, inside the box (before: 4 px of it, the rest cut off).
    assert title_box["height"] >= 12, title_box
    assert title_box["y"] + title_box["height"] <= box["y"] + box["height"] + 1
    time_text = event.locator(".ec-event-time").inner_text()
    assert "16:00" in time_text and "16:30" not in time_text


def test_coloured_pages_pass_axe_colour_contrast(
    browser: Browser, live_server: Any, world: SyncWorld
) -> None:
    """axe-core finds no serious or critical violation (colour contrast included) on the
    coloured month, week and list pages. axe is injected inline, so this context bypasses
    the CSP; the tests above run under it."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    page = context.new_page()
    try:
        base, day = live_server.url, soon().date().isoformat()
        sign_in(page, base, "ann")
        for view in ("month", "week", "list"):
            page.goto(f"{base}/?view={view}&date={day}")
            expect(page.get_by_text("Pipeline review").first).to_be_visible()
            assert axe_violations(page) == [], view
    finally:
        context.close()
