"""``POST /api/v1/meetings/{id}/preview/``: before a change of a whole series is saved, the
API says which occurrences changed or cancelled alone it keeps and which it resets, as the
series' form does, and saves nothing."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import yaml
from django.contrib.auth.models import User
from django.test import Client
from rest_framework.test import APIClient

from tandem.meetings.models import Meeting
from tandem.meetings.occurrence_edits import occurrence_cancel, occurrence_change
from tandem.meetings.services import input_of

from .helpers import UTC, make_meeting, meeting_url, token_client

MONDAY = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
WEEK = timedelta(weeks=1)


def _series_with_exceptions(owner: User) -> tuple[Meeting, Meeting, Meeting]:
    """A weekly series of four; its second Monday moved to 11:00 and renamed, its fourth
    cancelled."""
    series = make_meeting(owner, recurrence=["RRULE:FREQ=WEEKLY;COUNT=4"])
    second = MONDAY + WEEK
    moved = occurrence_change(
        series=series,
        original_start=second,
        data=replace(
            input_of(series),
            subject="Moved review",
            start=second + timedelta(hours=2),
            end=second + timedelta(hours=3),
            recurrence=[],
        ),
    )
    cancelled = occurrence_cancel(series=series, original_start=MONDAY + 3 * WEEK)
    return series, moved, cancelled


def _preview(api: APIClient, meeting: Meeting, body: dict[str, object]) -> dict[str, object]:
    response = api.post(f"{meeting_url(meeting.pk)}preview/", body, format="json")
    assert response.status_code == 200, response.json()
    return response.json()  # type: ignore[no-any-return]


def test_a_shorter_rule_resets_the_occurrences_it_no_longer_has(
    api: APIClient, alice: User
) -> None:
    """Two occurrences: the moved second Monday is kept, the cancelled fourth is reset; the
    series and its rows are as they were."""
    series, moved, _ = _series_with_exceptions(alice)
    version = series.version
    answer = _preview(api, series, {"recurrence": ["RRULE:FREQ=WEEKLY;COUNT=2"]})
    assert [(o["key"], o["status"], o["meeting_id"]) for o in answer["kept"]] == [  # type: ignore[attr-defined]
        ("20260511T090000Z", "changed", moved.pk)
    ]
    kept = answer["kept"][0]  # type: ignore[index]
    assert (kept["subject"], kept["start"], kept["end"]) == (
        "Moved review",
        "2026-05-11T11:00:00+00:00",
        "2026-05-11T12:00:00+00:00",
    )
    assert [(o["key"], o["status"], o["meeting_id"]) for o in answer["reset"]] == [  # type: ignore[attr-defined]
        ("20260525T090000Z", "cancelled", None)
    ]
    series.refresh_from_db()
    assert (series.version, series.recurrence) == (version, ["RRULE:FREQ=WEEKLY;COUNT=4"])
    assert Meeting.objects.filter(series=series, deleted_at__isnull=True).count() == 2


def test_a_new_rule_resets_every_occurrence_it_no_longer_has(api: APIClient, alice: User) -> None:
    """Daily for two days instead of weekly: neither changed Monday is an occurrence any
    more. A series moved as a whole keeps them (they move with it, as in Google)."""
    series, _, _ = _series_with_exceptions(alice)
    answer = _preview(api, series, {"recurrence": ["RRULE:FREQ=DAILY;COUNT=2"]})
    assert answer["kept"] == []
    statuses = [o["status"] for o in answer["reset"]]  # type: ignore[attr-defined]
    assert statuses == ["changed", "cancelled"]
    moved = _preview(api, series, {"start": "2026-05-05T09:00:00Z", "end": "2026-05-05T10:00:00Z"})
    assert len(moved["kept"]) == 2  # type: ignore[arg-type]
    assert moved["reset"] == []


def test_a_change_that_moves_no_occurrence_keeps_them_all(api: APIClient, alice: User) -> None:
    """A new title keeps every occurrence changed or cancelled alone; a plain meeting has
    none."""
    series, _, _ = _series_with_exceptions(alice)
    answer = _preview(api, series, {"subject": "Weekly review"})
    assert [o["status"] for o in answer["kept"]] == ["changed", "cancelled"]  # type: ignore[attr-defined]
    assert answer["reset"] == []
    plain = make_meeting(alice)
    assert _preview(api, plain, {"subject": "x"}) == {"kept": [], "reset": []}


def test_a_cancellation_left_apart_is_neither_kept_nor_reset(api: APIClient, alice: User) -> None:
    """The rule cut to two: the cancelled fourth Monday's row stays past the end, naming no
    occurrence (series_update keeps it, as Google keeps its cancelled exception). A later
    preview names only the moved second Monday: the API used to list the row as kept,
    with a key of an occurrence the series does not have."""
    series, moved, _ = _series_with_exceptions(alice)
    api.patch(meeting_url(series.pk), {"recurrence": ["RRULE:FREQ=WEEKLY;COUNT=2"]}, format="json")
    for body in ({"subject": "Weekly review"}, {"recurrence": ["RRULE:FREQ=WEEKLY;COUNT=3"]}):
        answer = _preview(api, series, body)
        assert [(o["status"], o["meeting_id"]) for o in answer["kept"]] == [  # type: ignore[attr-defined]
            ("changed", moved.pk)
        ]
        assert answer["reset"] == []


def test_bad_input_an_occurrence_and_a_read_only_series_are_refused(
    api: APIClient, alice: User
) -> None:
    """A change the services would refuse is a 400 with its field; an occurrence is no
    series; a read-only series cannot be changed, so there is nothing to preview."""
    series, moved, _ = _series_with_exceptions(alice)
    url = f"{meeting_url(series.pk)}preview/"
    response = api.post(url, {"recurrence": ["RRULE:FREQ=MINUTELY"]}, format="json")
    assert response.status_code == 400
    assert "recurrence" in response.json()
    response = api.post(f"{meeting_url(moved.pk)}preview/", {"subject": "x"}, format="json")
    assert response.status_code == 400
    read_only = make_meeting(alice, read_only=True, recurrence=["RRULE:FREQ=DAILY;COUNT=3"])
    response = api.post(f"{meeting_url(read_only.pk)}preview/", {}, format="json")
    assert response.status_code == 403


def test_another_users_series_does_not_exist(bob_api: APIClient, alice: User) -> None:
    """Scoped to the owner: someone else's series is a 404, and says nothing of it."""
    series, _, _ = _series_with_exceptions(alice)
    response = bob_api.post(f"{meeting_url(series.pk)}preview/", {"recurrence": []}, format="json")
    assert response.status_code == 404
    assert "Moved review" not in response.content.decode()


def test_preview_needs_a_signed_in_user_and_is_not_a_get(alice: User) -> None:
    """Anonymous callers get 401/403; GET is not allowed (the change is a body)."""
    series, _, _ = _series_with_exceptions(alice)
    anonymous = APIClient()
    url = f"{meeting_url(series.pk)}preview/"
    assert anonymous.post(url, {}, format="json").status_code in (401, 403)
    assert token_client(alice).get(url).status_code == 405


def test_the_schema_documents_the_preview(db: None) -> None:
    """The OpenAPI schema has the operation, its body (a meeting, as PATCH sends it) and its
    answer (kept and reset occurrences)."""
    schema = yaml.safe_load(Client().get("/api/schema/").content)
    operation = schema["paths"]["/api/v1/meetings/{id}/preview/"]
    assert set(operation) == {"post"}
    post = operation["post"]
    assert {"200", "400", "403", "404"} <= set(post["responses"])
    answer = post["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    properties = schema["components"]["schemas"][answer.rsplit("/", 1)[1]]["properties"]
    assert set(properties) == {"kept", "reset"}
    occurrence = schema["components"]["schemas"]["PreviewedOccurrence"]["properties"]
    assert {"key", "status", "meeting_id", "subject", "start", "end"} <= set(occurrence)
