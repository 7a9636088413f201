"""Input for the money pages."""

from datetime import date

from django import forms
from django.utils import timezone


class MonthForm(forms.Form):
    """?month=YYYY-MM (this month when absent)."""

    month = forms.DateField(
        required=False,
        input_formats=["%Y-%m"],
        error_messages={"invalid": "Give the month as YYYY-MM, e.g. 2026-11."},
    )

    def chosen(self) -> date:
        return self.cleaned_data.get("month") or timezone.localdate().replace(day=1)
