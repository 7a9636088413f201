"""Forms of the mechanic dashboard: the tab filters and the action forms."""

from typing import Any

from django import forms
from django.http import QueryDict

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


# --- issue 14: transfers to a colleague ------------------------------------------------------------


class TransferOfferForm(forms.Form):
    to_mechanic = forms.IntegerField(
        label="Colleague", min_value=1, error_messages={"required": "Choose a colleague to offer it to."}
    )
    note = forms.CharField(label="Note for them", required=False, max_length=1000)


class TransferDeclineForm(forms.Form):
    reason = forms.CharField(label="Reason", required=False, max_length=500)
