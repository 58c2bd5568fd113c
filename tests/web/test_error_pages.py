"""Error pages in the product's layout: a person who meets one still has the header, the
stylesheet and a way back, and the page says in words what happened."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.test import Client, RequestFactory
from django.views import defaults

pytestmark = pytest.mark.django_db


def test_a_missing_meeting_is_a_styled_404_with_the_header(client_alice: Client) -> None:
    response = client_alice.get("/meetings/999999/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "Page not found" in html
    assert "/static/css/tandem.css" in html
    assert "My Preferences" in html  # the signed-in header is there
    assert 'href="/"' in html  # and a way back to the calendar


def test_a_403_page_is_styled() -> None:
    request = RequestFactory().get("/admin-only/")
    request.user = AnonymousUser()
    response = defaults.permission_denied(request, PermissionDenied())
    assert response.status_code == 403
    assert "Not allowed" in response.content.decode()
    assert "/static/css/tandem.css" in response.content.decode()


def test_the_500_page_renders_without_a_request_context() -> None:
    """Django renders 500.html with no context at all: nothing in it may need the user."""
    response = defaults.server_error(RequestFactory().get("/"))
    html = response.content.decode()
    assert response.status_code == 500
    assert "Something went wrong" in html
    assert "/static/css/tandem.css" in html
    assert "/static/favicon.svg" in html


def test_every_page_has_a_skip_link_to_the_main_content(client: Client) -> None:
    html = client.get("/login/").content.decode()
    assert '<a class="skip-link" href="#main">Skip to content</a>' in html
    assert '<main id="main"' in html
