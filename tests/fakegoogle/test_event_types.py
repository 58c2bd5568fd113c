"""The emulator enforces Google's restrictions per eventType (issue 12, must have 2).

Sources: https://developers.google.com/workspace/calendar/api/guides/event-types and
https://developers.google.com/workspace/calendar/api/guides/calendar-status; the refusal is
Google's 400 ``eventTypeRestriction`` body (see tandem/fakegoogle/event_types.py)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tandem.fakegoogle import FakeGoogle

from .conftest import ANN, API, error_reason, meeting

EVENTS = f"{API}/calendars/primary/events"


def refused(response: httpx.Response, event_type: str) -> None:
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == 400
    assert error["errors"][0] == {
        "domain": "calendar",
        "reason": "eventTypeRestriction",
        "message": f"Attempt made to modify '{event_type}' event in a way that is not valid "
        "for this event type.",
    }


def flight(google: FakeGoogle) -> dict[str, Any]:
    """A flight Gmail put on Ann's calendar."""
    return google.seed_event(
        calendar_id=ANN,
        event=meeting("Flight LH 400", eventType="fromGmail", location="FRA Terminal 1"),
    )


def birthday(**fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "eventType": "birthday",
        "summary": "Maria's birthday",
        "start": {"date": "2030-03-14"},
        "end": {"date": "2030-03-15"},
        "visibility": "private",
        "transparency": "transparent",
        "recurrence": ["RRULE:FREQ=YEARLY"],
    }
    return body | fields


def out_of_office(**fields: Any) -> dict[str, Any]:
    return meeting(
        "Out of office",
        eventType="outOfOffice",
        outOfOfficeProperties={"autoDeclineMode": "declineNone"},
        **fields,
    )


def test_a_client_cannot_create_a_gmail_event(api: httpx.Client) -> None:
    """fromGmail events come from Gmail only."""
    refused(api.post(EVENTS, json=meeting(eventType="fromGmail")), "fromGmail")


def test_a_seeded_gmail_event_lists_with_its_type(google: FakeGoogle, api: httpx.Client) -> None:
    """The control API makes one, and the listing shows it as Google would."""
    event = flight(google)
    listed = api.get(EVENTS).json()["items"]
    assert [(e["id"], e["eventType"]) for e in listed] == [(event["id"], "fromGmail")]


def test_a_gmail_event_takes_only_the_changes_google_allows(
    google: FakeGoogle, api: httpx.Client
) -> None:
    """Visibility, colour, reminders, extended properties: yes. Title, time, place: 400."""
    url = f"{EVENTS}/{flight(google)['id']}"
    for allowed in (
        {"visibility": "private"},
        {"colorId": "5"},
        {"reminders": {"useDefault": False, "overrides": [{"method": "popup", "minutes": 30}]}},
        {"extendedProperties": {"private": {"crm": "1"}}},
    ):
        assert api.patch(url, json=allowed).status_code == 200, allowed
    for change in (
        {"summary": "My flight"},
        {"location": "MUC"},
        {"description": "Seat 12A"},
        {
            "start": {"dateTime": "2030-01-01T09:00:00Z"},
            "end": {"dateTime": "2030-01-01T11:00:00Z"},
        },
    ):
        refused(api.patch(url, json=change), "fromGmail")
    assert api.get(url).json()["summary"] == "Flight LH 400"


def test_the_type_of_an_event_never_changes(google: FakeGoogle, api: httpx.Client) -> None:
    """A PUT without eventType asks for 'default', which a special event refuses."""
    event = flight(google)
    url = f"{EVENTS}/{event['id']}"
    body = {k: event[k] for k in ("summary", "start", "end", "location")}
    refused(api.put(url, json=body), "fromGmail")
    refused(api.patch(url, json={"eventType": "default"}), "fromGmail")
    assert api.put(url, json=body | {"eventType": "fromGmail"}).status_code == 200


def test_a_birthday_is_created_only_as_google_specifies(api: httpx.Client) -> None:
    """One all-day day, private, transparent, yearly; nothing else on it."""
    assert api.post(EVENTS, json=birthday()).status_code == 200
    for bad in (
        birthday(end={"date": "2030-03-16"}),
        birthday(visibility="default"),
        birthday(transparency="opaque"),
        birthday(recurrence=["RRULE:FREQ=MONTHLY"]),
        birthday(location="Home"),
        birthday(birthdayProperties={"type": "birthday", "contact": "people/c12345"}),
    ):
        refused(api.post(EVENTS, json=bad), "birthday")


def test_a_contacts_birthday_keeps_its_date_and_stays(
    google: FakeGoogle, api: httpx.Client
) -> None:
    """A birthday from Google Contacts takes a new title, never a new date nor a delete."""
    event = google.seed_event(
        calendar_id=ANN,
        event=birthday(birthdayProperties={"type": "birthday", "contact": "people/c12345"}),
    )
    url = f"{EVENTS}/{event['id']}"
    assert api.patch(url, json={"summary": "Maria (ACME)"}).status_code == 200
    refused(
        api.patch(url, json={"start": {"date": "2030-03-15"}, "end": {"date": "2030-03-16"}}),
        "birthday",
    )
    refused(api.patch(url, json={"description": "Send flowers"}), "birthday")
    refused(api.delete(url), "birthday")


def test_status_events_live_on_the_primary_calendar_only(
    google: FakeGoogle, api: httpx.Client
) -> None:
    """Out of office on a secondary calendar, or all-day, is refused."""
    other = google.add_calendar(owner_email=ANN, summary="Team")
    refused(api.post(f"{API}/calendars/{other.id}/events", json=out_of_office()), "outOfOffice")
    all_day = out_of_office() | {"start": {"date": "2030-01-01"}, "end": {"date": "2030-01-02"}}
    refused(api.post(EVENTS, json=all_day), "outOfOffice")
    refused(api.post(EVENTS, json=meeting(eventType="focusTime")), "focusTime")
    created = api.post(EVENTS, json=out_of_office())
    assert created.status_code == 200
    url = f"{EVENTS}/{created.json()['id']}"
    assert api.patch(url, json={"summary": "Vacation"}).status_code == 200
    refused(api.patch(url, json={"transparency": "transparent"}), "outOfOffice")


@pytest.mark.parametrize("kind", ["outOfOffice", "focusTime", "workingLocation", "birthday"])
def test_every_type_can_be_seeded(google: FakeGoogle, api: httpx.Client, kind: str) -> None:
    """Tests can put every type Google documents on a calendar."""
    event = google.seed_event(calendar_id=ANN, event=meeting(kind, eventType=kind))
    assert api.get(f"{EVENTS}/{event['id']}").json()["eventType"] == kind


def test_the_control_api_seeds_over_http(google: FakeGoogle, api: httpx.Client) -> None:
    """POST /_emulator/events/seed does what seed_event does, for another process."""
    response = api.post(
        "/_emulator/events/seed",
        json={"calendar_id": ANN, "event": meeting("Hotel", eventType="fromGmail")},
    )
    assert response.status_code == 200, response.text
    assert response.json()["event"]["eventType"] == "fromGmail"
    assert error_reason(api.post(EVENTS, json=meeting(eventType="fromGmail"))) == (
        "eventTypeRestriction"
    )
