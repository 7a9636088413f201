"""Quote arithmetic, in integer cents: one rule, used by the service (stored totals), the
compose page's preview and the tests.

The rule, stated once:
- a line's total is quantity × unit price, rounded half up to the cent (1.5 h × $95.55 = $143.325
  → $143.33);
- the subtotal is the sum of the line totals;
- tax is subtotal × rate, rounded half up to the cent, computed once on the subtotal (never per
  line, so the tax does not drift with the number of lines);
- the total is subtotal + tax.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

ONE_CENT = Decimal(1)


def cents_half_up(amount: Decimal) -> int:
    return int(amount.quantize(ONE_CENT, rounding=ROUND_HALF_UP))


def line_total_cents(*, quantity: Decimal, unit_price_cents: int) -> int:
    return cents_half_up(Decimal(quantity) * unit_price_cents)


def tax_cents(*, subtotal_cents: int, tax_rate_percent: Decimal) -> int:
    return cents_half_up(Decimal(subtotal_cents) * Decimal(tax_rate_percent) / 100)


@dataclass(frozen=True)
class Totals:
    subtotal_cents: int
    tax_cents: int
    total_cents: int


def quote_totals(*, line_totals: Iterable[int], tax_rate_percent: Decimal) -> Totals:
    subtotal = sum(line_totals)
    tax = tax_cents(subtotal_cents=subtotal, tax_rate_percent=tax_rate_percent)
    return Totals(subtotal_cents=subtotal, tax_cents=tax, total_cents=subtotal + tax)


def money_display(cents: int, currency: str = "usd") -> str:
    """$1,234.50 for usd; 1,234.50 EUR for the rest."""
    amount = f"{cents / 100:,.2f}"
    return f"${amount}" if currency.lower() == "usd" else f"{amount} {currency.upper()}"
