"""django-q2 tasks: the quote emails and the expiry sweep (three lines each: load, act)."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse

from autodoctor.timezones import local_time_of

from .links import quote_link_token
from .models import RepairQuote
from .selectors import quote_with_lines
from .services import quotes_expire_due


def expire_due_quotes() -> int:
    return quotes_expire_due()


def _send(*, to: str, template: str, context: dict[str, object], time_zone: str) -> None:
    with local_time_of(time_zone):  # the recipient's local times
        subject = " ".join(render_to_string(f"quotes/emails/{template}_subject.txt", context).split())
        body = render_to_string(f"quotes/emails/{template}.txt", context)
        html = render_to_string(f"quotes/emails/{template}.html", context)
    message = EmailMultiAlternatives(
        subject=subject, body=body, from_email=settings.DEFAULT_FROM_EMAIL, to=[to]
    )
    message.attach_alternative(html, "text/html")
    message.send()


def send_quote_sent_email(quote_id: int, site_url: str) -> bool:
    """The customer's email: the quote, and a signed link to approve or decline it."""
    quote = quote_with_lines(quote_id=quote_id)
    if quote is None or not quote.session.customer.user.email:
        return False
    token = quote_link_token(quote, customer_user_id=quote.session.customer.user_id)
    link = site_url.rstrip("/") + reverse("quote_link", args=[token])
    context = {"quote": quote, "link": link, "customer": quote.session.customer}
    _send(
        to=quote.session.customer.user.email,
        template="quote_sent",
        context=context,
        time_zone=quote.session.customer.time_zone,
    )
    return True


def send_quote_decided_email(quote_id: int) -> bool:
    """The mechanic who sent the quote hears the customer's answer (if they take emails)."""
    quote = (
        RepairQuote.objects.select_related("mechanic__user", "session__customer").filter(pk=quote_id).first()
    )
    if quote is None or not quote.mechanic.email_notifications or not quote.mechanic.user.email:
        return False
    _send(
        to=quote.mechanic.user.email,
        template="quote_decided",
        context={"quote": quote},
        time_zone=quote.mechanic.time_zone,
    )
    return True
