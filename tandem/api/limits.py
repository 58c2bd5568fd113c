"""Bounds on what one API request may ask of the server: the size and nesting of a body,
and the size and position of a page. Past a bound the answer is a 4xx that says which
bound, never a 500 (issue 15: a deeply nested body, or ?limit=9223372036854775808, used
to answer 500 from the JSON decoder or the database driver)."""

from __future__ import annotations

import io
import itertools
import re
from collections.abc import Mapping
from typing import IO, Any

from rest_framework import exceptions, status
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.parsers import JSONParser
from rest_framework.request import Request

# A meeting is at most 10,240 characters of text; written as JSON escapes (\uXXXX, six
# bytes a character) that is about 62 KB. 256 KB leaves room for any body the API takes.
MAX_BODY_BYTES = 256 * 1024
# The deepest body the API reads is an object holding a list of strings (depth 2); 32
# leaves room and keeps a hostile body far from Python's recursion limit.
MAX_BODY_DEPTH = 32
MAX_PAGE_SIZE = 500
# The database's integers stop at 2**63 - 1; no list of meetings is longer than this.
MAX_OFFSET = 2**31 - 1


class BodyTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = f"The request body is larger than {MAX_BODY_BYTES // 1024} KB."
    default_code = "body_too_large"


def _read_bounded(stream: IO[bytes] | None) -> bytes:
    data = stream.read(MAX_BODY_BYTES + 1) if stream is not None else b""
    if len(data) > MAX_BODY_BYTES:
        raise BodyTooLarge()
    return data


# A JSON string (with its escapes): brackets inside one are text, not nesting.
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKETS = bytes(set(range(256)) - set(b"[]{}"))


def json_depth(data: bytes) -> int:
    """How deeply ``data``'s arrays and objects nest (0 for a scalar), counted without
    decoding it, so a body too deep is refused before the decoder recurses into it."""
    brackets = _JSON_STRING.sub(b"", data).translate(None, _NOT_BRACKETS)
    steps = (1 if byte in b"[{" else -1 for byte in brackets)
    return max(itertools.accumulate(steps, initial=0))


class BoundedJSONParser(JSONParser):
    """DRF's JSON parser behind the size and depth bounds. The API reads JSON only (a form body
    has no null and no list, so an empty field was read as null, a schema violation)."""

    def parse(
        self,
        stream: IO[Any] | None,
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        data = _read_bounded(stream)
        if json_depth(data) > MAX_BODY_DEPTH:
            raise exceptions.ParseError(f"The JSON body nests deeper than {MAX_BODY_DEPTH} levels.")
        return super().parse(io.BytesIO(data), media_type, parser_context)


class BoundedLimitOffsetPagination(LimitOffsetPagination):
    """``?limit=&offset=`` with a maximum page size. A limit or offset that is not a
    whole number in range is refused with 400 (DRF would quietly use its default)."""

    max_limit = MAX_PAGE_SIZE

    def get_limit(self, request: Request) -> int | None:
        return self._bounded(request, self.limit_query_param, 1, MAX_PAGE_SIZE, self.default_limit)

    def get_offset(self, request: Request) -> int:
        return self._bounded(request, self.offset_query_param, 0, MAX_OFFSET, 0) or 0

    @staticmethod
    def _bounded(
        request: Request, name: str, low: int, high: int, default: int | None
    ) -> int | None:
        text = request.query_params.get(name)
        if text is None:
            return default
        # Length first: int() of a very long text is slow, and refused past 4,300 digits.
        digits = len(text) <= len(str(high)) and text.isascii() and text.isdigit()
        if not digits or not low <= int(text) <= high:
            raise exceptions.ValidationError({name: [f"Give a whole number from {low} to {high}."]})
        return int(text)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        bounds = {
            self.limit_query_param: (1, MAX_PAGE_SIZE),
            self.offset_query_param: (0, MAX_OFFSET),
        }
        for parameter in parameters:
            low, high = bounds[parameter["name"]]
            parameter["schema"].update({"minimum": low, "maximum": high})
        return parameters


def document_limits(result: dict[str, Any], **_: Any) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: the answers these bounds, the throttles and
    authentication give, on every operation they apply to, so the schema states them."""
    answers = {
        "401": "No credentials, or wrong ones: send a token or sign in.",
        "429": "Too many requests from this address or user; retry after Retry-After seconds.",
    }
    for item in result.get("paths", {}).values():
        for operation in item.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            for code, text in answers.items():
                responses.setdefault(code, {"description": text})
            if "requestBody" in operation:
                responses.setdefault(
                    "413", {"description": f"The body is larger than {MAX_BODY_BYTES // 1024} KB."}
                )
                responses.setdefault("400", {"description": "The body is not valid JSON."})
            names = {p.get("name") for p in operation.get("parameters", []) if isinstance(p, dict)}
            if names & {"limit", "offset"}:
                responses.setdefault("400", {"description": "limit or offset out of bounds."})
    return result
