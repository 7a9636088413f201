"""Refunds, card and credits, each one a Refund row. Card refunds are decided in a transaction,
asked of Stripe after it commits (a task the queue retries with backoff), and recorded once when
Stripe answers, whichever comes first: the API's answer or the charge.refunded webhook. A refund
made in Stripe's dashboard arrives only by webhook and is recorded the same way."""

import logging
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import stripe
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.utils import timezone

from autodoctor.errors import DomainError
from billing.models import CreditLedger, Payment, Refund
from billing.notifications import (
    notify_payment_refunded_after_commit,
    notify_refund_after_commit,
    refund_execute_after_commit,
    refund_retry_at,
)
from billing.stripe_client import stripe_client, stripe_configured
from customers.models import Customer

from .earnings import earnings_reverse_for_refund

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5  # then the refund is `failed` and waits for staff (admin: Refunds, status filter)
FIRST_RETRY_SECONDS = 60  # doubles each attempt: 1, 2, 4, 8 minutes


def _money(cents: int, currency: str) -> str:
    return f"{cents / 100:.2f} {currency.upper()}"


def payment_refundable_cents(payment: Payment) -> int:
    """What is left to refund: the amount less succeeded and pending refunds."""
    asked = (
        payment.refunds.filter(status__in=(Refund.Status.PENDING, Refund.Status.SUCCEEDED)).aggregate(
            t=Sum("amount_cents")
        )["t"]
        or 0
    )
    return max(0, payment.amount - max(asked, payment.refunded_cents))


def payment_refund(*, payment: Payment, reason: str) -> bool:
    """A whole card payment back (a session that never went live, a payment that found another
    session active). Asks Stripe after commit. False if it was asked before."""
    with transaction.atomic():
        payment.refresh_from_db(from_queryset=Payment.objects.select_for_update())
        if payment.refund_requested_at or payment.status == Payment.Status.REFUNDED:
            return False
        payment.refund_requested_at = timezone.now()
        payment.refund_reason = reason[:200]
        payment.save(update_fields=["refund_requested_at", "refund_reason"])
        left = payment_refundable_cents(payment)
        if left:
            refund = Refund.objects.create(
                customer_id=payment.customer_id,
                session_id=payment.session_id,
                payment=payment,
                method=Refund.Method.CARD,
                amount_cents=left,
                currency=payment.currency,
                reason=reason[:200],
            )
            refund_execute_after_commit(refund.pk)
        return True


def refund_card(
    *, payment: Payment, amount_cents: int, reason: str, actor: User | None, session_id: int | None = None
) -> Refund:
    """Part or all of a card payment back, asked of Stripe after commit. Refuses more than is left."""
    if amount_cents <= 0:
        raise DomainError("invalid_input", "Refund a positive amount.")
    with transaction.atomic():
        payment.refresh_from_db(from_queryset=Payment.objects.select_for_update())
        left = payment_refundable_cents(payment)
        if amount_cents > left:
            raise DomainError(
                "refund_too_large",
                f"Only {_money(left, payment.currency)} is left to refund on this payment "
                f"(asked {_money(amount_cents, payment.currency)}).",
                left_cents=left,
            )
        refund = Refund.objects.create(
            customer_id=payment.customer_id,
            session_id=session_id or payment.session_id,
            payment=payment,
            method=Refund.Method.CARD,
            amount_cents=amount_cents,
            currency=payment.currency,
            reason=reason[:200],
            created_by=actor,
        )
        refund_execute_after_commit(refund.pk)
        return refund


