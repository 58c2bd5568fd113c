from __future__ import annotations

from typing import Any

from django import forms

from tandem.accounts.google_services import WRITABLE_ROLES
from tandem.accounts.google_settings import access_label
from tandem.google.palette import CALENDAR_PALETTE, HEX_COLOUR

# What a colour input holds and sends when it was given no value (HTML's "default value"
# of <input type=color>, https://html.spec.whatwg.org/multipage/input.html#color-state-(type=color)).
UNSET_COLOUR_INPUT = "#000000"


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

    palette = list(CALENDAR_PALETTE.values())  # offered by the colour inputs (a datalist)

    def __init__(
        self,
        *args: Any,
        calendars: list[dict[str, Any]],
        colours: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        # One colour input per calendar, named by position (calendar ids are e-mail-like
        # text, not field names); ``colours``: each calendar's colour as the CRM shows it.
        self.colour_fields: list[tuple[str, dict[str, Any]]] = []
        for position, calendar in enumerate(calendars):
            name = f"colour_{position}"
            self.fields[name] = forms.RegexField(
                regex=HEX_COLOUR,
                label=f"Colour of {calendar['summary']}",
                required=False,
                initial=(colours or {}).get(calendar["id"], ""),
                widget=forms.TextInput(attrs={"type": "color", "list": "calendar-palette"}),
                error_messages={"invalid": "Choose a colour like #4986e7."},
            )
            self.colour_fields.append((name, calendar))
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

    def colour_rows(self) -> list[tuple[forms.BoundField, dict[str, Any]]]:
        return [(self[name], calendar) for name, calendar in self.colour_fields]

    def chosen_colours(self, saved: dict[str, str]) -> dict[str, str]:
        """The saved choices with the colours changed on this form (a colour left as
        shown is no new choice, so a calendar keeps following Google's)."""
        chosen = dict(saved)
        for name, calendar in self.colour_fields:
            value = (self.cleaned_data.get(name) or "").lower()
            if not self.fields[name].initial and value == UNSET_COLOUR_INPUT:
                continue  # a calendar of no known colour, left as the browser showed it
            if value and name in self.changed_data:
                chosen[calendar["id"]] = value
        return chosen


def _label(calendar: dict[str, Any]) -> str:
    primary = " (your main calendar)" if calendar.get("primary") else ""
    return f"{calendar['summary']}{primary} — {access_label(calendar)}"
