"""Django admin for operators. Another user's private or confidential meeting is "Busy" here
too, as on pages and in the API (DESIGN.md §3, admins included): its subject, description
and location are neither listed, searched nor shown on its change page
(tandem/meetings/admin_masking.py). Writes go through the services so that versions bump
and the sync engine hears about them; deletion is the soft, restorable kind."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from tandem.meetings.admin_masking import (
    HIDDEN,
    ViewerAwareAdmin,
    masked_for_viewer,
    shown_subject,
)
from tandem.meetings.models import Meeting, MeetingQuerySet
from tandem.meetings.services import (
    MeetingInput,
    meeting_create,
    meeting_delete,
    meeting_restore,
    meeting_update,
    normalised,
)


class MeetingAdminForm(forms.ModelForm):
    """Checks what the services would refuse, so an operator gets a message, not an error page."""

    class Meta:
        model = Meeting
        fields = [
            "owner",
            "subject",
            "all_day",
            "start",
            "end",
            "start_date",
            "end_date",
            "time_zone",
            "location",
            "description",
            "visibility",
            "recurrence",
            "series",
            "original_start",
            "is_cancelled_occurrence",
            "read_only",
        ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.instance.pk and self.instance.read_only:
            raise forms.ValidationError(
                "This meeting comes from a Google calendar its owner cannot edit."
            )
        if cleaned.get("all_day"):
            first, end = cleaned.get("start_date"), cleaned.get("end_date")
            if first is None:
                self.add_error("start_date", "An all-day meeting needs a first day.")
            if end is None:
                self.add_error("end_date", "An all-day meeting needs an (exclusive) end date.")
            if first and end and end <= first:
                self.add_error("end_date", "The exclusive end date must be after the first day.")
        if not self.errors:
            self._check_as_the_services_will(cleaned)
        return cleaned

    def _check_as_the_services_will(self, cleaned: dict[str, Any]) -> None:
        """The rules save_model's services apply (meetings/rules.py, e.g. the years 1900 to
        2200, the end not before the start), as form errors: refused there, after the form
        was valid, they were a 500 (issue 15). Fields not on the form (a masked meeting's
        text) keep the meeting's own values."""
        values = {
            name: cleaned.get(name, getattr(self.instance, name))
            for name in MeetingInput.__dataclass_fields__
        }
        try:
            normalised(MeetingInput(**{**values, "recurrence": values["recurrence"] or []}))
        except ValidationError as error:
            for name, problems in error.message_dict.items():
                self.add_error(name if name in self.fields else None, problems)


class DeletedFilter(admin.SimpleListFilter):
    title = "deleted"
    parameter_name = "deleted"

    def lookups(self, request, model_admin):  # type: ignore[no-untyped-def]
        return [("no", "Live"), ("yes", "Deleted (tombstones)")]

    def queryset(self, request, queryset):  # type: ignore[no-untyped-def]
        if self.value() == "no":
            return queryset.alive()
        if self.value() == "yes":
            return queryset.tombstones()
        return queryset


@admin.register(Meeting)
class MeetingAdmin(ViewerAwareAdmin):
    form = MeetingAdminForm
    list_display = ["subject_shown", "owner", "start", "end", "all_day", "visibility", "deleted_at"]
    masked_search_fields = ("subject",)
    list_filter = ["owner", "visibility", DeletedFilter, "all_day", "read_only"]
    search_fields = ["subject"]
    date_hierarchy = "start"
    list_select_related = ["owner"]
    raw_id_fields = ["series"]
    readonly_fields = ["version", "created_at", "updated_at", "deleted_at"]
    actions = ["soft_delete", "restore"]

    @admin.display(description="subject")
    def subject_shown(self, meeting: Meeting) -> str:
        return shown_subject(meeting)

    @admin.display(description="description")
    def description_hidden(self, meeting: Meeting) -> str:
        return HIDDEN

    @admin.display(description="location")
    def location_hidden(self, meeting: Meeting) -> str:
        return HIDDEN

    def get_fields(self, request, obj=None):  # type: ignore[no-untyped-def]
        fields = list(self.form.Meta.fields)
        if obj is not None and masked_for_viewer(obj):
            # Shown as Busy and not editable: the operator sees what a colleague sees.
            masked = {"subject": "subject_shown", "description": "description_hidden"}
            masked["location"] = "location_hidden"
            fields = [masked.get(name, name) for name in fields]
        return [*fields, *self.readonly_fields]

    def get_readonly_fields(self, request, obj=None):  # type: ignore[no-untyped-def]
        readonly = list(self.readonly_fields)
        if obj is not None:
            # Whether a meeting is read-only follows its Google calendar's access role.
            readonly.append("read_only")
            if masked_for_viewer(obj):
                # Visibility too: set to "default" and saved, it would unmask the meeting
                # for the operator (and for Google's guests, through the sync).
                readonly += ["subject_shown", "description_hidden", "location_hidden"]
                readonly.append("visibility")
        return readonly

    def has_delete_permission(self, request: HttpRequest, obj: Meeting | None = None) -> bool:
        # A hard delete would vanish without a tombstone the sync engine can act on.
        return False

    def save_model(self, request, obj, form, change):  # type: ignore[no-untyped-def]
        data = MeetingInput(
            subject=obj.subject,
            start=obj.start,
            end=obj.end,
            all_day=obj.all_day,
            start_date=obj.start_date,
            end_date=obj.end_date,
            time_zone=obj.time_zone,
            description=obj.description,
            location=obj.location,
            visibility=obj.visibility,
            recurrence=obj.recurrence or [],
        )
        if change:
            meeting_update(meeting=Meeting.objects.get(pk=obj.pk), data=data, origin="crm")
        else:
            created = meeting_create(
                owner=obj.owner, data=data, origin="crm", read_only=obj.read_only
            )
            obj.pk = created.pk

    @admin.action(description="Delete selected meetings (restorable for 30 days)")
    def soft_delete(self, request: HttpRequest, queryset: MeetingQuerySet) -> None:
        deleted = 0
        for meeting in queryset.alive():
            try:
                meeting_delete(meeting=meeting, origin="crm")
                deleted += 1
            except ValidationError as error:
                self.message_user(
                    request, f"{shown_subject(meeting)}: {error.messages[0]}", messages.WARNING
                )
        self.message_user(request, f"Deleted {deleted} meeting(s).")

    @admin.action(description="Restore selected deleted meetings")
    def restore(self, request: HttpRequest, queryset: MeetingQuerySet) -> None:
        restored = 0
        for meeting in queryset.tombstones():
            try:
                meeting_restore(meeting=meeting, origin="crm")
                restored += 1
            except ValidationError as error:
                self.message_user(
                    request, f"{shown_subject(meeting)}: {error.messages[0]}", messages.WARNING
                )
        self.message_user(request, f"Restored {restored} meeting(s).")
