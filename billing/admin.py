from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from autodoctor.admin_base import ReadOnlyAdmin
from autodoctor.errors import DomainError

from .models import CreditLedger, CreditPack, EarningEntry, Payment, Payout, PlanPayout, Refund, StripeEvent
from .services import payout_create, refund_retry


def _actor(request: HttpRequest) -> User | None:
    return request.user if isinstance(request.user, User) else None


@admin.register(CreditLedger)
class CreditLedgerAdmin(ReadOnlyAdmin):
    """Entries are written by the credit services (use the customer's "Grant credits" action)."""

    list_display = ("created_at", "customer", "amount", "kind", "session", "note", "created_by")
    list_filter = ("kind", "created_at")
    search_fields = ("customer__full_name", "customer__user__username", "note")
    list_select_related = ("customer", "session", "created_by")


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = (
        "checkout_id",
        "customer",
        "amount",
        "refunded_cents",
        "currency",
        "status",
        "credit_pack",
        "session",
        "created_at",
        "refunded_at",
    )
    list_filter = ("status", "currency", "created_at")
    search_fields = ("checkout_id", "payment_intent", "customer__full_name")
    list_select_related = ("customer", "session", "credit_pack")


@admin.register(StripeEvent)
class StripeEventAdmin(ReadOnlyAdmin):
    list_display = ("event_id", "type", "result", "reason", "received_at")
    list_filter = ("type", "result")
    search_fields = ("event_id",)


@admin.register(CreditPack)
class CreditPackAdmin(admin.ModelAdmin):
    list_display = ("name", "credits", "price_cents", "currency", "active")
    list_editable = ("active",)


@admin.register(PlanPayout)
class PlanPayoutAdmin(admin.ModelAdmin):
    """The mechanic's share per plan (a plan without a row pays the default, 70%)."""

    list_display = ("plan", "percent", "updated_at")


# --- refunds ------------------------------------------------------------------------------------


@admin.action(description="Send failed card refunds to Stripe again")
def retry_refunds(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Refund]) -> None:
    retried = sum(refund_retry(refund=refund, actor=_actor(request)) for refund in queryset)
    modeladmin.message_user(request, f"Sent {retried} refund(s) to Stripe again.", messages.SUCCESS)


@admin.register(Refund)
class RefundAdmin(ReadOnlyAdmin):
    """Every refund. `Failed` ones kept failing at Stripe after the retries: look at last_error,
    then retry (the action) or settle it in Stripe's dashboard (its webhook records it)."""

    list_display = (
        "created_at",
        "customer",
        "session",
        "method",
        "amount_display",
        "credits",
        "status",
        "attempts",
        "source",
        "reason",
        "last_error",
    )
    list_filter = ("status", "method", "source", "created_at")
    search_fields = ("customer__full_name", "stripe_refund_id", "reason")
    list_select_related = ("customer", "session")
    actions = (retry_refunds,)


# --- earnings and payouts -----------------------------------------------------------------------


class PayoutForm(forms.Form):
    note = forms.CharField(max_length=200, required=False, help_text="E.g. the bank transfer reference.")


@admin.action(description="Pay out the selected entries…")
def pay_out_entries(
    modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[EarningEntry]
) -> HttpResponse | None:
    """One payout per mechanic covering the selected entries (filter by mechanic and month first)."""
    form = PayoutForm(request.POST if "apply" in request.POST else None)
    entries = list(queryset.select_related("mechanic").order_by("created_at"))
    if form.is_valid():
        by_mechanic: dict[int, list[EarningEntry]] = {}
        for entry in entries:
            by_mechanic.setdefault(entry.mechanic_id, []).append(entry)
        for group in by_mechanic.values():
            try:
                payout = payout_create(
                    mechanic=group[0].mechanic,
                    period_start=group[0].created_at.date(),
                    period_end=group[-1].created_at.date(),
                    entry_ids=[e.pk for e in group],
                    actor=_actor(request),
                    note=form.cleaned_data["note"],
                )
            except DomainError as exc:
                modeladmin.message_user(request, f"{group[0].mechanic}: {exc.detail}", messages.ERROR)
            else:
                modeladmin.message_user(request, f"Recorded {payout}.", messages.SUCCESS)
        return None
    return render(
        request,
        "admin/pay_out_entries.html",
        {
            **modeladmin.admin_site.each_context(request),
            "entries": entries,
            "total_cents": sum(e.amount_cents for e in entries),
            "form": form,
            "title": "Pay out earnings",
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        },
    )


@admin.register(EarningEntry)
class EarningEntryAdmin(ReadOnlyAdmin):
    """The mechanics' ledger (append-only). Filter a mechanic and a period, select, pay out."""

    list_display = (
        "created_at",
        "mechanic",
        "kind",
        "amount_cents",
        "currency",
        "session",
        "quote_id",
        "paid",
        "note",
    )
    list_filter = ("kind", "mechanic", ("payout_line", admin.EmptyFieldListFilter), "created_at")
    date_hierarchy = "created_at"
    search_fields = ("mechanic__display_name", "note")
    list_select_related = ("mechanic", "session", "payout_line")
    actions = (pay_out_entries,)

    @admin.display(boolean=True, description="Paid out")
    def paid(self, obj: EarningEntry) -> bool:
        return obj.paid_out or obj.kind == EarningEntry.Kind.PAYOUT


@admin.register(Payout)
class PayoutAdmin(ReadOnlyAdmin):
    """Made with the "Pay out" action on earning entries."""

    list_display = (
        "created_at",
        "mechanic",
        "period_start",
        "period_end",
        "amount_cents",
        "currency",
        "note",
        "created_by",
    )
    list_filter = ("mechanic", "created_at")
    list_select_related = ("mechanic", "created_by")
