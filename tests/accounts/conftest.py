"""People for the Google connection tests: Ann connects; Ben is her colleague."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client


@pytest.fixture
def ann(db: None) -> User:
    return User.objects.create_user("ann", password="ann-secret-pw")


@pytest.fixture
def ben(db: None) -> User:
    return User.objects.create_user("ben", password="ben-secret-pw")


@pytest.fixture
def client_ann(ann: User) -> Client:
    client = Client()
    client.force_login(ann)
    return client


@pytest.fixture
def client_ben(ben: User) -> Client:
    client = Client()
    client.force_login(ben)
    return client
