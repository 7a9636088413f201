"""Customer rows of the JSON API (SPEC §5)."""

import pytest
from django.test import Client

from billing.services import credit_balance
from customers.models import Intake
from sessions_app.services import session_accept, session_start
from tests.factories import make_customer, make_mechanic, make_session, open_assignment

pytestmark = pytest.mark.django_db

VALID_VIN = "1M8GDM9AXKP042788"


def post(client, url, body):
    return client.post(url, body, content_type="application/json")


def intake_body(**overrides):
    body = {
        "plan": "free-chat",
        "pay_with": "credits",
        "vehicle": {"year": 2018, "make": "Toyota", "model": "Corolla", "vin": VALID_VIN},
        "concern": "Squeal from the engine bay on cold starts.",
        "urgent": False,
        "scheduled_for": None,
    }
    body.update(overrides)
    return body


def start(client, **overrides) -> int:
    response = post(client, "/api/intake/start", intake_body(**overrides))
    assert response.status_code == 201, response.content
    return response.json()["intake_id"]


def test_active_session_null_then_pending_with_place_and_wait(customer, customer_client):
    assert customer_client.get("/api/customer/active-session").json() == {"session": None}
    session = make_session(customer)
    data = customer_client.get("/api/customer/active-session").json()["session"]
    assert data["id"] == session.pk and data["status"] == "pending" and data["url"] == f"/chat/{session.pk}/"
    assert data["queue_position"] == 1 and data["estimated_wait_seconds"] > 0
    for key in ("type", "plan", "customer_name", "mechanic_name", "created_at", "started_at", "ended_at"):
        assert key in data
    session_accept(assignment=open_assignment(session), mechanic=make_mechanic("mike"))
    data = customer_client.get("/api/customer/active-session").json()["session"]
    assert data["status"] == "waiting" and data["mechanic_name"] == "Mike" and data["queue_position"] is None


def test_intake_start_201_and_waiver_201_for_free(customer, customer_client):
    response = post(customer_client, "/api/intake/start", intake_body())
    assert response.status_code == 201
    body = response.json()
    assert body["next"] == "waiver" and body["warnings"] == []
    intake = Intake.objects.get(pk=body["intake_id"])
    assert intake.pay_with == "free"  # pay_with is ignored for free plans
    response = post(
        customer_client, "/api/waiver/submit", {"intake_id": intake.pk, "full_name": "Alice", "agreed": True}
    )
    assert response.status_code == 201
    assert response.json()["session"]["status"] == "pending"


def test_credit_plan_spends_and_402_when_short(customer, customer_client):
    intake_id = start(customer_client, plan="diagnostic-45", pay_with="credits")
    response = post(
        customer_client, "/api/waiver/submit", {"intake_id": intake_id, "full_name": "Alice", "agreed": True}
    )
    assert response.status_code == 201 and credit_balance(customer=customer) == 5
    customer_client.post(f"/api/sessions/{response.json()['session']['id']}/cancel")
    assert credit_balance(customer=customer) == 10  # refunded
    poor = make_customer("bob", credits=1)
    client = Client()
    client.force_login(poor.user)
    intake_id = start(client, plan="diagnostic-45", pay_with="credits")
    response = post(
        client, "/api/waiver/submit", {"intake_id": intake_id, "full_name": "Bob", "agreed": True}
    )
    assert response.status_code == 402 and response.json()["error"] == "insufficient_credits"


def test_card_plan_answers_200_with_the_checkout_url(customer, customer_client, stripe_stub):
    intake_id = start(customer_client, plan="video-30", pay_with="card")
    response = post(
        customer_client, "/api/waiver/submit", {"intake_id": intake_id, "full_name": "Alice", "agreed": True}
    )
    assert response.status_code == 200
    assert response.json()["checkout_url"].startswith(stripe_stub.url + "/pay/cs_test_")


