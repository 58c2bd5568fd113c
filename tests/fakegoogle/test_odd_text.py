"""Text as Google holds it (issue 12, finding 5): any Unicode a person can type, control
characters, a NUL, and a lone UTF-16 surrogate that a client sent escaped. One odd event
never fails a listing: JSON carries what UTF-8 cannot (a lone surrogate) escaped."""

from __future__ import annotations

import json

import httpx

from .conftest import API, list_all, meeting

EVENTS = f"{API}/calendars/primary/events"


def _insert_raw(api: httpx.Client, body_text: str) -> httpx.Response:
    """An insert whose JSON is written by hand (``\\ud800`` escaped, as a client sends it)."""
    return api.post(EVENTS, content=body_text, headers={"Content-Type": "application/json"})


def test_a_lone_surrogate_is_served_escaped_on_get_and_list(api: httpx.Client) -> None:
    """An event whose title holds a lone surrogate answers 200 everywhere, the surrogate
    written ``\\ud800`` in the JSON (it has no UTF-8 form); a calendar listing with it and
    a normal event lists both."""
    body = json.dumps(meeting("placeholder")).replace("placeholder", "Call \\ud800 Bob")
    inserted = _insert_raw(api, body)
    assert inserted.status_code == 200, inserted.text
    assert b"Call \\ud800 Bob" in inserted.content
    api.post(EVENTS, json=meeting("Plain", day=2))

    got = api.get(f"{EVENTS}/{inserted.json()['id']}")
    assert got.status_code == 200
    assert got.json()["summary"] == "Call \ud800 Bob"
    items, _ = list_all(api)
    assert sorted(item["summary"] for item in items) == ["Call \ud800 Bob", "Plain"]
    pretty = api.get(EVENTS, params={"prettyPrint": "true"})
    assert pretty.status_code == 200 and b"\\ud800" in pretty.content


def test_nul_and_control_characters_are_kept_and_escaped(api: httpx.Client) -> None:
    """Whether Google keeps a NUL is not documented; the emulator keeps it (the harder case
    for a client) and serves it as JSON must, ``\\u0000``; other text goes as UTF-8."""
    inserted = api.post(
        EVENTS, json=meeting("A\x00B\x07C", description="Zoë\x0b\u2028→ 📅", location="x\x7f")
    )
    assert inserted.status_code == 200
    assert b"A\\u0000B\\u0007C" in inserted.content
    assert "Zoë".encode() in inserted.content  # not escaped when it has a UTF-8 form
    (item,) = list_all(api)[0]
    assert (item["summary"], item["description"], item["location"]) == (
        "A\x00B\x07C",
        "Zoë\x0b\u2028→ 📅",
        "x\x7f",
    )


def test_an_html_fault_answers_200_with_a_page(api: httpx.Client, google) -> None:  # type: ignore[no-untyped-def]
    """The ``html`` fault switch: a 200 whose body is an HTML page where JSON was promised
    (a proxy or a captive portal answering in Google's place), once."""
    google.inject_fault(route="GET */events", status=0, html=True)
    page = api.get(EVENTS)
    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    assert page.content.startswith(b"<!DOCTYPE html>")
    assert api.get(EVENTS).json()["kind"] == "calendar#events"
