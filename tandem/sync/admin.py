"""Operators' views of Google connections, sync state and runs (Django admin).

Read-only: the sync owns these rows, an operator looks and, at most, queues a sync. Token
fields of GoogleConnection are never shown, not even encrypted.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from tandem.accounts.models import GoogleConnection
from tandem.meetings.admin_masking import (
    HIDDEN,
    OfferedFiltersOnly,
    ViewerAwareAdmin,
    masked_for_viewer,
)
from tandem.sync.models import SyncConflict, SyncRun, UserSyncState
from tandem.sync.tasks import request_sync


class ReadOnlyAdmin(OfferedFiltersOnly):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# The fields whose text a private meeting hides (tandem.meetings.selectors.calendar_entry).
HIDDEN_FIELDS = frozenset({"subject", "description", "location"})


def _queue_syncs(modeladmin: admin.ModelAdmin, request: HttpRequest, user_ids: list[int]) -> None:
    queued = sum(request_sync(user_id=user_id, trigger="operator") for user_id in user_ids)
    modeladmin.message_user(
        request,
        f"Queued a sync for {queued} user(s); the others were already queued.",
        messages.SUCCESS,
    )


@admin.register(GoogleConnection)
class GoogleConnectionAdmin(ReadOnlyAdmin):
    list_display = ["user", "email", "status", "status_detail", "connected_at", "updated_at"]
    list_filter = ["status"]
    search_fields = ["user__username", "email"]
    list_select_related = ["user"]
    # Never the token fields: an explicit list, so a new secret column stays hidden too.
    fields = [
        "user",
        "email",
        "google_sub",
        "status",
        "status_detail",
        "granted_scopes",
        "connected_at",
        "updated_at",
    ]
    actions = ["queue_sync"]

    @admin.action(description="Sync now")
    def queue_sync(self, request: HttpRequest, queryset: QuerySet[GoogleConnection]) -> None:
        connected = queryset.filter(status=GoogleConnection.Status.CONNECTED)
        _queue_syncs(self, request, list(connected.values_list("user_id", flat=True)))


@admin.register(UserSyncState)
class UserSyncStateAdmin(ReadOnlyAdmin):
    list_display = [
        "owner",
        "last_success_at",
        "next_due_at",
        "needs_attention",
        "last_error",
        "locked_until",
        "unfinished_starts",
    ]
    list_filter = [
        ("needs_attention", admin.EmptyFieldListFilter),
        ("last_error", admin.EmptyFieldListFilter),
    ]
    search_fields = ["owner__username"]
    list_select_related = ["owner"]
    # held_deletions lists the owner's meetings by subject, private ones included: they are
    # "Busy" to everyone else, admins too (DESIGN.md §3), so the admin does not show them.
    exclude = ["lock_token", "held_deletions"]
    actions = ["queue_sync"]

    @admin.action(description="Sync now")
    def queue_sync(self, request: HttpRequest, queryset: QuerySet[UserSyncState]) -> None:
        _queue_syncs(self, request, list(queryset.values_list("owner_id", flat=True)))


def _value_shown(conflict: SyncConflict, value: Any) -> Any:
    # A conflict on a hidden field of a private meeting holds that field's text.
    if conflict.field in HIDDEN_FIELDS and masked_for_viewer(conflict.meeting):
        return HIDDEN
    return value


class ConflictValues:
    """The conflict's two values, hidden where the meeting is Busy to the viewer
    (tandem/meetings/admin_masking.py)."""

    @admin.display(description="CRM value")
    def crm_value_shown(self, conflict: SyncConflict) -> Any:
        return _value_shown(conflict, conflict.crm_value)

    @admin.display(description="Google value")
    def google_value_shown(self, conflict: SyncConflict) -> Any:
        return _value_shown(conflict, conflict.google_value)


class SyncConflictInline(ConflictValues, admin.TabularInline):
    model = SyncConflict
    fields = ["meeting", "field", "winner", "rule", "crm_value_shown", "google_value_shown"]
    readonly_fields = [
        "meeting",
        "field",
        "winner",
        "rule",
        "crm_value_shown",
        "google_value_shown",
    ]
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(SyncRun)
class SyncRunAdmin(ViewerAwareAdmin, ReadOnlyAdmin):
    list_display = ["owner", "trigger", "status", "started_at", "finished_at", "requests", "counts"]
    list_filter = ["status", "trigger"]
    search_fields = ["owner__username"]
    list_select_related = ["owner"]
    date_hierarchy = "started_at"
    inlines = [SyncConflictInline]
    # The run's problems as the status page words them, not their stored JSON.
    fields = [
        "owner",
        "trigger",
        "status",
        "started_at",
        "finished_at",
        "requests",
        "counts",
        "errors_shown",
        "warnings_shown",
    ]
    readonly_fields = ["errors_shown", "warnings_shown"]

    @admin.display(description="errors")
    def errors_shown(self, run: SyncRun) -> str:
        return "\n".join(problem.text for problem in run.report.errors) or "-"

    @admin.display(description="warnings")
    def warnings_shown(self, run: SyncRun) -> str:
        return "\n".join(problem.text for problem in run.report.warnings) or "-"


@admin.register(SyncConflict)
class SyncConflictAdmin(ConflictValues, ViewerAwareAdmin, ReadOnlyAdmin):
    list_display = ["owner", "meeting", "field", "winner", "rule", "created_at"]
    list_filter = ["field", "winner"]
    search_fields = ["owner__username", "meeting__subject"]
    meeting_path = "meeting__"
    masked_search_fields = ("meeting__subject",)
    fields = [
        "owner",
        "meeting",
        "run",
        "field",
        "winner",
        "rule",
        "crm_value_shown",
        "google_value_shown",
        "created_at",
    ]
    list_select_related = ["owner", "meeting"]