def refund_credits(
    *,
    customer_id: int,
    session_id: int,
    credits: int,
    value_cents: int,
    currency: str,
    reason: str,
    actor: User | None,
) -> Refund:
    """Give credits spent on a session back (at once). Refuses more than the session's spend left."""
    if credits <= 0:
        raise DomainError("invalid_input", "Refund a positive number of credits.")
    with transaction.atomic():
        Customer.objects.select_for_update().get(pk=customer_id)
        left = -(CreditLedger.objects.filter(session_id=session_id).aggregate(t=Sum("amount"))["t"] or 0)
        if credits > left:
            raise DomainError(
                "refund_too_large",
                f"Only {max(left, 0)} credit{'s' if left != 1 else ''} of this session are left to refund "
                f"(asked {credits}).",
                left_credits=max(left, 0),
            )
        CreditLedger.objects.create(
            customer_id=customer_id,
            amount=credits,
            kind=CreditLedger.Kind.REFUND,
            session_id=session_id,
            note=reason[:200],
            created_by=actor,
        )
        refund = Refund.objects.create(
            customer_id=customer_id,
            session_id=session_id,
            method=Refund.Method.CREDITS,
            amount_cents=max(1, value_cents),
            credits=credits,
            currency=currency,
            reason=reason[:200],
            status=Refund.Status.SUCCEEDED,
            succeeded_at=timezone.now(),
            created_by=actor,
        )
        earnings_reverse_for_refund(refund=refund)
        notify_refund_after_commit(refund.pk)
        return refund


def _succeed_locked(refund: Refund, payment: Payment, *, stripe_refund_id: str) -> bool:
    """Record a card refund as done (refund and payment locked by the caller). False if it was."""
    if refund.status == Refund.Status.SUCCEEDED:
        return False
    refund.status = Refund.Status.SUCCEEDED
    refund.succeeded_at = timezone.now()
    refund.stripe_refund_id = stripe_refund_id or None
    refund.last_error = ""
    refund.save(update_fields=["status", "succeeded_at", "stripe_refund_id", "last_error"])
    payment.refunded_cents = min(payment.amount, payment.refunded_cents + refund.amount_cents)
    fields = ["refunded_cents"]
    if payment.refunded_cents >= payment.amount:
        payment.status = Payment.Status.REFUNDED
        payment.refunded_at = refund.succeeded_at
        payment.stripe_refund_id = stripe_refund_id
        fields += ["status", "refunded_at", "stripe_refund_id"]
    payment.save(update_fields=fields)
    earnings_reverse_for_refund(refund=refund)
    if payment.refund_requested_at and payment.status == Payment.Status.REFUNDED:
        notify_payment_refunded_after_commit(payment.pk)
    else:
        notify_refund_after_commit(refund.pk)
    return True


def refund_execute(*, refund: Refund) -> str:
    """Ask Stripe for a pending card refund and record the answer (the refund task's work). On a
    Stripe error, retry later with backoff; after MAX_ATTEMPTS the refund is `failed` for staff."""
    if refund.status != Refund.Status.PENDING or refund.payment_id is None:
        return f"nothing to do ({refund.status})"
    if not stripe_configured():
        log.error(
            "payment %s needs a refund but Stripe is not configured (refund %s)", refund.payment_id, refund.pk
        )
        return _attempt_failed(refund, "Stripe is not configured")
    payment = refund.payment
    assert payment is not None
    try:
        answer = stripe_client().v1.refunds.create(
            params={
                "payment_intent": payment.payment_intent,
                "amount": refund.amount_cents,
                "metadata": {"refund_id": str(refund.pk), "payment_id": str(payment.pk)},
            },
            options={"idempotency_key": f"autodoctor-refund-{refund.pk}"},
        )
    except stripe.StripeError as exc:
        log.warning("Stripe refund %s failed: %s", refund.pk, exc)
        return _attempt_failed(refund, str(exc) or exc.__class__.__name__)
    if answer.status in ("failed", "canceled"):
        return _attempt_failed(refund, f"Stripe answered {answer.status}")
    if answer.status != "succeeded":  # pending at the bank: charge.refunded / refund.updated finish it
        Refund.objects.filter(pk=refund.pk, stripe_refund_id=None).update(stripe_refund_id=answer.id)
        return answer.id
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        refund.refresh_from_db(from_queryset=Refund.objects.select_for_update())
        _succeed_locked(refund, payment, stripe_refund_id=answer.id)
    return answer.id


