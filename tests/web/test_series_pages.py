"""Recurring meetings made and changed from the pages: the Repeat choices, a custom rule,
the rule in words, an occurrence's own time, the three scopes, and the warning before a
change of the whole series resets occurrences changed alone."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from tandem.meetings.models import Meeting
from tandem.meetings.occurrence_edits import occurrence_change
from tandem.meetings.occurrences import occurrence_key
from tandem.meetings.services import MeetingInput

from .conftest import BERLIN, timed

MONDAY = datetime(2026, 12, 7, 9, tzinfo=BERLIN)
FORM = {
    "subject": "Client call",
    "start_date": "2026-12-07",
    "start_time": "09:00",
    "end_date": "2026-12-07",
    "end_time": "10:00",
    "time_zone": "Europe/Berlin",
    "visibility": "default",
    "repeat-interval": "1",
    "repeat-ends": "never",
    "repeat-monthly": "day",
}


def weekly(owner: User, rule: str = "RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=6") -> Meeting:
    return timed(owner, "Client call", MONDAY, MONDAY + timedelta(hours=1), recurrence=[rule])


@pytest.mark.parametrize(
    "choices, rule",
    [
        (
            {
                "repeat-frequency": "WEEKLY",
                "repeat-weekdays": ["MO", "TH"],
                "repeat-ends": "after",
                "repeat-count": "10",
            },
            "RRULE:FREQ=WEEKLY;BYDAY=MO,TH;COUNT=10",
        ),
        (
            {"repeat-frequency": "MONTHLY", "repeat-monthly": "weekday"},
            "RRULE:FREQ=MONTHLY;BYDAY=1MO",
        ),
        (
            {
                "repeat-frequency": "DAILY",
                "repeat-interval": "2",
                "repeat-ends": "on",
                "repeat-until": "2026-12-31",
            },
            "RRULE:FREQ=DAILY;INTERVAL=2;UNTIL=20261231T225959Z",
        ),
        (
            {
                "repeat-frequency": "CUSTOM",
                "repeat-custom": " RRULE:FREQ=MONTHLY;BYSETPOS=-1;BYDAY=MO,TU,WE,TH,FR \r\n",
            },
            "RRULE:FREQ=MONTHLY;BYSETPOS=-1;BYDAY=MO,TU,WE,TH,FR",
        ),
    ],
)
def test_the_form_creates_a_series(
    client_alice: Client, alice: User, choices: dict[str, Any], rule: str
) -> None:
    response = client_alice.post(reverse("meeting-create"), {**FORM, **choices})
    assert response.status_code == 302
    assert Meeting.objects.get(owner=alice).recurrence == [rule]


def test_does_not_repeat_makes_a_single_meeting(client_alice: Client, alice: User) -> None:
    client_alice.post(reverse("meeting-create"), {**FORM, "repeat-frequency": ""})
    assert Meeting.objects.get(owner=alice).recurrence == []


@pytest.mark.parametrize(
    "choices, field, words",
    [
        (
            {"repeat-frequency": "CUSTOM", "repeat-custom": "RRULE:FREQ=HOURLY"},
            "custom",
            "more often than daily",
        ),
        ({"repeat-frequency": "CUSTOM", "repeat-custom": ""}, "custom", "Write the rule"),
        ({"repeat-frequency": "WEEKLY", "repeat-ends": "after"}, "count", "how many times"),
        ({"repeat-frequency": "WEEKLY", "repeat-ends": "on"}, "until", "Enter the last day"),
    ],
)
def test_a_bad_repeat_is_said_next_to_the_repeat_choices_and_nothing_is_saved(
    client_alice: Client, alice: User, choices: dict[str, str], field: str | None, words: str
) -> None:
    response = client_alice.post(reverse("meeting-create"), {**FORM, **choices})
    assert response.status_code == 200
    repeat_form = response.context["repeat_form"]
    assert any(words in message for message in repeat_form.errors.get(field or "__all__", []))
    assert not Meeting.objects.exists()


@pytest.mark.parametrize(
    "choices, field, words",
    [
        (
            {"repeat-frequency": "WEEKLY", "repeat-ends": "on", "repeat-until": "2026-12-06"},
            "until",
            "ends on 2026-12-06 at 23:59",
        ),
        (
            {"all_day": "on", "repeat-frequency": "DAILY", "repeat-ends": "on"}
            | {"repeat-until": "2026-12-06"},
            "until",
            "ends on 2026-12-06 (UNTIL=20261206), before it starts on 2026-12-07",
        ),
        (
            {"repeat-frequency": "CUSTOM", "repeat-custom": "RRULE:FREQ=DAILY;UNTIL=20261206"}
            | {"all_day": "on"},
            "custom",
            "choose a last day on or after 2026-12-07",
        ),
    ],
)
def test_a_series_that_ends_before_it_starts_is_said_on_its_last_day_and_not_saved(
    client_alice: Client, alice: User, choices: dict[str, str], field: str, words: str
) -> None:
    response = client_alice.post(reverse("meeting-create"), {**FORM, **choices})
    assert response.status_code == 200
    errors = response.context["repeat_form"].errors
    assert any(words in message for message in errors.get(field, [])), errors
    assert words in response.content.decode().replace("&#x27;", "'")
    assert not Meeting.objects.exists()


def test_a_series_moved_after_its_last_day_is_refused(client_alice: Client, alice: User) -> None:
    series = weekly(alice, "RRULE:FREQ=WEEKLY;BYDAY=MO;UNTIL=20261221T225959Z")
    body = {
        **FORM,
        "start_date": "2027-01-04",
        "end_date": "2027-01-04",
        "repeat-frequency": "WEEKLY",
        "repeat-weekdays": ["MO"],
        "repeat-ends": "on",
        "repeat-until": "2026-12-21",
    }
    response = client_alice.post(reverse("meeting-edit", args=[series.pk]), body)
    assert response.status_code == 200
    (message,) = response.context["repeat_form"].errors["until"]
    assert "2026-12-21 at 23:59" in message and "2027-01-04 at 09:00" in message
    series.refresh_from_db()
    assert (series.start, series.version) == (MONDAY, 1)


def test_the_edit_form_shows_the_rule_as_choices(client_alice: Client, alice: User) -> None:
    series = weekly(alice)
    form = client_alice.get(reverse("meeting-edit", args=[series.pk])).context["repeat_form"]
    assert form.initial["frequency"] == "WEEKLY"
    assert form.initial["weekdays"] == ["MO"] and form.initial["count"] == 6


def test_a_rule_the_choices_cannot_show_is_kept_as_written(
    client_alice: Client, alice: User
) -> None:
    lines = ["RRULE:FREQ=WEEKLY;WKST=SU;INTERVAL=2;BYDAY=MO", "EXDATE:20261221T080000Z"]
    series = timed(alice, "Call", MONDAY, MONDAY + timedelta(hours=1), recurrence=lines)
    page = client_alice.get(reverse("meeting-edit", args=[series.pk]))
    assert page.context["repeat_form"].initial == {
        "frequency": "CUSTOM",
        "custom": "\n".join(lines),
    }
    client_alice.post(
        reverse("meeting-edit", args=[series.pk]),
        {
            **FORM,
            "subject": "Renamed",
            "repeat-frequency": "CUSTOM",
            "repeat-custom": "\r\n".join(lines),
        },
    )
    series.refresh_from_db()
    assert series.subject == "Renamed" and series.recurrence == lines


def test_unchanged_choices_keep_the_rule_exactly_as_google_wrote_it(
    client_alice: Client, alice: User
) -> None:
    series = weekly(alice, rule="RRULE:FREQ=WEEKLY;WKST=SU;BYDAY=MO")
    client_alice.post(
        reverse("meeting-edit", args=[series.pk]),
        {**FORM, "repeat-frequency": "WEEKLY", "repeat-weekdays": ["MO"]},
    )
    series.refresh_from_db()
    assert series.recurrence == ["RRULE:FREQ=WEEKLY;WKST=SU;BYDAY=MO"] and series.version == 1


def test_the_page_shows_the_rule_in_words_and_the_occurrences_own_time(
    client_alice: Client, alice: User
) -> None:
    series = weekly(alice, rule="RRULE:FREQ=WEEKLY;BYDAY=MO,TH;COUNT=10")
    third = MONDAY + timedelta(days=7)
    page = client_alice.get(
        reverse("meeting-detail", args=[series.pk]), {"occurrence": occurrence_key(third)}
    ).content.decode()
    assert '<span class="rule-words">Weekly on Monday and Thursday, 10 times</span>' in page
    when = page.split('class="when occurrence-when">')[1].split("</dd>")[0]
    assert "2026-12-14 09:00" in when and "2026-12-07" not in when


def test_a_custom_rule_is_shown_as_stored_beside_its_words(
    client_alice: Client, alice: User
) -> None:
    series = weekly(alice, rule="RRULE:FREQ=MONTHLY;BYSETPOS=-1;BYDAY=MO,TU,WE,TH,FR")
    page = client_alice.get(reverse("meeting-detail", args=[series.pk])).content.decode()
    assert "<code>RRULE:FREQ=MONTHLY;BYSETPOS=-1;BYDAY=MO,TU,WE,TH,FR</code>" in page
    assert '<details class="rule-lines">' not in page  # not folded away


def _changed_alone(series: Meeting, week: int) -> Meeting:
    slot = MONDAY + timedelta(weeks=week)
    return occurrence_change(
        series=series,
        original_start=slot,
        data=MeetingInput(
            subject=f"Moved call {week}",
            start=slot + timedelta(hours=2),
            end=slot + timedelta(hours=3),
            time_zone="Europe/Berlin",
        ),
    )


def test_changing_the_whole_series_says_what_it_keeps_and_resets_before_saving(
    client_alice: Client, alice: User
) -> None:
    series = weekly(alice)
    kept, reset = _changed_alone(series, 1), _changed_alone(series, 4)
    body = {
        **FORM,
        "repeat-frequency": "WEEKLY",
        "repeat-weekdays": ["MO"],
        "repeat-ends": "after",
        "repeat-count": "3",
    }
    first = client_alice.post(reverse("meeting-edit", args=[series.pk]), body)
    assert first.status_code == 200
    preview = first.context["preview"]
    assert preview.kept == [kept] and preview.reset == [reset]
    html = first.content.decode()
    assert "Moved call 1" in html.split('class="kept"')[1].split("</ul>")[0]
    assert "Moved call 4" in html.split('class="reset"')[1].split("</ul>")[0]
    series.refresh_from_db()
    assert series.version == 1  # nothing saved yet

    # A confirmation of another change than the one previewed saves nothing.
    other = {**body, "repeat-count": "2", "confirm": preview.token}
    assert client_alice.post(reverse("meeting-edit", args=[series.pk]), other).status_code == 200

    second = client_alice.post(
        reverse("meeting-edit", args=[series.pk]), {**body, "confirm": preview.token}
    )
    assert second.status_code == 302
    assert list(Meeting.objects.alive().filter(series=series)) == [kept]


def test_a_change_that_moves_no_occurrence_needs_no_confirmation(
    client_alice: Client, alice: User
) -> None:
    series = weekly(alice)
    _changed_alone(series, 1)
    body = {
        **FORM,
        "subject": "Renamed",
        "repeat-frequency": "WEEKLY",
        "repeat-weekdays": ["MO"],
        "repeat-ends": "after",
        "repeat-count": "6",
    }
    assert client_alice.post(reverse("meeting-edit", args=[series.pk]), body).status_code == 302


def test_this_and_following_from_the_page(client_alice: Client, alice: User) -> None:
    series = weekly(alice)
    _changed_alone(series, 4)
    key = occurrence_key(MONDAY + timedelta(weeks=3))
    url = reverse("following-edit", args=[series.pk, key])
    page = client_alice.get(url)
    assert page.context["repeat_form"].initial["count"] == 3  # what is left of COUNT=6
    assert "Moved call 4" in page.content.decode()  # reset, said before saving
    body = {
        **FORM,
        "subject": "Client call (new time)",
        "start_date": "2026-12-28",
        "end_date": "2026-12-28",
        "start_time": "11:00",
        "end_time": "12:00",
        "repeat-frequency": "WEEKLY",
        "repeat-weekdays": ["MO"],
        "repeat-ends": "after",
        "repeat-count": "3",
    }
    response = client_alice.post(url, body)
    new = Meeting.objects.get(subject="Client call (new time)")
    assert response.status_code == 302 and response["Location"] == reverse(
        "meeting-detail", args=[new.pk]
    )
    series.refresh_from_db()
    assert series.recurrence == ["RRULE:FREQ=WEEKLY;BYDAY=MO;UNTIL=20261221T225959Z"]
    assert new.recurrence == ["RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=3"]
    assert not Meeting.objects.alive().filter(series=series).exists()


def test_delete_this_and_following_from_the_page(client_alice: Client, alice: User) -> None:
    series = weekly(alice)
    url = reverse("following-delete", args=[series.pk, occurrence_key(MONDAY + timedelta(weeks=2))])
    assert "Delete this and following events" in client_alice.get(url).content.decode()
    series.refresh_from_db()
    assert series.version == 1  # GET never writes
    client_alice.post(url)
    series.refresh_from_db()
    assert series.recurrence == ["RRULE:FREQ=WEEKLY;BYDAY=MO;UNTIL=20261214T225959Z"]


def test_another_users_series_has_no_following_pages(client_bob: Client, alice: User) -> None:
    series = weekly(alice)
    key = occurrence_key(MONDAY + timedelta(weeks=2))
    assert client_bob.get(reverse("following-edit", args=[series.pk, key])).status_code == 404
    assert client_bob.post(reverse("following-delete", args=[series.pk, key])).status_code == 404
    series.refresh_from_db()
    assert series.version == 1


def test_the_rule_in_words_on_the_delete_and_deleted_pages(
    client_alice: Client, alice: User
) -> None:
    series = weekly(alice)
    words = "Weekly on Monday, 6 times"
    assert words in client_alice.get(reverse("meeting-delete", args=[series.pk])).content.decode()
    client_alice.post(reverse("meeting-delete", args=[series.pk]))
    assert words in client_alice.get(reverse("meetings-deleted")).content.decode()


def test_an_occurrence_changed_alone_offers_the_three_scopes_and_starts_following_from_it(
    client_alice: Client, alice: User
) -> None:
    series = weekly(alice)
    row = _changed_alone(series, 2)
    key = occurrence_key(MONDAY + timedelta(weeks=2))
    page = client_alice.get(reverse("meeting-detail", args=[row.pk])).content.decode()
    assert reverse("following-edit", args=[series.pk, key]) in page
    assert reverse("following-delete", args=[series.pk, key]) in page
    assert reverse("meeting-edit", args=[series.pk]) in page

    form = client_alice.get(reverse("following-edit", args=[series.pk, key])).context["form"]
    assert (
        form.initial["subject"] == "Moved call 2" and str(form.initial["start_time"]) == "11:00:00"
    )
    client_alice.post(reverse("following-delete", args=[series.pk, key]))
    series.refresh_from_db()
    assert series.recurrence == ["RRULE:FREQ=WEEKLY;BYDAY=MO;UNTIL=20261214T225959Z"]
    assert Meeting.objects.get(pk=row.pk).is_deleted  # a tombstone: the sync deletes its event
