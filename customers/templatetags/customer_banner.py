"""{% active_session_banner %}: the banner the base layout shows on every customer page."""

from django import template
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

from autodoctor.access import customer_of
from customers.selectors import banner_state

register = template.Library()


@register.simple_tag(takes_context=True)
def active_session_banner(context: template.Context) -> SafeString:
    request = context.get("request")
    customer = customer_of(request.user) if request is not None else None
    if request is None or customer is None:
        return mark_safe("")
    banner = banner_state(customer=customer, session_key=request.session.session_key)
    context_data = {"banner": banner, "here": request.path}
    html = render_to_string("customers/banner.html", context_data, request=request)
    return mark_safe(html)  # noqa: S308 - rendered by our own template, autoescaped there


@register.filter
def money(cents: int | None, currency: str = "usd") -> str:
    """1999, "usd" -> "$19.99"."""
    amount = (cents or 0) / 100
    return f"${amount:.2f}" if (currency or "usd").lower() == "usd" else f"{amount:.2f} {currency.upper()}"
