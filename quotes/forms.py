"""The compose page's forms: the quote (date, tax, note) and its lines (a formset). Bounds from
quotes.rules, like the API's schema; the service checks them once more."""

from datetime import timedelta
from decimal import Decimal

from django import forms
from django.utils import timezone

from . import rules
from .models import LineKind
from .services import LineInput


class QuoteLineForm(forms.Form):
    kind = forms.ChoiceField(label="Type", choices=LineKind.choices, initial=LineKind.PART)
    description = forms.CharField(
        label="Description",
        max_length=rules.MAX_DESCRIPTION,
        error_messages={"required": "Describe the part or the work."},
    )
    quantity = forms.DecimalField(
        label="Qty / hours",
        min_value=rules.MIN_QUANTITY,
        max_value=rules.MAX_QUANTITY,
        decimal_places=2,
        initial=1,
        error_messages={"required": "Give a quantity (hours for labour)."},
    )
    unit_price = forms.DecimalField(
        label="Unit price / rate ($)",
        min_value=Decimal(0),
        max_value=Decimal(rules.MAX_UNIT_PRICE_CENTS) / 100,
        decimal_places=2,
        error_messages={"required": "Give a price (0 for free)."},
    )

    def line(self) -> LineInput:
        data = self.cleaned_data
        return LineInput(
            kind=data["kind"],
            description=data["description"],
            quantity=data["quantity"],
            unit_price_cents=int(data["unit_price"] * 100),
        )


QuoteLineFormSet = forms.formset_factory(
    QuoteLineForm,
    extra=0,
    min_num=1,
    validate_min=True,
    max_num=rules.MAX_LINES,
    validate_max=True,
    absolute_max=rules.MAX_LINES,
    can_delete=True,
)


def formset_lines(formset: forms.BaseFormSet) -> list[LineInput]:
    """The lines of a valid formset, without the removed and the untouched empty ones."""
    return [
        form.line() for form in formset.forms if form.cleaned_data and not form.cleaned_data.get("DELETE")
    ]


class QuoteForm(forms.Form):
    valid_until = forms.DateField(
        label="Valid until",
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"required": "Choose the last day the quote is valid."},
    )
    tax_rate_percent = forms.DecimalField(
        label="Tax rate (%)",
        min_value=Decimal(0),
        max_value=rules.MAX_TAX_RATE_PERCENT,
        decimal_places=3,
        initial=0,
        required=False,
    )
    note = forms.CharField(
        label="Note to the customer (optional)",
        max_length=rules.MAX_NOTE,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        if not self.is_bound:
            self.initial.setdefault(
                "valid_until", timezone.localdate() + timedelta(days=rules.DEFAULT_VALID_DAYS)
            )

    def clean_valid_until(self) -> object:
        day = self.cleaned_data["valid_until"]
        problem = rules.valid_until_problem(day, today=timezone.localdate())
        if problem:
            raise forms.ValidationError(problem)
        return day

    def clean_tax_rate_percent(self) -> Decimal:
        return self.cleaned_data["tax_rate_percent"] or Decimal(0)


class DeclineForm(forms.Form):
    reason = forms.CharField(label="Reason (optional)", max_length=rules.MAX_DECLINE_REASON, required=False)
