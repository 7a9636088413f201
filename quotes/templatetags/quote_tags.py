"""What the room, the customer dashboard and the report show of a session's quotes, loaded where
they are included (one line in each of those templates), through quotes.selectors."""

from dataclasses import dataclass

from django import template
from django.contrib.auth.models import AnonymousUser, User

from sessions_app.models import Session

from ..models import QuoteStatus, RepairQuote
from ..selectors import customer_recent_quotes, latest_session_quote
from ..services import quotable_problem

register = template.Library()


@dataclass(frozen=True)
class QuoteCard:
    """A session's latest quote as the room shows it to `role`."""

    quote: RepairQuote | None
    can_answer: bool  # the customer, on a sent quote still within its date
    can_send: bool  # the session's mechanic, when no quote is open or approved

    @property
    def past_due(self) -> bool:
        return self.quote is not None and self.quote.status == QuoteStatus.SENT and self.quote.is_past_due()


@register.simple_tag
def room_quote(session: Session, role: str) -> QuoteCard:
    quote = latest_session_quote(session=session)
    answerable = quote is not None and quote.status == QuoteStatus.SENT and not quote.is_past_due()
    settled = quote is not None and (quote.status == QuoteStatus.APPROVED or answerable)
    return QuoteCard(
        quote=quote,
        can_answer=role == "customer" and answerable,
        can_send=role == "mechanic" and not settled and quotable_problem(session) is None,
    )


@register.simple_tag
def report_quote(session: Session) -> RepairQuote | None:
    return latest_session_quote(session=session)


@register.simple_tag
def customer_quotes(user: User | AnonymousUser) -> list[RepairQuote]:
    return customer_recent_quotes(user=user)
