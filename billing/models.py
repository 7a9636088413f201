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
    # What has come back to the card so far (sum of the succeeded card refunds; REFUNDED when all).
    refunded_cents = models.PositiveIntegerField(default=0)
    intake = models.ForeignKey(
        "customers.Intake", null=True, blank=True, on_delete=models.SET_NULL, related_name="payments"
    )
    session = models.ForeignKey(
        "sessions_app.Session", null=True, blank=True, on_delete=models.SET_NULL, related_name="payments"
    )
    credit_pack = models.ForeignKey(
        "billing.CreditPack", null=True, blank=True, on_delete=models.PROTECT, related_name="payments"
    )
    checkout_id = models.CharField(max_length=255, unique=True)
    payment_intent = models.CharField(max_length=255, blank=True, db_index=True)
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
        constraints = [
            models.CheckConstraint(
                condition=models.Q(refunded_cents__lte=models.F("amount")),
                name="payment_refunds_within_amount",
            )
        ]

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


# --- earnings, payouts, credit packs, refunds (issue 13) ----------------------------------------


class PlanPayout(models.Model):
    """What share of a plan's takings its mechanic earns (staff edit it in admin). A plan without
    a row pays DEFAULT_PAYOUT_PERCENT."""

    plan = models.OneToOneField("sessions_app.Plan", on_delete=models.CASCADE, related_name="payout")
    percent = models.PositiveSmallIntegerField(help_text="The mechanic's share, 0–100 %.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(percent__lte=100), name="payout_percent_max")
        ]

    def __str__(self) -> str:
        return f"{self.plan}: {self.percent}%"


class Payout(models.Model):
    """Money paid to a mechanic: one row covering the earning entries it settles (PayoutLine)."""

    mechanic = models.ForeignKey("mechanics.Mechanic", on_delete=models.PROTECT, related_name="payouts")
    period_start = models.DateField()
    period_end = models.DateField()
    amount_cents = models.IntegerField()
    currency = models.CharField(max_length=3, default="usd")
    note = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Payout #{self.pk} to {self.mechanic}: {self.amount_cents / 100:.2f} {self.currency.upper()}"


class EarningEntry(models.Model):
    """A mechanic's earnings ledger: append-only, signed cents. The unique constraints make each
    entry happen once whatever retries, replays or races: one share and one referral fee per
    session, one bonus per quote, one reversal per refund and entry, one payout entry per payout."""

    class Kind(models.TextChoices):
        SESSION_SHARE = "session_share", "Session share"
        REFERRAL_FEE = "referral_fee", "Referral fee (2%)"
        QUOTE_BONUS = "quote_bonus", "Quote bonus (5%)"
        REVERSAL = "reversal", "Reversal (refund)"
        PAYOUT = "payout", "Payout"

    mechanic = models.ForeignKey("mechanics.Mechanic", on_delete=models.PROTECT, related_name="earnings")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    amount_cents = models.IntegerField(
        help_text="Signed: earnings are positive, reversals and payouts negative."
    )
    currency = models.CharField(max_length=3, default="usd")
    session = models.ForeignKey(
        "sessions_app.Session", null=True, blank=True, on_delete=models.PROTECT, related_name="earnings"
    )
    quote_id = models.PositiveIntegerField(
        null=True, blank=True, help_text="The approved quote (quote_bonus)."
    )
    basis_cents = models.IntegerField(default=0, help_text="What the percentage was taken of.")
    percent = models.PositiveSmallIntegerField(default=0)
    reverses = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversals"
    )
    refund = models.ForeignKey(
        "billing.Refund", null=True, blank=True, on_delete=models.PROTECT, related_name="reversals"
    )
    payout = models.ForeignKey(Payout, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    note = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "earning entries"
        indexes = [models.Index(fields=["mechanic", "created_at"], name="earning_mechanic_created")]
        constraints = [
            models.CheckConstraint(condition=~models.Q(amount_cents=0), name="earning_not_zero"),
            models.UniqueConstraint(
                fields=["session", "kind"],
                condition=models.Q(kind__in=["session_share", "referral_fee"]),
                name="earning_once_per_session",
            ),
            models.UniqueConstraint(
                fields=["quote_id"], condition=models.Q(kind="quote_bonus"), name="earning_once_per_quote"
            ),
            models.UniqueConstraint(
                fields=["refund", "reverses"], condition=models.Q(kind="reversal"), name="reversal_once"
            ),
            models.UniqueConstraint(
                fields=["payout"], condition=models.Q(kind="payout"), name="payout_entry_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.amount_cents / 100:+.2f} {self.currency.upper()} {self.kind} for {self.mechanic}"

    @property
    def paid_out(self) -> bool:
        """Covered by a payout (load with select_related("payout_line") to avoid a query)."""
        return hasattr(self, "payout_line")


class PayoutLine(models.Model):
    """An earning entry settled by a payout: unique per entry, so no entry is paid twice."""

    payout = models.ForeignKey(Payout, on_delete=models.PROTECT, related_name="lines")
    entry = models.OneToOneField(EarningEntry, on_delete=models.PROTECT, related_name="payout_line")

    def __str__(self) -> str:
        return f"{self.entry} in payout #{self.payout_id}"


class CreditPack(models.Model):
    """Credits sold through Stripe Checkout (edited by staff in admin)."""

    name = models.CharField(max_length=60)
    credits = models.PositiveSmallIntegerField()
    price_cents = models.PositiveIntegerField()
    currency = models.CharField(max_length=3, default="usd")
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["price_cents", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(credits__gt=0), name="pack_has_credits"),
            models.CheckConstraint(condition=models.Q(price_cents__gt=0), name="pack_has_price"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.price_display})"

    @property
    def price_display(self) -> str:
        return f"${self.price_cents / 100:.2f}"


class Refund(models.Model):
    """Every refund, card or credits, whoever started it (our services or Stripe's dashboard).
    A card refund is `pending` until Stripe confirms it; the Stripe refund id is unique, so a
    webhook replayed or racing the API answer records it once."""

    class Method(models.TextChoices):
        CARD = "card", "Card"
        CREDITS = "credits", "Credits"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed (needs staff)"

    class Source(models.TextChoices):
        APP = "app", "Auto Doctor"
        STRIPE = "stripe", "Stripe dashboard"

    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="refunds")
    session = models.ForeignKey(
        "sessions_app.Session", null=True, blank=True, on_delete=models.PROTECT, related_name="refunds"
    )
    payment = models.ForeignKey(
        Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="refunds"
    )
    method = models.CharField(max_length=8, choices=Method.choices)
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.APP)
    amount_cents = models.PositiveIntegerField(
        help_text="Card: cents returned. Credits: their value in cents."
    )
    credits = models.PositiveIntegerField(default=0)
    currency = models.CharField(max_length=3, default="usd")
    reason = models.CharField(max_length=200)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    stripe_refund_id = models.CharField(max_length=255, null=True, blank=True, unique=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    succeeded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount_cents__gt=0), name="refund_not_zero"),
        ]

    def __str__(self) -> str:
        return f"Refund #{self.pk} {self.amount_cents / 100:.2f} {self.currency.upper()} ({self.status})"

    @property
    def amount_display(self) -> str:
        return f"{self.amount_cents / 100:.2f} {self.currency.upper()}"
