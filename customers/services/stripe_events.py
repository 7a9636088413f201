"""Stripe webhook events, each processed at most once."""

import logging
from typing import Any

from django.db import transaction

from billing.services import stripe_event_claim

from .checkout import checkout_fulfil

log = logging.getLogger(__name__)

FULFILLING_EVENTS = frozenset({"checkout.session.completed", "checkout.session.async_payment_succeeded"})


def stripe_event_process(*, event: dict[str, Any]) -> str:
    """Handle a verified event. The StripeEvent row is inserted in the same transaction as the
    fulfilment, so a replayed event (even a concurrent one) finds the row and does nothing.
    Returns what happened: `ignored`, `duplicate` or the fulfilment result."""
    event_type = str(event.get("type") or "")
    event_id = str(event.get("id") or "")
    if event_type not in FULFILLING_EVENTS or not event_id:
        return "ignored"
    checkout = (event.get("data") or {}).get("object") or {}
    with transaction.atomic():
        if not stripe_event_claim(event_id=event_id, event_type=event_type):
            return "duplicate"
        outcome = checkout_fulfil(checkout=checkout)
    log.info("stripe event %s (%s): %s", event_id, event_type, outcome.result)
    return outcome.result
