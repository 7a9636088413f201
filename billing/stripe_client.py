"""The one place that builds a Stripe client. STRIPE_API_BASE points it at a local stub in tests."""

from typing import Any

import stripe
from django.conf import settings


def stripe_configured() -> bool:
    """Card payments are offered only with a secret key (SPEC §6: say so plainly otherwise)."""
    return bool(settings.STRIPE_SECRET_KEY)


def stripe_client() -> stripe.StripeClient:
    """A client for the configured account (two retries on network errors)."""
    base: Any = {"api": settings.STRIPE_API_BASE} if settings.STRIPE_API_BASE else {}
    return stripe.StripeClient(settings.STRIPE_SECRET_KEY, base_addresses=base, max_network_retries=2)
