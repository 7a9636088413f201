"""The store of processed Stripe webhook events: a replayed event id finds its row and is skipped."""

from django.db import IntegrityError, transaction

from billing.models import StripeEvent


def stripe_event_claim(*, event_id: str, event_type: str) -> bool:
    """Record the event as processed, inside the caller's transaction (so the claim rolls back
    with a failed fulfilment). False when it was processed before, or is being processed now."""
    try:
        with transaction.atomic():
            StripeEvent.objects.create(event_id=event_id, type=event_type)
    except IntegrityError:
        return False
    return True
