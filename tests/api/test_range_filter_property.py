"""Property: GET /api/v1/meetings/?start=&end= lists a meeting iff it intersects [start, end),
whatever offset the client writes the bounds in."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import User
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tandem.meetings.models import Meeting

from .helpers import MEETINGS_URL, make_meeting, token_client

# A small grid, so meetings often touch the range bounds exactly; it spans Europe's DST change
# (2026-03-29 01:00 UTC).
ORIGIN = datetime(2026, 3, 29, tzinfo=ZoneInfo("UTC"))
QUARTER = timedelta(minutes=15)
CLIENT_ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Pacific/Chatham"]

quarters = st.integers(min_value=0, max_value=16)
intervals = st.tuples(quarters, st.integers(min_value=1, max_value=8)).map(
    lambda pair: (ORIGIN + pair[0] * QUARTER, ORIGIN + (pair[0] + pair[1]) * QUARTER)
)


@pytest.mark.django_db
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    meetings=st.lists(intervals, max_size=8),
    window=intervals,
    zone=st.sampled_from(CLIENT_ZONES),
)
def test_a_meeting_is_listed_iff_it_intersects_the_half_open_range(
    meetings: list[tuple[datetime, datetime]],
    window: tuple[datetime, datetime],
    zone: str,
):
    owner, _ = User.objects.get_or_create(username="property")
    Meeting.objects.filter(owner=owner).delete()  # each example starts from an empty calendar
    created = {make_meeting(owner, start=s, end=e).pk: (s, e) for s, e in meetings}
    start, end = (moment.astimezone(ZoneInfo(zone)).isoformat() for moment in window)

    response = token_client(owner).get(MEETINGS_URL, {"start": start, "end": end, "limit": 500})

    assert response.status_code == 200
    listed = {row["id"] for row in response.json()["results"]}
    expected = {pk for pk, (s, e) in created.items() if s < window[1] and e > window[0]}
    assert listed == expected
