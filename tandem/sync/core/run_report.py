"""What one sync run did, as one typed object from the driver to the people who read it.

The passes add to a ``RunReport`` (their ``SyncReport``s, the breaker's held deletions, an
error that stopped the run); the run record stores it (``as_record``) and the status page,
the API and ``tandem sync`` read it back (``from_record``). The run's status is decided
here, once: not by comparing counts of strings.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from tandem.sync.core.breaker import DeletedIn
from tandem.sync.core.fields import MeetingFields, TimedMoment
from tandem.sync.core.mapping import TITLE_QUOTED
from tandem.sync.core.state import CrmMeeting
from tandem.sync.core.storable import quoted

KEPT = 50  # errors and warnings a run record keeps (the first ones; the counts are exact)
HELD_SHOWN = 200  # held deletions listed in the breaker's question (the count is exact)


class RunStatus(StrEnum):
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    NEEDS_ATTENTION = "needs_attention"


@dataclass(frozen=True)
class RunProblem:
    """One thing the run could not do (an error) or changed to do it (a warning).

    ``message`` says what happened in plain words; ``subject`` names the meeting or event
    as people know it ("" when none is concerned, or it is private: run records are read
    by operators too); the ids and the planner's ``rule`` are for operators and scripts."""

    message: str
    subject: str = ""
    meeting_id: int | None = None
    event_id: str = ""
    rule: str = ""

    @property
    def headline(self) -> str:
        """What happened to what, for people."""
        return f"{self.subject}: {self.message}" if self.subject else self.message

    @property
    def details(self) -> str:
        """The planner's rule and the ids, for operators ("" if none)."""
        ids = [
            f"meeting {self.meeting_id}" if self.meeting_id is not None else "",
            f"event {self.event_id}" if self.event_id else "",
        ]
        details = [self.rule, ", ".join(name for name in ids if name)]
        return "; ".join(detail for detail in details if detail)

    @property
    def text(self) -> str:
        """The one line a terminal or a script shows."""
        return f"{self.headline} [{self.details}]" if self.details else self.headline

    def __str__(self) -> str:
        return self.text

    def as_json(self) -> dict[str, Any]:
        return {
            "message": self.message,
            "subject": self.subject,
            "meeting_id": self.meeting_id,
            "event_id": self.event_id,
            "rule": self.rule,
        }

    @classmethod
    def from_json(cls, value: object) -> RunProblem:
        """A stored problem; runs recorded before problems were typed kept a string."""
        if not isinstance(value, Mapping):
            return cls(message=str(value))
        meeting_id = value.get("meeting_id")
        return cls(
            message=str(value.get("message", "")),
            subject=str(value.get("subject") or ""),
            meeting_id=meeting_id if isinstance(meeting_id, int) else None,
            event_id=str(value.get("event_id") or ""),
            rule=str(value.get("rule") or ""),
        )


def meeting_named(subject: str, *, private: bool) -> str:
    """How a problem names a meeting: by its subject, a private one without it (run records
    are read by operators and admins, to whom it is "Busy")."""
    if private:
        return "A private meeting"
    # Shortened as the mapping quotes a title: a subject may be 1024 characters long.
    return f"“{quoted(subject, TITLE_QUOTED)}”"


def subject_of(meeting: CrmMeeting | None) -> str:
    """How a problem names a meeting of the CRM side ("" for none)."""
    if meeting is None:
        return ""
    return meeting_named(meeting.fields.subject, private=meeting.fields.is_private)


def subject_of_fields(fields: MeetingFields | None) -> str:
    """How a problem names a Google event it read ("" when it could not read it)."""
    if fields is None:
        return ""
    return "A private event" if fields.is_private else f"“{quoted(fields.subject, TITLE_QUOTED)}”"


@dataclass(frozen=True)
class HeldDeletion:
    """A meeting the breaker kept from being deleted, as the user's question lists it.
    ``deleted_in``: where the user's deletion happened ("google": the meeting would leave
    the CRM; "crm": its event would leave Google)."""

    meeting_id: int
    subject: str
    start: str  # ISO date or date-time, as the meeting had it
    deleted_in: DeletedIn

    @classmethod
    def of(cls, meeting: CrmMeeting, *, deleted_in: DeletedIn) -> HeldDeletion:
        start = meeting.fields.start
        at = start.at if isinstance(start, TimedMoment) else start
        return cls(meeting.meeting_id, meeting.fields.subject, at.isoformat(), deleted_in)

    def as_json(self) -> dict[str, object]:
        return {
            "meeting_id": self.meeting_id,
            "subject": self.subject,
            "start": self.start,
            "deleted_in": self.deleted_in,
        }


@dataclass
class RunReport:
    """What one run did: counts of writes by kind, errors and warnings, the breaker's
    question with the deletions it held, and the error that stopped the run, if any."""

    counts: Counter[str] = field(default_factory=Counter)
    errors: list[RunProblem] = field(default_factory=list)
    warnings: list[RunProblem] = field(default_factory=list)
    needs_attention: str = ""  # the breaker's question, in plain words
    held: list[HeldDeletion] = field(default_factory=list)
    # The run ended early (a Google error for the whole run, a lost lock, a crash): it
    # failed whatever the passes did before.
    stopped: bool = False
    requests: int = 0

    @property
    def status(self) -> RunStatus:
        if self.stopped:
            return RunStatus.FAILED
        if self.needs_attention:
            return RunStatus.NEEDS_ATTENTION
        if self.errors:
            return RunStatus.FAILED
        return RunStatus.SUCCEEDED

    def fail(self, message: str) -> None:
        """An error of the whole run: it stops here."""
        self.errors.append(RunProblem(message))
        self.stopped = True

    def hold(self, reason: str, deletions: Iterable[HeldDeletion]) -> None:
        """The breaker tripped: the run asks the user, naming what it would delete."""
        self.needs_attention = self.needs_attention or reason
        room = max(HELD_SHOWN - len(self.held), 0)
        self.held.extend(list(deletions)[:room])

    @property
    def first_error(self) -> str:
        return self.errors[0].text if self.errors else ""

    def as_record(self) -> dict[str, Any]:
        """The run record's fields (SyncRun.counts, errors, warnings)."""
        return {
            "counts": {kind: n for kind, n in self.counts.items() if n},  # no zero counts
            "errors": [problem.as_json() for problem in self.errors[:KEPT]],
            "warnings": [problem.as_json() for problem in self.warnings[:KEPT]],
        }

    @classmethod
    def from_record(
        cls,
        *,
        counts: Mapping[str, int],
        errors: Iterable[object],
        warnings: Iterable[object],
        requests: int,
    ) -> RunReport:
        """A recorded run read back, for the status page, the API and ``tandem sync``
        (its status is the record's: a run still going has none of these)."""
        return cls(
            counts=Counter({str(key): int(value) for key, value in counts.items()}),
            errors=[RunProblem.from_json(value) for value in errors],
            warnings=[RunProblem.from_json(value) for value in warnings],
            requests=requests,
        )
