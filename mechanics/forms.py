"""Forms of the mechanic dashboard: the tab filters and the action forms."""

from typing import Any

from django import forms
from django.http import QueryDict

from autodoctor.timezones import time_zone_names
from autodoctor.vocabulary import Language, VehicleSystem
from sessions_app.transitions import SessionType

from .dashboard import TABS, DashboardFilters


class DashboardFilterForm(forms.Form):
    """The query string of the dashboard: tab, search by customer name, type, date range, page."""

    tab = forms.ChoiceField(choices=list(TABS.items()), required=False)
    q = forms.CharField(label="Customer name", required=False, max_length=100)
    type = forms.ChoiceField(
        label="Session type", choices=[("", "All types"), *SessionType.choices], required=False
    )
    date_from = forms.DateField(
        label="From",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        input_formats=["%Y-%m-%d"],
    )
    date_to = forms.DateField(
        label="To", required=False, widget=forms.DateInput(attrs={"type": "date"}), input_formats=["%Y-%m-%d"]
    )
    page = forms.IntegerField(required=False, min_value=1)

    def __init__(self, data: QueryDict | None = None, **kwargs: Any) -> None:
        # The URL says `from`/`to` (short, readable); the fields cannot be named after keywords.
        if data is not None:
            data = data.copy()
            for url_name, field_name in (("from", "date_from"), ("to", "date_to")):
                if url_name in data and field_name not in data:
                    data.setlist(field_name, data.getlist(url_name))
        super().__init__(data, **kwargs)

    def filters(self) -> DashboardFilters:
        """The valid part of what was asked; an invalid field is ignored (and shown as an error)."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return DashboardFilters(
            tab=data.get("tab") or "incoming",
            search=data.get("q") or "",
            session_type=data.get("type") or "",
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            page=data.get("page") or 1,
        )


class AvailabilityForm(forms.Form):
    available = forms.TypedChoiceField(
        choices=[("1", "Available"), ("0", "Away")], coerce=lambda value: value == "1"
    )


class ForceEndAllForm(forms.Form):
    confirm = forms.BooleanField(
        label="Yes, release my waiting sessions to the queue and complete my live ones.",
        error_messages={"required": "Tick the box to confirm."},
    )


class MechanicSettingsForm(forms.Form):
    """The Settings page: the preferences, then the request emails' quiet hours and time zone."""

    CHECKBOXES = ("email_notifications", "show_dashboard_tip")

    email_notifications = forms.BooleanField(
        label="Email notifications: email me about new requests and my sessions",
        required=False,
    )
    show_dashboard_tip = forms.BooleanField(
        label='Show the "How it works" tip on my dashboard', required=False
    )
    # issue 14: quiet hours (local time in `time_zone`, may wrap midnight; both empty = none)
    quiet_hours_start = forms.TimeField(
        label="Quiet from",
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        input_formats=["%H:%M", "%H:%M:%S"],
        error_messages={"invalid": "Enter a time like 22:00."},
    )
    quiet_hours_end = forms.TimeField(
        label="Quiet until",
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        input_formats=["%H:%M", "%H:%M:%S"],
        error_messages={"invalid": "Enter a time like 07:00."},
    )
    time_zone = forms.ChoiceField(
        label="My time zone",
        required=False,  # left out of a post: kept as it is
        choices=[(name, name.replace("_", " ")) for name in time_zone_names()],
        error_messages={"invalid_choice": "%(value)s is not a time zone we know. Pick one from the list."},
    )

    def __init__(self, data: QueryDict | None = None, *, mechanic: Any, **kwargs: Any) -> None:
        initial = {
            "email_notifications": mechanic.email_notifications,
            "show_dashboard_tip": mechanic.show_dashboard_tip,
            "quiet_hours_start": mechanic.quiet_hours_start,
            "quiet_hours_end": mechanic.quiet_hours_end,
            "time_zone": mechanic.time_zone,
        }
        super().__init__(data, initial=initial, **kwargs)

    def checkbox_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.CHECKBOXES]

    def quiet_hours_fields(self) -> list[forms.BoundField]:
        return [self["quiet_hours_start"], self["quiet_hours_end"]]

    def clean_time_zone(self) -> str | None:
        return self.cleaned_data.get("time_zone") or None

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("quiet_hours_start"), data.get("quiet_hours_end")
        if "quiet_hours_start" in data and "quiet_hours_end" in data:
            if (start is None) != (end is None):
                missing = "quiet_hours_end" if end is None else "quiet_hours_start"
                self.add_error(
                    missing, "Give both a start and an end for quiet hours, or leave both empty for none."
                )
            elif start is not None and start == end:
                self.add_error(
                    "quiet_hours_end",
                    "Quiet hours need an end different from their start (leave both empty for none).",
                )
        return data


MAKES_MAX = 20


class ExpertiseForm(forms.Form):
    """Settings › Your expertise (route, issue 14): what sessions_app.routing matches requests on.
    Also the admin's form for the same fields (mechanics.admin)."""

    makes = forms.CharField(
        label="Makes you know",
        required=False,
        max_length=600,
        help_text="Comma-separated, e.g. Toyota, Honda, Ford.",
    )
    systems = forms.MultipleChoiceField(
        label="Systems", choices=VehicleSystem.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    session_types = forms.MultipleChoiceField(
        label="Session types you prefer",
        choices=SessionType.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Leave all unticked (or tick all) to take any kind.",
    )
    languages = forms.MultipleChoiceField(
        label="Languages", choices=Language.choices, required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, data: QueryDict | None = None, *, mechanic: Any, **kwargs: Any) -> None:
        initial = {
            "makes": ", ".join(mechanic.specialty_makes or []),
            "systems": mechanic.specialty_systems,
            "session_types": mechanic.specialty_session_types,
            "languages": mechanic.specialty_languages,
        }
        super().__init__(data, initial=initial, prefix="expertise", **kwargs)
        # the help line under the field (templates/mechanics/_expertise_form.html)
        self.fields["makes"].widget.attrs["aria-describedby"] = f"{self['makes'].auto_id}-help"

    def clean_makes(self) -> list[str]:
        makes: dict[str, str] = {}
        for part in self.cleaned_data["makes"].split(","):
            make = " ".join(part.split())
            if not make:
                continue
            if len(make) > 60:
                raise forms.ValidationError(f"“{make[:20]}…” is too long for a make (60 characters at most).")
            makes.setdefault(make.casefold(), make)
        if len(makes) > MAKES_MAX:
            raise forms.ValidationError(f"List at most {MAKES_MAX} makes.")
        return list(makes.values())


# --- issue 14: transfers to a colleague ------------------------------------------------------------


class TransferOfferForm(forms.Form):
    to_mechanic = forms.IntegerField(
        label="Colleague", min_value=1, error_messages={"required": "Choose a colleague to offer it to."}
    )
    note = forms.CharField(label="Note for them", required=False, max_length=1000)


class TransferDeclineForm(forms.Form):
    reason = forms.CharField(label="Reason", required=False, max_length=500)
