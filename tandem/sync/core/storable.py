"""Text from Google made storable and safe to show, in one place (issue 12, must-have 4).

Google keeps what people and other systems type: control characters, a NUL (an invitation
from another calendar system can carry one), and a lone UTF-16 surrogate that a client
sent escaped (``\\ud800``: JSON allows it, RFC 8259 §8.2; Google's JSON carries it
escaped). None of these can be stored or shown as they are:

- NUL (U+0000): PostgreSQL's text and jsonb refuse it (psycopg raises ``DataError:
  PostgreSQL text fields cannot contain NUL``), which stopped a user's sync for good.
  Removed.
- Lone surrogates (U+D800-U+DFFF in a Python str): no UTF-8 form, so neither database nor
  a page can encode them. Replaced by U+FFFD, the character browsers show for broken text,
  so the reader sees that something was there.
- Other C0 controls (but tab, line feed and carriage return), DEL and the C1 controls:
  HTML makes them parse errors ("control-character-in-input-stream",
  https://html.spec.whatwg.org/multipage/parsing.html#parse-errors) and XML 1.0 forbids
  the C0 ones, so exports would break. Removed.

Everything else (any script, emoji, U+2028, noncharacters) is kept. Text comes back from
``storable_text`` unchanged, and cheaply, when it holds none of these: the common case.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

REPLACEMENT = "\ufffd"

# Kept: \t \n \r. The surrogates are replaced, the rest removed.
_UNFIT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass(frozen=True)
class Cleaned:
    """Text made storable, and what was done to it (``changes`` is empty when nothing)."""

    text: str
    removed_nul: int = 0
    removed_controls: int = 0
    replaced_surrogates: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.removed_nul or self.removed_controls or self.replaced_surrogates)

    def describe(self, what: str) -> str:
        """One sentence for the run report: what was done to ``what`` ("the title")."""
        parts = []
        if self.removed_nul:
            parts.append(_count(self.removed_nul, "NUL character") + " removed")
        if self.removed_controls:
            parts.append(_count(self.removed_controls, "control character") + " removed")
        if self.replaced_surrogates:
            parts.append(
                _count(self.replaced_surrogates, "lone UTF-16 surrogate") + " replaced by “\ufffd”"
            )
        return f"In {what}: {', '.join(parts)}."


def storable_text(text: str) -> Cleaned:
    """``text`` without what PostgreSQL, SQLite or a browser cannot take (see the module)."""
    if is_storable(text):
        return Cleaned(text)
    nul = text.count("\x00")
    surrogates = len(_SURROGATE.findall(text))
    cleaned = _UNFIT.sub(lambda found: REPLACEMENT if found[0] >= "\ud800" else "", text)
    controls = len(text) - len(cleaned) - nul
    return Cleaned(
        cleaned, removed_nul=nul, removed_controls=controls, replaced_surrogates=surrogates
    )


def is_storable(text: str) -> bool:
    """Whether ``text`` can be stored as it is (an identifier must be, or it is refused).

    ``isprintable()`` first: C-fast, and false for every character this module removes or
    replaces (categories Cc and Cs), so a title or a location usually stops there; text
    with line breaks or tabs (not printable either) takes the pattern."""
    return text.isprintable() or _UNFIT.search(text) is None


def quoted(value: object, limit: int) -> str:
    """``value`` shortened to ``limit`` characters and made storable, to quote it in a
    problem or a warning (which the run record stores and the status page shows)."""
    return storable_text(str(value)[:limit]).text


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"
