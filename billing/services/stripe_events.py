"""The store of processed Stripe webhook events: a replayed event id finds its row and is skipped."""

import logging
from collections.abc import Mapping
from typing import Any

from django.db import IntegrityError, transaction

from billing.models import Payment, StripeEvent

from .refunds import stripe_refund_failed, stripe_refund_record

log = logging.getLogger(__name__)


def stripe_event_claim(*, event_id: str, event_type: str, ignored_because: str = "") -> bool:
    """Record the event, inside the caller's transaction (so the claim rolls back with a failed
    fulfilment); with `ignored_because`, as ignored with that reason. False when it was recorded
    before, or is being processed now."""
    result = StripeEvent.Result.IGNORED if ignored_because else StripeEvent.Result.PROCESSED
    try:
        with transaction.atomic():
            StripeEvent.objects.create(
                event_id=event_id, type=event_type, result=result, reason=ignored_because[:200]
            )
    except IntegrityError:
        return False
    return True


REFUND_EVENTS = frozenset({"charge.refunded", "refund.updated", "refund.created"})


def _refund_objects(event_type: str, obj: Mapping[str, Any]) -> tuple[str, list[Mapping[str, Any]]] | str:
    """(payment intent, refund objects) from a charge or refund, or why it cannot be read."""
    intent = obj.get("payment_intent")
    if not isinstance(intent, str) or not 0 < len(intent) <= 255:
        return "payment_intent is missing or not a short string"
    if event_type == "charge.refunded":
        refunds = obj.get("refunds")
        data = refunds.get("data") if isinstance(refunds, Mapping) else None
        if not isinstance(data, list):
            return "the charge lists no refunds"
        return intent, [r for r in data if isinstance(r, Mapping)]
    return intent, [obj]


def stripe_refund_event_process(*, event_id: str, event_type: str, obj: object) -> str:
    """charge.refunded / refund.updated: every succeeded refund lands in our ledger once (by the
    refund's id), a failed one of ours is shown to staff. Returns what happened."""
    if not isinstance(obj, Mapping):
        read: tuple[str, list[Mapping[str, Any]]] | str = "data.object is not an object"
    else:
        read = _refund_objects(event_type, obj)
    if not isinstance(read, str) and not Payment.objects.filter(payment_intent=read[0]).exists():
        read = "no payment of ours has this payment_intent"
    if isinstance(read, str):
        log.warning("stripe event %s (%s) ignored: %s", event_id, event_type, read)
        recorded = stripe_event_claim(event_id=event_id, event_type=event_type, ignored_because=read)
        return "ignored" if recorded else "duplicate"
    intent, refunds = read
    with transaction.atomic():
        if not stripe_event_claim(event_id=event_id, event_type=event_type):
            return "duplicate"
        recorded_ids = []
        for stripe_refund in refunds:
            status = stripe_refund.get("status")
            if status == "succeeded":
                refund = stripe_refund_record(payment_intent=intent, stripe_refund=stripe_refund)
            elif status in ("failed", "canceled"):
                refund = stripe_refund_failed(stripe_refund=stripe_refund)
            else:
                refund = None
            if refund is not None:
                recorded_ids.append(refund.pk)
    log.info("stripe event %s (%s): refunds %s", event_id, event_type, recorded_ids)
    return "refund_recorded" if recorded_ids else "nothing_new"
