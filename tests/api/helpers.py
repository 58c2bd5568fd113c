"""Helpers shared by the API tests: meetings are made through the services, as the product
makes them, and clients authenticate the way scripts do."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib.auth.models import User
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tandem.meetings.models import Meeting
from tandem.meetings.services import MeetingInput, meeting_create

UTC = ZoneInfo("UTC")
MEETINGS_URL = "/api/v1/meetings/"


def meeting_url(pk: int) -> str:
    return f"{MEETINGS_URL}{pk}/"


def make_meeting(owner: User, **overrides: Any) -> Meeting:
    values: dict[str, Any] = {
        "subject": "Quarterly review",
        "start": datetime(2026, 5, 4, 9, 0, tzinfo=UTC),
        "end": datetime(2026, 5, 4, 10, 0, tzinfo=UTC),
    }
    values.update(overrides)
    read_only = values.pop("read_only", False)
    return meeting_create(owner=owner, data=MeetingInput(**values), read_only=read_only)


def token_client(user: User) -> APIClient:
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client
