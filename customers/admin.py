from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from autodoctor.errors import DomainError
from billing.services import credit_balance, credits_grant

from .models import Customer, Intake, IntakeAttachment, Waiver


class GrantCreditsForm(forms.Form):
    amount = forms.IntegerField(min_value=1, max_value=1000, initial=1)
    note = forms.CharField(max_length=200, required=False)


@admin.action(description="Grant credits…")
def grant_credits(
    modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Customer]
) -> HttpResponse | None:
    form = GrantCreditsForm(request.POST if "apply" in request.POST else None)
    if form.is_valid():
        for customer in queryset:
            try:
                credits_grant(
                    customer=customer,
                    amount=form.cleaned_data["amount"],
                    actor=request.user if isinstance(request.user, User) else None,
                    note=form.cleaned_data["note"] or "Granted by staff",
                )
            except DomainError as exc:
                modeladmin.message_user(request, f"{customer}: {exc.detail}", messages.ERROR)
        modeladmin.message_user(
            request,
            f"Granted {form.cleaned_data['amount']} credit(s) to {queryset.count()} customer(s).",
            messages.SUCCESS,
        )
        return None
    return render(
        request,
        "admin/grant_credits.html",
        {
            **modeladmin.admin_site.each_context(request),
            "customers": queryset,
            "form": form,
            "title": "Grant credits",
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        },
    )


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ("full_name", "user", "phone", "workshop", "balance")
    list_filter = ("workshop",)
    search_fields = ("full_name", "user__username", "user__email", "phone")
    list_select_related = ("user", "workshop")
    actions = (grant_credits,)

    @admin.display(description="Credits")
    def balance(self, obj: Customer) -> int:
        return credit_balance(customer=obj)


class AttachmentInline(admin.TabularInline):
    model = IntakeAttachment
    extra = 0
    readonly_fields = ("original_name", "content_type", "size", "created_at")
    fields = readonly_fields
    can_delete = False


@admin.register(Intake)
class IntakeAdmin(admin.ModelAdmin):
    list_display = ("id", "customer", "vehicle", "plan", "pay_with", "urgent", "created_at")
    list_filter = ("plan", "pay_with", "urgent", "created_at")
    search_fields = ("customer__full_name", "vin", "vehicle_make", "vehicle_model", "concern")
    list_select_related = ("customer", "plan")
    inlines = (AttachmentInline,)


@admin.register(Waiver)
class WaiverAdmin(admin.ModelAdmin):
    list_display = ("intake", "full_name", "version", "agreed", "signed_at", "ip_address")
    list_filter = ("version", "agreed")
    search_fields = ("full_name", "intake__customer__full_name")
    readonly_fields = ("intake", "version", "full_name", "agreed", "signed_at", "ip_address", "user_agent")
