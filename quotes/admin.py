"""Quotes in admin: read-only (they change only through quotes.services)."""

from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest

from autodoctor.admin_base import ReadOnlyAdmin

from .models import QuoteLine, RepairQuote


class QuoteLineInline(admin.TabularInline):
    model = QuoteLine
    extra = 0
    can_delete = False
    fields = (
        "position",
        "kind",
        "description",
        "quantity",
        "unit_price_cents",
        "line_total_cents",
        "currency",
    )
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(RepairQuote)
class RepairQuoteAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "session",
        "mechanic",
        "status",
        "total_cents",
        "currency",
        "valid_until",
        "sent_at",
    )
    list_filter = ("status",)
    list_select_related = ("session", "mechanic")
    search_fields = ("=id", "=session__id", "mechanic__display_name")
    inlines = [QuoteLineInline]
