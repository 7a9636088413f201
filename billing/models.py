"""Money: the credit ledger, card payments and the Stripe events we processed.

Billing sits below the session domain and above the profiles (SPEC §7): it knows customers, and
names sessions and intakes only by foreign-key strings."""

from django.conf import settings
from django.db import models


class CreditLedger(models.Model):
    class Kind(models.TextChoices):
        GRANT = "grant", "Grant"
        PURCHASE = "purchase", "Purchase"
        SPEND = "spend", "Spend"
        REFUND = "refund", "Refund"

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="credit_entries"
    )
    amount = models.IntegerField(help_text="Signed number of credits: positive adds, negative spends.")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    session = models.ForeignKey(
        "sessions_app.Session",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="credit_entries",
    )
    note = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "credit ledger entries"
        indexes = [models.Index(fields=["customer", "created_at"], name="credit_customer_created")]
        constraints = [models.CheckConstraint(condition=~models.Q(amount=0), name="credit_entry_not_zero")]

    def __str__(self) -> str:
        return f"{self.amount:+d} {self.kind} for {self.customer}"


class Payment(models.Model):
    class Status(models.TextChoices):
        PAID = "paid", "Paid"
        REFUNDED = "refunded", "Refunded"

    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="payments")
    intake = models.ForeignKey(
        "customers.Intake", null=True, blank=True, on_delete=models.SET_NULL, related_name="payments"
    )
    session = models.ForeignKey(
        "sessions_app.Session", null=True, blank=True, on_delete=models.SET_NULL, related_name="payments"
    )
    checkout_id = models.CharField(max_length=255, unique=True)
    payment_intent = models.CharField(max_length=255, blank=True)
    amount = models.PositiveIntegerField(help_text="In the smallest currency unit (cents).")
    currency = models.CharField(max_length=3, default="usd")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PAID)
    refund_requested_at = models.DateTimeField(null=True, blank=True)
    refund_reason = models.CharField(max_length=200, blank=True)
    stripe_refund_id = models.CharField(max_length=255, blank=True)
    refunded_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.checkout_id} {self.amount_display} ({self.status})"

    @property
    def amount_display(self) -> str:
        return f"{self.amount / 100:.2f} {self.currency.upper()}"


class StripeEvent(models.Model):
    """Every webhook event id we processed: the unique row makes a replayed event a no-op."""

    class Result(models.TextChoices):
        PROCESSED = "processed", "Processed"
        IGNORED = "ignored", "Ignored (could not be interpreted)"

    event_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=100)
    result = models.CharField(max_length=10, choices=Result.choices, default=Result.PROCESSED)
    reason = models.CharField(max_length=200, blank=True, help_text="Why an event was ignored.")
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return f"{self.type} {self.event_id} ({self.result})"
