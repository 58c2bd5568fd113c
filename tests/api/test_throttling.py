"""API throttles (issue 15, finding 1): per client address, before any credential is checked
(so trying tokens is slowed too), and per signed-in user across addresses; 429 with
Retry-After."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from rest_framework.test import APIClient

from .helpers import MEETINGS_URL, token_client


@pytest.fixture
def rates(settings: Any) -> Iterator[Any]:
    cache.clear()
    yield settings
    cache.clear()


def _set_rates(settings: Any, *, address: str | None, user: str | None) -> None:
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"address": address, "user": user},
    }


def test_bad_tokens_from_one_address_are_slowed(rates: Any, alice: User) -> None:
    _set_rates(rates, address="5/minute", user=None)
    guesser = APIClient(REMOTE_ADDR="10.1.1.1")
    answers = []
    for guess in range(7):
        guesser.credentials(HTTP_AUTHORIZATION=f"Token wrong-{guess}")
        answers.append(guesser.get(MEETINGS_URL))

    assert [a.status_code for a in answers] == [401] * 5 + [429] * 2
    assert int(answers[-1]["Retry-After"]) > 0
    # Another address is not slowed by this one.
    assert token_client(alice).get(MEETINGS_URL, REMOTE_ADDR="10.1.1.2").status_code == 200


def test_a_forged_forwarded_for_header_does_not_buy_a_fresh_allowance(rates: Any, db: None) -> None:
    """Found by review: the address was read from X-Forwarded-For, which the client writes."""
    _set_rates(rates, address="3/minute", user=None)
    guesser = APIClient(REMOTE_ADDR="10.3.3.3")
    codes = []
    for guess in range(5):
        guesser.credentials(HTTP_AUTHORIZATION=f"Token wrong-{guess}")
        codes.append(guesser.get(MEETINGS_URL, HTTP_X_FORWARDED_FOR=f"192.0.2.{guess}").status_code)

    assert codes == [401, 401, 401, 429, 429]


def test_a_user_is_slowed_across_addresses(rates: Any, alice: User) -> None:
    _set_rates(rates, address=None, user="3/minute")
    api = token_client(alice)
    codes = [api.get(MEETINGS_URL, REMOTE_ADDR=f"10.2.0.{n}").status_code for n in range(5)]

    assert codes == [200, 200, 200, 429, 429]


def test_the_production_rates_are_set() -> None:
    from config.settings import base

    rates = base.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    assert rates == {"address": "600/minute", "user": "300/minute"}
    assert base.AXES_FAILURE_LIMIT == 5 and "axes" in base.INSTALLED_APPS
