"""Exactly once under races (PostgreSQL, real threads): completions racing each other and replayed
refund webhooks write one share, one referral fee and one reversal per refund and entry."""

import threading

import pytest
from django.db import connection
from django.test import Client

from autodoctor.errors import DomainError
from billing.models import EarningEntry, Refund
from billing.reconcile import reconciliation_problems
from billing.services import earnings_record_completion
from sessions_app.models import Session
from sessions_app.services import session_complete, session_end_by_customer
from tests.factories import make_customer
from tests.stripe_stub import checkout_event, deliver_webhook

from .conftest import go_live, paid_card_session, payment_of

pytestmark = [pytest.mark.django_db(transaction=True)]


def run_together(*calls) -> list[object]:
    barrier = threading.Barrier(len(calls))
    results: list[object] = []

    def run(call) -> None:
        try:
            barrier.wait()
            results.append(call())
        except DomainError as exc:
            results.append(exc.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_concurrent_completion_and_replayed_refund_webhooks_write_each_entry_once(
    on_postgres, stripe_stub, plans, mechanic
):
    customer = make_customer()
    session = go_live(paid_card_session(stripe_stub, customer), mechanic)
    fresh = lambda: Session.objects.get(pk=session.pk)  # noqa: E731  each thread its own object
    run_together(
        *[lambda: session_complete(session=fresh(), mechanic=mechanic) for _ in range(4)],
        *[lambda: session_end_by_customer(session=fresh(), user=customer.user) for _ in range(2)],
    )
    assert Session.objects.get(pk=session.pk).status == "completed"
    assert earnings_record_completion(session=fresh()) == []  # a retried hook afterwards: nothing
    kinds = sorted(EarningEntry.objects.filter(session=session).values_list("kind", flat=True))
    assert kinds == ["referral_fee", "session_share"]
    # A refund made in Stripe's dashboard, its webhook replayed 10 times at once.
    charge = stripe_stub.refund_in_dashboard(payment_of(session).payment_intent, 1500)
    payload = checkout_event(charge, event_id="evt_race_refund", event_type="charge.refunded")
    codes = run_together(*[lambda: deliver_webhook(Client(), payload).status_code for _ in range(10)])
    assert codes == [200] * 10
    assert Refund.objects.count() == 1
    assert EarningEntry.objects.filter(session=session, kind="reversal").count() == 2
    assert reconciliation_problems() == []
