"""The mechanic's money pages: the earnings card on the dashboard (loaded by itself, so the
dashboard's own queries stay as they are), the monthly statement and its CSV."""

import csv
from dataclasses import dataclass
from datetime import date

from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from autodoctor.access import mechanic_of, mechanic_required
from sessions_app.analytics import SessionStats, mechanic_session_stats

from .forms import MonthForm
from .periods import month_bounds, period_starts
from .selectors import Earned, earnings_by_period, statement_entries, statement_months

PERIOD_LABELS = {"today": "Today", "week": "This week", "month": "This month"}


class MechanicRequest(HttpRequest):
    user: User


@dataclass
class PeriodFigures:
    label: str
    stats: SessionStats
    earned: Earned


def _figures(mechanic_id: int) -> list[PeriodFigures]:
    starts = period_starts()
    stats = mechanic_session_stats(mechanic_id=mechanic_id, starts=starts)
    earned = earnings_by_period(mechanic_id=mechanic_id, starts=starts)
    return [PeriodFigures(PERIOD_LABELS[name], stats[name], earned[name]) for name in starts]


@require_GET
@mechanic_required
def earnings_card(request: MechanicRequest) -> HttpResponse:
    """The dashboard's card: sessions, average duration and rating, earnings pending vs paid."""
    mechanic = mechanic_of(request.user)
    return render(request, "billing/_earnings_card.html", {"periods": _figures(mechanic.pk)})


@require_GET
@mechanic_required
def earnings_statement(request: MechanicRequest) -> HttpResponse:
    """Every ledger entry of a month (?month=YYYY-MM), with the period figures above it."""
    mechanic = mechanic_of(request.user)
    form = MonthForm(request.GET)
    if not form.is_valid():
        context = {"form": form, "periods": [], "entries": [], "months": []}
        return render(request, "billing/earnings.html", context, status=400)
    month = form.chosen()
    entries = list(
        statement_entries(mechanic_id=mechanic.pk, start=month_bounds(month)[0], end=month_bounds(month)[1])
    )
    context = {
        "form": form,
        "month": month,
        "periods": _figures(mechanic.pk),
        "entries": entries,
        "total_cents": sum(e.amount_cents for e in entries),
        "months": statement_months(mechanic_id=mechanic.pk),
    }
    return render(request, "billing/earnings.html", context)


@require_GET
@mechanic_required
def earnings_csv(request: MechanicRequest, year: int, month: int) -> HttpResponse:
    """The month's statement as CSV (amounts in cents and in units, one row per entry)."""
    mechanic = mechanic_of(request.user)
    try:
        first = date(year, month, 1)
    except ValueError:
        return HttpResponse("No such month.", status=404, content_type="text/plain")
    start, end = month_bounds(first)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="earnings-{first:%Y-%m}.csv"'
    writer = csv.writer(response)
    writer.writerow(
        ["date", "entry", "kind", "session", "quote", "amount_cents", "amount", "currency", "status", "note"]
    )
    for e in statement_entries(mechanic_id=mechanic.pk, start=start, end=end):
        writer.writerow(
            [
                e.created_at.isoformat(),
                e.pk,
                e.kind,
                e.session_id or "",
                e.quote_id or "",
                e.amount_cents,
                f"{e.amount_cents / 100:.2f}",
                e.currency,
                _status(e),
                _csv_safe(e.note),
            ]
        )
    return response


def _status(entry) -> str:
    if entry.kind == "payout":
        return "payout"
    return "paid" if entry.paid_out else "pending"


def _csv_safe(text: str) -> str:
    """No spreadsheet formula injection through a note."""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text
