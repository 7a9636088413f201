"""Stripe webhook events, each processed at most once; a signed event we cannot interpret is
recorded as ignored with the reason (never a 500, which Stripe would retry for days)."""

import logging
import re
from collections.abc import Mapping
from typing import Any

from django.db import transaction

from billing.services import (
    REFUND_EVENTS,
    credit_pack_fulfil,
    is_pack_checkout,
    stripe_event_claim,
    stripe_refund_event_process,
)

from .checkout import checkout_fulfil

log = logging.getLogger(__name__)

FULFILLING_EVENTS = frozenset({"checkout.session.completed", "checkout.session.async_payment_succeeded"})
MAX_ID = 255  # the longest Stripe id our columns hold
CURRENCY = re.compile(r"^[a-z]{3}$")


class NotAnEvent(ValueError):
    """The signed body is not a Stripe event at all (the webhook answers 400)."""


def event_identity(event: object) -> tuple[str, str]:
    """The event's id and type, or NotAnEvent."""
    if not isinstance(event, Mapping):
        raise NotAnEvent("the body is not a JSON object")
    event_id, event_type = event.get("id"), event.get("type")
    if not isinstance(event_id, str) or not 0 < len(event_id) <= MAX_ID:
        raise NotAnEvent("the event has no usable id")
    if not isinstance(event_type, str) or not 0 < len(event_type) <= 100:
        raise NotAnEvent("the event has no usable type")
    return event_id, event_type


def _short_id(value: object, *, optional: bool = False) -> bool:
    if value is None or value == "":
        return optional
    return isinstance(value, str) and len(value) <= MAX_ID


def checkout_problem(event: Mapping[str, Any]) -> str:
    """Why the checkout in a fulfilling event cannot be interpreted, or "" when it can."""
    data = event.get("data")
    checkout = data.get("object") if isinstance(data, Mapping) else None
    if not isinstance(checkout, Mapping):
        return "data.object is not a checkout object"
    if not _short_id(checkout.get("id")):
        return "the checkout id is missing or longer than 255 characters"
    if not _short_id(checkout.get("payment_intent"), optional=True):
        return "payment_intent is not a short string"
    metadata = checkout.get("metadata")
    if metadata is not None and not isinstance(metadata, Mapping):
        return "metadata is not an object"
    amount = checkout.get("amount_total")
    if amount is not None and (not isinstance(amount, int) or isinstance(amount, bool) or amount < 0):
        return "amount_total is not a non-negative whole number of cents"
    currency = checkout.get("currency")
    if currency is not None and not (isinstance(currency, str) and CURRENCY.match(currency)):
        return "currency is not a three-letter code"
    return ""


def stripe_event_process(*, event: object) -> str:
    """Handle a verified event. The StripeEvent row is inserted in the same transaction as the
    fulfilment, so a replayed event (even a concurrent one) finds the row and does nothing.
    Returns what happened: `ignored`, `duplicate` or the fulfilment result; raises NotAnEvent."""
    event_id, event_type = event_identity(event)
    assert isinstance(event, Mapping)
    if event_type in REFUND_EVENTS:
        data = event.get("data")
        obj = data.get("object") if isinstance(data, Mapping) else None
        return stripe_refund_event_process(event_id=event_id, event_type=event_type, obj=obj)
    if event_type not in FULFILLING_EVENTS:
        return "ignored"
    problem = checkout_problem(event)
    if problem:
        log.warning("stripe event %s (%s) ignored: %s", event_id, event_type, problem)
        recorded = stripe_event_claim(event_id=event_id, event_type=event_type, ignored_because=problem)
        return "ignored" if recorded else "duplicate"
    with transaction.atomic():
        if not stripe_event_claim(event_id=event_id, event_type=event_type):
            return "duplicate"
        checkout = event["data"]["object"]
        if is_pack_checkout(checkout):
            result = credit_pack_fulfil(checkout=checkout).result
        else:
            result = checkout_fulfil(checkout=checkout).result
    log.info("stripe event %s (%s): %s", event_id, event_type, result)
    return result
