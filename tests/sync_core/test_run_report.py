"""The run report: one typed object from the driver to the status page, the API and the
CLI. Its status is decided in one place (core/run_report.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tandem.sync.core import run_report
from tandem.sync.core.fields import MeetingFields, TimedMoment, Visibility
from tandem.sync.core.run_report import (
    HeldDeletion,
    RunProblem,
    RunReport,
    RunStatus,
    subject_of,
    subject_of_fields,
)
from tandem.sync.core.state import CrmMeeting

AT = datetime(2026, 12, 7, 9, tzinfo=UTC)


def _meeting(subject: str = "Pitch", *, visibility: Visibility = "default") -> CrmMeeting:
    fields = MeetingFields(
        subject=subject,
        start=TimedMoment(AT, "UTC"),
        end=TimedMoment(AT.replace(hour=10), "UTC"),
        visibility=visibility,
    )
    return CrmMeeting(meeting_id=7, version=1, fields=fields)


def test_a_report_with_nothing_wrong_succeeded() -> None:
    report = RunReport()
    report.counts["crm_created"] += 2
    report.warnings.append(RunProblem("NUL removed"))
    assert report.status == RunStatus.SUCCEEDED  # warnings are no failure


def test_an_item_error_fails_the_run() -> None:
    report = RunReport(errors=[RunProblem("refused", subject="“Pitch”", meeting_id=7)])
    assert report.status == RunStatus.FAILED
    assert report.first_error == "“Pitch”: refused [meeting 7]"


def test_the_breakers_question_outranks_item_errors_but_not_a_stop() -> None:
    """A run the breaker held asks the user (its item errors come again next time); a run
    that stopped on an error of its own failed, whatever the breaker said before."""
    report = RunReport(errors=[RunProblem("refused")])
    report.hold("Google listed no events while 30 meetings are synced with it.", [])
    assert report.status == RunStatus.NEEDS_ATTENTION
    report.fail("Google was busy or unreachable; Tandem retries automatically.")
    assert report.status == RunStatus.FAILED
    assert report.stopped and report.errors[-1].message.startswith("Google was busy")


def test_the_first_question_is_kept_and_the_held_list_is_capped(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(run_report, "HELD_SHOWN", 3)
    report = RunReport()
    held = [HeldDeletion(n, f"M{n}", "2026-12-07", "google") for n in range(5)]
    report.hold("first", held[:2])
    report.hold("second", held[2:])
    assert report.needs_attention == "first"
    assert [h.meeting_id for h in report.held] == [0, 1, 2]


def test_the_text_names_the_item_then_says_what_then_the_ids() -> None:
    problem = RunProblem(
        "not synced this time", subject="“Pitch”", meeting_id=3, event_id="e1", rule="merged"
    )
    assert problem.text == "“Pitch”: not synced this time [merged; meeting 3, event e1]"
    assert str(problem) == problem.text
    assert RunProblem("stopped").text == "stopped"
    assert RunProblem("gone", event_id="e2").text == "gone [event e2]"


def test_a_problem_round_trips_through_the_record() -> None:
    report = RunReport(
        errors=[RunProblem("refused", subject="“Pitch”", meeting_id=3, event_id="e", rule="r")],
        warnings=[RunProblem("cut", event_id="e")],
        requests=4,
    )
    report.counts["google_updated"] = 2
    record = report.as_record()
    back = RunReport.from_record(
        counts=record["counts"], errors=record["errors"], warnings=record["warnings"], requests=4
    )
    assert (back.errors, back.warnings, back.counts, back.requests) == (
        report.errors,
        report.warnings,
        report.counts,
        4,
    )


def test_runs_recorded_before_problems_were_typed_read_as_messages() -> None:
    back = RunReport.from_record(
        counts={}, errors=["Event x: refused"], warnings=[{"message": "cut"}], requests=0
    )
    assert back.errors == [RunProblem("Event x: refused")]
    assert back.warnings == [RunProblem("cut")]


def test_a_record_keeps_no_zero_counts() -> None:
    """A Counter that was looked at holds zeros; the record (and the API) shows writes."""
    report = RunReport()
    report.counts.update({"crm_created": 0, "google_updated": 2})
    assert report.as_record()["counts"] == {"google_updated": 2}


def test_a_record_keeps_the_first_fifty_problems() -> None:
    report = RunReport(errors=[RunProblem(f"e{n}") for n in range(60)])
    assert [e["message"] for e in report.as_record()["errors"]] == [f"e{n}" for n in range(50)]


def test_a_private_meeting_is_named_without_its_subject() -> None:
    assert subject_of(_meeting("Board secrets", visibility="private")) == "A private meeting"
    assert subject_of(_meeting("Pitch")) == "“Pitch”"
    assert subject_of(None) == ""


def test_a_long_subject_is_quoted_shortened() -> None:
    """A subject may be 1024 characters: every problem of its meeting or event quotes the
    first 80, as the mapping quotes a malformed event's title."""
    long = "x" * 1024
    assert subject_of(_meeting(long)) == f"“{'x' * 80}”"
    assert subject_of_fields(_meeting(long).fields) == f"“{'x' * 80}”"
