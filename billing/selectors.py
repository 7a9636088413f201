"""Reads of money for the pages: credit packs on sale, a mechanic's earnings by period and month."""

from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Q, QuerySet, Sum
from django.db.models.functions import TruncDate, TruncMonth

from billing.models import CreditPack, EarningEntry, Payment, Payout, Refund

EARNING_KINDS = [k for k in EarningEntry.Kind.values if k != EarningEntry.Kind.PAYOUT]


def credit_packs_for_sale() -> list[CreditPack]:
    return list(CreditPack.objects.filter(active=True))


@dataclass
class Earned:
    """Earnings of one period: still owed (no payout covers them) and paid out."""

    pending_cents: int = 0
    paid_cents: int = 0

    @property
    def total_cents(self) -> int:
        return self.pending_cents + self.paid_cents


def earnings_by_period(*, mechanic_id: int, starts: dict[str, datetime]) -> dict[str, Earned]:
    """One query: for each named period start (e.g. today, week, month), pending and paid cents."""
    aggregates = {}
    for name, start in starts.items():
        since = Q(created_at__gte=start)
        aggregates[f"{name}_pending"] = Sum("amount_cents", filter=since & Q(payout_line__isnull=True))
        aggregates[f"{name}_paid"] = Sum("amount_cents", filter=since & Q(payout_line__isnull=False))
    row = EarningEntry.objects.filter(mechanic_id=mechanic_id, kind__in=EARNING_KINDS).aggregate(**aggregates)
    return {
        name: Earned(pending_cents=row[f"{name}_pending"] or 0, paid_cents=row[f"{name}_paid"] or 0)
        for name in starts
    }


def statement_entries(*, mechanic_id: int, start: datetime, end: datetime) -> QuerySet[EarningEntry]:
    """Every ledger entry of a month, oldest first, with what the page shows of each."""
    return (
        EarningEntry.objects.filter(mechanic_id=mechanic_id, created_at__gte=start, created_at__lt=end)
        .select_related("payout_line", "session")
        .order_by("created_at", "id")
    )


def statement_months(*, mechanic_id: int) -> list[date]:
    """The months that have entries, newest first (for the month picker)."""
    rows = (
        EarningEntry.objects.filter(mechanic_id=mechanic_id)
        .annotate(month=TruncMonth("created_at"))
        .values_list("month", flat=True)
        .distinct()
        .order_by("-month")
    )
    return [m.date() if isinstance(m, datetime) else m for m in rows]


def failing_refunds() -> list[Refund]:
    """Card refunds that keep failing (shown to staff on the analytics page and in admin)."""
    return list(
        Refund.objects.filter(
            Q(status=Refund.Status.FAILED) | Q(status=Refund.Status.PENDING, attempts__gte=2)
        ).select_related("customer")[:20]
    )


def money_per_day(*, since: datetime) -> dict[date, dict[str, int]]:
    """Card money per day since `since`, in cents: revenue (payments), refunds (card refunds
    that succeeded) and payouts to mechanics. Three queries."""
    sources: list[tuple[str, QuerySet, str, str]] = [
        ("revenue", Payment.objects.filter(created_at__gte=since), "created_at", "amount"),
        (
            "refunds",
            Refund.objects.filter(
                method=Refund.Method.CARD, status=Refund.Status.SUCCEEDED, succeeded_at__gte=since
            ),
            "succeeded_at",
            "amount_cents",
        ),
        ("payouts", Payout.objects.filter(created_at__gte=since), "created_at", "amount_cents"),
    ]
    days: dict[date, dict[str, int]] = {}
    for key, rows, when, amount in sources:
        for row in rows.annotate(day=TruncDate(when)).values("day").annotate(t=Sum(amount)):
            days.setdefault(row["day"], {"revenue": 0, "refunds": 0, "payouts": 0})[key] += row["t"] or 0
    return days
