"""The store of processed Stripe webhook events: a replayed event id finds its row and is skipped."""

from django.db import IntegrityError, transaction

from billing.models import StripeEvent


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
