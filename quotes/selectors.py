"""Reads of repair quotes, each with what its page or payload shows (query counts pinned)."""

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Prefetch, QuerySet

from sessions_app.models import Session

from .models import QuoteLine, RepairQuote

_WITH_PEOPLE = ("mechanic", "session__customer__user", "session__mechanic", "session__plan")


def _with_lines(queryset: QuerySet[RepairQuote]) -> QuerySet[RepairQuote]:
    return queryset.select_related(*_WITH_PEOPLE).prefetch_related(
        Prefetch("lines", queryset=QuoteLine.objects.order_by("position"))
    )


def session_quotes(*, session: Session) -> list[RepairQuote]:
    """Every quote of the session, newest first, with their lines (two queries)."""
    return list(_with_lines(RepairQuote.objects.filter(session=session)))


def latest_session_quote(*, session: Session) -> RepairQuote | None:
    """The session's newest quote with its lines (two queries; one when there is none)."""
    return _with_lines(RepairQuote.objects.filter(session=session)).first()


def quote_with_lines(*, quote_id: int) -> RepairQuote | None:
    return _with_lines(RepairQuote.objects.filter(pk=quote_id)).first()


def customer_recent_quotes(*, user: User | AnonymousUser, limit: int = 5) -> list[RepairQuote]:
    """The customer's newest quotes (open ones first), for the dashboard card: one query."""
    if not user.is_authenticated:
        return []
    queryset = RepairQuote.objects.for_customer_user(user.pk).select_related("mechanic", "session__plan")
    quotes = list(queryset[:limit])
    return sorted(quotes, key=lambda q: q.status != "sent")
