"""The synchronization settings pre-select what most people want and remember a calendar
just created for the CRM across reloads (issue 14, must have 5)."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from tests.accounts.helpers import CREATE_CALENDAR, SETTINGS
from tests.conftest import DEMO_GOOGLE_EMAIL, GoogleHarness

pytestmark = pytest.mark.django_db


def _checked(page: str, name: str) -> list[str]:
    tags = re.findall(rf'<input [^>]*name="{name}"[^>]*>', page)
    return [re.findall(r'value="([^"]*)"', tag)[0] for tag in tags if " checked" in tag]


@pytest.fixture
def connected(google: GoogleHarness, client_ann: Client) -> Client:
    google.emulator.create_calendar(email=DEMO_GOOGLE_EMAIL, summary="Team", access_role="writer")
    assert google.connect(client_ann)["Location"] == SETTINGS
    return client_ann


def _dedicated_id(google: GoogleHarness) -> str:
    (calendar,) = [c for c in google.emulator.state.calendars.values() if c.summary == "Tandem CRM"]
    return str(calendar.id)


def test_the_first_visit_ticks_the_primary_calendar_both_ways(connected: Client) -> None:
    """Nothing saved and no CRM calendar yet: the primary calendar flows in and receives the
    CRM's meetings, so Save works as the page stands."""
    page = connected.get(SETTINGS).content.decode()
    assert _checked(page, "inbound_calendar_ids") == [DEMO_GOOGLE_EMAIL]
    assert _checked(page, "target_calendar_id") == [DEMO_GOOGLE_EMAIL]


def test_a_calendar_created_for_the_crm_becomes_the_target_and_stays_after_a_reload(
    connected: Client, google: GoogleHarness
) -> None:
    assert connected.post(CREATE_CALENDAR).status_code == 302
    dedicated = _dedicated_id(google)
    for _visit in range(2):  # the page right after creating it, then a reload
        page = connected.get(SETTINGS).content.decode()
        assert _checked(page, "target_calendar_id") == [dedicated]
        assert set(_checked(page, "inbound_calendar_ids")) == {DEMO_GOOGLE_EMAIL, dedicated}


def test_a_calendar_created_after_saving_is_proposed_until_the_next_save(
    connected: Client, google: GoogleHarness
) -> None:
    saved = connected.post(
        SETTINGS,
        {"inbound_calendar_ids": [DEMO_GOOGLE_EMAIL], "target_calendar_id": DEMO_GOOGLE_EMAIL},
    )
    assert saved.status_code == 302
    connected.post(CREATE_CALENDAR)
    dedicated = _dedicated_id(google)
    for _visit in range(2):
        page = connected.get(SETTINGS).content.decode()
        assert _checked(page, "target_calendar_id") == [dedicated]
    assert (
        connected.post(
            SETTINGS,
            {"inbound_calendar_ids": [DEMO_GOOGLE_EMAIL], "target_calendar_id": DEMO_GOOGLE_EMAIL},
        ).status_code
        == 302
    )
    page = connected.get(SETTINGS).content.decode()
    assert _checked(page, "target_calendar_id") == [DEMO_GOOGLE_EMAIL]  # the saved choice
