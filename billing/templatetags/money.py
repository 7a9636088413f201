from django import template
from django.utils.html import escape
from django.utils.safestring import mark_safe

register = template.Library()


@register.filter
def cents(value: int | None, currency: str = "usd") -> str:
    """1234 → "$12.34" (other currencies: "12.34 EUR"); negative amounts keep their sign."""
    amount = (value or 0) / 100
    sign = "−" if amount < 0 else ""
    if currency.lower() == "usd":
        return f"{sign}${abs(amount):,.2f}"
    return f"{sign}{abs(amount):,.2f} {currency.upper()}"


@register.filter
def svg_with_nonce(svg: str, nonce: object) -> str:
    """A server-rendered chart's SVG, its <style> allowed by the page's CSP nonce."""
    return mark_safe(svg.replace('<style type="text/css">', f'<style nonce="{escape(str(nonce))}">'))  # noqa: S308
