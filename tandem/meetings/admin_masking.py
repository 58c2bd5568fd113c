"""The Django admin masks other users' private meetings as pages and the API do (issue 15,
finding 2; DESIGN.md §3: "Busy" to everyone but their owner, admins included).

The decision is ``selectors.calendar_entry``'s (the pages' and the API's), asked with the
admin's signed-in user as the viewer. Django hands a list column or a read-only field the
object only, not the request, so ``ViewerAwareAdmin`` keeps the request's user in a context
variable while a change list or change form is rendered; without one, everything private
is masked.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.contrib import admin
from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Q, QuerySet
from django.db.models.constants import LOOKUP_SEP
from django.http import HttpRequest, HttpResponse
from django.utils.text import smart_split, unescape_string_literal

from tandem.meetings.models import PRIVATE_VISIBILITIES, Meeting
from tandem.meetings.selectors import BUSY, calendar_entry

HIDDEN = "(hidden: a private meeting of another user)"

_viewer: ContextVar[User | None] = ContextVar("admin_viewer", default=None)


@contextmanager
def viewing_as(user: Any) -> Iterator[None]:
    token = _viewer.set(user if isinstance(user, User) else None)
    try:
        yield
    finally:
        _viewer.reset(token)


def masked_for_viewer(meeting: Meeting) -> bool:
    """Whether the admin's current viewer sees ``meeting`` only as Busy."""
    viewer = _viewer.get()
    entry = calendar_entry(viewer=viewer or AnonymousUser(), meeting=meeting)  # type: ignore[arg-type]
    return entry.is_busy_block


def shown_subject(meeting: Meeting | None) -> str:
    if meeting is None:
        return ""
    return BUSY if masked_for_viewer(meeting) else meeting.subject


def shown_in_full(viewer: Any, *, prefix: str = "") -> Q:
    """The meetings ``viewer`` may see in full, as a filter (``prefix``: the path to the
    meeting, e.g. ``"meeting__"``): the same rule as ``calendar_entry``, for searches,
    which must not find a private meeting by the words it hides."""
    private = Q(**{f"{prefix}visibility__in": PRIVATE_VISIBILITIES})
    return Q(**{f"{prefix}owner_id": getattr(viewer, "pk", None)}) | ~private


# The lookups the admin's own filters put in a change list's address: a list filter's
# (exact value, empty or not, a related row's id) and the date hierarchy's.
_OFFERED_LOOKUPS = frozenset(
    {"", "exact", "isnull", "isempty", "id__exact", "year", "month", "day"}
)


class OfferedFiltersOnly(admin.ModelAdmin):
    """A change list filters by what it offers, its list filters and date hierarchy, and by
    nothing else in the address. Django also takes any lookup on a model's own fields from
    the query string (?subject__startswith=Acq): the count of rows found was an oracle that
    spelt out, a letter at a time, the text a private meeting hides, a conflict's values or
    the held deletions' subjects (issue 15, finding 2). Anything else is a 400."""

    def lookup_allowed(self, lookup: str, value: str, request: HttpRequest | None = None) -> bool:
        field, _, rest = lookup.partition(LOOKUP_SEP)
        offered = field in self._offered_fields(request) and rest in _OFFERED_LOOKUPS
        return (lookup in self._offered_parameters(request) or offered) and super().lookup_allowed(
            lookup, value, request
        )

    def _offered_fields(self, request: HttpRequest | None) -> set[str]:
        items = self.get_list_filter(request) if request is not None else self.list_filter
        names = {item[0] if isinstance(item, (list, tuple)) else item for item in items}
        names.add(self.date_hierarchy or "")
        return {name for name in names if isinstance(name, str) and name}

    def _offered_parameters(self, request: HttpRequest | None) -> set[str]:
        items = self.get_list_filter(request) if request is not None else self.list_filter
        return {
            str(item.parameter_name)
            for item in items
            if isinstance(item, type) and issubclass(item, admin.SimpleListFilter)
        }


class ViewerAwareAdmin(OfferedFiltersOnly):
    """Renders change lists and change forms with the request's user as the viewer, and
    keeps searches from matching the hidden text of others' private meetings."""

    meeting_path = ""  # from this admin's model to the meeting ("" for Meeting itself)
    masked_search_fields: tuple[str, ...] = ()  # the search fields that read hidden text

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        with viewing_as(request.user):
            return _rendered(super().changelist_view(request, extra_context))

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: Any = None,
    ) -> HttpResponse:
        with viewing_as(request.user):
            return _rendered(super().changeform_view(request, object_id, form_url, extra_context))

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Any], search_term: str
    ) -> tuple[QuerySet[Any], bool]:
        found, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        if search_term and self.masked_search_fields:
            # A match counts where the viewer may read the text it matched: in full, or by
            # a field that hides nothing (the owner's name finds their Busy rows too).
            visible = shown_in_full(request.user, prefix=self.meeting_path)
            others = [
                f for f in self.get_search_fields(request) if f not in self.masked_search_fields
            ]
            found = found.filter(visible | _all_words_in(search_term, others))
        return found, may_have_duplicates


def _all_words_in(search_term: str, fields: list[str]) -> Q:
    """Every word of the search in one of ``fields`` (the admin's own rule, on fewer fields)."""
    if not fields:
        return Q(pk__in=[])
    condition = Q()
    for word in smart_split(search_term):
        if word.startswith(('"', "'")) and word[0] == word[-1]:
            word = unescape_string_literal(word)
        any_field = Q()
        for name in fields:
            any_field |= Q(**{f"{name}__icontains": word})
        condition &= any_field
    return condition


def _rendered(response: HttpResponse) -> HttpResponse:
    # A TemplateResponse renders after the view returns, outside the viewer's context:
    # render it here, inside.
    render = getattr(response, "render", None)
    if callable(render) and not getattr(response, "is_rendered", True):
        render()
    return response
