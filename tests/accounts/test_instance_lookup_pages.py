"""Looking one instance of a recurring event up (``CalendarClient.event_instance``) follows
``nextPageToken``: Google may answer a page with no item and a token ("maxResults does not
guarantee the number of results on one page", the pagination guide), and the engine took
that for "the series has no occurrence there" and kept the CRM's change out of Google.

Google's side is a stand-in answering as Google does (our emulator fills its pages)."""

from __future__ import annotations

import httpx

from tandem.google.calendar import INSTANCE_PAGES_MAX, CalendarClient

BASE = "https://calendar.test/calendar/v3"
INSTANCE = {"id": "series_20270330", "status": "confirmed", "etag": '"7"'}


class _Token:
    def access_token(self) -> str:
        return "token"


class _ShortPages:
    """Answers ``empty`` pages with no item and a token, then the instance (or nothing)."""

    def __init__(self, empty: int, *, found: bool = True) -> None:
        self.empty, self.found = empty, found
        self.tokens: list[str | None] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.tokens.append(request.url.params.get("pageToken"))
        if len(self.tokens) <= self.empty:
            return httpx.Response(200, json={"items": [], "nextPageToken": f"p{len(self.tokens)}"})
        return httpx.Response(200, json={"items": [INSTANCE] if self.found else []})


def _lookup(google: _ShortPages) -> dict | None:  # type: ignore[type-arg]
    client = CalendarClient(
        http=httpx.Client(transport=httpx.MockTransport(google)), base_url=BASE, tokens=_Token()
    )
    return client.event_instance("primary", "series", original_start="2027-03-30")


def test_an_empty_page_with_a_token_is_followed_to_the_instance() -> None:
    google = _ShortPages(empty=2)
    assert _lookup(google) == INSTANCE
    assert google.tokens == [None, "p1", "p2"]


def test_no_instance_after_the_last_page_is_none() -> None:
    google = _ShortPages(empty=1, found=False)
    assert _lookup(google) is None
    assert google.tokens == [None, "p1"]


def test_the_pages_followed_are_bounded() -> None:
    google = _ShortPages(empty=1000)
    assert _lookup(google) is None
    assert len(google.tokens) == INSTANCE_PAGES_MAX
