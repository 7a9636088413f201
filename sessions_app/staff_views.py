import csv
from datetime import timedelta

from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from autodoctor.charts import Chart, bar_chart

from .analytics import Analytics, staff_analytics
from .contention_metrics import COUNTERS, Contention, ContentionRow, contention_metrics
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


# --- contention (issue 14) ---------------------------------------------------------------------


def _minutes(seconds: float | None) -> float:
    return round((seconds or 0) / 60, 1)


def _minutes_label(value: float) -> str:
    return f"{value:g} min"


def contention_charts(c: Contention) -> list[Chart]:
    """Contention per day (races, releases, transfers, asks, waits) and per mechanic."""
    days = [day for day, _ in c.days]
    rows = [row for _, row in c.days]
    short = [d.strftime("%b %-d") for d in days]
    full = [d.strftime("%a %-d %b %Y") for d in days]

    def per_day(key: str, title: str, series: dict[str, str], y_title: str) -> Chart:
        return bar_chart(
            key=key,
            title=title,
            labels=short,
            long_labels=full,
            series={label: [r.counts[name] for r in rows] for name, label in series.items()},
            y_title=y_title,
            stacked=True,
            counts=True,
        )

    races = per_day(
        "contention-races",
        "Accepts lost to a race and releases per day",
        {
            "accepts_lost": "Accepts lost",
            "released_mechanic": "Released by mechanic",
            "released_idle": "Released by idle sweep",
            "released_force_end": "Released by force end",
        },
        "Events",
    )
    transfers = per_day(
        "contention-transfers",
        "Transfers and expiries per day",
        {
            "transfers_offered": "Transfers offered",
            "transfers_accepted": "Accepted",
            "transfers_declined": "Declined",
            "transfers_lapsed": "Lapsed",
            "expired": "Requests expired",
        },
        "Events",
    )
    asks = per_day(
        "contention-asks",
        "Asked to keep waiting, and the answers, per day",
        {
            "asked": "Asked",
            "kept_waiting": "Kept waiting",
            "cancelled_after_ask": "Cancelled after the ask",
            "expired_after_ask": "Expired unanswered",
        },
        "Customers",
    )
    waits = bar_chart(
        key="contention-waits",
        title="Request to first view and to accept per day (minutes)",
        labels=short,
        long_labels=full,
        series={
            "First view, median": [_minutes(r.to_first_view.median_seconds) for r in rows],
            "First view, p90": [_minutes(r.to_first_view.p90_seconds) for r in rows],
            "Accept, median": [_minutes(r.to_accept.median_seconds) for r in rows],
            "Accept, p90": [_minutes(r.to_accept.p90_seconds) for r in rows],
        },
        y_title="Minutes",
        value_formatter=_minutes_label,
    )
    people: list[ContentionRow] = list(reversed(c.mechanics))  # horizontal: the busiest on top
    by_mechanic = bar_chart(
        key="contention-mechanics",
        title="Contention per mechanic",
        labels=[m.label for m in people],
        series={
            "Accepts lost": [m.counts["accepts_lost"] for m in people],
            "Released": [m.released for m in people],
            "Transfers offered": [m.counts["transfers_offered"] for m in people],
            "Transfers accepted": [m.counts["transfers_accepted"] for m in people],
        },
        y_title="Events",
        horizontal=True,
        counts=True,
    )
    return [races, transfers, asks, waits, by_mechanic]


@require_GET
@staff_member_required
def analytics(request: HttpRequest) -> HttpResponse:
    """Charts of the last N days for staff (N from ?days=, 7–365, default 30)."""
    days = _days(request)
    a = staff_analytics(days=days)
    totals = {k: sum(d[k] for d in a.calendar) for k in ("revenue", "refunds", "payouts")}
    contention = contention_metrics(since=timezone.now() - timedelta(days=days))
    context = {
        "a": a,
        "days": days,
        "charts": _charts(a),
        "totals": totals,
        "contention": contention,
        "contention_charts": contention_charts(contention),
    }
    return render(request, "staff/analytics.html", context)


def _seconds(value: float | None) -> str:
    return "" if value is None else f"{value:.0f}"


@require_GET
@staff_member_required
def contention_csv(request: HttpRequest) -> HttpResponse:
    """The contention figures as CSV: one row per day (scope "day"), then one per mechanic
    (scope "mechanic"), then the period's total; waits in seconds, empty when there were none."""
    days = _days(request)
    c = contention_metrics(since=timezone.now() - timedelta(days=days))
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="contention-{days}-days.csv"'
    writer = csv.writer(response)
    waits = ["first_view_median_s", "first_view_p90_s", "accept_median_s", "accept_p90_s"]
    writer.writerow(["scope", "key", *COUNTERS, *waits])
    labelled = [("day", row) for _, row in c.days] + [("mechanic", row) for row in c.mechanics]
    for scope, row in [*labelled, ("total", c.total)]:
        writer.writerow(
            [
                scope,
                row.label,
                *[row.counts[name] for name in COUNTERS],
                _seconds(row.to_first_view.median_seconds),
                _seconds(row.to_first_view.p90_seconds),
                _seconds(row.to_accept.median_seconds),
                _seconds(row.to_accept.p90_seconds),
            ]
        )
    return response


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
