"""Issue 14, must have 2: each meeting shows its Google calendar's colour (Google's
calendarList colour, changeable in the CRM) on the month, week, day and list pages and in
the time grid's feed; meetings only in the CRM the default colour; a legend names the
calendars, for their owner only."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.test import Client

from tandem.accounts.models import SyncSettings
from tandem.meetings.models import Visibility
from tests.accounts.helpers import SETTINGS
from tests.sync.harness import (
    SyncWorld,
    connect_user,
    crm_create,
    run_clean,
    save_settings,
    soon,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def world(google_in_process, client: Client) -> SyncWorld:  # type: ignore[no-untyped-def]
    team = google_in_process.emulator.create_calendar(
        email="dana@example.com", summary="Team <Sales>", color_id="3"
    )
    world = connect_user(google_in_process, client)
    save_settings(world, inbound=[world.primary, team["id"]], target=world.primary)
    world.google.create_event(team["id"], "Pipeline review", soon(hour=9))
    world.google.create_event(world.primary, "Call with Initech", soon(hour=11))
    crm_create(
        world, "Dentist", soon(hour=14), soon(hour=15), visibility=Visibility.PRIVATE
    )  # private sync is off: it stays in the CRM
    run_clean(world)
    return world


def _entry_classes(page: str, subject: str) -> set[str]:
    """The classes of the box showing ``subject`` (its title holds the subject)."""
    found = re.search(rf'class="(entry [^"]*)" title="{subject}"', page)
    assert found, f"no box for {subject}"
    return set(found.group(1).split())


def _calendar(client: Client, view: str, user: str = "") -> str:
    day = soon().date().isoformat()
    extra = f"&user={user}" if user else ""
    answer = client.get(f"/?view={view}&date={day}{extra}")
    assert answer.status_code == 200
    return answer.content.decode()


@pytest.mark.parametrize("view", ["month", "week", "day", "list"])
def test_each_meeting_shows_its_calendars_colour_on_every_page(world: SyncWorld, view: str) -> None:
    page = _calendar(world.client, view)
    assert "cal-3" in _entry_classes(page, "Pipeline review")  # Google's colorId 3
    assert "cal-14" in _entry_classes(page, "Call with Initech")  # the primary's 14
    assert "cal-0" in _entry_classes(page, "Dentist")  # only in the CRM: the default
    legend = re.search(r'<ul class="calendar-legend".*?</ul>', page, re.S)
    assert legend is not None
    assert re.findall(r'legend-swatch (cal-\d+)"></span>([^<]*)<', legend.group(0)) == [
        ("cal-14", "dana@example.com"),
        ("cal-3", "Team &lt;Sales&gt;"),  # escaped
        ("cal-0", "Only in the CRM"),
    ]


def test_the_time_grids_feed_carries_the_colour(world: SyncWorld) -> None:
    day = soon().date()
    answer = world.client.get(
        "/calendar/feed/", {"start": day.isoformat(), "end": (day + timedelta(days=1)).isoformat()}
    )
    events = {event["title"]: event["classNames"] for event in json.loads(answer.content)}
    assert "cal-3" in events["Pipeline review"]
    assert "cal-14" in events["Call with Initech"]
    assert "cal-0" in events["Dentist"]


def test_a_colour_chosen_in_the_crm_replaces_googles(world: SyncWorld) -> None:
    """The settings page offers a colour per calendar, starting from Google's; a changed
    one is kept and shown; one left as shown keeps following Google's."""
    page = world.client.get(SETTINGS).content.decode()
    inputs = dict(
        (label, (name, value))
        for name, value, label in re.findall(
            r'<input type="color" name="(colour_\d+)" value="([^"]*)"[^>]*> <label[^>]*>([^<]*)<',
            page,
        )
    )
    assert inputs["Team &lt;Sales&gt;"][1] == "#f83a22"
    assert inputs["dana@example.com"][1] == "#9fe1e7"
    settings = SyncSettings.objects.get(connection__user=world.user)
    form = {
        "inbound_calendar_ids": settings.inbound_calendar_ids,
        "target_calendar_id": settings.target_calendar_id,
        inputs["Team &lt;Sales&gt;"][0]: "#4986E7",
        inputs["dana@example.com"][0]: "#9fe1e7",
    }
    answer = world.client.post(SETTINGS, form)
    assert answer.status_code == 302, answer.content.decode()
    settings.refresh_from_db()
    team = settings.inbound_calendar_ids[1]
    assert settings.calendar_colours == {team: "#4986e7"}  # the primary's left as Google's
    assert "cal-16" in _entry_classes(_calendar(world.client, "month"), "Pipeline review")
    bad = world.client.post(SETTINGS, form | {inputs["dana@example.com"][0]: "blue"})
    assert bad.status_code == 200
    assert "Choose a colour like #4986e7." in bad.content.decode()


def test_a_colleague_sees_no_calendar_names_and_no_colours(world: SyncWorld) -> None:
    User.objects.create_user("bob", password="pw")
    colleague = Client()
    colleague.login(username="bob", password="pw")
    for view in ("month", "list"):
        page = _calendar(colleague, view, user="ann")
        assert "calendar-legend" not in page and "Team" not in page
        assert "cal-0" in _entry_classes(page, "Pipeline review")
        assert not re.search(r"cal-(?!0\b)\d+", page)
