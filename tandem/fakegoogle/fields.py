"""The ``fields`` standard parameter: partial responses.

Syntax: https://developers.google.com/workspace/calendar/api/guides/performance#partial-response
(``items(id,summary),nextPageToken``, ``a/b`` for nested fields).
"""

from __future__ import annotations

from typing import Any

Selector = dict[str, "Selector | None"]


def parse(spec: str) -> Selector:
    selector, _rest = _parse_list(spec.replace(" ", ""), 0)
    return selector


def _parse_list(spec: str, pos: int) -> tuple[Selector, int]:
    selector: Selector = {}
    while pos < len(spec):
        if spec[pos] == ")":
            return selector, pos + 1
        name_end = pos
        while name_end < len(spec) and spec[name_end] not in ",()":
            name_end += 1
        path = spec[pos:name_end].split("/")
        sub: Selector | None = None
        pos = name_end
        if pos < len(spec) and spec[pos] == "(":
            sub, pos = _parse_list(spec, pos + 1)
        _add(selector, path, sub)
        if pos < len(spec) and spec[pos] == ",":
            pos += 1
    return selector, pos


def _add(selector: Selector, path: list[str], sub: Selector | None) -> None:
    head, *tail = path
    if not tail:
        existing = selector.get(head)
        if head in selector and existing is None:
            return
        selector[head] = sub if sub is None or existing is None else {**existing, **sub}
        return
    child = selector.get(head)
    if head in selector and child is None:
        return  # already selected whole
    child = child or {}
    selector[head] = child
    _add(child, tail, sub)


def apply(value: Any, selector: Selector | None) -> Any:
    if selector is None:
        return value
    if isinstance(value, list):
        return [apply(item, selector) for item in value]
    if isinstance(value, dict):
        return {k: apply(value[k], sub) for k, sub in selector.items() if k in value}
    return value
