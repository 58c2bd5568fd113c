"""Sign in and out, My Preferences and External services."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from tandem.accounts.selectors import preferences_for

PAGES = [
    "calendar",
    "meeting-create",
    "meetings-deleted",
    "preferences",
    "external-services",
]


@pytest.mark.django_db
@pytest.mark.parametrize("name", PAGES)
def test_anonymous_people_are_sent_to_sign_in(client: Client, name: str) -> None:
    """Every page asks an anonymous visitor to sign in first, then returns there."""
    url = reverse(name)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={url}"


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["meeting-detail", "meeting-edit", "meeting-delete"])
def test_anonymous_people_cannot_open_meetings(client: Client, name: str) -> None:
    """Meeting pages redirect anonymous visitors to sign in."""
    response = client.get(reverse(name, args=[1]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_signing_in_with_the_right_password_opens_the_calendar(alice: User) -> None:
    """A person signs in with user name and password and lands on the calendar."""
    client = Client()
    response = client.post(
        reverse("login"), {"username": "alice", "password": "alice-secret-pw"}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("calendar")
    assert b"Your calendar" in response.content


def test_a_wrong_password_is_refused_with_a_message(alice: User) -> None:
    """A wrong password keeps the person on the sign-in page with an explanation."""
    client = Client()
    response = client.post(reverse("login"), {"username": "alice", "password": "nope"})
    assert response.status_code == 200
    assert b"Please enter a correct username and password" in response.content
    assert "_auth_user_id" not in client.session


def test_sign_out_is_a_post_with_csrf(alice: User) -> None:
    """Signing out needs a POST carrying the CSRF token; a GET or a forged POST does nothing."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    assert client.get(reverse("logout")).status_code == 405
    assert client.post(reverse("logout")).status_code == 403
    page = client.get(reverse("calendar"))
    token = page.context["csrf_token"]
    response = client.post(reverse("logout"), {"csrfmiddlewaretoken": str(token)})
    assert response.status_code == 302
    assert client.get(reverse("calendar")).status_code == 302  # signed out


def test_my_preferences_sits_right_next_to_sign_out(client_alice: Client) -> None:
    """On every page the top-left corner starts with My Preferences, then Sign out."""
    for url in [reverse("calendar"), reverse("meetings-deleted"), reverse("external-services")]:
        html = client_alice.get(url).content.decode()
        header = html[html.index("<header") : html.index("</header>")]
        account = header[header.index('class="account"') :]
        preferences_at = account.index("My Preferences")
        sign_out_at = account.index("Sign out")
        assert preferences_at < sign_out_at
        # Nothing but the sign-out form's opening lies between them.
        between = account[preferences_at:sign_out_at]
        assert re.sub(r"<[^>]+>|\s", "", between) == "MyPreferences"


def test_preferences_save_time_zone_and_formats(client_alice: Client, alice: User) -> None:
    """My Preferences stores the time zone and the date and time formats."""
    response = client_alice.post(
        reverse("preferences"),
        {"time_zone": "America/New_York", "date_format": "d.m.Y", "time_format": "g:i A"},
    )
    assert response.status_code == 302
    preferences = preferences_for(user=alice)
    assert (preferences.time_zone, preferences.date_format, preferences.time_format) == (
        "America/New_York",
        "d.m.Y",
        "g:i A",
    )


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("time_zone", "Mars/Olympus_Mons", "“Mars/Olympus_Mons” is not an IANA time zone."),
        ("time_zone", "", "Choose a time zone."),
        ("date_format", "%Y", "“%Y” is not one of the date formats."),
        ("time_format", "<script>", "“&lt;script&gt;” is not one of the time formats."),
    ],
)
def test_bad_preferences_are_refused_with_a_clear_message(
    client_alice: Client, alice: User, field: str, value: str, message: str
) -> None:
    """Each bad preference value is named in a message and nothing is saved."""
    data = {"time_zone": "Asia/Tokyo", "date_format": "Y-m-d", "time_format": "H:i"}
    data[field] = value
    response = client_alice.post(reverse("preferences"), data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert preferences_for(user=alice).time_zone == "Europe/Berlin"


def test_preferences_lead_to_external_services(client_alice: Client) -> None:
    """My Preferences has an External services button."""
    html = client_alice.get(reverse("preferences")).content.decode()
    assert f'href="{reverse("external-services")}">External services</a>' in html


def test_google_is_not_connected_until_the_user_connects(client_alice: Client) -> None:
    """External services lists Google with a link reading exactly the not-connected text."""
    html = client_alice.get(reverse("external-services")).content.decode()
    assert re.search(
        r'<a href="' + re.escape(reverse("google-connect")) + r'"[^>]*>'
        r"Not connected, click to connect Google!</a>",
        html,
    )
