"""Security headers on every answer (issue 15, finding 3): a Content-Security-Policy without
inline script or style (the API reference's one <style> carries the request's nonce), and
``Cache-Control: no-store`` on everything a signed-in person or API client gets."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.test import Client

from tandem.api.tokens import issue_token

PAGES = [
    "/",
    "/?view=week",
    "/?view=list",
    "/meetings/new/",
    "/meetings/deleted/",
    "/preferences/",
    "/preferences/external-services/",
    "/api/docs/",
    "/admin/",
    "/admin/meetings/meeting/",
]


def _policy(response) -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
    header = response["Content-Security-Policy"]
    directives = [part.strip().split() for part in header.split(";") if part.strip()]
    return {name: values for name, *values in directives}


@pytest.fixture
def signed_in(db: None) -> Client:
    client = Client()
    client.force_login(User.objects.create_superuser("sec", password="sec-secret-pw"))
    return client


@pytest.mark.parametrize("path", PAGES)
def test_every_page_has_a_policy_without_inline_script_or_style(
    signed_in: Client, path: str
) -> None:
    response = signed_in.get(path)

    assert response.status_code == 200
    policy = _policy(response)
    assert policy["default-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"]
    for directive in ("script-src", "style-src"):
        assert policy[directive][0] == "'self'"
        assert "'unsafe-inline'" not in policy[directive]
        assert "'unsafe-eval'" not in policy[directive]
    page = response.content.decode()
    assert re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page) is None, "inline script"
    assert re.search(r"\son[a-z]+=\"", page) is None, "inline event handler"


def test_the_sign_in_page_has_the_policy_too(client: Client) -> None:
    assert "default-src 'self'" in client.get("/login/")["Content-Security-Policy"]


def test_the_api_references_inline_style_carries_the_requests_nonce(signed_in: Client) -> None:
    response = signed_in.get("/api/docs/")

    nonce = re.search(r'<style nonce="([^"]+)">', response.content.decode())
    assert nonce is not None
    assert f"'nonce-{nonce[1]}'" in _policy(response)["style-src"]
    again = re.search(r'<style nonce="([^"]+)">', signed_in.get("/api/docs/").content.decode())
    assert again is not None and again[1] != nonce[1]


@pytest.mark.parametrize("path", ["/", "/preferences/", "/api/v1/meetings/", "/admin/"])
def test_a_signed_in_answer_is_never_stored(signed_in: Client, path: str) -> None:
    cache_control = signed_in.get(path)["Cache-Control"]

    assert "no-store" in cache_control and "private" in cache_control


def test_an_api_answer_to_a_token_is_never_stored(db: None) -> None:
    user = User.objects.create_user("api-user", password="x-secret-pw")
    client = Client(HTTP_AUTHORIZATION=f"Token {issue_token(user)}")

    response = client.get("/api/v1/meetings/")

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
