"""Expanding a recurring event costs what the range and the page ask for, not the rule's age.

A series that began a year ago with ``RRULE:FREQ=SECONDLY`` has 31 million instances before
today; walking them all to reach a week's page took minutes. Google answers instances a
range and a page at a time (events.instances, the pagination guide); so does the emulator
(tandem/fakegoogle/recurrence.py). The tests that would hang on an unbounded walk carry a
timeout (pytest-timeout) instead of a timing assertion.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import takewhile
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from dateutil.rrule import rrulestr

from tandem.fakegoogle import FakeGoogle, recurrence

from .conftest import API, list_all, timed

EVENTS = f"{API}/calendars/primary/events"
YEAR = timedelta(days=365)


def _rfc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _series(api: httpx.Client, rule: str, first: datetime, *, length: timedelta) -> str:
    body = timed(
        first.isoformat(),
        (first + length).isoformat(),
        tz="UTC",
        summary="Dense",
        recurrence=[rule],
    )
    response = api.post(EVENTS, json=body)
    assert response.status_code == 200, response.text
    return str(response.json()["id"])


def _now(google: FakeGoogle) -> datetime:
    return google.now().replace(microsecond=0, second=0)


def _pages(api: httpx.Client, url: str, **params: Any) -> list[list[dict[str, Any]]]:
    pages, token = [], None
    while True:
        query = dict(params, **({"pageToken": token} if token else {}))
        response = api.get(url, params=query)
        assert response.status_code == 200, response.text
        body = response.json()
        pages.append(body["items"])
        token = body.get("nextPageToken")
        if token is None:
            return pages


def _starts(items: list[dict[str, Any]]) -> list[datetime]:
    return [datetime.fromisoformat(item["start"]["dateTime"]) for item in items]


@pytest.mark.timeout(30)
def test_a_year_old_secondly_series_answers_instances_of_an_hour_at_once(
    api: httpx.Client, google: FakeGoogle
) -> None:
    """events.instances of a year-old every-second series, for one hour from now, pages
    through exactly that hour's 3600 instances; an instance a year after the start can be
    read by its id."""
    now = _now(google)
    series = _series(api, "RRULE:FREQ=SECONDLY", now - YEAR, length=timedelta(seconds=1))
    url = f"{EVENTS}/{series}/instances"
    pages = _pages(
        api, url, timeMin=_rfc(now), timeMax=_rfc(now + timedelta(hours=1)), maxResults=2500
    )
    starts = _starts([item for page in pages for item in page])
    assert starts == [now + timedelta(seconds=s) for s in range(3600)]
    assert all(len(page) <= 2500 for page in pages)
    instance = pages[0][0]
    assert api.get(f"{EVENTS}/{instance['id']}").json()["start"] == instance["start"]


@pytest.mark.timeout(30)
@pytest.mark.parametrize("all_day", [False, True])
def test_an_instance_by_original_start_is_found_whatever_the_page_size(
    api: httpx.Client, google: FakeGoogle, all_day: bool
) -> None:
    """events.instances with ``originalStart`` and ``maxResults=1`` (how the engine asks
    for one instance) answers the instance at that time, not the series' first one: for
    the fifth day of a daily series and for a moment of a year-old every-second series."""
    if all_day:
        body = {"start": {"date": "2030-03-25"}, "end": {"date": "2030-03-26"}}
        wanted, key = "2030-03-29", "date"
    else:
        body = timed("2030-03-25T10:00:00", "2030-03-25T11:00:00", tz="Europe/Berlin")
        wanted, key = "2030-03-29T09:00:00Z", "dateTime"  # 10:00 in Berlin
    body |= {"summary": "Daily", "recurrence": ["RRULE:FREQ=DAILY"]}
    series = api.post(EVENTS, json=body).json()["id"]
    url = f"{EVENTS}/{series}/instances"
    items = api.get(url, params={"originalStart": wanted, "maxResults": 1}).json()["items"]
    assert len(items) == 1
    found = items[0]["originalStartTime"][key]
    if all_day:
        assert found == wanted
    else:
        assert datetime.fromisoformat(found) == datetime(2030, 3, 29, 9, tzinfo=UTC)

    now = _now(google)
    dense = _series(api, "RRULE:FREQ=SECONDLY", now - YEAR, length=timedelta(seconds=1))
    moment = now + timedelta(seconds=7)
    answer = api.get(
        f"{EVENTS}/{dense}/instances", params={"originalStart": _rfc(moment), "maxResults": 1}
    ).json()["items"]
    assert _starts(answer) == [moment]


@pytest.mark.timeout(30)
def test_a_single_events_listing_with_a_dense_series_pages_in_start_order(
    api: httpx.Client, google: FakeGoogle
) -> None:
    """A singleEvents listing over ten minutes holds the year-old every-second series'
    600 instances and a one-off meeting in that range, in start order, nothing twice."""
    now = _now(google)
    _series(api, "RRULE:FREQ=SECONDLY", now - YEAR, length=timedelta(seconds=1))
    meeting_at = now + timedelta(minutes=5)
    one_off = timed(
        meeting_at.isoformat(), (meeting_at + timedelta(minutes=30)).isoformat(), summary="Call"
    )
    assert api.post(EVENTS, json=one_off).status_code == 200
    items, _ = list_all(
        api,
        singleEvents="true",
        orderBy="startTime",
        timeMin=_rfc(now),
        timeMax=_rfc(now + timedelta(minutes=10)),
        maxResults=250,
    )
    assert len(items) == 601
    assert len({item["id"] for item in items}) == 601
    assert _starts(items) == sorted(_starts(items))
    assert [item["summary"] for item in items].count("Call") == 1


@pytest.mark.timeout(30)
def test_an_unexpanded_listing_finds_a_year_old_dense_series_in_its_range(
    api: httpx.Client, google: FakeGoogle
) -> None:
    """Without singleEvents the series is one item, listed because it has an instance in
    the range asked for (found near the range, not by walking from its start)."""
    now = _now(google)
    series = _series(api, "RRULE:FREQ=SECONDLY", now - YEAR, length=timedelta(seconds=1))
    items, _ = list_all(api, timeMin=_rfc(now), timeMax=_rfc(now + timedelta(days=7)))
    assert [item["id"] for item in items] == [series]


@pytest.mark.timeout(60)
def test_a_minutely_series_lists_every_instance_of_its_range_not_the_first_5000(
    api: httpx.Client, google: FakeGoogle
) -> None:
    """Five days of an every-minute series are 7200 instances, all of them listed (a cap
    of 5000 instances per series used to end the listing early, silently)."""
    now = _now(google)
    _series(api, "RRULE:FREQ=MINUTELY", now, length=timedelta(minutes=1))
    items, _ = list_all(
        api,
        singleEvents="true",
        orderBy="startTime",
        timeMin=_rfc(now),
        timeMax=_rfc(now + timedelta(days=5)),
        maxResults=2500,
    )
    assert len(items) == 7200
    assert _starts(items)[-1] == now + timedelta(days=5, minutes=-1)


@pytest.mark.timeout(60)
@pytest.mark.parametrize(
    ("rule", "all_day"),
    [
        ("FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE", False),
        ("FREQ=DAILY;BYHOUR=9,17", False),
        ("FREQ=HOURLY;INTERVAL=5", False),
        ("FREQ=MINUTELY;INTERVAL=7;BYSECOND=0,30", False),
        ("FREQ=DAILY;COUNT=900", False),
        ("FREQ=DAILY;INTERVAL=3", True),
        ("FREQ=MONTHLY;BYMONTHDAY=31", True),
    ],
)
def test_an_expansion_near_its_range_has_the_instances_of_a_walk_from_the_start(
    rule: str, all_day: bool
) -> None:
    """Restarting a rule near the range keeps its instances there, across daylight-saving
    changes of the series' zone (Paris) and for all-day series."""
    if all_day:
        resource = {"start": {"date": "2024-01-31"}, "end": {"date": "2024-02-01"}}
        first = datetime(2024, 1, 31)
    else:
        resource = {
            "start": {"dateTime": "2024-01-29T10:00:00", "timeZone": "Europe/Paris"},
            "end": {"dateTime": "2024-01-29T10:30:00", "timeZone": "Europe/Paris"},
        }
        first = datetime(2024, 1, 29, 10)
    resource["recurrence"] = [f"RRULE:{rule}"]
    window_start = datetime(2025, 3, 28, tzinfo=UTC)  # across the change of 30 March 2025
    window_end = window_start + timedelta(days=5)
    got = recurrence.expand(
        resource, calendar_tz="Europe/Paris", window_start=window_start, window_end=window_end
    )
    zone = ZoneInfo("Europe/Paris")
    moments = (m.replace(tzinfo=zone) for m in rrulestr(rule, dtstart=first))
    walked = list(takewhile(lambda m: m < window_end, moments))
    length = timedelta(days=1) if all_day else timedelta(minutes=30)
    wanted = [m for m in walked if m + length > window_start and m < window_end]
    assert got.walked_to is None
    assert [occ.start_at for occ in got.occurrences] == wanted
