"""The only code that writes money records. The session domain and the customer interfaces call these."""

from .credits import credit_balance, credits_grant, credits_refund_session, credits_spend
from .refunds import payment_refund, payment_refund_execute
from .stripe_events import stripe_event_claim

__all__ = [
    "credit_balance",
    "credits_grant",
    "credits_refund_session",
    "credits_spend",
    "payment_refund",
    "payment_refund_execute",
    "stripe_event_claim",
]
