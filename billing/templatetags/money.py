from django import template

register = template.Library()


@register.filter
def cents(value: int | None, currency: str = "usd") -> str:
    """1234 → "$12.34" (other currencies: "12.34 EUR"); negative amounts keep their sign."""
    amount = (value or 0) / 100
    sign = "−" if amount < 0 else ""
    if currency.lower() == "usd":
        return f"{sign}${abs(amount):,.2f}"
    return f"{sign}{abs(amount):,.2f} {currency.upper()}"
