"""API throttles (issue 15, finding 1): per client address and per signed-in user.

The address throttle runs inside authentication, before any credential is checked: DRF
checks its throttles only after authentication succeeded, so a client trying tokens (each
answered 401) was never slowed. Rates are ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]``
(API_THROTTLE_ADDRESS, API_THROTTLE_USER; docs/configuration.md), read on each request; an
exhausted rate answers 429 with Retry-After. Counts live in Django's cache: with several
web processes, set CACHE_URL to a shared cache (Redis) so they count together.
"""

from __future__ import annotations

from typing import Any

from rest_framework.authentication import TokenAuthentication
from rest_framework.exceptions import Throttled
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle, UserRateThrottle

from tandem.api.tokens import stored_form


def _rate(scope: str | None) -> str | None:
    # DRF binds its rates when the class is defined; read them on each request instead, so
    # a deployment's (and a test's) settings apply.
    rates: dict[str, Any] = api_settings.DEFAULT_THROTTLE_RATES
    rate = rates.get(scope or "")
    return str(rate) if rate is not None else None


class AddressRateThrottle(SimpleRateThrottle):
    """Every API request from one client address, signed in or not, good token or bad."""

    scope = "address"

    def get_rate(self) -> str | None:
        return _rate(self.scope)

    def get_cache_key(self, request: Any, view: Any) -> str | None:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class PerUserRateThrottle(UserRateThrottle):
    """Every API request of one signed-in user, from any address."""

    def get_rate(self) -> str | None:
        return _rate(self.scope)


class AddressThrottledTokenAuthentication(TokenAuthentication):
    """Token authentication behind the address throttle (the first authentication class,
    so every API request passes here before any credential is looked at), matching the
    token's stored hash."""

    def authenticate(self, request: Request) -> Any:
        throttle = AddressRateThrottle()
        if not throttle.allow_request(request, None):  # type: ignore[arg-type] # no view yet
            raise Throttled(wait=throttle.wait())
        return super().authenticate(request)

    def authenticate_credentials(self, key: str) -> Any:
        # The database keeps each token's hash only (tandem/api/tokens.py).
        return super().authenticate_credentials(stored_form(key))
