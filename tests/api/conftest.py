"""Users and API clients for the API tests."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from rest_framework.test import APIClient

from .helpers import token_client


@pytest.fixture
def alice(db: None) -> User:
    return User.objects.create_user("alice", password="alice-secret-pw")


@pytest.fixture
def bob(db: None) -> User:
    return User.objects.create_user("bob", password="bob-secret-pw")


@pytest.fixture
def api(alice: User) -> APIClient:
    """Alice, signed in with her API token."""
    return token_client(alice)


@pytest.fixture
def bob_api(bob: User) -> APIClient:
    return token_client(bob)
