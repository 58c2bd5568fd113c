"""Helpers shared by the API tests: meetings are made through the services, as the product
makes them, and clients authenticate the way scripts do."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib.auth.models import User
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tandem.api.tokens import issue_token, stored_form
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


# The token each user's clients send: the database keeps its hash only, so a second client
# of the same user reuses it rather than make a new one (which would stop the first).
_tokens: dict[int, str] = {}


def token_of(user: User) -> str:
    token = _tokens.get(user.pk)
    if token is None or not Token.objects.filter(user=user, key=stored_form(token)).exists():
        token = _tokens[user.pk] = issue_token(user)
    return token


def token_client(user: User) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_of(user)}")
    return client
