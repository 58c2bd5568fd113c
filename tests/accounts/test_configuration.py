"""Where Google is and which client we are come from settings (environment), defaulting to
the emulator; token keys are kept apart from SECRET_KEY (issue #4, points 2-3)."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import RequestFactory

from tandem.accounts.crypto import decrypt_token, encrypt_token
from tandem.accounts.google_clients import google_endpoints, google_oauth, redirect_uri
from tandem.google.endpoints import REAL_GOOGLE


def test_the_emulator_is_the_default_and_its_address_is_configurable(settings: Any) -> None:
    """GOOGLE_ENDPOINTS=emulator puts every Google URL under FAKE_GOOGLE_URL."""
    settings.GOOGLE_ENDPOINTS = "emulator"
    settings.FAKE_GOOGLE_URL = "http://127.0.0.1:9999/"
    endpoints = google_endpoints()
    assert endpoints.authorize_url == "http://127.0.0.1:9999/o/oauth2/v2/auth"
    assert endpoints.token_url == "http://127.0.0.1:9999/token"
    assert endpoints.revoke_url == "http://127.0.0.1:9999/revoke"
    assert endpoints.calendar_base == "http://127.0.0.1:9999/calendar/v3"


def test_real_google_is_one_setting_away(settings: Any) -> None:
    """GOOGLE_ENDPOINTS=google uses Google's published endpoints, and the client id, secret
    and redirect URI come from their settings."""
    settings.GOOGLE_ENDPOINTS = "google"
    settings.GOOGLE_CLIENT_ID = "1234-abc.apps.googleusercontent.com"
    settings.GOOGLE_CLIENT_SECRET = "GOCSPX-example"
    settings.GOOGLE_REDIRECT_URI = (
        "https://crm.example.com/preferences/external-services/google/callback/"
    )
    oauth = google_oauth()
    assert oauth.endpoints == REAL_GOOGLE
    assert oauth.endpoints.authorize_url == "https://accounts.google.com/o/oauth2/v2/auth"
    assert oauth.client_id == "1234-abc.apps.googleusercontent.com"
    assert oauth.redirect_uri == settings.GOOGLE_REDIRECT_URI
    assert redirect_uri(None) == settings.GOOGLE_REDIRECT_URI


def test_an_unknown_google_endpoints_value_is_refused_with_its_name(settings: Any) -> None:
    """A typo in GOOGLE_ENDPOINTS stops with a message naming the setting and its values."""
    settings.GOOGLE_ENDPOINTS = "googel"
    with pytest.raises(ImproperlyConfigured, match='GOOGLE_ENDPOINTS must be "google"'):
        google_endpoints()


def test_without_a_configured_redirect_uri_it_is_built_from_the_request(settings: Any) -> None:
    """No GOOGLE_REDIRECT_URI: the callback address of the host the user came to."""
    settings.GOOGLE_REDIRECT_URI = ""
    request = RequestFactory().get("/", HTTP_HOST="crm.example.com")
    assert redirect_uri(request) == (
        "http://crm.example.com/preferences/external-services/google/callback/"
    )


def test_the_embedded_default_generates_a_token_key_of_its_own(
    settings: Any, tmp_path: Path
) -> None:
    """Without TOKEN_ENCRYPTION_KEYS a Fernet key is generated once into var/token-keys
    (owner-only), distinct from SECRET_KEY, and reused afterwards."""
    settings.VAR_DIR = tmp_path
    settings.TOKEN_ENCRYPTION_KEYS = ""
    ciphertext = encrypt_token("ya29.a0-example")
    key_file = tmp_path / "token-keys"
    assert key_file.exists()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    key = key_file.read_text().strip()
    assert key != settings.SECRET_KEY
    settings.TOKEN_ENCRYPTION_KEYS = key  # the same key, now from the environment
    assert decrypt_token(ciphertext) == "ya29.a0-example"
