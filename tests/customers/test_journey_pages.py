"""Intake -> waiver -> session through the pages (free and credits), errors, active session."""

import pytest

from billing.models import CreditLedger
from billing.services import credit_balance
from customers.models import Intake, Waiver
from sessions_app.models import Session
from tests.customers.conftest import intake_data
from tests.factories import make_session

pytestmark = pytest.mark.django_db

VALID_VIN = "1M8GDM9AXKP042788"  # check digit X is right
BAD_CHECK_DIGIT_VIN = "1M8GDM9A1KP042788"


def submit_intake(client, **overrides):
    return client.post("/customer/request/new/", intake_data(**overrides))


def test_free_flow_creates_a_pending_session_with_signed_waiver(customer, customer_client):
    response = submit_intake(customer_client, vin=VALID_VIN.lower())
    intake = Intake.objects.get(customer=customer)
    assert response.status_code == 302 and response["Location"] == f"/customer/request/{intake.pk}/waiver/"
    assert intake.vin == VALID_VIN and intake.pay_with == "free"

    page = customer_client.get(response["Location"])
    assert page.status_code == 200 and b"Sign and join the queue" in page.content

    response = customer_client.post(
        f"/customer/request/{intake.pk}/waiver/",
        {"full_name": "Alice Driver", "agreed": "on"},
        HTTP_USER_AGENT="pytest-browser/1.0",
        REMOTE_ADDR="203.0.113.9",
    )
    session = Session.objects.get(customer=customer)
    assert response.status_code == 302 and response["Location"] == f"/chat/{session.pk}/"
    assert session.status == "pending" and session.intake == intake and session.payment_method == "free"
    waiver = Waiver.objects.get(intake=intake)
    assert (waiver.full_name, waiver.ip_address, waiver.user_agent, waiver.version, waiver.agreed) == (
        "Alice Driver",
        "203.0.113.9",
        "pytest-browser/1.0",
        "2026-11",
        True,
    )
    assert waiver.signed_at is not None


def test_credit_flow_spends_credits_in_the_same_step(customer, customer_client):
    submit_intake(customer_client, plan="video-30", pay_with="credits")
    intake = Intake.objects.get(customer=customer)
    response = customer_client.post(
        f"/customer/request/{intake.pk}/waiver/", {"full_name": "Alice", "agreed": "on"}
    )
    session = Session.objects.get(customer=customer)
    assert response["Location"] == f"/video/{session.pk}/"
    assert session.payment_method == "credits"
    assert credit_balance(customer=customer) == 7
    assert CreditLedger.objects.filter(session=session, kind="spend", amount=-3).exists()


def test_insufficient_credits_is_a_clear_message_and_nothing_is_written(plans, customer_client, customer):
    submit_intake(customer_client, plan="diagnostic-45", pay_with="credits")
    intake = Intake.objects.get(customer=customer)
    CreditLedger.objects.create(customer=customer, amount=-8, kind="spend")  # leaves 2 credits
    response = customer_client.post(
        f"/customer/request/{intake.pk}/waiver/", {"full_name": "Alice", "agreed": "on"}
    )
    assert response.status_code == 402
    assert b"costs 5 credits and you have 2" in response.content
    assert f"/customer/request/new/?from={intake.pk}".encode() in response.content
    assert not Session.objects.exists() and not Waiver.objects.exists()
    # "Change plan" keeps what was typed.
    page = customer_client.get(f"/customer/request/new/?from={intake.pk}")
    assert b"Grinding noise from the front left wheel" in page.content


@pytest.mark.parametrize(
    ("overrides", "field", "text"),
    [
        ({"concern": "noise"}, "concern", "at least 10 characters"),
        ({"vin": "1M8GDM9AXKP04278"}, "vin", "exactly 17 characters"),
        ({"vin": "1M8GDM9AXKP04278O"}, "vin", "never the letters I, O or Q"),
        ({"plan": "no-such-plan"}, "plan", "That plan is not offered"),
        ({"plan": "quick-chat", "pay_with": ""}, "pay_with", "Choose how to pay"),
        ({"plan": "quick-chat", "pay_with": "card"}, "pay_with", "Card payments are not configured"),
        ({"vehicle_year": "3000"}, "vehicle_year", "no later than"),
        ({"scheduled_for": "2001-01-01T10:00"}, "scheduled_for", "in the future"),
    ],
)
def test_invalid_intake_shows_the_error_by_the_field_and_keeps_the_input(
    customer_client, overrides, field, text
):
    response = submit_intake(customer_client, **overrides)
    assert response.status_code == 400
    assert text in response.content.decode()
    assert field in response.context["form"].errors
    assert b"Grinding noise" in response.content or "concern" in overrides  # typed text kept
    assert b'value="Toyota"' in response.content
    assert not Intake.objects.exists()


def test_wrong_check_digit_is_a_warning_not_an_error(customer, customer_client):
    response = submit_intake(customer_client, vin=BAD_CHECK_DIGIT_VIN)
    assert response.status_code == 302
    assert Intake.objects.get(customer=customer).vin == BAD_CHECK_DIGIT_VIN
    page = customer_client.get(response["Location"])
    assert b"check digit does not match" in page.content


def test_paid_plans_say_card_payments_are_not_configured(customer_client, settings):
    settings.STRIPE_SECRET_KEY = ""
    page = customer_client.get("/customer/request/new/")
    assert b"Card payments are not configured" in page.content
    assert b'value="card" disabled' in page.content


def test_second_request_while_active_explains_and_links_back(customer, customer_client):
    session = make_session(customer)
    page = customer_client.get("/customer/request/new/")
    assert b"You already have an active session" in page.content
    assert f'href="/chat/{session.pk}/"'.encode() in page.content
    response = submit_intake(customer_client)
    assert response.status_code == 409 and f"/chat/{session.pk}/".encode() in response.content


