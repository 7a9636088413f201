"""Customer-side services: accounts, intake, waiver, checkout and Stripe events."""

from .accounts import customer_create, customer_set_time_zone
from .checkout import FulfilmentOutcome, checkout_confirm, checkout_fulfil, checkout_start
from .intake import IntakeDetails, customer_has_active_session, intake_create, intakes_purge_abandoned
from .stripe_events import stripe_event_process
from .waiver import WaiverOutcome, waiver_submit

__all__ = [
    "FulfilmentOutcome",
    "IntakeDetails",
    "WaiverOutcome",
    "checkout_confirm",
    "checkout_fulfil",
    "checkout_start",
    "customer_create",
    "customer_has_active_session",
    "customer_set_time_zone",
    "intake_create",
    "intakes_purge_abandoned",
    "stripe_event_process",
    "waiver_submit",
]
