"""``Cache-Control: no-store`` on every answer to a signed-in person or API client (issue 15,
finding 3): a page or a JSON answer with someone's meetings must not stay in a shared
proxy's cache, nor in the browser's for the next person at that computer after sign-out."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.cache import add_never_cache_headers


class NoStoreWhenSignedInMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        # Read after the view: the API's token authentication sets request.user there.
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            add_never_cache_headers(response)
        return response
