"""The totals rule (quotes.money): lines rounded half up to the cent, tax once on the subtotal."""

from decimal import Decimal

from quotes.money import cents_half_up, line_total_cents, money_display, quote_totals, tax_cents


def test_a_line_is_quantity_times_price_rounded_half_up():
    assert line_total_cents(quantity=Decimal("1.5"), unit_price_cents=9555) == 14333  # 14332.5 → up
    assert line_total_cents(quantity=Decimal("0.25"), unit_price_cents=1001) == 250  # 250.25 → down
    assert line_total_cents(quantity=Decimal("3"), unit_price_cents=0) == 0


def test_tax_is_computed_once_on_the_subtotal_and_rounded_half_up():
    # Per line, 8.25% of 1 cent would round to 0 each time; on the subtotal of 10 it is 0.825 → 1.
    totals = quote_totals(line_totals=[1] * 10, tax_rate_percent=Decimal("8.25"))
    assert (totals.subtotal_cents, totals.tax_cents, totals.total_cents) == (10, 1, 11)
    assert tax_cents(subtotal_cents=200, tax_rate_percent=Decimal("0.25")) == 1  # 0.5 → up
    assert tax_cents(subtotal_cents=199, tax_rate_percent=Decimal("0.25")) == 0  # 0.4975 → down
    assert tax_cents(subtotal_cents=23332, tax_rate_percent=Decimal("8.875")) == 2071  # 2070.715


def test_no_float_drift_on_large_amounts():
    totals = quote_totals(line_totals=[999_999_999, 1], tax_rate_percent=Decimal("7.5"))
    assert totals.tax_cents == 75_000_000 and totals.total_cents == 1_075_000_000
    assert cents_half_up(Decimal("-0.5")) == -1  # half away from zero, never banker's rounding


def test_display():
    assert money_display(123456) == "$1,234.56"
    assert money_display(5, "eur") == "0.05 EUR"
