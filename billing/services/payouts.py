"""Payouts: staff mark a mechanic's earnings paid. One Payout row covers the entries (a
PayoutLine each, unique per entry, so no entry is ever paid twice) and one negative `payout`
entry keeps the ledger's sum equal to what is still owed."""

from datetime import date

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import Sum

from autodoctor.errors import DomainError
from billing.models import EarningEntry, Payout, PayoutLine
from mechanics.models import Mechanic


def unpaid_entries(*, mechanic_id: int):
    """Earnings (and their reversals) no payout covers yet."""
    return EarningEntry.objects.filter(mechanic_id=mechanic_id, payout_line__isnull=True).exclude(
        kind=EarningEntry.Kind.PAYOUT
    )


def payout_create(
    *,
    mechanic: Mechanic,
    period_start: date,
    period_end: date,
    actor: User | None,
    entry_ids: list[int] | None = None,
    note: str = "",
) -> Payout:
    """Pay a mechanic's earnings of a period (or the given entries). Refuses entries already paid,
    an empty period and a total that is not positive."""
    if period_end < period_start:
        raise DomainError("invalid_input", "The period ends before it starts.")
    with transaction.atomic():
        Mechanic.objects.select_for_update().get(pk=mechanic.pk)
        if entry_ids is not None:
            chosen = EarningEntry.objects.filter(pk__in=entry_ids, mechanic=mechanic).exclude(
                kind=EarningEntry.Kind.PAYOUT
            )
            if chosen.count() != len(set(entry_ids)):
                raise DomainError("invalid_input", "Choose earning entries of this one mechanic only.")
            if chosen.filter(payout_line__isnull=False).exists():
                raise DomainError("already_paid", "Some of these entries are already covered by a payout.")
        else:
            chosen = unpaid_entries(mechanic_id=mechanic.pk).filter(
                created_at__date__gte=period_start, created_at__date__lte=period_end
            )
        entries = list(chosen.order_by("id"))
        if not entries:
            raise DomainError("nothing_to_pay", f"{mechanic} has no unpaid earnings in that period.")
        currencies = {e.currency for e in entries}
        if len(currencies) > 1:
            raise DomainError("invalid_input", "Pay one currency at a time.")
        total = sum(e.amount_cents for e in entries)
        if total <= 0:
            raise DomainError("nothing_to_pay", "These entries add up to nothing to pay.")
        payout = Payout.objects.create(
            mechanic=mechanic,
            period_start=period_start,
            period_end=period_end,
            amount_cents=total,
            currency=currencies.pop(),
            note=note[:200],
            created_by=actor,
        )
        try:
            with transaction.atomic():
                PayoutLine.objects.bulk_create([PayoutLine(payout=payout, entry=e) for e in entries])
        except IntegrityError as exc:
            raise DomainError(
                "already_paid", "Some of these entries are already covered by a payout."
            ) from exc
        EarningEntry.objects.create(
            mechanic=mechanic,
            kind=EarningEntry.Kind.PAYOUT,
            amount_cents=-total,
            currency=payout.currency,
            payout=payout,
            note=f"Payout #{payout.pk} ({period_start} – {period_end})",
        )
        return payout


def payout_owed_cents(*, mechanic_id: int) -> int:
    """What the ledger says is still owed (earnings less payouts)."""
    return EarningEntry.objects.filter(mechanic_id=mechanic_id).aggregate(t=Sum("amount_cents"))["t"] or 0
