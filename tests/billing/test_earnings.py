"""The earnings ledger: a completion writes the share and the 2% referral fee once, a quote its 5%
bonus once, refunds reversing entries (never edits); payouts settle entries once."""

from datetime import timedelta

import pytest
from django.utils import timezone

from autodoctor.errors import DomainError
from billing.models import EarningEntry, Payout, PayoutLine, PlanPayout
from billing.services import earnings_record_completion, earnings_record_quote_bonus, payout_create
from billing.services.payouts import payout_owed_cents
from sessions_app.services import session_complete, session_refund
from tests.factories import make_customer, make_mechanic, make_session

from .conftest import complete, completed_card_session, completed_credit_session

pytestmark = pytest.mark.django_db


def ledger(session) -> list[tuple[str, int]]:
    return list(
        EarningEntry.objects.filter(session=session).order_by("id").values_list("kind", "amount_cents")
    )


def test_a_card_session_pays_the_plan_share_and_the_referral_fee(stripe_stub, plans, mechanic):
    session = completed_card_session(stripe_stub, mechanic)  # video-30: $29.99 by card
    assert ledger(session) == [("session_share", 2099), ("referral_fee", 59)]
    share = EarningEntry.objects.get(session=session, kind="session_share")
    assert (share.mechanic, share.currency, share.basis_cents, share.percent) == (mechanic, "usd", 2999, 70)


def test_credits_are_valued_at_the_plans_card_price_per_credit(plans, mechanic):
    session = completed_credit_session(mechanic)  # 3 credits for the $29.99 plan
    assert ledger(session) == [("session_share", 2099), ("referral_fee", 59)]


def test_the_payout_rate_is_per_plan_and_staff_can_change_it(plans, mechanic):
    PlanPayout.objects.create(plan=plans["video-30"], percent=80)
    assert ledger(completed_credit_session(mechanic)) == [("session_share", 2399), ("referral_fee", 59)]


def test_a_free_session_earns_nothing(plans, mechanic):
    assert ledger(complete(make_session(plan_code="free-chat"), mechanic)) == []


def test_completion_repeated_or_recorded_twice_writes_once(plans, mechanic):
    session = completed_credit_session(mechanic)
    session_complete(session=session, mechanic=mechanic)  # the double click: a no-op
    assert earnings_record_completion(session=session) == []  # a retried hook: the constraint says no
    assert len(ledger(session)) == 2


def test_the_quote_bonus_is_five_percent_once_per_quote(plans, mechanic):
    session = completed_credit_session(mechanic, plan_code="diagnostic-45", credits=5)
    entry = earnings_record_quote_bonus(
        quote_id=41, mechanic=mechanic, session_id=session.pk, total_cents=123_456, currency="usd"
    )
    assert entry is not None and (entry.kind, entry.amount_cents, entry.quote_id) == ("quote_bonus", 6172, 41)
    again = earnings_record_quote_bonus(
        quote_id=41, mechanic=mechanic, session_id=session.pk, total_cents=123_456, currency="usd"
    )
    assert again is None
    assert EarningEntry.objects.filter(kind="quote_bonus").count() == 1


def test_a_credit_refund_after_completion_writes_reversals_not_edits(plans, mechanic):
    session = completed_credit_session(mechanic)
    originals = {e.pk: e.amount_cents for e in EarningEntry.objects.filter(session=session)}
    refund = session_refund(session=session, method="credits", credits=1, reason="Cut off early", actor=None)
    assert (refund.credits, refund.amount_cents, refund.status) == (1, 999, "succeeded")
    # net 2999 - 999 = 2000: share 1400 (was 2099), fee 40 (was 59)
    assert ledger(session)[2:] == [("reversal", -699), ("reversal", -19)]
    assert {e.pk: e.amount_cents for e in EarningEntry.objects.filter(pk__in=originals)} == originals
    session_refund(session=session, method="credits", credits=2, reason="Nothing fixed", actor=None)
    assert sum(amount for _, amount in ledger(session)) == 0
    with pytest.raises(DomainError) as refused:
        session_refund(session=session, method="credits", credits=1, reason="Again", actor=None)
    assert refused.value.code == "refund_too_large" and "Only 0 credits" in refused.value.detail


def test_only_a_completed_session_is_refunded_by_staff(plans, mechanic):
    session = make_session(make_customer(credits=3), plan_code="video-30", pay_with="credits")
    with pytest.raises(DomainError) as refused:
        session_refund(session=session, method="credits", credits=1, reason="x", actor=None)
    assert refused.value.code == "invalid_transition"


# --- payouts --------------------------------------------------------------------------------------


def test_a_payout_covers_the_periods_entries_once(plans, mechanic):
    first = completed_credit_session(mechanic)
    second = completed_credit_session(mechanic, plan_code="quick-chat", credits=1)
    today = timezone.localdate()
    payout = payout_create(mechanic=mechanic, period_start=today, period_end=today, actor=None)
    assert payout.amount_cents == 2099 + 59 + 699 + 19  # quick-chat $9.99: 699 share, 19 fee
    assert PayoutLine.objects.filter(payout=payout).count() == 4
    assert EarningEntry.objects.get(kind="payout").amount_cents == -payout.amount_cents
    assert payout_owed_cents(mechanic_id=mechanic.pk) == 0
    with pytest.raises(DomainError) as empty:
        payout_create(mechanic=mechanic, period_start=today, period_end=today, actor=None)
    assert empty.value.code == "nothing_to_pay"
    paid = list(EarningEntry.objects.filter(session__in=[first, second]).values_list("pk", flat=True))
    with pytest.raises(DomainError) as twice:
        payout_create(mechanic=mechanic, period_start=today, period_end=today, actor=None, entry_ids=paid)
    assert twice.value.code == "already_paid"
    assert Payout.objects.count() == 1


def test_a_payout_refuses_other_mechanics_entries_and_bad_periods(plans, mechanic):
    completed_credit_session(mechanic)
    other = make_mechanic()
    today = timezone.localdate()
    entries = list(EarningEntry.objects.values_list("pk", flat=True))
    with pytest.raises(DomainError):
        payout_create(mechanic=other, period_start=today, period_end=today, actor=None, entry_ids=entries)
    with pytest.raises(DomainError):
        payout_create(mechanic=mechanic, period_start=today, period_end=today - timedelta(days=1), actor=None)
    assert not Payout.objects.exists()
