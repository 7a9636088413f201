"""The bounds of a repair quote: read by the page's form, the API's schema and the service, so
all three refuse the same things with the same words."""

from datetime import date, timedelta
from decimal import Decimal

MAX_LINES = 30
MAX_DESCRIPTION = 200
MAX_NOTE = 2000
MAX_DECLINE_REASON = 500
MIN_QUANTITY = Decimal("0.01")
MAX_QUANTITY = Decimal("999.99")
MAX_UNIT_PRICE_CENTS = 10_000_000  # $100,000 a unit: far above any part or hourly rate
MAX_TAX_RATE_PERCENT = Decimal("30")
MAX_VALID_DAYS = 90  # valid_until at most this many days ahead; the email link lives one day longer
DEFAULT_VALID_DAYS = 14


def valid_until_problem(day: date, *, today: date) -> str | None:
    """Why `day` cannot be a quote's last valid day, or None. Shared by the form, the API schema
    and the service."""
    if day <= today:
        return "Choose a date after today: the customer needs time to decide."
    if day > today + timedelta(days=MAX_VALID_DAYS):
        return f"A quote can be valid for at most {MAX_VALID_DAYS} days."
    return None
