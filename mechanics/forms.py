"""Forms of the mechanic dashboard: the tab filters and the action forms."""

from typing import Any

from django import forms
from django.http import QueryDict

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
    """The Settings page: one field per preference (quiet hours join here with the reach issue)."""

    email_notifications = forms.BooleanField(
        label="Email notifications: email me about new requests and my sessions",
        required=False,
    )
    show_dashboard_tip = forms.BooleanField(
        label='Show the "How it works" tip on my dashboard', required=False
    )

    def __init__(self, data: QueryDict | None = None, *, mechanic: Any, **kwargs: Any) -> None:
        initial = {
            "email_notifications": mechanic.email_notifications,
            "show_dashboard_tip": mechanic.show_dashboard_tip,
        }
        super().__init__(data, initial=initial, **kwargs)


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
