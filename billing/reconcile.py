"""The reconciliation rule, as code staff (and the tests) can run.

1. Every card payment: refunded_cents equals the sum of its succeeded card refunds, and never
   exceeds the amount; payments − refunds is what the business kept.
2. Every credit-pack payment added exactly its pack's credits as one `purchase` entry.
3. Every session with earnings: for the share and the referral fee, the original entry plus its
   reversals equal floor(net × percent / 100), where net = what the customer paid (card payments
   plus credits at the plan's card price per credit, the entry's basis) − the session's
   succeeded refunds.
4. Every payout equals the entries it covers, and its own ledger entry is its negative.
"""

from django.db.models import Sum

from billing.models import CreditLedger, EarningEntry, Payment, Payout, Refund

from .services.earnings import SESSION_KINDS, percent_of


def reconciliation_problems() -> list[str]:
    """Every broken rule, in words (empty when the books balance)."""
    problems: list[str] = []
    refunded = dict(
        Refund.objects.filter(method=Refund.Method.CARD, status=Refund.Status.SUCCEEDED)
        .values_list("payment_id")
        .annotate(t=Sum("amount_cents"))
    )
    for payment in Payment.objects.select_related("credit_pack"):
        if payment.refunded_cents != refunded.get(payment.pk, 0) or payment.refunded_cents > payment.amount:
            problems.append(
                f"payment {payment.pk}: refunded_cents {payment.refunded_cents} but refunds add up to "
                f"{refunded.get(payment.pk, 0)} (amount {payment.amount})"
            )
    purchases = (
        CreditLedger.objects.filter(kind=CreditLedger.Kind.PURCHASE).aggregate(t=Sum("amount"))["t"] or 0
    )
    sold = (
        Payment.objects.filter(credit_pack__isnull=False).aggregate(t=Sum("credit_pack__credits"))["t"] or 0
    )
    if purchases != sold:
        problems.append(f"credit purchases {purchases} but packs paid for {sold}")
    session_refunds = dict(
        Refund.objects.filter(status=Refund.Status.SUCCEEDED, session__isnull=False)
        .values_list("session_id")
        .annotate(t=Sum("amount_cents"))
    )
    originals = EarningEntry.objects.filter(kind__in=SESSION_KINDS).annotate(
        reversed_cents=Sum("reversals__amount_cents")
    )
    for entry in originals:
        net = entry.basis_cents - session_refunds.get(entry.session_id, 0)
        held = entry.amount_cents + (entry.reversed_cents or 0)
        if held != percent_of(net, entry.percent):
            problems.append(
                f"session {entry.session_id} {entry.kind}: ledger {held} but {entry.percent}% of net {net} "
                f"is {percent_of(net, entry.percent)}"
            )
    for payout in Payout.objects.all():
        covered = (
            EarningEntry.objects.filter(payout_line__payout=payout).aggregate(t=Sum("amount_cents"))["t"] or 0
        )
        own = EarningEntry.objects.filter(payout=payout, kind=EarningEntry.Kind.PAYOUT).aggregate(
            t=Sum("amount_cents")
        )["t"]
        if covered != payout.amount_cents or own != -payout.amount_cents:
            problems.append(f"payout {payout.pk}: {payout.amount_cents} but covers {covered}, entry {own}")
    return problems
