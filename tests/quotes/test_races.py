"""Approve and decline under concurrency on real PostgreSQL: threads with their own connections."""

from collections import Counter
from functools import partial

import pytest

from autodoctor.errors import DomainError
from billing.models import EarningEntry
from quotes.models import QuoteStatus, RepairQuote
from quotes.services import quote_approve, quote_decline
from sessions_app.models import SessionEvent
from sessions_app.transitions import SessionEventType
from tests.customers.test_concurrency import run_together
from tests.factories import client_for

from .helpers import completed_session, send_quote

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


def events(type_) -> int:
    return SessionEvent.objects.filter(type=type_).count()


def test_ten_concurrent_approves_record_one_approval(on_postgres, alice, mike):
    quote = send_quote(completed_session(alice, mike))

    def approve() -> str:
        mine = RepairQuote.objects.get(pk=quote.pk)  # each thread its own object and connection
        return quote_approve(quote=mine, user=alice.user).status

    results = run_together([approve] * 10)
    assert results == ["approved"] * 10, results
    assert events(SessionEventType.QUOTE_APPROVED) == 1
    assert RepairQuote.objects.get().status == QuoteStatus.APPROVED
    # ...and the referring mechanic's 5% bonus exactly once (issue 13)
    bonus = EarningEntry.objects.get(kind=EarningEntry.Kind.QUOTE_BONUS)
    assert (bonus.mechanic_id, bonus.quote_id) == (mike.pk, quote.pk)
    assert bonus.amount_cents == quote.total_cents * 5 // 100


def test_ten_concurrent_approves_through_the_api(on_postgres, alice, mike):
    quote = send_quote(completed_session(alice, mike))

    def approve() -> tuple[int, str]:
        response = client_for(alice.user).post(
            f"/api/quotes/{quote.pk}/approve", content_type="application/json"
        )
        return response.status_code, response.json()["status"]

    results = run_together([approve] * 10)
    assert Counter(results) == {(200, "approved"): 10}, results
    assert events(SessionEventType.QUOTE_APPROVED) == 1


def _answer(service, quote_id: int, user) -> str:
    try:
        return service(quote=RepairQuote.objects.get(pk=quote_id), user=user).status
    except DomainError as exc:  # the loser's refusal
        return exc.code


def test_approve_against_decline_one_wins(on_postgres, alice, mike):
    for _round in range(3):
        quote = send_quote(completed_session(alice, mike))
        approve = partial(_answer, quote_approve, quote.pk, alice.user)
        decline = partial(_answer, quote_decline, quote.pk, alice.user)
        results = Counter(run_together([approve, decline] * 5))
        final = RepairQuote.objects.get(pk=quote.pk).status
        assert final in (QuoteStatus.APPROVED, QuoteStatus.DECLINED)
        assert results == {final: 5, "quote_decided": 5}, results
        answers = SessionEvent.objects.filter(
            session=quote.session, type__in=[SessionEventType.QUOTE_APPROVED, SessionEventType.QUOTE_DECLINED]
        )
        assert answers.count() == 1


def test_two_concurrent_sends_make_one_open_quote(on_postgres, alice, mike):
    session = completed_session(alice, mike)

    def send() -> str:
        try:
            return send_quote(session).status
        except Exception as exc:
            return getattr(exc, "code", repr(exc))

    assert Counter(run_together([send] * 4)) == {"sent": 1, "quote_open": 3}
    assert RepairQuote.objects.count() == 1
