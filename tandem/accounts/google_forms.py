from __future__ import annotations

from typing import Any

from django import forms

from tandem.accounts.google_services import WRITABLE_ROLES
from tandem.accounts.google_settings import access_label


class SyncSettingsForm(forms.Form):
    inbound_calendar_ids = forms.MultipleChoiceField(
        label="Google calendars synced into the CRM",
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    target_calendar_id = forms.ChoiceField(
        label="Google calendar that receives the CRM's meetings",
        widget=forms.RadioSelect,
        error_messages={"required": "Choose the Google calendar that receives the CRM's meetings."},
    )
    sync_private = forms.BooleanField(label="also synchronize private meetings", required=False)

    def __init__(self, *args: Any, calendars: list[dict[str, Any]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        inbound = self.fields["inbound_calendar_ids"]
        target = self.fields["target_calendar_id"]
        assert isinstance(inbound, forms.MultipleChoiceField)
        assert isinstance(target, forms.ChoiceField)
        inbound.choices = [(calendar["id"], _label(calendar)) for calendar in calendars]
        target.choices = [
            (calendar["id"], _label(calendar))
            for calendar in calendars
            if calendar["access_role"] in WRITABLE_ROLES
        ]


def _label(calendar: dict[str, Any]) -> str:
    # In a person's words: owning a calendar or being allowed to change it is the same to
    # them ("owner", "writer" and "freeBusyReader" are Google's words, not theirs).
    role = "you can edit" if calendar["access_role"] in WRITABLE_ROLES else access_label(calendar)
    primary = " (your main calendar)" if calendar.get("primary") else ""
    return f"{calendar['summary']}{primary} — {role}"
