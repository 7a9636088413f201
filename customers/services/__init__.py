"""Customer-side services: accounts, intake, waiver, checkout and Stripe events."""

from sessions_app.errors import DomainError

from .accounts import customer_create
from .checkout import FulfilmentOutcome, checkout_confirm, checkout_fulfil, checkout_start
from .intake import IntakeDetails, customer_has_active_session, intake_create
from .stripe_events import stripe_event_process
from .waiver import WaiverOutcome, waiver_submit

# Domain codes raised here that the shared table (sessions_app.errors) does not know.
EXTRA_HTTP_STATUS = {"intake_already_submitted": 409, "payment_unavailable": 503}


def error_http_status(exc: DomainError) -> int:
    """The HTTP status for a domain error raised by the customer flow (pages and API)."""
    return EXTRA_HTTP_STATUS.get(exc.code, exc.http_status)


__all__ = [
    "EXTRA_HTTP_STATUS",
    "error_http_status",
    "FulfilmentOutcome",
    "IntakeDetails",
    "WaiverOutcome",
    "checkout_confirm",
    "checkout_fulfil",
    "checkout_start",
    "customer_create",
    "customer_has_active_session",
    "intake_create",
    "stripe_event_process",
    "waiver_submit",
]
