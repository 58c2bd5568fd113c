"""The API over a real HTTP server on loopback, as a script would use it."""

from __future__ import annotations

import httpx
from django.contrib.auth.models import User

from tandem.api.tokens import issue_token


def test_a_script_with_a_token_creates_and_lists_meetings_over_http(live_server, db):
    user = User.objects.create_user("script-owner")
    token = issue_token(user)
    with httpx.Client(
        base_url=live_server.url, headers={"Authorization": f"Token {token}"}
    ) as client:
        created = client.post(
            "/api/v1/meetings/",
            json={
                "subject": "Over the wire",
                "start": "2026-10-25T01:00:00+02:00",
                "end": "2026-10-25T04:00:00+01:00",
                "time_zone": "Europe/Berlin",
            },
        )
        assert created.status_code == 201, created.text
        assert created.headers["etag"] == '"1"'
        listed = client.get(
            "/api/v1/meetings/",
            params={"start": "2026-10-25T00:00:00+02:00", "end": "2026-10-26T00:00:00+01:00"},
        )
    assert listed.status_code == 200
    [row] = listed.json()["results"]
    assert row["subject"] == "Over the wire"
    assert (row["start"], row["end"]) == ("2026-10-25T01:00:00+02:00", "2026-10-25T04:00:00+01:00")


def test_without_credentials_the_server_gives_nothing(live_server, db):
    response = httpx.get(f"{live_server.url}/api/v1/meetings/")
    assert response.status_code == 401
