"""The README's deployment line works behind an HTTPS proxy (issue 15, finding 5): waitress,
started with the README's own arguments, trusts the proxy's X-Forwarded-Proto, so Django
neither redirects every request to itself nor refuses the sign-in on CSRF's origin check."""

from __future__ import annotations

import re
import shlex
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from django.contrib.auth.models import User
from django.core.wsgi import get_wsgi_application
from waitress import create_server
from waitress.adjustments import Adjustments

README = Path(__file__).resolve().parents[2] / "README.md"
HOST = "crm.example.test"


def readme_waitress_arguments() -> list[str]:
    """The README's `waitress-serve ...` line, as waitress reads its arguments."""
    line = next(
        line.strip()
        for line in README.read_text().splitlines()
        if line.strip().startswith("waitress-serve ")
    )
    argv = shlex.split(line)[1:]
    assert argv[-1] == "config.wsgi:application"
    return argv[:-1]


@pytest.fixture
def production_https(settings: Any) -> None:
    """The HTTPS settings of config/settings/production.py on the test database."""
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SESSION_COOKIE_SECURE = True
    settings.CSRF_COOKIE_SECURE = True
    settings.ALLOWED_HOSTS = [HOST]


@pytest.fixture
def served(production_https: None) -> Iterator[str]:
    """The app served by waitress with the README's arguments, on a free loopback port."""
    options, _ = Adjustments.parse_args(readme_waitress_arguments())
    options = {k: v for k, v in options.items() if k not in {"help", "call"}}
    options["listen"] = "127.0.0.1:0"  # the README's port may be taken here
    server = create_server(get_wsgi_application(), **options)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        port = server.effective_port  # type: ignore[union-attr]
        yield f"http://127.0.0.1:{port}"
    finally:
        server.close()
        thread.join(timeout=5)


PROXIED = {"Host": HOST, "X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}


@pytest.mark.django_db(transaction=True)
def test_a_request_through_the_https_proxy_is_served(served: str) -> None:
    response = httpx.get(f"{served}/login/", headers=PROXIED)

    assert response.status_code == 200
    assert 'name="csrfmiddlewaretoken"' in response.text


@pytest.mark.django_db(transaction=True)
def test_a_plain_http_request_is_sent_to_https(served: str) -> None:
    response = httpx.get(f"{served}/login/", headers={"Host": HOST})

    assert response.status_code == 301
    assert response.headers["Location"] == f"https://{HOST}/login/"


@pytest.mark.django_db(transaction=True)
def test_signing_in_through_the_proxy_passes_the_csrf_origin_check(served: str) -> None:
    User.objects.create_user("erin", password="erin-secret-pw")
    form = httpx.get(f"{served}/login/", headers=PROXIED)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text)
    assert token is not None
    cookie = form.cookies["csrftoken"]

    response = httpx.post(
        f"{served}/login/",
        headers=PROXIED
        | {
            "Origin": f"https://{HOST}",
            "Referer": f"https://{HOST}/login/",
            "Cookie": f"csrftoken={cookie}",
        },
        data={"username": "erin", "password": "erin-secret-pw", "csrfmiddlewaretoken": token[1]},
    )

    assert response.status_code == 302, response.text[:500]
    assert response.headers["Location"] == "/"
    assert "sessionid=" in response.headers["set-cookie"]
