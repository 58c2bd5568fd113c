"""Structured logs that never contain a token."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from django.conf import settings

from tandem.sync.engine import sync_user_now
from tandem.sync.logging import REDACTED, JsonFormatter, RedactTokensFilter, redact
from tests.sync.sched_support import connect_user

ACCESS = "ya29.a0AfH6SMBx-abc_DEF.123"
REFRESH = "1//0gLmPqRsTuVwXyZ-abc_123"
CODE = "4/0AX4XfWh-abcdefghijklmnopqrstuvwxyz"


@pytest.mark.parametrize(
    "text",
    [
        f"Authorization: Bearer {ACCESS}",
        f"{{'Authorization': 'Bearer {ACCESS}'}}",
        f"headers={{'authorization': 'Basic dGFuZGVtOnNlY3JldA=='}} token {ACCESS}",
        f'{{"access_token": "{ACCESS}", "refresh_token": "{REFRESH}", "expires_in": 3599}}',
        f"POST /token grant_type=refresh_token&refresh_token={REFRESH}&client_secret=shh",
        f"GET /callback/?state=abc&code={CODE}&scope=openid",
        f"refreshing with {REFRESH} failed",
        f"X-Goog-Channel-Token: channel_token=chan-secret-42 for {ACCESS}",
    ],
)
def test_credentials_are_redacted_wherever_they_appear(text):
    cleaned = redact(text)
    for secret in (ACCESS, REFRESH, CODE, "shh", "dGFuZGVtOnNlY3JldA==", "chan-secret-42"):
        assert secret not in cleaned
    assert REDACTED in cleaned


def test_ordinary_text_is_left_alone():
    text = "sync of user 7 finished: 3 new, status_code=200, sync_token stored, code_challenge=x"
    assert redact(text) == text


def _emit(logger_name: str, *args, **kwargs) -> str:  # type: ignore[no-untyped-def]
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactTokensFilter())
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger(logger_name)
    logger.addHandler(handler)
    previous = logger.level
    logger.setLevel(logging.DEBUG)
    try:
        logger.warning(*args, **kwargs)
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous)
    return stream.getvalue()


def test_a_token_passed_as_argument_extra_or_in_an_exception_is_redacted():
    try:
        raise RuntimeError(f"refresh failed for {REFRESH}")
    except RuntimeError:
        line = _emit(
            "tandem.test",
            "calling Google with %s",
            f"Bearer {ACCESS}",
            extra={"user_id": 7, "headers": {"Authorization": f"Bearer {ACCESS}"}},
            exc_info=True,
        )
    assert ACCESS not in line and REFRESH not in line
    entry = json.loads(line)
    assert entry["level"] == "WARNING" and entry["logger"] == "tandem.test"
    assert entry["message"] == f"calling Google with Bearer {REDACTED}"
    assert entry["user_id"] == 7  # extras are fields of their own
    assert "RuntimeError" in entry["exception"]


def test_logs_are_one_json_object_per_line_with_the_extras():
    line = _emit("tandem.sync.tasks", "sync finished", extra={"event": "sync", "requests": 3})
    assert line.count("\n") == 1
    entry = json.loads(line)
    assert entry["event"] == "sync" and entry["requests"] == 3
    assert entry["time"].endswith("+00:00")


def test_the_settings_put_the_filter_on_the_console_handler():
    console = settings.LOGGING["handlers"]["console"]
    assert "redact_tokens" in console["filters"]
    assert (
        settings.LOGGING["filters"]["redact_tokens"]["()"]
        == "tandem.sync.logging.RedactTokensFilter"
    )
    assert settings.LOGGING["formatters"]["json"]["()"] == "tandem.sync.logging.JsonFormatter"


@pytest.fixture
def everything_logged() -> Iterator[io.StringIO]:
    """Every record of every logger at DEBUG, through the configured filter and formatter."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactTokensFilter())
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)


@pytest.mark.django_db(transaction=True)
def test_connecting_and_syncing_log_no_token(google_in_process, everything_logged):
    """The whole OAuth flow, a token refresh and a sync, logged at DEBUG by every library:
    none of the tokens Google issued appears in the log."""
    user = connect_user(google_in_process, username="ann")
    google_in_process.emulator.expire_access_tokens()
    outcome = sync_user_now(user_id=user.pk)
    assert outcome.run is not None and outcome.run.status == "succeeded"
    output = everything_logged.getvalue()
    assert "HTTP Request" in output  # the libraries did log their requests
    issued = google_in_process.tokens_issued()
    assert len(issued) >= 3  # access, refresh, refreshed access
    assert not [token for token in issued if token in output]


@pytest.mark.django_db(transaction=True)
def test_a_run_stopped_by_google_logs_one_warning_naming_the_user_and_the_error(
    google_in_process, everything_logged
):
    """The operator's trace of a run Google stopped (the task retries it): one warning of
    the run's logger, naming the user and the kind of error, and no token."""
    user = connect_user(google_in_process, username="bea")
    google_in_process.emulator.inject_fault(
        route="GET */calendars/*/events", status=429, reason="rateLimitExceeded"
    )
    outcome = sync_user_now(user_id=user.pk)
    assert outcome.run is not None and outcome.run.status == "failed"
    entries = [json.loads(line) for line in everything_logged.getvalue().splitlines()]
    warnings = [
        entry
        for entry in entries
        if entry["logger"] == "tandem.sync.engine.run" and entry["level"] == "WARNING"
    ]
    assert [entry["message"] for entry in warnings] == [
        f"sync of user {user.pk} stopped: RateLimited"
    ]
    assert not [token for token in google_in_process.tokens_issued() if token in str(entries)]
