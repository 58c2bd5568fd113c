"""Batch: multipart/mixed with application/http parts, answered in order."""

from __future__ import annotations

import json
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any

import httpx

from tandem.fakegoogle import FakeGoogle

from .conftest import API, meeting

BOUNDARY = "batch_boundary_xyz"


def _part(
    content_id: str, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
) -> str:
    lines = [f"{method} {path} HTTP/1.1"]
    for name, value in (headers or {}).items():
        lines.append(f"{name}: {value}")
    payload = ""
    if body is not None:
        payload = json.dumps(body)
        lines.append("Content-Type: application/json")
    return (
        f"--{BOUNDARY}\r\nContent-Type: application/http\r\nContent-ID: <{content_id}>\r\n\r\n"
        + "\r\n".join(lines)
        + "\r\n\r\n"
        + payload
        + "\r\n"
    )


def _batch(api: httpx.Client, parts: list[str]) -> httpx.Response:
    body = "".join(parts) + f"--{BOUNDARY}--\r\n"
    return api.post(
        "/batch/calendar/v3",
        content=body.encode(),
        headers={"Content-Type": f"multipart/mixed; boundary={BOUNDARY}"},
    )


def _answers(response: httpx.Response) -> list[tuple[str, int, Any]]:
    """(Content-ID, status, JSON body) of each part of a batch response."""
    head = f"Content-Type: {response.headers['Content-Type']}\r\n\r\n".encode()
    message = BytesParser(policy=HTTP).parsebytes(head + response.content)
    answers = []
    for part in message.iter_parts():
        payload = part.get_payload(decode=True)
        assert isinstance(payload, bytes)
        status_line, _, rest = payload.partition(b"\r\n")
        _, _, body = rest.partition(b"\r\n\r\n")
        answers.append(
            (
                part["Content-ID"],
                int(status_line.split()[1]),
                json.loads(body) if body.strip() else None,
            )
        )
    return answers


def test_batch_runs_parts_in_order_and_echoes_content_ids(api: httpx.Client) -> None:
    """Each part is answered in order, with Content-ID <response-…> and its own status."""
    events = f"{API}/calendars/primary/events"
    response = _batch(
        api,
        [
            _part("abc + 1", "POST", events, meeting("one", id="batch00001")),
            _part("abc + 2", "POST", events, meeting("two", id="batch00001")),
            _part("abc + 3", "GET", f"{events}/batch00001"),
            _part("abc + 4", "DELETE", f"{events}/nosuchid"),
        ],
    )
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("multipart/mixed; boundary=")
    answers = _answers(response)
    assert [a[0] for a in answers] == [f"<response-abc + {n}>" for n in (1, 2, 3, 4)]
    assert [a[1] for a in answers] == [200, 409, 200, 404]
    assert answers[0][2]["id"] == "batch00001"
    assert answers[1][2]["error"]["errors"][0]["reason"] == "duplicate"
    assert answers[2][2]["summary"] == "one"


def test_parts_inherit_the_outer_authorization(google: FakeGoogle, api: httpx.Client) -> None:
    """Parts without their own Authorization use the outer one; a part may override it."""
    response = _batch(
        api,
        [
            _part("1", "GET", f"{API}/users/me/calendarList"),
            _part(
                "2", "GET", f"{API}/users/me/calendarList", headers={"Authorization": "Bearer bad"}
            ),
        ],
    )
    assert [a[1] for a in _answers(response)] == [200, 401]


def test_each_part_is_logged_with_its_account(google: FakeGoogle, api: httpx.Client) -> None:
    """Batch parts show up in the request log as their own calls."""
    _batch(api, [_part("1", "GET", f"{API}/users/me/calendarList")])
    parts = [e for e in google.request_log if e.in_batch]
    assert [(p.method, p.path, p.status, p.account) for p in parts] == [
        ("GET", f"{API}/users/me/calendarList", 200, "ann@example.com")
    ]


def test_more_than_1000_parts_is_refused(api: httpx.Client) -> None:
    """The Calendar batch limit is 1000 calls."""
    parts = [_part(str(n), "GET", f"{API}/users/me/calendarList") for n in range(1001)]
    response = _batch(api, parts)
    assert response.status_code == 400
    assert response.json()["error"]["errors"][0]["reason"] == "badRequest"


def test_thousand_parts_are_fine(api: httpx.Client) -> None:
    """Exactly 1000 parts are answered."""
    parts = [
        _part(str(n), "POST", f"{API}/calendars/primary/events", meeting(f"e{n}"))
        for n in range(1000)
    ]
    answers = _answers(_batch(api, parts))
    assert len(answers) == 1000 and {a[1] for a in answers} == {200}


def test_non_multipart_batch_is_400(api: httpx.Client) -> None:
    """A batch body that is not multipart/mixed is refused."""
    response = api.post("/batch/calendar/v3", json={})
    assert response.status_code == 400


def test_faults_apply_per_part(google: FakeGoogle, api: httpx.Client) -> None:
    """An injected fault on a route fails the matching part only."""
    google.inject_fault(route="POST */events", status=403, reason="rateLimitExceeded")
    events = f"{API}/calendars/primary/events"
    answers = _answers(
        _batch(api, [_part("1", "POST", events, meeting()), _part("2", "POST", events, meeting())])
    )
    assert [a[1] for a in answers] == [403, 200]
    assert answers[0][2]["error"]["errors"][0]["reason"] == "rateLimitExceeded"
