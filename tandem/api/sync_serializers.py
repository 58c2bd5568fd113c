"""Shapes of the Google connection, sync settings and sync status endpoints (and of
``tandem sync --json``, which prints the same run objects). Output only, except the
breaker's answer (the settings' inputs are in google_serializers.py); the rules behind them
live in tandem.accounts.google_settings, tandem.accounts.google_services and
tandem.sync.user_actions."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from tandem.accounts.models import GoogleConnection
from tandem.api.fields import rfc3339
from tandem.sync.models import SyncConflict, SyncRun
from tandem.sync.user_actions import ANSWERS

Shape = serializers.Serializer[Any]


class GoogleConnectionSerializer(Shape):
    status = serializers.ChoiceField(
        choices=GoogleConnection.Status.choices,
        help_text=(
            "connected; needs_reconnect (Google no longer accepts the grant); scope_missing "
            "(calendar access was not granted); disconnected."
        ),
    )
    status_text = serializers.CharField(help_text="The status in the words of the page.")
    email = serializers.CharField(help_text="The Google account's email; empty if none.")
    connect_url = serializers.CharField(
        help_text=(
            "Where to send a browser that is signed in to Tandem as this user: it goes on to "
            "Google's consent page and comes back to the synchronization settings. (The "
            "sign-in is bound to that browser's session, so a link cannot connect someone "
            "else's Google account to you.)"
        )
    )
    revoke_pending = serializers.BooleanField(
        help_text="Disconnected, but Google could not be reached to revoke; retried later."
    )


class RevokeSerializer(Shape):
    done = serializers.BooleanField(help_text="False when Google was not connected.")
    revoked_at_google = serializers.BooleanField(
        help_text="Google confirmed the revoke now (else it is retried in the background)."
    )
    message = serializers.CharField()
    google = GoogleConnectionSerializer()


class CalendarSerializer(Shape):
    id = serializers.CharField()
    summary = serializers.CharField()
    access_role = serializers.CharField(
        help_text="Google's accessRole: owner, writer, reader or freeBusyReader."
    )
    access = serializers.CharField(help_text="The same in the page's words, e.g. 'read only'.")
    writable = serializers.BooleanField(help_text="May be the target calendar.")
    primary = serializers.BooleanField()
    time_zone = serializers.CharField()
    background_color = serializers.CharField(
        help_text="Google's colour of the calendar (calendarList backgroundColor), '#rrggbb'."
    )


class SettingsCalendarSerializer(CalendarSerializer):
    colour = serializers.CharField(
        help_text=(
            "The colour its meetings show in the CRM, '#rrggbb': the one chosen in the CRM "
            "(calendar_colours), else Google's; empty when there is none."
        )
    )


class CalendarListSerializer(Shape):
    calendars = CalendarSerializer(many=True)
    load_error = serializers.CharField(
        help_text="Set when Google could not be read: the list is the last known one."
    )
    has_dedicated = serializers.BooleanField(
        help_text="The account has a calendar named like the dedicated one ('Tandem CRM')."
    )


class SyncSettingsSerializer(Shape):
    inbound_calendar_ids = serializers.ListField(
        child=serializers.CharField(), help_text="Calendars synced into the CRM."
    )
    target_calendar_id = serializers.CharField(
        help_text="The calendar that receives the CRM's meetings (owner or writer)."
    )
    sync_private = serializers.BooleanField(help_text="Also synchronize private meetings.")
    saved_at = serializers.DateTimeField(allow_null=True)
    complete = serializers.BooleanField(
        source="is_complete", help_text="Saved with a target: the sync runs."
    )
    calendars = SettingsCalendarSerializer(
        many=True, help_text="The account's calendars as last read."
    )
    message = serializers.CharField(required=False, help_text="Set when the settings were saved.")


class RunProblemSerializer(Shape):
    """One thing a run could not do (an error) or changed to do it (a warning)."""

    text = serializers.CharField(help_text="The whole line, as the status page shows it.")
    message = serializers.CharField(help_text="What happened, in plain words.")
    subject = serializers.CharField(
        help_text=(
            "The meeting or event concerned as people know it (“Subject”, 'A private "
            "meeting', 'A private event', 'A Google event'); empty when the message names "
            "it or the problem is the whole run's."
        )
    )
    meeting_id = serializers.IntegerField(allow_null=True)
    event_id = serializers.CharField(help_text="Google's event id; empty if none.")
    rule = serializers.CharField(help_text="The sync rule that was being carried out.")


class SyncRunSerializer(serializers.ModelSerializer[SyncRun]):
    """One sync run: what it changed on each side (counts), the Google requests it made,
    its errors, and its warnings."""

    counts = serializers.DictField(
        child=serializers.IntegerField(),
        help_text=(
            "crm_created, crm_updated, crm_deleted, crm_restored, google_created, "
            "google_updated, google_deleted, google_moved, conflicts, problems, ..."
        ),
    )
    # A declared field shadows Serializer.errors only in the type stubs: DRF's metaclass
    # moves declared fields off the class.
    errors = RunProblemSerializer(  # type: ignore[assignment]
        many=True,
        source="report.errors",
        help_text="What the run could not do: each item is tried again at the next sync.",
    )
    warnings = RunProblemSerializer(
        many=True,
        source="report.warnings",
        help_text=(
            "What the run changed of Google's text to store it, or events the CRM cannot "
            "hold (the events synced otherwise)."
        ),
    )

    class Meta:
        model = SyncRun
        fields = [
            "id",
            "trigger",
            "status",
            "started_at",
            "finished_at",
            "requests",
            "counts",
            "errors",
            "warnings",
        ]


class ConflictMeetingSerializer(Shape):
    id = serializers.IntegerField()
    subject = serializers.CharField()


class SyncConflictSerializer(serializers.ModelSerializer[SyncConflict]):
    """A field changed both in the CRM and in Google since the last sync, and how the merge
    settled it (docs/sync-rules.md)."""

    meeting = ConflictMeetingSerializer()
    base_value = serializers.JSONField(help_text="The value both sides last agreed on.")
    crm_value = serializers.JSONField()
    google_value = serializers.JSONField()
    winner = serializers.ChoiceField(choices=["crm", "google"], help_text="Whose value was kept.")
    rule = serializers.CharField(help_text="The rule that decided, in plain words.")
    settled_at = serializers.DateTimeField(source="created_at")

    class Meta:
        model = SyncConflict
        fields = [
            "id",
            "run",
            "meeting",
            "field",
            "base_value",
            "crm_value",
            "google_value",
            "winner",
            "rule",
            "settled_at",
        ]


class HeldMeetingSerializer(Shape):
    meeting_id = serializers.IntegerField(allow_null=True)
    subject = serializers.CharField()
    start = serializers.CharField(
        allow_null=True, help_text="ISO 8601 date (all-day) or date-time."
    )
    # A CharField, not choices: the schema would name the same set twice (see winner).
    deleted_in = serializers.CharField(help_text='"google" or "crm": where it was deleted.')

    def to_representation(self, instance: Any) -> dict[str, Any]:
        data = super().to_representation(instance)
        data["start"] = instance.start.isoformat() if instance.start else None
        return data


class AttentionSerializer(Shape):
    question = serializers.CharField(
        source="needs_attention", help_text="What the sync waits for, in plain words."
    )
    kind = serializers.ChoiceField(
        source="attention_kind",
        choices=["mass_delete", "stopped"],
        help_text="mass_delete: answer apply or keep; stopped: answer resume.",
    )
    answers = serializers.SerializerMethodField()
    meetings = HeldMeetingSerializer(
        source="held_deletions", many=True, help_text="The meetings the deletions concern."
    )
    meetings_cut = serializers.BooleanField(
        source="held_deletions_cut",
        help_text="More meetings are concerned than listed (the list keeps the first 200).",
    )

    def get_answers(self, status: Any) -> list[str]:
        return [answer for answer, kind in ANSWERS.items() if kind == status.attention_kind]


class SyncStatusSerializer(Shape):
    set_up = serializers.BooleanField(
        help_text="Google is connected and the settings are saved: the sync runs."
    )
    running = serializers.BooleanField(help_text="A run is going on now.")
    last_success_at = serializers.DateTimeField(allow_null=True)
    next_due_at = serializers.DateTimeField(allow_null=True, help_text="The next scheduled run.")
    last_error = serializers.CharField(help_text="The last error in plain words, or empty.")
    attention = AttentionSerializer(
        allow_null=True, help_text="What waits for your answer, or null."
    )
    recent_runs = SyncRunSerializer(many=True)
    recent_conflicts = SyncConflictSerializer(many=True)


class ActionResultSerializer(Shape):
    accepted = serializers.BooleanField(help_text="Queued now, or already queued.")
    message = serializers.CharField()


class AttentionAnswerSerializer(Shape):
    answer = serializers.ChoiceField(
        choices=sorted(ANSWERS),
        help_text=(
            "apply: let the held deletions through (restorable for 30 days); keep: keep "
            "every meeting and re-read Google; resume: restart a stopped sync."
        ),
    )


class SeriesOccurrenceSerializer(Shape):
    key = serializers.CharField(
        help_text="Names the occurrence in /api/v1/meetings/{id}/occurrences/{key}/."
    )
    original_start = serializers.DateTimeField(help_text="Where the series' rule puts it.")
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    status = serializers.ChoiceField(
        choices=["scheduled", "changed", "cancelled"],
        help_text="cancelled: cancelled alone (or a changed occurrence deleted since).",
    )
    time_zone = serializers.CharField(help_text="The zone the times are given in.")
    all_day = serializers.BooleanField(
        help_text="Whole days: start and end are midnights in time_zone (end exclusive)."
    )
    meeting_id = serializers.IntegerField(
        allow_null=True, help_text="The meeting a changed occurrence became."
    )

    def to_representation(self, instance: Any) -> dict[str, Any]:
        data = super().to_representation(instance)
        # On the series' wall clock, as the meetings API gives a meeting's times.
        for name in ("original_start", "start", "end"):
            data[name] = rfc3339(getattr(instance, name), instance.time_zone)
        return data
