"""Sign-in lockout (issue 15, finding 1; django-axes): wrong passwords for one account from
one address lock that pair out, with a page that says so, on the product's sign-in page and
the admin's alike; the right password then does not get in; an administrator unlocks it."""

from __future__ import annotations

from typing import Any

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client

LIMIT = 5


@pytest.fixture(autouse=True)
def lockout_on(settings: Any) -> None:
    settings.AXES_ENABLED = True  # off for the rest of the suite (config/settings/test.py)
    settings.AXES_FAILURE_LIMIT = LIMIT


@pytest.fixture
def dora(db: None) -> User:
    return User.objects.create_user("dora", password="dora-right-pw", is_staff=True)


def _sign_in(client: Client, path: str, password: str, address: str = "10.0.0.1"):
    return client.post(path, {"username": "dora", "password": password}, REMOTE_ADDR=address)


@pytest.mark.parametrize("path", ["/login/", "/admin/login/"])
def test_wrong_passwords_lock_the_account_out_from_that_address(dora: User, path: str) -> None:
    client = Client()
    for _ in range(LIMIT - 1):
        assert _sign_in(client, path, "guess").status_code == 200  # the form, with its error

    locked = _sign_in(client, path, "guess")
    right = _sign_in(client, path, "dora-right-pw")

    for response in (locked, right):
        assert response.status_code == 429
        page = response.content.decode()
        assert "Too many failed sign-in attempts" in page
        assert "locked for 15 minutes" in page
    assert "_auth_user_id" not in client.session


def test_another_address_still_signs_in(dora: User) -> None:
    for _ in range(LIMIT):
        _sign_in(Client(), "/login/", "guess")

    response = _sign_in(Client(), "/login/", "dora-right-pw", address="10.0.0.2")

    assert response.status_code == 302


def test_fewer_failures_than_the_limit_then_the_right_password_signs_in(dora: User) -> None:
    client = Client()
    for _ in range(LIMIT - 1):
        _sign_in(client, "/login/", "guess")

    assert _sign_in(client, "/login/", "dora-right-pw").status_code == 302
    assert not AccessAttempt.objects.exists()  # a success forgets the failures


def test_an_administrator_unlocks_the_account(dora: User) -> None:
    for _ in range(LIMIT):
        _sign_in(Client(), "/login/", "guess")
    assert _sign_in(Client(), "/login/", "dora-right-pw").status_code == 429

    call_command("axes_reset_username", "dora")

    assert _sign_in(Client(), "/login/", "dora-right-pw").status_code == 302


def test_the_admin_lists_the_lockout_for_an_administrator_to_delete(dora: User) -> None:
    for _ in range(LIMIT):
        _sign_in(Client(), "/login/", "guess")
    admin = Client()
    admin.force_login(User.objects.create_superuser("root", password="root-pw"))
    attempt = AccessAttempt.objects.get(username="dora")

    listed = admin.get("/admin/axes/accessattempt/").content.decode()
    deleted = admin.post(
        "/admin/axes/accessattempt/",
        {"action": "delete_selected", "_selected_action": [attempt.pk], "post": "yes"},
    )

    assert "dora" in listed
    assert deleted.status_code == 302
    assert _sign_in(Client(), "/login/", "dora-right-pw").status_code == 302
