"""People and signed-in clients for the web page tests."""

from __future__ import annotations

import zoneinfo
from datetime import date, datetime

import pytest
from django.contrib.auth.models import User
from django.test import Client

from tandem.accounts.selectors import preferences_for
from tandem.meetings.models import Meeting
from tandem.meetings.services import MeetingInput, meeting_create

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")


@pytest.fixture
def alice(db: None) -> User:
    """Alice works in Berlin."""
    user = User.objects.create_user("alice", password="alice-secret-pw", first_name="Alice")
    preferences = preferences_for(user=user)
    preferences.time_zone = "Europe/Berlin"
    preferences.save()
    return user


@pytest.fixture
def bob(db: None) -> User:
    return User.objects.create_user("bob", password="bob-secret-pw", first_name="Bob")


@pytest.fixture
def client_alice(alice: User) -> Client:
    client = Client()
    client.force_login(alice)
    return client


@pytest.fixture
def client_bob(bob: User) -> Client:
    client = Client()
    client.force_login(bob)
    return client


def timed(
    owner: User,
    subject: str,
    start: datetime,
    end: datetime,
    *,
    zone: str = "Europe/Berlin",
    **fields: object,
) -> Meeting:
    return meeting_create(
        owner=owner,
        data=MeetingInput(subject=subject, start=start, end=end, time_zone=zone, **fields),  # type: ignore[arg-type]
    )


def all_day(owner: User, subject: str, first_day: date, end_day: date, **fields: object) -> Meeting:
    """``end_day`` is exclusive, as the model stores it."""
    return meeting_create(
        owner=owner,
        data=MeetingInput(
            subject=subject,
            all_day=True,
            start_date=first_day,
            end_date=end_day,
            time_zone="Europe/Berlin",
            **fields,  # type: ignore[arg-type]
        ),
    )
