"""Push-channel tokens are stored as their SHA-256 (issue 15, finding 9): the column is
renamed and each stored token is replaced by its hash, so live channels keep working."""

import hashlib

from django.db import migrations


def hash_tokens(apps, schema_editor):
    CalendarSyncState = apps.get_model("sync", "CalendarSyncState")
    for state in CalendarSyncState.objects.exclude(channel_token_hash="").only(
        "pk", "channel_token_hash"
    ):
        digest = hashlib.sha256(state.channel_token_hash.encode()).hexdigest()
        CalendarSyncState.objects.filter(pk=state.pk).update(channel_token_hash=digest)


def forget_tokens(apps, schema_editor):
    # A hash cannot be turned back into its token: going back, channels are forgotten (the
    # hourly renewal opens new ones; the old ones expire at Google within 7 days).
    CalendarSyncState = apps.get_model("sync", "CalendarSyncState")
    CalendarSyncState.objects.exclude(channel_token_hash="").update(
        channel_id="", channel_token_hash="", channel_resource_id="", channel_expires_at=None
    )


class Migration(migrations.Migration):
    dependencies = [("sync", "0006_outbound_candidate_indexes")]

    operations = [
        migrations.RenameField(
            model_name="calendarsyncstate", old_name="channel_token", new_name="channel_token_hash"
        ),
        migrations.RunPython(hash_tokens, forget_tokens),
    ]
