"""`tandem up`'s demo login on a fresh database (the README's first command)."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command

from tandem.accounts.models import Preferences

pytestmark = pytest.mark.django_db


def test_the_demo_users_are_made_on_a_fresh_database_and_again_without_change(
    settings, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    settings.VAR_DIR = tmp_path  # the demo password is kept in var/
    out = io.StringIO()
    call_command("create_demo_user", "--time-zone", "Europe/Berlin", stdout=out)
    username, password = out.getvalue().split()
    demo = User.objects.get(username=username)
    assert demo.check_password(password)
    assert User.objects.filter(username="colleague").exists()
    assert Preferences.objects.get(user=demo).time_zone == "Europe/Berlin"
    again = io.StringIO()
    call_command("create_demo_user", stdout=again)  # a second `tandem up`
    assert again.getvalue().split() == [username, password]
    assert User.objects.count() == 2
