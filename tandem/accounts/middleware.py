"""Activates the signed-in user's time zone, so templates show times in it."""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from tandem.accounts.selectors import preferences_for


class UserTimezoneMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            preferences = preferences_for(user=user)
            request.preferences = preferences  # type: ignore[attr-defined]
            timezone.activate(zoneinfo.ZoneInfo(preferences.time_zone))
        else:
            timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
