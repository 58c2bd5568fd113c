"""Changing or cancelling one occurrence of a recurring meeting from the web pages."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from tandem.meetings.models import Meeting
from tandem.meetings.occurrences import occurrence_key, occurrences_between

from .conftest import BERLIN, all_day, timed

SECOND = datetime(2026, 12, 8, 9, tzinfo=BERLIN)  # the series' second Tuesday
KEY = occurrence_key(SECOND)  # 20261208T080000Z


def weekly(owner: User, subject: str = "Team sync") -> Meeting:
    return timed(
        owner,
        subject,
        datetime(2026, 12, 1, 9, tzinfo=BERLIN),
        datetime(2026, 12, 1, 10, tzinfo=BERLIN),
        recurrence=["RRULE:FREQ=WEEKLY;COUNT=4"],
        location="Room 1",
    )


def shown(owner: User) -> list[tuple[str, datetime]]:
    return [
        (o.entry.subject, o.entry.start)
        for o in occurrences_between(
            viewer=owner,
            owner=owner,
            first_day=date(2026, 12, 1),
            end_day=date(2027, 1, 1),
            zone=BERLIN,
        )
    ]


def test_the_calendar_links_each_occurrence_of_a_series_to_its_own_page(
    client_alice: Client, alice: User
) -> None:
    series = weekly(alice)
    html = client_alice.get(
        reverse("calendar"), {"view": "month", "date": "2026-12-01"}
    ).content.decode()
    assert f'href="/meetings/{series.pk}/?occurrence={KEY}"' in html
    assert html.count(f"/meetings/{series.pk}/?occurrence=") == 4

    page = client_alice.get(reverse("meeting-detail", args=[series.pk]), {"occurrence": KEY})
    text = page.content.decode()
    assert 'class="when occurrence-when"' in text
    assert reverse("occurrence-edit", args=[series.pk, KEY]) in text
    assert reverse("occurrence-cancel", args=[series.pk, KEY]) in text
    assert reverse("following-edit", args=[series.pk, KEY]) in text
    assert reverse("following-delete", args=[series.pk, KEY]) in text
    assert "Edit all events" in text and "Delete all events" in text


@pytest.mark.parametrize(
    "key, problem",
    [
        ("yesterday", "does not name an occurrence"),
        ("20261208T083000Z", "no occurrence at that time"),
    ],
)
def test_a_key_that_names_no_occurrence_is_said_so(
    client_alice: Client, alice: User, key: str, problem: str
) -> None:
    series = weekly(alice)
    page = client_alice.get(reverse("meeting-detail", args=[series.pk]), {"occurrence": key})
    assert problem in page.content.decode()
    assert "Edit this event" not in page.content.decode()
    edit = client_alice.get(reverse("occurrence-edit", args=[series.pk, key]), follow=True)
    assert problem in edit.content.decode()


def test_editing_one_occurrence_moves_it_alone(client_alice: Client, alice: User) -> None:
    series = weekly(alice)
    url = reverse("occurrence-edit", args=[series.pk, KEY])
    form = client_alice.get(url).content.decode()
    assert 'name="start_date" value="2026-12-08"' in form
    assert 'name="start_time" value="09:00"' in form
    assert "only" in form

    response = client_alice.post(
        url,
        {
            "subject": "Team sync (moved)",
            "start_date": "2026-12-08",
            "start_time": "14:00",
            "end_date": "2026-12-08",
            "end_time": "15:00",
            "time_zone": "Europe/Berlin",
            "location": "Room 2",
            "description": "",
            "visibility": "default",
        },
    )

    row = Meeting.objects.get(owner=alice, series=series)
    assert response.status_code == 302 and response.url == reverse("meeting-detail", args=[row.pk])
    assert row.original_start == SECOND and row.location == "Room 2" and row.recurrence == []
    assert shown(alice) == [
        ("Team sync", datetime(2026, 12, 1, 9, tzinfo=BERLIN)),
        ("Team sync (moved)", datetime(2026, 12, 8, 14, tzinfo=BERLIN)),
        ("Team sync", datetime(2026, 12, 15, 9, tzinfo=BERLIN)),
        ("Team sync", datetime(2026, 12, 22, 9, tzinfo=BERLIN)),
    ]
    series.refresh_from_db()
    assert series.version == 1, "the series itself is untouched"
    detail = client_alice.get(reverse("meeting-detail", args=[row.pk])).content.decode()
    assert "One occurrence of" in detail and reverse("meeting-detail", args=[series.pk]) in detail
    # The slot is taken now: it cannot be changed a second time from the series.
    again = client_alice.get(url, follow=True).content.decode()
    assert "already changed or cancelled" in again


def test_a_bad_occurrence_form_shows_its_errors_and_saves_nothing(
    client_alice: Client, alice: User
) -> None:
    series = weekly(alice)
    response = client_alice.post(
        reverse("occurrence-edit", args=[series.pk, KEY]),
        {
            "subject": "",
            "start_date": "2026-12-08",
            "start_time": "25:00",
            "time_zone": "Mars/Base",
        },
    )
    assert response.status_code == 200
    assert "A meeting needs a subject." in response.content.decode()
    assert not Meeting.objects.filter(series=series).exists()


def test_cancelling_one_occurrence_asks_then_hides_it_alone(
    client_alice: Client, alice: User
) -> None:
    series = weekly(alice)
    url = reverse("occurrence-cancel", args=[series.pk, KEY])
    assert "Cancel this occurrence" in client_alice.get(url).content.decode()
    assert not Meeting.objects.filter(series=series).exists(), "GET only asks"

    response = client_alice.post(url)

    assert response.status_code == 302
    assert [start.day for _, start in shown(alice)] == [1, 15, 22]
    hidden = Meeting.objects.get(series=series)
    assert hidden.is_cancelled_occurrence and hidden.original_start == SECOND
    # Not a meeting of its own: no page, not listed.
    assert client_alice.get(reverse("meeting-detail", args=[hidden.pk])).status_code == 404


def test_an_all_day_series_occurrence_can_be_cancelled(client_alice: Client, alice: User) -> None:
    series = all_day(
        alice,
        "Offsite",
        date(2026, 12, 1),
        date(2026, 12, 3),
        recurrence=["RRULE:FREQ=WEEKLY;COUNT=3"],
    )
    key = occurrence_key(datetime(2026, 12, 8, tzinfo=BERLIN))
    assert client_alice.post(reverse("occurrence-cancel", args=[series.pk, key])).status_code == 302
    hidden = Meeting.objects.get(series=series)
    assert (hidden.start_date, hidden.end_date) == (date(2026, 12, 8), date(2026, 12, 10))


def test_occurrence_changes_need_post_with_csrf_and_are_the_owners_alone(
    alice: User, client_bob: Client
) -> None:
    series = weekly(alice, subject="<script>alert(1)</script>")
    careful = Client(enforce_csrf_checks=True)
    careful.force_login(alice)
    for name in ("occurrence-edit", "occurrence-cancel"):
        url = reverse(name, args=[series.pk, KEY])
        assert careful.post(url, {"subject": "X"}).status_code == 403, name
        assert client_bob.get(url).status_code == 404, name
        assert client_bob.post(url, {"subject": "X"}).status_code == 404, name
        page = careful.get(url).content.decode()
        assert "<script>alert(1)</script>" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert not Meeting.objects.filter(series=series).exists()


def test_a_read_only_series_cannot_be_changed_one_occurrence_at_a_time(
    client_alice: Client, alice: User
) -> None:
    series = weekly(alice)
    Meeting.objects.filter(pk=series.pk).update(read_only=True)
    page = client_alice.get(reverse("meeting-detail", args=[series.pk]), {"occurrence": KEY})
    assert "Edit this event" not in page.content.decode()
    response = client_alice.post(reverse("occurrence-cancel", args=[series.pk, KEY]), follow=True)
    assert "cannot edit" in response.content.decode()
    assert not Meeting.objects.filter(series=series).exists()