def test_second_waiver_while_active_explains_and_links_back(customer, customer_client):
    submit_intake(customer_client)
    intake = Intake.objects.get(customer=customer)
    session = make_session(customer)  # became active meanwhile (another tab)
    response = customer_client.post(
        f"/customer/request/{intake.pk}/waiver/", {"full_name": "Alice", "agreed": "on"}
    )
    assert response.status_code == 409
    assert b"You already have an active session" in response.content
    assert f'href="/chat/{session.pk}/"'.encode() in response.content


def test_waiver_must_be_agreed_and_signed(customer, customer_client):
    submit_intake(customer_client)
    intake = Intake.objects.get(customer=customer)
    response = customer_client.post(f"/customer/request/{intake.pk}/waiver/", {"full_name": " "})
    assert response.status_code == 400
    assert b"Tick the box to agree" in response.content
    assert not Session.objects.exists()


def test_an_intake_is_submitted_once(customer, customer_client):
    submit_intake(customer_client)
    intake = Intake.objects.get(customer=customer)
    customer_client.post(f"/customer/request/{intake.pk}/waiver/", {"full_name": "Alice", "agreed": "on"})
    session = Session.objects.get()
    from sessions_app.services import session_cancel

    session_cancel(session=session, user=None)
    response = customer_client.post(
        f"/customer/request/{intake.pk}/waiver/", {"full_name": "Alice", "agreed": "on"}
    )
    assert response.status_code == 302 and response["Location"] == f"/chat/{session.pk}/"
    assert Session.objects.count() == 1


def test_someone_elses_intake_is_404(customer_client, plans):
    from tests.factories import make_customer

    other = make_customer("bob")
    intake = Intake.objects.create(
        customer=other, plan=plans["free-chat"], concern="Something is broken here"
    )
    assert customer_client.get(f"/customer/request/{intake.pk}/waiver/").status_code == 404
    assert (
        customer_client.post(
            f"/customer/request/{intake.pk}/waiver/", {"full_name": "x", "agreed": "on"}
        ).status_code
        == 404
    )


def test_dashboard_shows_past_sessions_summary_rating_and_credits(customer, customer_client):
    from sessions_app.models import Rating
    from sessions_app.services import session_accept, session_complete, session_start
    from tests.factories import make_mechanic, open_assignment

    session = make_session(customer)
    mech = make_mechanic("mike")
    session_accept(assignment=open_assignment(session), mechanic=mech)
    session_start(session=session, mechanic=mech)
    session_complete(session=session, mechanic=mech, summary="Worn brake pads; replace soon.")
    Rating.objects.create(session=session, stars=4, comment="Helpful")
    page = customer_client.get("/customer/dashboard/")
    body = page.content.decode()
    assert "Worn brake pads; replace soon." in body
    assert 'aria-label="Rated 4 out of 5"' in body
    assert 'data-testid="credit-balance">10<' in body
    assert "Start a request" in body and "/customer/request/new/" in body


def test_dashboard_pages_past_sessions_with_a_flat_query_count(
    customer, customer_client, django_assert_num_queries
):
    from sessions_app.services import session_cancel

    for _ in range(12):
        session_cancel(session=make_session(customer), user=customer.user)
    page = customer_client.get("/customer/dashboard/")
    assert (
        page.content.decode().count('class="past-session"') == 10 and "Page 1 of 2" in page.content.decode()
    )
    second = customer_client.get("/customer/dashboard/?page=2")
    assert second.content.decode().count('class="past-session"') == 2
    assert customer_client.get("/customer/dashboard/?page=zzz").status_code == 200
    # session + user + customer; banner: version + active session; start panel; page count + rows;
    # balance; ledger; refunds; credit packs on sale (issue 13); messages framework none;
    # the repair quotes card (quotes): 14,
    # whatever the number of sessions.
    with django_assert_num_queries(14):
        customer_client.get("/customer/dashboard/")


def test_a_request_scheduled_for_later_becomes_a_scheduled_session(customer, customer_client):
    from datetime import timedelta

    from django.utils import timezone

    when = (timezone.now() + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M")
    submit_intake(customer_client, scheduled_for=when, urgent="on")
    intake = Intake.objects.get(customer=customer)
    assert intake.urgent and intake.scheduled_for is not None
    customer_client.post(f"/customer/request/{intake.pk}/waiver/", {"full_name": "Alice", "agreed": "on"})
    session = Session.objects.get()
    assert session.status == "scheduled" and session.urgent
    assert b"pill-scheduled" in customer_client.get("/customer/dashboard/").content


def test_the_api_schema_documents_the_customer_endpoints(customer_client):
    schema = customer_client.get("/api/openapi.json").json()
    for path in (
        "/api/customer/active-session",
        "/api/intake/start",
        "/api/waiver/submit",
        "/api/sessions/{session_id}/cancel",
    ):
        assert path in schema["paths"]


def test_a_card_waiver_refused_because_payments_are_off_saves_nothing(
    customer, customer_client, plans, settings
):
    """Card payments switched off between the request and the waiver: the refusal says why and
    leaves no signed waiver behind."""
    from customers.models import PayWith, Waiver

    settings.STRIPE_SECRET_KEY = ""
    intake = Intake.objects.create(
        customer=customer, plan=plans["quick-chat"], concern="Squeal when braking", pay_with=PayWith.CARD
    )
    page = customer_client.post(
        f"/customer/request/{intake.pk}/waiver/", {"full_name": "Alice Smith", "agreed": "on"}
    )
    assert page.status_code in (200, 409)
    assert b"Card payments are not configured" in page.content
    assert not Waiver.objects.exists()
