"""Another user's meeting does not exist for you: 404 on every verb, and nothing changes."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from rest_framework.test import APIClient

from .helpers import MEETINGS_URL, make_meeting, meeting_url

BODY = {"subject": "Hijacked", "start": "2026-05-04T09:00:00Z", "end": "2026-05-04T10:00:00Z"}


@pytest.mark.parametrize("method", ["get", "put", "patch", "delete"])
def test_another_users_meeting_is_a_404_on_every_verb(api: APIClient, bob: User, method: str):
    meeting = make_meeting(bob, subject="Bob's secret plan")
    response = getattr(api, method)(meeting_url(meeting.pk), BODY, format="json")
    assert response.status_code == 404
    assert "secret" not in response.content.decode()
    meeting.refresh_from_db()
    assert meeting.subject == "Bob's secret plan"
    assert meeting.deleted_at is None
    assert meeting.version == 1


def test_another_users_deleted_meeting_cannot_be_restored(
    api: APIClient, bob_api: APIClient, bob: User
):
    meeting = make_meeting(bob)
    bob_api.delete(meeting_url(meeting.pk))
    response = api.post(f"{meeting_url(meeting.pk)}restore/")
    assert response.status_code == 404
    meeting.refresh_from_db()
    assert meeting.deleted_at is not None


def test_another_users_meeting_answers_like_a_missing_one(api: APIClient, bob: User):
    """The 404 body is the same as for an id that never existed, so ids leak nothing."""
    meeting = make_meeting(bob)
    assert api.get(meeting_url(meeting.pk)).json() == api.get(meeting_url(999_999)).json()


def test_the_list_never_contains_another_users_meetings(api: APIClient, alice: User, bob: User):
    mine = make_meeting(alice, subject="Mine")
    make_meeting(bob, subject="Bob's")
    body = api.get(MEETINGS_URL).json()
    assert [row["id"] for row in body["results"]] == [mine.pk]


def test_a_created_meeting_belongs_to_the_caller_whatever_the_body_says(
    api: APIClient, alice: User, bob: User
):
    """owner and id in the body are ignored: nobody creates meetings for someone else."""
    response = api.post(MEETINGS_URL, {**BODY, "owner": bob.pk, "id": 1}, format="json")
    assert response.status_code == 201
    assert not bob.meetings.exists()
    assert alice.meetings.get().subject == "Hijacked"