def _attempt_failed(refund: Refund, error: str) -> str:
    with transaction.atomic():
        refund.refresh_from_db(from_queryset=Refund.objects.select_for_update())
        if refund.status != Refund.Status.PENDING:
            return f"nothing to do ({refund.status})"
        refund.attempts += 1
        refund.last_error = error[:300]
        if refund.attempts >= MAX_ATTEMPTS:
            refund.status = Refund.Status.FAILED
            log.error("refund %s failed %s times; staff must look: %s", refund.pk, refund.attempts, error)
        refund.save(update_fields=["attempts", "last_error", "status"])
        if refund.status == Refund.Status.PENDING:
            delay = FIRST_RETRY_SECONDS * 2 ** (refund.attempts - 1)
            refund_retry_at(refund.pk, timezone.now() + timedelta(seconds=delay))
            return f"retry in {delay} s"
    return "failed"


def refund_retry(*, refund: Refund, actor: User | None) -> bool:
    """Staff send a failed card refund to Stripe again (attempts start over)."""
    with transaction.atomic():
        refund.refresh_from_db(from_queryset=Refund.objects.select_for_update())
        if refund.status != Refund.Status.FAILED or refund.method != Refund.Method.CARD:
            return False
        refund.status, refund.attempts = Refund.Status.PENDING, 0
        refund.save(update_fields=["status", "attempts"])
        refund_execute_after_commit(refund.pk)
        return True


# --- Stripe's word: charge.refunded and refund.updated -----------------------------------------


def stripe_refund_record(*, payment_intent: str, stripe_refund: Mapping[str, Any]) -> Refund | None:
    """Record one refund object Stripe reports as succeeded, once: ours (by metadata or id) is
    marked done, one made in Stripe's dashboard gets a new row. Call inside a transaction.
    Returns the refund when this call recorded it, None when there was nothing new."""
    refund_id = str(stripe_refund.get("id") or "")
    amount = stripe_refund.get("amount")
    if not refund_id or not isinstance(amount, int) or amount <= 0:
        return None
    payment = Payment.objects.select_for_update().filter(payment_intent=payment_intent).first()
    if payment is None:
        return None
    metadata = stripe_refund.get("metadata") or {}
    ours = Refund.objects.select_for_update().filter(payment=payment)
    refund = ours.filter(stripe_refund_id=refund_id).first()
    if refund is None and str(metadata.get("refund_id") or "").isdigit():
        refund = (
            ours.filter(pk=int(metadata["refund_id"]))
            .filter(Q(stripe_refund_id__isnull=True) | Q(stripe_refund_id=refund_id))
            .first()
        )
    if refund is None:
        if amount > payment.amount - payment.refunded_cents:
            log.error(
                "Stripe refund %s of %s exceeds what is left on payment %s", refund_id, amount, payment.pk
            )
            return None
        try:
            with transaction.atomic():
                refund = Refund.objects.create(
                    customer_id=payment.customer_id,
                    session_id=payment.session_id,
                    payment=payment,
                    method=Refund.Method.CARD,
                    source=Refund.Source.STRIPE,
                    amount_cents=amount,
                    currency=str(stripe_refund.get("currency") or payment.currency),
                    reason="Refunded in Stripe's dashboard"
                    + (f" ({stripe_refund['reason']})" if stripe_refund.get("reason") else ""),
                    stripe_refund_id=refund_id,
                )
        except IntegrityError:
            return None
    return refund if _succeed_locked(refund, payment, stripe_refund_id=refund_id) else None


def stripe_refund_failed(*, stripe_refund: Mapping[str, Any]) -> Refund | None:
    """refund.updated with status failed/canceled: our pending refund is shown to staff as failed."""
    refund_id = str(stripe_refund.get("id") or "")
    refund = (
        Refund.objects.select_for_update().filter(stripe_refund_id=refund_id).first() if refund_id else None
    )
    if refund is None or refund.status != Refund.Status.PENDING:
        return None
    refund.status = Refund.Status.FAILED
    refund.last_error = f"Stripe: {stripe_refund.get('failure_reason') or stripe_refund.get('status')}"[:300]
    refund.save(update_fields=["status", "last_error"])
    return refund
