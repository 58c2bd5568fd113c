"""Migration sync/0007 (issue 15, finding 9): each push-channel token stored before it is
replaced by its SHA-256, so a channel Google already holds keeps working and the database
holds no token; going back forgets the channels (a hash gives no token back)."""

from __future__ import annotations

from importlib import import_module

import pytest
from django.apps import apps
from django.contrib.auth.models import User

from tandem.sync.models import CalendarSyncState
from tandem.sync.push import push_channel_owner_id

migration = import_module("tandem.sync.migrations.0007_channel_token_hashed")

pytestmark = pytest.mark.django_db

TOKEN = "a-token-google-holds-since-before-the-migration-0123456789"


def _channel(owner: User, calendar_id: str, token: str) -> CalendarSyncState:
    return CalendarSyncState.objects.create(
        owner=owner,
        google_sub="sub",
        calendar_id=calendar_id,
        channel_id=f"channel-{calendar_id}",
        channel_token_hash=token,  # the renamed column still holds the token itself
    )


def test_a_stored_token_becomes_its_hash_and_its_channel_keeps_working() -> None:
    owner = User.objects.create_user("ann")
    live = _channel(owner, "primary", TOKEN)
    idle = _channel(owner, "team", "")

    migration.hash_tokens(apps, None)

    live.refresh_from_db()
    idle.refresh_from_db()
    assert TOKEN not in live.channel_token_hash and len(live.channel_token_hash) == 64
    assert push_channel_owner_id(channel_id=live.channel_id, token=TOKEN) == owner.pk
    assert push_channel_owner_id(channel_id=live.channel_id, token=live.channel_token_hash) is None
    assert idle.channel_token_hash == ""


def test_going_back_forgets_the_channels() -> None:
    live = _channel(User.objects.create_user("ann"), "primary", TOKEN)
    migration.hash_tokens(apps, None)

    migration.forget_tokens(apps, None)

    live.refresh_from_db()
    assert (live.channel_id, live.channel_token_hash, live.channel_expires_at) == ("", "", None)
