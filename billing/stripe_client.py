"""The one place that builds a Stripe client. STRIPE_API_BASE points it at a local stub in tests."""

import logging
from typing import Any

import stripe
from django.conf import settings

from autodoctor.errors import DomainError

log = logging.getLogger(__name__)


def stripe_configured() -> bool:
    """Card payments are offered only with a secret key (SPEC §6: say so plainly otherwise)."""
    return bool(settings.STRIPE_SECRET_KEY)


def stripe_client() -> stripe.StripeClient:
    """A client for the configured account (two retries on network errors)."""
    base: Any = {"api": settings.STRIPE_API_BASE} if settings.STRIPE_API_BASE else {}
    return stripe.StripeClient(settings.STRIPE_SECRET_KEY, base_addresses=base, max_network_retries=2)


def checkout_open(*, params: Any, what: str) -> str:
    """Create a Stripe Checkout and return its URL; Stripe unreachable → a DomainError the page
    shows ("nothing was charged")."""
    try:
        checkout = stripe_client().v1.checkout.sessions.create(params=params)
    except stripe.StripeError as exc:
        log.warning("Stripe checkout for %s failed: %s", what, exc)
        raise DomainError(
            "payment_unavailable",
            "We could not reach the card processor. Nothing was charged; please try again in a minute.",
        ) from exc
    return str(checkout.url)


def checkout_retrieve(checkout_id: str) -> dict[str, Any] | None:
    """Stripe's checkout object as a dict; None while Stripe cannot be reached; `not_found` for
    an id Stripe does not know."""
    try:
        return stripe_client().v1.checkout.sessions.retrieve(checkout_id).to_dict()
    except stripe.InvalidRequestError as exc:
        raise DomainError("not_found", "We could not find that payment.") from exc
    except stripe.StripeError as exc:
        log.warning("Stripe retrieve of %s failed: %s", checkout_id, exc)
        return None


def int_or_none(value: Any) -> int | None:
    """A metadata value Stripe hands back as a string, as an id (None when it is not one)."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
