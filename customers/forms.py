"""Forms of the customer journey. They check input; the services decide and write."""

from datetime import datetime, timedelta
from typing import Any

from django import forms
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.utils import timezone

from autodoctor.timezones import DEFAULT_TIME_ZONE, time_zone_names
from autodoctor.uploads import ACCEPT_ATTRIBUTE, MAX_ATTACHMENTS, CheckedUpload, uploads_check
from autodoctor.vocabulary import Language, VehicleSystem
from billing.models import CreditPack
from billing.stripe_client import stripe_configured
from customers.models import PayWith
from diagnostics.vin import vin_decode
from sessions_app.models import Plan

SCHEDULE_HORIZON_DAYS = 30


class SignupForm(forms.Form):
    full_name = forms.CharField(
        max_length=150, label="Your name", widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    username = forms.CharField(
        max_length=150,
        validators=[UnicodeUsernameValidator()],
        help_text="Letters, digits and @ . + - _ only.",
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none"}),
    )
    email = forms.EmailField(
        help_text="We email you when a mechanic accepts and when your session ends.",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    phone = forms.CharField(
        max_length=40,
        required=False,
        label="Phone (optional)",
        widget=forms.TextInput(attrs={"autocomplete": "tel", "type": "tel"}),
    )
    password1 = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label="Password again",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    # Filled by static/js/time-zone.js from the browser (Intl); changeable on the account page.
    time_zone = forms.CharField(
        required=False, max_length=64, widget=forms.HiddenInput(attrs={"data-detect-time-zone": ""})
    )

    def clean_time_zone(self) -> str:
        """What the browser said, if we know it; UTC otherwise (silently: nothing to fix here)."""
        name = self.cleaned_data.get("time_zone") or ""
        return name if name in time_zone_names() else DEFAULT_TIME_ZONE

    def clean_username(self) -> str:
        username = self.cleaned_data["username"]
        if get_user_model().objects.filter(username__iexact=username).exists():
            raise forms.ValidationError("That username is taken. Pick another one.")
        return username

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", "The two passwords do not match.")
        elif p1:
            user = get_user_model()(username=data.get("username", ""), email=data.get("email", ""))
            try:
                password_validation.validate_password(p1, user)
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return data


class PlanChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Plan) -> str:
        return obj.name


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; each is checked in IntakeForm.clean_attachments."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ACCEPT_ATTRIBUTE}))
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list:
        if not data:
            return []
        files = data if isinstance(data, list | tuple) else [data]
        return [super(MultipleFileField, self).clean(f, initial) for f in files]


class IntakeForm(forms.Form):
    """The request: vehicle, concern, plan and payment, timing and attachments (SPEC §2 Intake)."""

    vehicle_year = forms.IntegerField(
        required=False,
        label="Year",
        min_value=1900,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "placeholder": "2018"}),
    )
    vehicle_make = forms.CharField(
        required=False, max_length=60, label="Make", widget=forms.TextInput(attrs={"placeholder": "Toyota"})
    )
    vehicle_model = forms.CharField(
        required=False, max_length=60, label="Model", widget=forms.TextInput(attrs={"placeholder": "Corolla"})
    )
    vin = forms.CharField(
        required=False,
        max_length=40,
        label="VIN (optional)",
        widget=forms.TextInput(
            attrs={"autocapitalize": "characters", "spellcheck": "false", "placeholder": "17 characters"}
        ),
    )
    mileage = forms.IntegerField(
        required=False,
        min_value=0,
        max_value=2_000_000,
        label="Mileage (optional)",
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    concern = forms.CharField(
        min_length=10,
        max_length=4000,
        label="What is going on?",
        widget=forms.Textarea(
            attrs={
                "rows": 5,
                "placeholder": "e.g. A grinding noise from the front left wheel "
                "when braking, started last week.",
            }
        ),
        error_messages={
            "required": "Tell the mechanic what is going on (at least 10 characters).",
            "min_length": "Give the mechanic a little more detail (at least 10 characters).",
        },
    )
    plan = PlanChoiceField(
        queryset=Plan.objects.filter(active=True),
        to_field_name="code",
        empty_label=None,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": "That plan is not offered. Choose one of the plans below."},
    )
    pay_with = forms.ChoiceField(
        choices=[(PayWith.CREDITS, "Credits"), (PayWith.CARD, "Card")],
        required=False,
        widget=forms.RadioSelect,
        label="Pay with",
    )
    # route (issue 14): optional hints that route the request to a mechanic who knows them.
    system = forms.ChoiceField(
        required=False,
        label="Which system? (optional)",
        choices=[("", "Not sure"), *VehicleSystem.choices],
        help_text="Helps us offer your request first to a mechanic who knows it.",
    )
    language = forms.ChoiceField(
        required=False, label="Language (optional)", choices=[("", "No preference"), *Language.choices]
    )
    urgent = forms.BooleanField(required=False, label="Urgent: my car is unsafe or I am stranded")
    # Read and shown in the active zone: the customer's own (autodoctor.middleware.TimeZoneMiddleware);
    # __init__ names it beside the field.
    scheduled_for = forms.DateTimeField(
        required=False,
        label="Schedule for later (optional)",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    attachments = MultipleFileField(
        required=False, label=f"Photos or videos (up to {MAX_ATTACHMENTS}, 20 MB each)"
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.warnings: dict[str, str] = {}
        self.checked_uploads: list[CheckedUpload] = []
        zone = timezone.get_current_timezone()
        abbreviation = timezone.localtime(timezone.now(), zone).tzname()
        self.fields[
            "scheduled_for"
        ].label = f"Schedule for later (optional, your time: {zone} · {abbreviation})"
        self.fields[
            "scheduled_for"
        ].help_text = f"In your time zone, {zone}. You can change it on your account page."

    def clean_vehicle_year(self) -> int | None:
        year = self.cleaned_data.get("vehicle_year")
        if year is not None and year > timezone.now().year + 1:
            raise forms.ValidationError(f"Enter a year no later than {timezone.now().year + 1}.")
        return year

    def clean_vin(self) -> str:
        facts = vin_decode(self.cleaned_data.get("vin", ""))
        if facts.error:
            raise forms.ValidationError(facts.error)
        if facts.warning:
            self.warnings["vin"] = facts.warning
        return facts.vin

    def _fill_from_vin(self, data: dict[str, Any]) -> None:
        """Make and year left empty are taken from a valid VIN (what the page's script pre-fills;
        this covers the API and browsers without JavaScript). What the customer typed wins."""
        if not data.get("vin") or "vehicle_make" in self.errors or "vehicle_year" in self.errors:
            return
        facts = vin_decode(data["vin"])
        if not data.get("vehicle_make") and facts.manufacturer:
            data["vehicle_make"] = facts.manufacturer[:60]
        if data.get("vehicle_year") is None and facts.model_year:
            data["vehicle_year"] = facts.model_year

    def clean_concern(self) -> str:
        return self.cleaned_data["concern"].strip()

    def clean_scheduled_for(self) -> datetime | None:
        when = self.cleaned_data.get("scheduled_for")
        if when is None:
            return None
        now = timezone.now()
        local_now = timezone.localtime(now)
        if when < now - timedelta(minutes=1):
            raise forms.ValidationError(
                f"Choose a time in the future (it is now {local_now:%a %-d %b, %H:%M} {local_now.tzname()}), "
                "or leave it empty to join the queue now."
            )
        latest = timezone.localtime(now + timedelta(days=SCHEDULE_HORIZON_DAYS))
        if when > latest:
            raise forms.ValidationError(
                f"Schedule at most {SCHEDULE_HORIZON_DAYS} days ahead "
                f"(until {latest:%a %-d %b, %H:%M} {latest.tzname()})."
            )
        return timezone.localtime(when)  # a plain ZoneInfo datetime, whatever the input's offset

    def clean_attachments(self) -> list:
        files = self.cleaned_data.get("attachments") or []
        accepted, errors = uploads_check(files)
        if errors:
            raise forms.ValidationError(errors)
        self.checked_uploads = accepted
        return files

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        self._fill_from_vin(data)
        plan: Plan | None = data.get("plan")
        if plan is None:
            return data
        if plan.is_free:
            data["pay_with"] = PayWith.FREE
            return data
        pay_with = data.get("pay_with")
        if not pay_with:
            self.add_error("pay_with", "Choose how to pay for this plan: credits or card.")
        elif pay_with == PayWith.CREDITS and not plan.credit_cost:
            self.add_error("pay_with", f"The {plan.name} plan cannot be paid with credits.")
        elif pay_with == PayWith.CARD and not plan.price_cents:
            self.add_error("pay_with", f"The {plan.name} plan cannot be paid by card.")
        elif pay_with == PayWith.CARD and not stripe_configured():
            self.add_error(
                "pay_with", "Card payments are not configured yet. Pay with credits or choose the free plan."
            )
        return data


class WaiverForm(forms.Form):
    full_name = forms.CharField(
        max_length=150,
        label="Type your full name to sign",
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    agreed = forms.BooleanField(
        label="I have read and agree to the waiver above.",
        error_messages={
            "required": "Tick the box to agree to the waiver; we cannot start a session without it."
        },
    )

    def clean_full_name(self) -> str:
        name = " ".join(self.cleaned_data["full_name"].split())
        if len(name) < 2:
            raise forms.ValidationError("Type your full name to sign.")
        return name


class CreditPackForm(forms.Form):
    """Which credit pack to buy (issue 13): only packs on sale."""

    pack = forms.ModelChoiceField(
        queryset=CreditPack.objects.filter(active=True),
        error_messages={
            "invalid_choice": "That credit pack is not on sale.",
            "required": "Choose a credit pack.",
        },
    )


class TimeZoneForm(forms.Form):
    """The customer's account page: their time zone (pages, emails and reports follow it)."""

    time_zone = forms.ChoiceField(
        label="Time zone",
        help_text="Times on your pages, in emails and in reports are shown in this zone.",
        error_messages={"invalid_choice": "%(value)s is not a time zone we know. Pick one from the list."},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["time_zone"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(name, name.replace("_", " ")) for name in time_zone_names()]
