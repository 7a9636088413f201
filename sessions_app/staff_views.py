import csv

from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from autodoctor.charts import Chart, bar_chart

from .analytics import Analytics, staff_analytics
from .transitions import SessionType


def _days(request: HttpRequest) -> int:
    try:
        return min(365, max(7, int(request.GET.get("days", 30))))
    except ValueError:
        return 30


def _dollars(cents: float) -> str:
    return f"${cents / 100:,.2f}"


def _charts(a: Analytics) -> list[Chart]:
    """Every chart on the page: sessions per day by type, money per day, ratings."""
    short = [d["day"].strftime("%b %-d") for d in a.calendar]
    full = [d["day"].strftime("%a %-d %b %Y") for d in a.calendar]
    sessions = bar_chart(
        key="sessions",
        title="Sessions per day by type",
        labels=short,
        long_labels=full,
        series={label: [d[value] for d in a.calendar] for value, label in SessionType.choices},
        y_title="Sessions",
        stacked=True,
        counts=True,
    )
    money = bar_chart(
        key="money",
        title="Revenue, refunds and payouts per day",
        labels=short,
        long_labels=full,
        series={
            "Revenue": [d["revenue"] for d in a.calendar],
            "Refunds": [d["refunds"] for d in a.calendar],
            "Payouts": [d["payouts"] for d in a.calendar],
        },
        y_title="US dollars",
        value_formatter=_dollars,
    )
    by_stars = sorted(a.rating_counts)  # 1★ first: a horizontal chart draws it at the bottom
    ratings = bar_chart(
        key="ratings",
        title="Ratings",
        labels=[f"{stars}★" for stars, _ in by_stars],
        long_labels=[f"{stars} star{'s' if stars != 1 else ''}" for stars, _ in by_stars],
        series={"Ratings": [n for _, n in by_stars]},
        y_title="Ratings",
        horizontal=True,
        counts=True,
    )
    return [sessions, money, ratings]


@require_GET
@staff_member_required
def analytics(request: HttpRequest) -> HttpResponse:
    """Charts of the last N days for staff (N from ?days=, 7–365, default 30)."""
    days = _days(request)
    a = staff_analytics(days=days)
    totals = {k: sum(d[k] for d in a.calendar) for k in ("revenue", "refunds", "payouts")}
    context = {"a": a, "days": days, "charts": _charts(a), "totals": totals}
    return render(request, "staff/analytics.html", context)


@require_GET
@staff_member_required
def analytics_csv(request: HttpRequest) -> HttpResponse:
    """The per-day numbers behind the charts, as CSV (money in cents)."""
    days = _days(request)
    a = staff_analytics(days=days)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="analytics-{days}-days.csv"'
    writer = csv.writer(response)
    types = list(SessionType.values)
    writer.writerow(
        [
            "date",
            *[f"{t}_sessions" for t in types],
            "sessions",
            "revenue_cents",
            "refunds_cents",
            "payouts_cents",
            "currency",
        ]
    )
    for d in a.calendar:
        writer.writerow(
            [
                d["day"].isoformat(),
                *[d[t] for t in types],
                d["total"],
                d["revenue"],
                d["refunds"],
                d["payouts"],
                "usd",
            ]
        )
    return response
