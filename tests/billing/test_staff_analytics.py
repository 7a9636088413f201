"""The staff analytics page: revenue, refunds and payouts per day, every chart as SVG with dated
axes, legend and a table of its numbers; CSV export; query count pinned."""

import csv
import io
import re

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from billing.services import payout_create
from sessions_app.services import rating_create, session_refund
from tests.factories import client_for

from .conftest import completed_card_session, completed_credit_session

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(db):
    return client_for(get_user_model().objects.create_user("boss", password="pw-boss-123", is_staff=True))


@pytest.fixture
def money_day(stripe_stub, plans, mechanic, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        session = completed_card_session(stripe_stub, mechanic)  # $29.99
        rating_create(session=session, user=session.customer.user, stars=5, comment="")
        session_refund(session=session, method="card", amount_cents=999, reason="Partly", actor=None)
        completed_credit_session(mechanic)
    today = timezone.localdate()
    payout_create(mechanic=mechanic, period_start=today, period_end=today, actor=None)


def test_every_chart_is_svg_with_dates_a_legend_and_a_table(
    staff_client, money_day, django_assert_num_queries
):
    staff_client.get("/staff/analytics/")
    # session, user; 11 for the session figures; 3 for money per day; failing refunds; the
    # layout's role check (mechanic, customer profile); issue 14's contention figures: 4 more
    # (mechanics, accept misses, events, accepted assignments). Flat: no query per day, chart or row.
    with django_assert_num_queries(23):
        page = staff_client.get("/staff/analytics/?days=7").content.decode()
    charts = re.findall(r'<figure class="chart-figure".*?</figure>', page, re.S)
    assert len(charts) == 3 + 5  # issue 14: five contention charts after the first three
    charts = charts[:3]
    today = timezone.localdate()
    for chart in charts:
        assert "<svg" in chart and 'class="legends"' in chart and "<table>" in chart
        assert '<style nonce="' in chart and "<script" not in chart
    sessions, money, ratings = charts
    assert today.strftime("%b %-d") in sessions and today.strftime("%a %-d %b %Y") in sessions  # axis, table
    assert ">Chat<" in sessions and ">Video<" in sessions and ">Diagnostic<" in sessions
    row = re.search(rf"<th scope=\"row\">{today.strftime('%a %-d %b %Y')}</th>(.*?)</tr>", money, re.S).group(
        1
    )
    # revenue: the card payment; refunds: 9.99 of it; payouts: (1400 + 40) after the refund + (2099 + 59)
    assert re.findall(r"<td>(.*?)</td>", row) == ["$29.99", "$9.99", "$35.98"]
    assert "5 stars" in ratings
    assert "$29.99" in page  # revenue total
    assert 'src="/static/js/charts.js"' in page


def test_the_csv_export_has_a_row_per_day(staff_client, money_day):
    response = staff_client.get("/staff/analytics/export.csv?days=7")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert len(rows) == 8  # seven days back and today
    last = rows[-1]
    assert last["date"] == timezone.localdate().isoformat()
    assert (last["video_sessions"], last["revenue_cents"], last["refunds_cents"]) == ("2", "2999", "999")
    assert all(r["currency"] == "usd" for r in rows)


def test_export_is_for_staff_only(client, plans):
    assert client.get("/staff/analytics/export.csv").status_code == 302
