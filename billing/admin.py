from django.contrib import admin

from autodoctor.admin_base import ReadOnlyAdmin

from .models import CreditLedger, Payment, StripeEvent


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
        "currency",
        "status",
        "session",
        "created_at",
        "refunded_at",
    )
    list_filter = ("status", "currency", "created_at")
    search_fields = ("checkout_id", "payment_intent", "customer__full_name")
    list_select_related = ("customer", "session")


@admin.register(StripeEvent)
class StripeEventAdmin(ReadOnlyAdmin):
    list_display = ("event_id", "type", "result", "reason", "received_at")
    list_filter = ("type", "result")
    search_fields = ("event_id",)
