from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser

from tandem.accounts.models import Preferences


def preferences_for(*, user: AbstractBaseUser) -> Preferences:
    """The user's preferences, created with defaults the first time they are needed."""
    preferences, _ = Preferences.objects.get_or_create(user=user)
    return preferences
