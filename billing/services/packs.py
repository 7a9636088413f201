"""Credit packs bought through Stripe Checkout. The paid checkout becomes a `purchase` entry
exactly once: the Payment row (unique checkout id) and the entry are written together, whether
the webhook (any number of replays) or the customer's return to the success page comes first."""

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from autodoctor.errors import DomainError
from billing.models import CreditLedger, CreditPack, Payment
from billing.stripe_client import checkout_open, checkout_retrieve, int_or_none, stripe_configured
from customers.models import Customer

log = logging.getLogger(__name__)

CHECKOUT_ID = re.compile(r"^[A-Za-z0-9_]{1,255}$")


@dataclass
class PackOutcome:
    """`purchased` (credits added now), `existing` (added before), `unpaid` or `unknown`."""

    result: str
    payment: Payment | None = None

    @property
    def credits(self) -> int:
        pack = self.payment.credit_pack if self.payment else None
        return pack.credits if pack else 0


def is_pack_checkout(checkout: Mapping[str, Any]) -> bool:
    metadata = checkout.get("metadata")
    return isinstance(metadata, Mapping) and "credit_pack_id" in metadata


def credit_pack_checkout_start(
    *, customer: Customer, pack: CreditPack, success_url: str, cancel_url: str
) -> str:
    """Open a Stripe Checkout for a pack and return its URL (credits come with the fulfilment)."""
    if not stripe_configured():
        raise DomainError(
            "payments_not_configured", "Card payments are not configured, so credits cannot be bought yet."
        )
    if not pack.active:
        raise DomainError("not_found", "That credit pack is no longer sold.")
    metadata = {"credit_pack_id": str(pack.pk), "customer_id": str(customer.pk)}
    params: Any = {
        "mode": "payment",
        "line_items": [
            {
                "quantity": 1,
                "price_data": {
                    "currency": pack.currency,
                    "unit_amount": pack.price_cents,
                    "product_data": {"name": f"Auto Doctor: {pack.name}"},
                },
            }
        ],
        "success_url": success_url,
        "cancel_url": cancel_url,
        "client_reference_id": f"pack-{pack.pk}-customer-{customer.pk}",
        "metadata": metadata,
        "payment_intent_data": {"metadata": metadata},
    }
    if customer.user.email:
        params["customer_email"] = customer.user.email
    return checkout_open(params=params, what=f"credit pack {pack.pk}")


def credit_pack_fulfil(*, checkout: Mapping[str, Any]) -> PackOutcome:
    """A paid pack checkout (Stripe's object as a dict) becomes credits, once."""
    checkout_id = str(checkout.get("id") or "")
    if not checkout_id or checkout.get("payment_status") != "paid":
        return PackOutcome("unpaid")
    metadata = checkout.get("metadata") or {}
    pack_id, customer_id = (
        int_or_none(metadata.get("credit_pack_id")),
        int_or_none(metadata.get("customer_id")),
    )
    pack = CreditPack.objects.filter(pk=pack_id).first() if pack_id else None
    customer = Customer.objects.filter(pk=customer_id).first() if customer_id else None
    if pack is None or customer is None:
        log.warning("checkout %s names no pack/customer of ours (%s)", checkout_id, dict(metadata))
        return PackOutcome("unknown")
    with transaction.atomic():
        Customer.objects.select_for_update().get(pk=customer.pk)
        payment, created = Payment.objects.get_or_create(
            checkout_id=checkout_id,
            defaults={
                "customer": customer,
                "credit_pack": pack,
                "payment_intent": str(checkout.get("payment_intent") or ""),
                "amount": int(checkout.get("amount_total") or pack.price_cents),
                "currency": str(checkout.get("currency") or pack.currency),
            },
        )
        if not created:
            return PackOutcome("existing", Payment.objects.select_related("credit_pack").get(pk=payment.pk))
        CreditLedger.objects.create(
            customer=customer,
            amount=pack.credits,
            kind=CreditLedger.Kind.PURCHASE,
            note=f"{pack.name} · {payment.amount_display}",
        )
    return PackOutcome("purchased", payment)


def credit_pack_confirm(*, customer: Customer, checkout_id: str) -> PackOutcome:
    """The success page: what the webhook did, or ask Stripe and fulfil now."""
    if not CHECKOUT_ID.match(checkout_id or ""):
        raise DomainError("not_found", "We could not find that payment.")
    payment = (
        Payment.objects.select_related("credit_pack")
        .filter(checkout_id=checkout_id, customer=customer)
        .first()
    )
    if payment is not None:
        return PackOutcome("existing", payment)
    if not stripe_configured():
        raise DomainError("payments_not_configured", "Card payments are not configured.")
    checkout = checkout_retrieve(checkout_id)
    if checkout is None:
        return PackOutcome("unpaid")
    if str((checkout.get("metadata") or {}).get("customer_id")) != str(customer.pk) or not is_pack_checkout(
        checkout
    ):
        raise DomainError("not_found", "We could not find that payment.")
    return credit_pack_fulfil(checkout=checkout)
