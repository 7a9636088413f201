"""Totals reconcile: payments − refunds against the refund rows, the credit ledger's purchases
against the packs paid for, each session's earnings against its net takings, payouts against the
entries they cover (billing/reconcile.py states the rule)."""

import pytest
from django.db.models import Sum
from django.test import Client
from django.utils import timezone

from billing.models import EarningEntry, Payment, Refund
from billing.reconcile import reconciliation_problems
from billing.services import payout_create
from sessions_app.services import session_refund
from tests.factories import client_for, make_customer
from tests.stripe_stub import checkout_event, deliver_webhook

from .conftest import completed_card_session, completed_credit_session, next_event_id, payment_of
from .test_credit_packs import buy

pytestmark = pytest.mark.django_db


def test_a_busy_day_reconciles(stripe_stub, plans, mechanic, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        a = completed_card_session(stripe_stub, mechanic)
        b = completed_card_session(stripe_stub, mechanic, plan_code="diagnostic-45")
        c = completed_credit_session(mechanic)
        session_refund(session=a, method="card", amount_cents=1234, reason="Cut short", actor=None)
        charge = stripe_stub.refund_in_dashboard(payment_of(b).payment_intent, 999)
        deliver_webhook(
            Client(), checkout_event(charge, event_id=next_event_id(), event_type="charge.refunded")
        )
        session_refund(session=c, method="credits", credits=2, reason="Wrong advice", actor=None)
        buyer = make_customer()
        pack = buy(client_for(buyer.user), stripe_stub)
        deliver_webhook(Client(), checkout_event(pack, event_id=next_event_id()))
    today = timezone.localdate()
    payout_create(mechanic=mechanic, period_start=today, period_end=today, actor=None)
    assert reconciliation_problems() == []
    # payments − refunds, in totals: 2999 + 4999 + 8490 taken, 1234 + 999 given back by card
    taken = Payment.objects.aggregate(t=Sum("amount"))["t"]
    card_refunds = Refund.objects.filter(method="card", status="succeeded").aggregate(t=Sum("amount_cents"))[
        "t"
    ]
    assert (taken, card_refunds) == (2999 + 4999 + 8490, 1234 + 999)
    assert taken - card_refunds == sum(p.amount - p.refunded_cents for p in Payment.objects.all())
    # the mechanic's ledger: everything earned was paid out, nothing is owed
    assert EarningEntry.objects.aggregate(t=Sum("amount_cents"))["t"] == 0


def test_a_broken_book_is_reported(stripe_stub, plans, mechanic):
    session = completed_card_session(stripe_stub, mechanic)
    Payment.objects.filter(session=session).update(refunded_cents=100)  # a refund nobody recorded
    EarningEntry.objects.filter(session=session, kind="referral_fee").update(amount_cents=1)
    problems = reconciliation_problems()
    assert len(problems) == 2
    assert problems[0].startswith(f"payment {payment_of(session).pk}: refunded_cents 100")
    assert "referral_fee: ledger 1 but 2% of net 2999 is 59" in problems[1]
