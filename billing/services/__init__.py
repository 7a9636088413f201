"""The only code that writes money records. The session domain and the customer interfaces call these."""

from .credits import credit_balance, credits_grant, credits_refund_session, credits_spend
from .earnings import (
    earnings_record_completion,
    earnings_record_quote_bonus,
    earnings_reverse_for_refund,
)
from .packs import credit_pack_checkout_start, credit_pack_confirm, credit_pack_fulfil, is_pack_checkout
from .payouts import payout_create, payout_owed_cents
from .refunds import (
    payment_refund,
    payment_refundable_cents,
    refund_card,
    refund_credits,
    refund_execute,
    refund_retry,
    stripe_refund_failed,
    stripe_refund_record,
)
from .stripe_events import REFUND_EVENTS, stripe_event_claim, stripe_refund_event_process

__all__ = [
    "credit_balance",
    "credit_pack_checkout_start",
    "credit_pack_confirm",
    "credit_pack_fulfil",
    "credits_grant",
    "credits_refund_session",
    "credits_spend",
    "earnings_record_completion",
    "earnings_record_quote_bonus",
    "earnings_reverse_for_refund",
    "is_pack_checkout",
    "payment_refund",
    "payment_refundable_cents",
    "payout_create",
    "payout_owed_cents",
    "refund_card",
    "refund_credits",
    "refund_execute",
    "refund_retry",
    "REFUND_EVENTS",
    "stripe_event_claim",
    "stripe_refund_event_process",
    "stripe_refund_failed",
    "stripe_refund_record",
]
