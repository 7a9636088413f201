"""The waiver, and what signing it leads to: a queued session (free or credits) or a card checkout."""

from dataclasses import dataclass

from django.conf import settings
from django.db import transaction

from autodoctor.errors import DomainError
from billing.stripe_client import stripe_configured
from customers.models import Intake, PayWith, Waiver
from sessions_app.models import Session
from sessions_app.services import session_create
from sessions_app.wording import active_session_refusal

from .checkout import checkout_start, payments_not_configured
from .intake import customer_has_active_session


@dataclass
class WaiverOutcome:
    """Either the new session (free and credit plans) or where to pay (card)."""

    waiver: Waiver
    session: Session | None = None
    checkout_url: str = ""


def intake_already_submitted(intake: Intake) -> DomainError | None:
    """A request leads to one session; a second submission of the same intake is refused."""
    existing = intake.sessions.order_by("-id").first()
    if existing is None:
        return None
    return DomainError(
        "intake_already_submitted",
        "This request has already been sent to our mechanics. Start a new request for a new problem.",
        session_url=existing.get_absolute_url(),
    )


def _sign(*, intake: Intake, full_name: str, ip_address: str | None, user_agent: str) -> Waiver:
    waiver, _ = Waiver.objects.update_or_create(
        intake=intake,
        defaults={
            "version": settings.WAIVER_VERSION,
            "full_name": full_name,
            "agreed": True,
            "ip_address": ip_address or None,
            "user_agent": (user_agent or "")[:400],
        },
    )
    return waiver


def waiver_submit(
    *,
    intake: Intake,
    full_name: str,
    agreed: bool,
    ip_address: str | None,
    user_agent: str,
    site_url: str,
) -> WaiverOutcome:
    """Record the signed waiver (name, time, IP, user agent, version). Free and credit plans get
    their session now, in the same transaction (credits spent there too); card plans get a
    Stripe Checkout URL, and the session follows from the paid checkout."""
    full_name = " ".join((full_name or "").split())
    if not agreed or not full_name:
        raise DomainError("invalid_input", "Type your full name and agree to the waiver to continue.")
    if (error := intake_already_submitted(intake)) is not None:
        raise error
    customer = intake.customer
    if customer_has_active_session(customer=customer):
        raise active_session_refusal(customer=customer)
    if not intake.plan.active:
        raise DomainError(
            "invalid_input", "That plan is no longer offered. Start a new request with another plan."
        )
    if intake.pay_with == PayWith.CARD:
        if not stripe_configured():  # refuse before signing: a refusal leaves nothing written
            raise payments_not_configured()
        waiver = _sign(intake=intake, full_name=full_name, ip_address=ip_address, user_agent=user_agent)
        return WaiverOutcome(waiver=waiver, checkout_url=checkout_start(intake=intake, site_url=site_url))
    with transaction.atomic():
        waiver = _sign(intake=intake, full_name=full_name, ip_address=ip_address, user_agent=user_agent)
        session = session_create(
            customer=customer,
            plan=intake.plan,
            intake=intake,
            pay_with=intake.pay_with,
            urgent=intake.urgent,
            scheduled_for=intake.scheduled_for,
            actor=customer.user,
        )
    return WaiverOutcome(waiver=waiver, session=session)
