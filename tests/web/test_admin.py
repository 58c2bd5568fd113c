"""Django admin for operators."""

from __future__ import annotations

from datetime import datetime

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from tandem.meetings.models import Meeting

from .conftest import BERLIN, timed


@pytest.fixture
def operator(db: None) -> Client:
    admin = User.objects.create_superuser("operator", password="operator-secret-pw")
    client = Client()
    client.force_login(admin)
    return client


def test_operators_find_meetings_by_subject_and_filter_them(operator: Client, alice: User) -> None:
    """The meeting list searches subjects and filters by owner, visibility and deletion."""
    timed(
        alice,
        "Budget review",
        datetime(2026, 11, 24, 9, tzinfo=BERLIN),
        datetime(2026, 11, 24, 10, tzinfo=BERLIN),
        visibility="private",
    )
    timed(
        alice,
        "Lunch",
        datetime(2026, 11, 24, 12, tzinfo=BERLIN),
        datetime(2026, 11, 24, 13, tzinfo=BERLIN),
    )
    changelist = reverse("admin:meetings_meeting_changelist")
    found = operator.get(changelist, {"q": "lunch"}).content.decode()
    assert "Lunch" in found and "Busy" not in found
    # Alice's private meeting is Busy to the operator (tests/web/test_admin_privacy.py).
    private = operator.get(changelist, {"visibility__exact": "private"}).content.decode()
    assert "Busy" in private and "Lunch" not in private
    deleted = operator.get(changelist, {"deleted": "yes"}).content.decode()
    assert "Busy" not in deleted and "Lunch" not in deleted
    by_owner = operator.get(changelist, {"owner__id__exact": str(alice.pk)}).content.decode()
    assert "Busy" in by_owner and "Lunch" in by_owner


def test_the_delete_action_leaves_a_restorable_tombstone(operator: Client, alice: User) -> None:
    """The admin's delete action soft-deletes through the services; restore brings it back."""
    meeting = timed(
        alice,
        "Old",
        datetime(2026, 11, 24, 9, tzinfo=BERLIN),
        datetime(2026, 11, 24, 10, tzinfo=BERLIN),
    )
    changelist = reverse("admin:meetings_meeting_changelist")
    operator.post(changelist, {"action": "soft_delete", "_selected_action": [meeting.pk]})
    meeting.refresh_from_db()
    assert meeting.is_deleted and meeting.version == 2
    operator.post(changelist, {"action": "restore", "_selected_action": [meeting.pk]})
    meeting.refresh_from_db()
    assert not meeting.is_deleted and meeting.version == 3


def test_an_admin_edit_goes_through_the_services(operator: Client, alice: User) -> None:
    """Changing a subject in the admin bumps the version, as the sync engine expects."""
    meeting = timed(
        alice,
        "Typo",
        datetime(2026, 11, 24, 9, tzinfo=BERLIN),
        datetime(2026, 11, 24, 10, tzinfo=BERLIN),
    )
    change = reverse("admin:meetings_meeting_change", args=[meeting.pk])
    form = operator.get(change).context["adminform"].form
    data = {
        name: value
        for name, value in form.initial.items()
        if value is not None and name != "recurrence"
    }
    data |= {
        "owner": alice.pk,
        "subject": "Fixed",
        "start_0": "2026-11-24",
        "start_1": "08:00:00",
        "end_0": "2026-11-24",
        "end_1": "09:00:00",
        "recurrence": "[]",
        "all_day": "",
        "is_cancelled_occurrence": "",
    }
    data = {key: value for key, value in data.items() if value not in (False, "")}
    response = operator.post(change, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    meeting.refresh_from_db()
    assert meeting.subject == "Fixed" and meeting.version == 2


def test_preferences_are_in_the_admin(operator: Client, alice: User) -> None:
    """Operators can list users' preferences."""
    html = operator.get(reverse("admin:accounts_preferences_changelist")).content.decode()
    assert "Europe/Berlin" in html


def test_hard_delete_is_not_offered(operator: Client, alice: User) -> None:
    """A meeting cannot be removed for good from the admin (it would skip the tombstone)."""
    meeting = timed(
        alice,
        "Stay",
        datetime(2026, 11, 24, 9, tzinfo=BERLIN),
        datetime(2026, 11, 24, 10, tzinfo=BERLIN),
    )
    response = operator.post(reverse("admin:meetings_meeting_delete", args=[meeting.pk]))
    assert response.status_code == 403
    assert Meeting.objects.filter(pk=meeting.pk).exists()


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [
        ("0001-01-01", "0001-01-01", "start"),  # issue 15: refused in save_model, a 500
        ("9999-12-31", "9999-12-31", "end"),
        ("2026-11-24", "2026-11-23", "end"),  # the end before the start
    ],
)
def test_a_meeting_the_services_refuse_is_an_admin_form_error(
    operator: Client, alice: User, start: str, end: str, field: str
) -> None:
    add = reverse("admin:meetings_meeting_add")
    response = operator.post(
        add,
        {
            "owner": alice.pk,
            "subject": "Far off",
            "start_0": start,
            "start_1": "10:00:00",
            "end_0": end,
            "end_1": "11:00:00",
            "time_zone": "Europe/Berlin",
            "visibility": "default",
            "recurrence": "[]",
        },
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors[field]
    assert not Meeting.objects.exists()


def test_moving_a_masked_meeting_out_of_range_is_a_form_error_and_keeps_it(
    operator: Client, alice: User
) -> None:
    meeting = timed(
        alice,
        "Doctor",
        datetime(2026, 11, 24, 9, tzinfo=BERLIN),
        datetime(2026, 11, 24, 10, tzinfo=BERLIN),
        visibility="private",
    )
    change = reverse("admin:meetings_meeting_change", args=[meeting.pk])
    response = operator.post(
        change,
        {
            "owner": alice.pk,
            "start_0": "9999-12-31",
            "start_1": "09:00:00",
            "end_0": "9999-12-31",
            "end_1": "10:00:00",
            "time_zone": "Europe/Berlin",
            "recurrence": "[]",
        },
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["start"]
    meeting.refresh_from_db()
    assert meeting.start.year == 2026 and meeting.subject == "Doctor" and meeting.version == 1
