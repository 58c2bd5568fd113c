"""/api/v1/users/<username>/meetings/: a colleague's calendar, private meetings as Busy."""

from __future__ import annotations

from datetime import date

import pytest
from django.contrib.auth.models import User
from rest_framework.test import APIClient

from .helpers import make_meeting

RANGE = {"start": "2026-05-01T00:00:00Z", "end": "2026-06-01T00:00:00Z"}


def colleague_url(username: str) -> str:
    return f"/api/v1/users/{username}/meetings/"


@pytest.mark.parametrize("visibility", ["private", "confidential"])
def test_a_private_meeting_shows_as_busy_to_colleagues(api: APIClient, bob: User, visibility: str):
    make_meeting(
        bob,
        subject="Job interview elsewhere",
        description="Do not tell Alice",
        location="Competitor HQ",
        visibility=visibility,
    )
    response = api.get(colleague_url("bob"), RANGE)
    assert response.status_code == 200
    [entry] = response.json()
    assert entry["subject"] == "Busy"
    assert entry["description"] == "" and entry["location"] == ""
    assert entry["busy"] is True
    assert entry["start"] is not None and entry["end"] is not None
    for secret in ("interview", "Do not tell", "Competitor"):
        assert secret not in response.content.decode()


@pytest.mark.parametrize("visibility", ["default", "public"])
def test_a_normal_meeting_shows_its_details_to_colleagues(
    api: APIClient, bob: User, visibility: str
):
    make_meeting(bob, subject="Team lunch", location="Canteen", visibility=visibility)
    [entry] = api.get(colleague_url("bob"), RANGE).json()
    assert entry["subject"] == "Team lunch"
    assert entry["location"] == "Canteen"
    assert entry["busy"] is False


def test_an_admin_also_sees_only_busy(bob: User):
    """Being staff or superuser does not lift the mask (DESIGN: admins included)."""
    from .helpers import token_client

    admin = User.objects.create_superuser("root", password="root-secret-pw")
    make_meeting(bob, subject="Doctor", visibility="private")
    [entry] = token_client(admin).get(colleague_url("bob"), RANGE).json()
    assert entry["subject"] == "Busy"


def test_the_owner_sees_her_own_private_meetings_in_full(api: APIClient, alice: User):
    make_meeting(alice, subject="Doctor", visibility="private")
    [entry] = api.get(colleague_url("alice"), RANGE).json()
    assert entry["subject"] == "Doctor"
    assert entry["busy"] is False


def test_colleague_calendar_lists_only_the_range_and_no_tombstones(
    api: APIClient, bob: User, bob_api: APIClient
):
    inside = make_meeting(bob, subject="In May")
    make_meeting(
        bob,
        subject="In July",
        all_day=True,
        start=None,
        end=None,
        start_date=date(2026, 7, 1),
        end_date=date(2026, 7, 2),
    )
    deleted = make_meeting(bob, subject="Cancelled")
    bob_api.delete(f"/api/v1/meetings/{deleted.pk}/")
    entries = api.get(colleague_url("bob"), RANGE).json()
    assert [entry["id"] for entry in entries] == [inside.pk]


def test_colleague_calendar_needs_a_range(api: APIClient, bob: User):
    response = api.get(colleague_url("bob"))
    assert response.status_code == 400
    assert set(response.json()) == {"start", "end"}


def test_an_unknown_colleague_is_a_404(api: APIClient):
    assert api.get(colleague_url("nobody"), RANGE).status_code == 404


def test_an_inactive_colleague_is_a_404(api: APIClient):
    User.objects.create_user("former", is_active=False)
    assert api.get(colleague_url("former"), RANGE).status_code == 404


def test_colleague_calendar_needs_authentication(bob: User):
    make_meeting(bob)
    assert APIClient().get(colleague_url("bob"), RANGE).status_code == 401
