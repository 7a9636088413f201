"""The mechanics' earnings ledger. Entries are only ever added: a completion writes the share and
the 2% referral fee, an approved quote the 5% bonus, a refund reversing entries, a payout one
negative entry. Unique constraints make each happen once; IntegrityError means "already done".

Rule (what the reconciliation test checks): for a completed session, the entries of each kind
(share or referral fee, with their reversals) add up to floor(net × percent / 100), where net is
what the customer paid (card payments plus credits at the plan's card price per credit) minus
every succeeded refund of the session."""

from typing import Any, Protocol

from django.db import IntegrityError, transaction
from django.db.models import Sum

from billing.models import CreditLedger, EarningEntry, Payment, PlanPayout, Refund
from mechanics.models import Mechanic

DEFAULT_PAYOUT_PERCENT = 70
REFERRAL_PERCENT = 2
QUOTE_BONUS_PERCENT = 5
SESSION_KINDS = (EarningEntry.Kind.SESSION_SHARE, EarningEntry.Kind.REFERRAL_FEE)


class PlanLike(Protocol):
    pk: Any
    price_cents: int
    credit_cost: int
    currency: str


class CompletedSession(Protocol):
    """What billing reads of a session (it names sessions only by id: SPEC §7)."""

    pk: Any
    mechanic_id: Any
    plan: Any


def percent_of(cents: int, percent: int) -> int:
    """Whole cents, rounded down (the platform keeps the fraction)."""
    return max(0, cents) * percent // 100


def payout_percent(*, plan_id: int) -> int:
    row = PlanPayout.objects.filter(plan_id=plan_id).values_list("percent", flat=True).first()
    return DEFAULT_PAYOUT_PERCENT if row is None else row


def credit_value_cents(*, credits: int, plan: PlanLike) -> int:
    """Credits valued at the plan's card price per credit."""
    if credits <= 0 or not plan.credit_cost:
        return 0
    return credits * plan.price_cents // plan.credit_cost


def session_gross_cents(*, session_id: int, plan: PlanLike) -> int:
    """What the customer paid for the session before refunds: card payments plus credits spent."""
    card = Payment.objects.filter(session_id=session_id).aggregate(t=Sum("amount"))["t"] or 0
    spent = -(
        CreditLedger.objects.filter(session_id=session_id, kind=CreditLedger.Kind.SPEND).aggregate(
            t=Sum("amount")
        )["t"]
        or 0
    )
    return card + credit_value_cents(credits=spent, plan=plan)


def session_refunded_cents(*, session_id: int) -> int:
    return (
        Refund.objects.filter(session_id=session_id, status=Refund.Status.SUCCEEDED).aggregate(
            t=Sum("amount_cents")
        )["t"]
        or 0
    )


def _create_once(**fields: Any) -> EarningEntry | None:
    try:
        with transaction.atomic():
            return EarningEntry.objects.create(**fields)
    except IntegrityError:
        return None


def earnings_record_completion(*, session: CompletedSession) -> list[EarningEntry]:
    """Live → completed: the mechanic's share of the net takings and the referral fee. Call inside
    the completing transaction; a repeat (or a racing twin) writes nothing."""
    if not session.mechanic_id:
        return []
    plan = session.plan
    gross = session_gross_cents(session_id=session.pk, plan=plan)
    if gross <= 0:
        return []
    net = gross - session_refunded_cents(session_id=session.pk)
    written = []
    for kind, percent in (
        (EarningEntry.Kind.SESSION_SHARE, payout_percent(plan_id=plan.pk)),
        (EarningEntry.Kind.REFERRAL_FEE, REFERRAL_PERCENT),
    ):
        amount = percent_of(net, percent)
        if amount == 0:
            continue
        entry = _create_once(
            mechanic_id=session.mechanic_id,
            kind=kind,
            amount_cents=amount,
            currency=plan.currency,
            session_id=session.pk,
            basis_cents=gross,
            percent=percent,
            note=f"Session #{session.pk}",
        )
        if entry is not None:
            written.append(entry)
    return written


def earnings_record_quote_bonus(
    *, quote_id: int, mechanic: Mechanic, session_id: int, total_cents: int, currency: str
) -> EarningEntry | None:
    """The referring mechanic's 5% of an approved repair quote, once per quote id. Returns the
    entry, or None when the quote's bonus was recorded before (or rounds to nothing)."""
    amount = percent_of(total_cents, QUOTE_BONUS_PERCENT)
    if amount == 0:
        return None
    return _create_once(
        mechanic=mechanic,
        kind=EarningEntry.Kind.QUOTE_BONUS,
        amount_cents=amount,
        currency=currency,
        session_id=session_id,
        quote_id=quote_id,
        basis_cents=total_cents,
        percent=QUOTE_BONUS_PERCENT,
        note=f"Quote #{quote_id} approved",
    )


def earnings_reverse_for_refund(*, refund: Refund) -> list[EarningEntry]:
    """After a refund of a completed session succeeds: bring each earning of the session down to
    its share of the new net (one reversal per refund and entry). The mechanic row is locked so
    two refunds landing at once compute from each other's results."""
    if refund.session_id is None:
        return []
    originals = list(
        EarningEntry.objects.filter(session_id=refund.session_id, kind__in=SESSION_KINDS).order_by("id")
    )
    if not originals:
        return []
    Mechanic.objects.select_for_update().filter(pk=originals[0].mechanic_id).first()
    net = originals[0].basis_cents - session_refunded_cents(session_id=refund.session_id)
    written = []
    for original in originals:
        current = original.amount_cents + (original.reversals.aggregate(t=Sum("amount_cents"))["t"] or 0)
        change = percent_of(net, original.percent) - current
        if change >= 0:
            continue
        entry = _create_once(
            mechanic_id=original.mechanic_id,
            kind=EarningEntry.Kind.REVERSAL,
            amount_cents=change,
            currency=original.currency,
            session_id=original.session_id,
            reverses=original,
            refund=refund,
            basis_cents=refund.amount_cents,
            percent=original.percent,
            note=f"Refund #{refund.pk}: {refund.reason}"[:200],
        )
        if entry is not None:
            written.append(entry)
    return written
