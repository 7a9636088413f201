"""Test data for quotes, made through the real services."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from quotes.models import RepairQuote
from quotes.services import LineInput, quote_send
from sessions_app.models import Session
from sessions_app.services import session_accept, session_complete, session_start
from tests.factories import make_customer, make_mechanic, make_session, open_assignment


def completed_session(customer=None, mechanic=None, *, plan_code: str = "video-30") -> Session:
    customer = customer or make_customer(credits=10)
    mechanic = mechanic or make_mechanic()
    pay_with = "free" if plan_code == "free-chat" else "credits"
    session = make_session(customer, plan_code=plan_code, pay_with=pay_with)
    session_accept(assignment=open_assignment(session), mechanic=mechanic)
    session_start(session=session, mechanic=mechanic)
    session_complete(session=session, mechanic=mechanic, summary="Worn front pads and a warped rotor.")
    return session


LINES = [
    LineInput(kind="part", description="Front brake pads (set)", quantity=Decimal(1), unit_price_cents=8999),
    LineInput(
        kind="labour", description="Replace pads and rotor", quantity=Decimal("1.5"), unit_price_cents=9555
    ),
]


def send_quote(session: Session, *, lines=None, days: int = 14, tax: str = "8.25", **kwargs) -> RepairQuote:
    return quote_send(
        session=session,
        mechanic=kwargs.pop("mechanic", session.mechanic),
        lines=LINES if lines is None else lines,
        valid_until=timezone.localdate() + timedelta(days=days),
        tax_rate_percent=Decimal(tax),
        note=kwargs.pop("note", "Pads are at 2 mm."),
        site_url=kwargs.pop("site_url", "http://testserver/"),
        **kwargs,
    )


def with_twelve_lines(quote: RepairQuote) -> RepairQuote:
    """Ten more (free) lines, for query counts that must not grow with the lines."""
    for position in range(3, 13):
        quote.lines.create(
            position=position,
            kind="part",
            description="Clip",
            quantity=1,
            unit_price_cents=0,
            line_total_cents=0,
        )
    return quote
