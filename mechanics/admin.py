from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from autodoctor.vocabulary import Language, VehicleSystem
from sessions_app.services import session_force_end_all
from sessions_app.transitions import SessionType

from .models import Mechanic, Workshop


class MechanicAdminForm(forms.ModelForm):
    """The expertise lists (route, issue 14) as checkboxes and a comma-separated list of makes,
    stored as the JSON lists sessions_app.routing reads."""

    specialty_makes = forms.CharField(
        label="Makes", required=False, max_length=600, help_text="Comma-separated, e.g. Toyota, Honda."
    )
    specialty_systems = forms.MultipleChoiceField(
        label="Systems", choices=VehicleSystem.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    specialty_session_types = forms.MultipleChoiceField(
        label="Session types",
        choices=SessionType.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    specialty_languages = forms.MultipleChoiceField(
        label="Languages", choices=Language.choices, required=False, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = Mechanic
        exclude: tuple[str, ...] = ()  # every field; the four lists get the widgets above

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.is_bound:
            self.initial["specialty_makes"] = ", ".join(self.instance.specialty_makes or [])

    def clean_specialty_makes(self) -> list[str]:
        makes: dict[str, str] = {}
        for part in self.cleaned_data["specialty_makes"].split(","):
            make = " ".join(part.split())[:60]
            if make:
                makes.setdefault(make.casefold(), make)
        return list(makes.values())


@admin.register(Workshop)
class WorkshopAdmin(admin.ModelAdmin):
    list_display = ("name",)
    search_fields = ("name",)


@admin.action(description="Force end all their active sessions")
def force_end_all(
    modeladmin: "admin.ModelAdmin[Mechanic]", request: HttpRequest, queryset: QuerySet[Mechanic]
) -> None:
    for mechanic in queryset:
        counts = session_force_end_all(mechanic=mechanic)
        modeladmin.message_user(
            request,
            f"{mechanic}: released {counts['released']}, completed {counts['completed']}.",
            messages.SUCCESS,
        )


@admin.register(Mechanic)
class MechanicAdmin(admin.ModelAdmin):
    form = MechanicAdminForm
    list_display = (
        "display_name",
        "user",
        "workshop",
        "max_active_sessions",
        "availability",
        "email_notifications",
    )
    list_filter = ("workshop", "availability", "email_notifications")
    search_fields = ("display_name", "user__username", "user__email")
    list_select_related = ("user", "workshop")
    actions = (force_end_all,)
    readonly_fields = ("queue_email_sent_at",)  # issue 14: the request emails' batching stamp
