"""tandem.google.errors.json_object_from decodes Google's answers with msgspec and falls back
to the standard library where msgspec refuses: the value is always what ``response.json()``
gives, and a body that is not a JSON object is the same project error as before."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tandem.google.errors import MalformedResponse, json_object_from

JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


def _answer(content: bytes, kind: str = "application/json; charset=UTF-8") -> httpx.Response:
    return httpx.Response(200, content=content, headers={"Content-Type": kind})


@given(body=st.dictionaries(st.text(), JSON_VALUES, max_size=5), ascii_only=st.booleans())
def test_every_json_object_reads_as_the_standard_library_reads_it(
    body: dict[str, Any], ascii_only: bool
) -> None:
    content = json.dumps(body, ensure_ascii=ascii_only).encode()
    assert json_object_from(_answer(content), source="Google") == json.loads(content)


@pytest.mark.parametrize(
    "content",
    [
        b'{"summary": "\\ud800 alone"}',  # a lone surrogate escape: msgspec refuses it
        b'{"n": NaN, "big": 1e400}',  # not JSON, but Python's decoder reads them
        b'\xef\xbb\xbf{"summary": "with a BOM"}',
        '{"summary": "UTF-16"}'.encode("utf-16"),
        b'{"a": 1, "a": 2}',  # msgspec reads it: the last of a repeated key, as json does
    ],
    ids=["lone-surrogate", "nan-and-infinity", "bom", "utf-16", "repeated-key"],
)
def test_edge_bodies_are_read_as_before(content: bytes) -> None:
    response = _answer(content)
    assert repr(json_object_from(response, source="Google")) == repr(response.json())


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"<html>Sign in to the Wi-Fi</html>", "with a body that is not JSON (text/html"),
        (b'{"items": [', "with a body that is not JSON (text/html"),
        (b'{"a": "\xff"}', "with a body that is not JSON (text/html"),
        (b"[1, 2]", "with JSON that is not an object"),
    ],
)
def test_a_body_that_is_not_a_json_object_is_a_plain_project_error(
    content: bytes, problem: str
) -> None:
    with pytest.raises(MalformedResponse, match=problem.replace("(", r"\(")):
        json_object_from(_answer(content, kind="text/html"), source="Google Calendar")