def test_active_session_gives_409_with_a_link(customer, customer_client):
    intake_id = start(customer_client)
    session = make_session(customer)
    response = post(
        customer_client, "/api/waiver/submit", {"intake_id": intake_id, "full_name": "Alice", "agreed": True}
    )
    assert response.status_code == 409
    assert response.json() == {
        "error": "active_session_exists",
        "detail": response.json()["detail"],
        "session_url": f"/chat/{session.pk}/",
    }
    response = post(customer_client, "/api/intake/start", intake_body())
    assert response.status_code == 409 and response.json()["error"] == "active_session_exists"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"concern": "short"}, "concern"),
        ({"plan": "gold-plated"}, "plan"),
        ({"vehicle": {"vin": "IOQ45678901234567"}}, "vin"),
        ({"plan": "quick-chat", "pay_with": None}, "pay_with"),
        ({"plan": "quick-chat", "pay_with": "card"}, "pay_with"),  # Stripe not configured
        ({"plan": "quick-chat", "pay_with": "bitcoin"}, "pay_with"),
    ],
)
def test_intake_start_400_with_field_errors(customer_client, overrides, field):
    response = post(customer_client, "/api/intake/start", intake_body(**overrides))
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "invalid_input" and field in body["errors"] and body["detail"]
    assert not Intake.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        '{"plan": 5}',
        '{"concern": "no plan at all"}',
        '{"plan": "free-chat", "vehicle": {"year": "abc"}}',
    ],
)
def test_malformed_bodies_are_400_never_500(customer_client, body):
    response = customer_client.post("/api/intake/start", body, content_type="application/json")
    assert response.status_code == 400


def test_check_digit_warning_is_returned_not_refused(customer_client):
    response = post(customer_client, "/api/intake/start", intake_body(vehicle={"vin": "1M8GDM9A1KP042788"}))
    assert response.status_code == 201 and "check digit" in response.json()["warnings"][0]


def test_waiver_400_when_not_agreed_and_404_for_others(customer_client):
    intake_id = start(customer_client)
    response = post(
        customer_client, "/api/waiver/submit", {"intake_id": intake_id, "full_name": "Alice", "agreed": False}
    )
    assert response.status_code == 400 and response.json()["error"] == "invalid_input"
    other = Client()
    other.force_login(make_customer("bob").user)
    response = post(other, "/api/waiver/submit", {"intake_id": intake_id, "full_name": "B", "agreed": True})
    assert response.status_code == 404
    response = post(customer_client, "/api/waiver/submit", {"intake_id": intake_id})
    assert response.status_code == 400


def test_cancel_and_end(customer, customer_client):
    session = make_session(customer)
    response = customer_client.post(f"/api/sessions/{session.pk}/cancel")
    assert response.status_code == 200 and response.json()["session"]["status"] == "cancelled"
    assert customer_client.post(f"/api/sessions/{session.pk}/cancel").status_code == 409
    assert customer_client.post(f"/api/sessions/{session.pk}/end").status_code == 409

    live = make_session(customer)
    mech = make_mechanic("mike")
    session_accept(assignment=open_assignment(live), mechanic=mech)
    session_start(session=live, mechanic=mech)
    response = customer_client.post(f"/api/sessions/{live.pk}/cancel")
    assert response.status_code == 409 and response.json()["error"] == "invalid_transition"
    response = customer_client.post(f"/api/sessions/{live.pk}/end")
    assert response.status_code == 200 and response.json()["session"]["status"] == "completed"


def test_cancel_someone_elses_session_is_404(customer_client):
    other = make_session(make_customer("bob"))
    assert customer_client.post(f"/api/sessions/{other.pk}/cancel").status_code == 404
    assert customer_client.post(f"/api/sessions/{other.pk}/end").status_code == 404
    assert customer_client.post("/api/sessions/999999/end").status_code == 404


def test_roles(plans):
    anonymous = Client()
    assert anonymous.get("/api/customer/active-session").status_code == 401
    assert post(anonymous, "/api/intake/start", intake_body()).status_code == 401
    mechanic = Client()
    mechanic.force_login(make_mechanic("mike").user)
    assert mechanic.get("/api/customer/active-session").status_code == 403
    assert post(mechanic, "/api/intake/start", intake_body()).status_code == 403


def test_unsafe_methods_need_the_csrf_token(customer):
    client = Client(enforce_csrf_checks=True)
    client.force_login(customer.user)
    response = client.post("/api/intake/start", intake_body(), content_type="application/json")
    assert response.status_code in (401, 403)
    assert not Intake.objects.exists()
