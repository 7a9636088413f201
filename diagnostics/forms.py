"""Every input to a diagnosis, from the toolkit's forms and from the JSON API alike."""

from decimal import Decimal
from typing import Any

from django import forms

from .codes import code_error, code_normalise
from .models import CodeStatus, Severity, System
from .services import FindingData

MAX_COST_DOLLARS = Decimal("1000000")


class CodeForm(forms.Form):
    code = forms.CharField(
        max_length=12,
        label="Trouble code",
        widget=forms.TextInput(
            attrs={"autocapitalize": "characters", "spellcheck": "false", "placeholder": "P0301", "size": 7}
        ),
    )
    status = forms.ChoiceField(choices=CodeStatus.choices, initial=CodeStatus.ACTIVE, label="Status")
    notes = forms.CharField(required=False, max_length=1000, label="Notes", widget=forms.TextInput)

    def clean_code(self) -> str:
        code = code_normalise(self.cleaned_data["code"])
        problem = code_error(code)
        if problem:
            raise forms.ValidationError(problem)
        return code


class CodeEditForm(forms.Form):
    status = forms.ChoiceField(choices=CodeStatus.choices, label="Status")
    notes = forms.CharField(required=False, max_length=1000, label="Notes", widget=forms.TextInput)


class FindingForm(forms.Form):
    """A finding; the cost range in dollars on the page (the API sends cents: see api.py)."""

    system = forms.ChoiceField(choices=System.choices, label="System")
    severity = forms.ChoiceField(
        choices=Severity.choices,
        label="Severity",
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": "Choose safe to drive, fix soon or stop driving."},
    )
    observed = forms.CharField(
        max_length=4000,
        label="What was observed",
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Say what you observed."},
    )
    recommendation = forms.CharField(
        required=False, max_length=4000, label="Recommendation", widget=forms.Textarea(attrs={"rows": 2})
    )
    cost_min = forms.DecimalField(
        required=False,
        min_value=0,
        max_value=MAX_COST_DOLLARS,
        decimal_places=2,
        label="Estimated cost from ($)",
        widget=forms.NumberInput(attrs={"step": "0.01", "min": "0", "inputmode": "decimal"}),
    )
    cost_max = forms.DecimalField(
        required=False,
        min_value=0,
        max_value=MAX_COST_DOLLARS,
        decimal_places=2,
        label="to ($)",
        widget=forms.NumberInput(attrs={"step": "0.01", "min": "0", "inputmode": "decimal"}),
    )

    def clean_observed(self) -> str:
        observed = self.cleaned_data["observed"].strip()
        if not observed:
            raise forms.ValidationError("Say what you observed.")
        return observed

    def clean(self) -> dict[str, Any]:
        super().clean()
        low, high = self.cleaned_data.get("cost_min"), self.cleaned_data.get("cost_max")
        if "cost_min" in self.errors or "cost_max" in self.errors:
            return self.cleaned_data
        if (low is None) != (high is None):
            missing = "cost_max" if high is None else "cost_min"
            self.add_error(missing, "Give both ends of the cost range, or neither.")
        elif low is not None and high is not None and low > high:
            self.add_error("cost_max", "The upper end of the cost range must not be below the lower end.")
        return self.cleaned_data

    def finding_data(self) -> FindingData:
        data = self.cleaned_data
        low, high = data.get("cost_min"), data.get("cost_max")
        return FindingData(
            system=data["system"],
            severity=data["severity"],
            observed=data["observed"],
            recommendation=data.get("recommendation", "").strip(),
            cost_min_cents=None if low is None else int(low * 100),
            cost_max_cents=None if high is None else int(high * 100),
        )


class ChecklistForm(forms.Form):
    systems = forms.MultipleChoiceField(
        choices=System.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Systems inspected",
        error_messages={"invalid_choice": "%(value)s is not one of the systems."},
    )
