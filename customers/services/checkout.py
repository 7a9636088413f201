"""Card payments through Stripe Checkout, and the one fulfilment path.

A paid checkout becomes a session exactly once, however often Stripe repeats the webhook and
whether the webhook or the customer's return to the success page arrives first: the Payment row
is keyed by the unique checkout id and created in the same transaction as the session.
"""

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.urls import reverse

from autodoctor.errors import DomainError
from billing.models import Payment
from billing.services import payment_refund
from billing.stripe_client import checkout_open, checkout_retrieve, int_or_none, stripe_configured
from customers.models import Customer, Intake
from sessions_app.models import Session
from sessions_app.services import session_create

log = logging.getLogger(__name__)

ACTIVE_SESSION_REFUND_REASON = (
    "you already had an active session when this payment completed, so we refunded it in full"
)
CHECKOUT_ID = re.compile(r"^[A-Za-z0-9_]{1,255}$")


@dataclass
class FulfilmentOutcome:
    """What became of a checkout: `created` (new session), `existing` (done before), `refunded`
    (paid while another session was active), `unpaid` (not paid yet) or `unknown` (not ours)."""

    result: str
    payment: Payment | None = None
    session: Session | None = None

    @property
    def refund_reason(self) -> str:
        return self.payment.refund_reason if self.payment else ""


def payments_not_configured() -> DomainError:
    return DomainError(
        "payments_not_configured",
        "Card payments are not configured. Pay with credits or choose the free plan.",
    )


def checkout_start(*, intake: Intake, site_url: str) -> str:
    """Open a Stripe Checkout for the intake's plan and return its URL. The session is created
    later, by the fulfilment, once Stripe says the checkout is paid."""
    if not stripe_configured():
        raise payments_not_configured()
    plan = intake.plan
    base = site_url.rstrip("/")
    success = base + reverse("checkout_success") + "?session_id={CHECKOUT_SESSION_ID}"
    cancel = base + reverse("intake_waiver", args=[intake.pk]) + "?checkout=cancelled"
    metadata = {"intake_id": str(intake.pk), "customer_id": str(intake.customer_id)}
    params: Any = {  # stripe's TypedDict (SessionCreateParams), built as a plain dict
        "mode": "payment",
        "line_items": [
            {
                "quantity": 1,
                "price_data": {
                    "currency": plan.currency,
                    "unit_amount": plan.price_cents,
                    "product_data": {"name": f"Auto Doctor: {plan.name}"},
                },
            }
        ],
        "success_url": success,
        "cancel_url": cancel,
        "client_reference_id": str(intake.pk),
        "metadata": metadata,
        "payment_intent_data": {"metadata": metadata},
    }
    email = intake.customer.user.email
    if email:
        params["customer_email"] = email
    return checkout_open(params=params, what=f"intake {intake.pk}")


def _outcome_for(payment: Payment) -> FulfilmentOutcome:
    if payment.refund_requested_at or payment.status == Payment.Status.REFUNDED:
        return FulfilmentOutcome("refunded", payment, payment.session)
    return FulfilmentOutcome("existing", payment, payment.session)


def checkout_fulfil(*, checkout: Mapping[str, Any]) -> FulfilmentOutcome:
    """Turn a paid checkout (Stripe's checkout.session object as a dict) into a session, once.
    A payment that completes while the customer already has an active session is kept on record
    and refunded (after commit); the customer sees why on the success page and the dashboard."""
    checkout_id = str(checkout.get("id") or "")
    if not checkout_id or checkout.get("payment_status") != "paid":
        return FulfilmentOutcome("unpaid")
    metadata = checkout.get("metadata") or {}
    intake_id, customer_id = int_or_none(metadata.get("intake_id")), int_or_none(metadata.get("customer_id"))
    intake = (
        Intake.objects.select_related("customer__user", "plan")
        .filter(pk=intake_id, customer_id=customer_id)
        .first()
        if intake_id is not None and customer_id is not None
        else None
    )
    if intake is None:
        log.warning("checkout %s names no intake of ours (%s)", checkout_id, dict(metadata))
        return FulfilmentOutcome("unknown")
    with transaction.atomic():
        payment, created = Payment.objects.get_or_create(
            checkout_id=checkout_id,
            defaults={
                "customer": intake.customer,
                "intake": intake,
                "payment_intent": str(checkout.get("payment_intent") or ""),
                "amount": int(checkout.get("amount_total") or intake.plan.price_cents),
                "currency": str(checkout.get("currency") or intake.plan.currency),
            },
        )
        if not created:
            return _outcome_for(Payment.objects.select_related("session").get(pk=payment.pk))
        try:
            with transaction.atomic():
                session = session_create(
                    customer=intake.customer,
                    plan=intake.plan,
                    intake=intake,
                    pay_with="card",
                    urgent=intake.urgent,
                    scheduled_for=intake.scheduled_for,
                    stripe_checkout_id=checkout_id,
                    actor=intake.customer.user,
                )
        except DomainError as exc:
            reason = ACTIVE_SESSION_REFUND_REASON if exc.code == "active_session_exists" else exc.detail
            payment_refund(payment=payment, reason=reason)
            payment.refresh_from_db()
            return FulfilmentOutcome("refunded", payment, None)
        payment.session = session
        payment.save(update_fields=["session"])
    return FulfilmentOutcome("created", payment, session)


def checkout_confirm(*, customer: Customer, checkout_id: str) -> FulfilmentOutcome:
    """The success page: use what the webhook already did, or ask Stripe and fulfil now."""
    if not CHECKOUT_ID.match(checkout_id or ""):
        raise DomainError("not_found", "We could not find that payment.")
    payment = (
        Payment.objects.select_related("session").filter(checkout_id=checkout_id, customer=customer).first()
    )
    if payment is not None:
        return _outcome_for(payment)
    if not stripe_configured():
        raise payments_not_configured()
    checkout = checkout_retrieve(checkout_id)
    if checkout is None:
        return FulfilmentOutcome("unpaid")
    if str((checkout.get("metadata") or {}).get("customer_id")) != str(customer.pk):
        raise DomainError("not_found", "We could not find that payment.")
    return checkout_fulfil(checkout=checkout)
