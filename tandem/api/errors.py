"""How domain refusals become HTTP answers: ValidationError → 400 with the same field keys,
read-only meetings → 403, stale If-Match → 412."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, status
from rest_framework.settings import api_settings

from tandem.meetings.models import Meeting

READ_ONLY_MESSAGE = (
    "This meeting comes from a Google calendar you can only read; change it in Google Calendar."
)


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = "The meeting changed since you read it."
    default_code = "precondition_failed"


@contextmanager
def domain_errors_as_api_errors() -> Iterator[None]:
    """Re-raises django's ValidationError (keyed by model field) as DRF's, keeping the keys, so
    a client sees ``{"end": ["The end must be after the start."]}``."""
    try:
        yield
    except DjangoValidationError as error:
        if hasattr(error, "error_dict"):
            detail = {
                (api_settings.NON_FIELD_ERRORS_KEY if key == NON_FIELD_ERRORS else key): messages
                for key, messages in error.message_dict.items()
            }
            raise exceptions.ValidationError(detail) from None
        raise exceptions.ValidationError(
            {api_settings.NON_FIELD_ERRORS_KEY: error.messages}
        ) from None


def refuse_read_only(meeting: Meeting) -> None:
    if meeting.read_only:
        raise exceptions.PermissionDenied(READ_ONLY_MESSAGE)


_ETAG = re.compile(r'^\s*(?:W/)?"?(\d+)"?\s*$')


def etag(meeting: Meeting) -> str:
    return f'"{meeting.version}"'


def check_if_match(header: str | None, meeting: Meeting) -> None:
    """RFC 9110 §13.1.1: a write carrying If-Match applies only if the meeting is still at one
    of the listed versions; ``*`` matches any. No header: the write is unconditional."""
    if header is None:
        return
    if header.strip() == "*":
        return
    versions = []
    for tag in header.split(","):
        match = _ETAG.match(tag)
        if match is None:
            raise exceptions.ValidationError(
                {"If-Match": ['Send the meeting version you read, e.g. If-Match: "3".']}
            )
        versions.append(int(match.group(1)))
    if meeting.version not in versions:
        raise PreconditionFailed(
            f"The meeting is at version {meeting.version}, not "
            f"{', '.join(map(str, versions))}: read it again and retry."
        )
