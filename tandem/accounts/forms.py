from __future__ import annotations

from django import forms

from tandem.accounts.models import Preferences
from tandem.timezones import time_zone_choices


class PreferencesForm(forms.ModelForm):
    time_zone = forms.ChoiceField(
        label="Time zone",
        choices=time_zone_choices,
        widget=forms.Select(attrs={"data-zone-search": ""}),
        help_text="Times on your calendar are shown in this zone.",
        error_messages={
            "required": "Choose a time zone.",
            "invalid_choice": "“%(value)s” is not an IANA time zone.",
        },
    )

    class Meta:
        model = Preferences
        fields = ["time_zone", "date_format", "time_format"]
        error_messages = {
            "date_format": {"invalid_choice": "“%(value)s” is not one of the date formats."},
            "time_format": {"invalid_choice": "“%(value)s” is not one of the time formats."},
        }
