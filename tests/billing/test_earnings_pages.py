"""The mechanic's earnings card, monthly statement and CSV; query counts pinned."""

import csv
import io

import pytest
from django.utils import timezone

from billing.services import payout_create
from sessions_app.services import rating_create
from tests.factories import client_for, make_mechanic

from .conftest import completed_credit_session

pytestmark = pytest.mark.django_db


@pytest.fixture
def busy_mechanic(plans, mechanic):
    first = completed_credit_session(mechanic)  # 2099 + 59
    rating_create(session=first, user=first.customer.user, stars=4, comment="")
    today = timezone.localdate()
    payout_create(mechanic=mechanic, period_start=today, period_end=today, actor=None)
    completed_credit_session(mechanic, plan_code="quick-chat", credits=1)  # 699 + 19, pending
    return mechanic


def test_the_card_shows_sessions_ratings_and_pending_vs_paid(busy_mechanic, django_assert_num_queries):
    client = client_for(busy_mechanic.user)
    client.get("/mechanic/earnings/card/")
    # session + user (+ mechanic profile) + the session stats + the earnings
    with django_assert_num_queries(5):
        page = client.get("/mechanic/earnings/card/").content.decode()
    today = page.split('data-testid="period-1"')[1].split("</tr>")[0]
    assert "<td>2</td>" in today and "4.0★" in today and "1 min" in today
    assert "$718.00" not in today and "$7.18" in today and "$21.58" in today  # pending, paid out


def test_the_dashboard_loads_the_card_by_itself(busy_mechanic):
    page = client_for(busy_mechanic.user).get("/mechanic/dashboard/").content.decode()
    assert 'hx-get="/mechanic/earnings/card/"' in page and 'href="/mechanic/earnings/"' in page


def test_the_statement_lists_every_entry_of_the_month(busy_mechanic, django_assert_num_queries):
    client = client_for(busy_mechanic.user)
    month = timezone.localdate().strftime("%Y-%m")
    client.get(f"/mechanic/earnings/?month={month}")
    # session + user + mechanic + stats + earnings + the month's entries + the months with entries
    # + the mechanic's active-session banner (2)
    with django_assert_num_queries(9):
        page = client.get(f"/mechanic/earnings/?month={month}").content.decode()
    for text in ("Session share", "Referral fee (2%)", "Payout", "$20.99", "−$21.58", "Pending", "Paid"):
        assert text in page, text
    assert f'href="/mechanic/earnings/{month}.csv"' in page


def test_a_bad_month_is_a_field_message_not_an_error(busy_mechanic):
    response = client_for(busy_mechanic.user).get("/mechanic/earnings/?month=2026-13")
    assert response.status_code == 400
    assert "Give the month as YYYY-MM, e.g. 2026-11." in response.content.decode()


def test_the_csv_has_one_row_per_entry(busy_mechanic, django_assert_num_queries):
    client = client_for(busy_mechanic.user)
    today = timezone.localdate()
    url = f"/mechanic/earnings/{today:%Y-%m}.csv"
    client.get(url)
    with django_assert_num_queries(4):
        response = client.get(url)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="earnings-{today:%Y-%m}.csv"'
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [(r["kind"], r["amount_cents"], r["status"]) for r in rows] == [
        ("session_share", "2099", "paid"),
        ("referral_fee", "59", "paid"),
        ("payout", "-2158", "payout"),
        ("session_share", "699", "pending"),
        ("referral_fee", "19", "pending"),
    ]
    assert client.get("/mechanic/earnings/2026-13.csv").status_code == 404


def test_a_mechanic_sees_only_their_own_money(busy_mechanic):
    other = client_for(make_mechanic().user)
    assert "$7.18" not in other.get("/mechanic/earnings/card/").content.decode()
    today = timezone.localdate()
    assert other.get(f"/mechanic/earnings/{today:%Y-%m}.csv").content.decode().count("\n") == 1
    customer_client = client_for(busy_mechanic.user)
    assert customer_client.get("/mechanic/earnings/").status_code == 200


def test_customers_and_visitors_are_kept_out(plans):
    from django.test import Client

    from tests.factories import make_customer

    assert client_for(make_customer().user).get("/mechanic/earnings/").status_code == 403
    assert Client().get("/mechanic/earnings/card/").status_code == 302
