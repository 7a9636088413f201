"""A repair quote sent after a completed video or diagnostic session, and its lines.

Money in integer cents with the currency on every row; the totals are computed by the service
(quotes.money) and stored, so what the customer approved is exactly what is on record.
"""

from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from .money import money_display


class QuoteStatus(models.TextChoices):
    SENT = "sent", "Awaiting the customer"
    APPROVED = "approved", "Approved"
    DECLINED = "declined", "Declined"
    EXPIRED = "expired", "Expired"


class LineKind(models.TextChoices):
    PART = "part", "Part"
    LABOUR = "labour", "Labour"


class RepairQuoteQuerySet(models.QuerySet["RepairQuote"]):
    def open(self) -> "RepairQuoteQuerySet":
        """Sent and not answered (whether or not its date has passed: the sweep marks those)."""
        return self.filter(status=QuoteStatus.SENT)

    def for_customer_user(self, user_id: int) -> "RepairQuoteQuerySet":
        return self.filter(session__customer__user_id=user_id)

    def past_due(self, now: datetime) -> "RepairQuoteQuerySet":
        return self.filter(status=QuoteStatus.SENT, valid_until__lt=now)


RepairQuoteManager = models.Manager.from_queryset(RepairQuoteQuerySet)


class RepairQuote(models.Model):
    session = models.ForeignKey("sessions_app.Session", on_delete=models.PROTECT, related_name="quotes")
    # Who sent it: the referring mechanic of the money issue's 5% bonus.
    mechanic = models.ForeignKey("mechanics.Mechanic", on_delete=models.PROTECT, related_name="quotes")
    workshop = models.ForeignKey(
        "mechanics.Workshop", null=True, blank=True, on_delete=models.SET_NULL, related_name="quotes"
    )
    # Written only by quotes.services.
    status = models.CharField(max_length=10, choices=QuoteStatus.choices, default=QuoteStatus.SENT)
    currency = models.CharField(max_length=3, default="usd")
    tax_rate_percent = models.DecimalField(max_digits=6, decimal_places=3, default=0)
    subtotal_cents = models.BigIntegerField()
    tax_cents = models.BigIntegerField()
    total_cents = models.BigIntegerField()
    note = models.TextField(blank=True, max_length=2000)
    valid_until = models.DateTimeField()
    sent_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decline_reason = models.CharField(max_length=500, blank=True)

    objects = RepairQuoteManager()

    class Meta:
        ordering = ["-sent_at", "-id"]
        constraints = [
            # One open quote per session, and nothing after an approval (the service says so first).
            models.UniqueConstraint(
                fields=["session"], condition=Q(status="sent"), name="one_open_quote_per_session"
            ),
            models.UniqueConstraint(
                fields=["session"], condition=Q(status="approved"), name="one_approved_quote_per_session"
            ),
            models.CheckConstraint(
                condition=Q(subtotal_cents__gte=0, tax_cents__gte=0)
                & Q(total_cents=F("subtotal_cents") + F("tax_cents")),
                name="quote_total_is_subtotal_plus_tax",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["sent", "expired"]) | Q(decided_at__isnull=False),
                name="quote_decision_has_a_time",
            ),
        ]
        indexes = [models.Index(fields=["status", "valid_until"], name="quote_status_valid_until")]

    def __str__(self) -> str:
        return f"Quote #{self.pk} for session #{self.session_id} ({self.status})"

    @property
    def approved_at(self) -> datetime | None:
        """When the customer approved (what the money issue's bonus is dated by)."""
        return self.decided_at if self.status == QuoteStatus.APPROVED else None

    def is_past_due(self, now: datetime | None = None) -> bool:
        return (now or timezone.now()) > self.valid_until

    @property
    def subtotal_display(self) -> str:
        return money_display(self.subtotal_cents, self.currency)

    @property
    def tax_display(self) -> str:
        return money_display(self.tax_cents, self.currency)

    @property
    def total_display(self) -> str:
        return money_display(self.total_cents, self.currency)


class QuoteLine(models.Model):
    quote = models.ForeignKey(RepairQuote, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=6, choices=LineKind.choices)
    description = models.CharField(max_length=200)
    # Parts: a count; labour: hours (1.5). Two decimals either way.
    quantity = models.DecimalField(max_digits=5, decimal_places=2)
    unit_price_cents = models.BigIntegerField()
    currency = models.CharField(max_length=3, default="usd")
    line_total_cents = models.BigIntegerField()

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["quote", "position"], name="one_quote_line_per_position"),
            models.CheckConstraint(
                condition=Q(quantity__gt=0, unit_price_cents__gte=0, line_total_cents__gte=0),
                name="quote_line_amounts_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.description}"

    @property
    def unit_price_display(self) -> str:
        return money_display(self.unit_price_cents, self.currency)

    @property
    def line_total_display(self) -> str:
        return money_display(self.line_total_cents, self.currency)
