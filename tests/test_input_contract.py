"""One input contract for every interface (hardening issue): the API refuses what the forms
refuse, NUL bytes and lone surrogates never reach the database, wrong JSON types are a 400 naming
the field, and anything unexpected is a JSON 500 with a request id, never an HTML page. Runs on
both databases (PostgreSQL refused NUL with a 500 before; SQLite stored it)."""

import json

import pytest
from django.test import Client

from customers.models import Intake, Waiver
from sessions_app.models import Session, SessionMessage
from sessions_app.services import session_accept, session_start
from tests.factories import make_customer, make_mechanic, make_session, open_assignment, plan

pytestmark = pytest.mark.django_db

SURROGATE = '"\\ud800"'  # a lone surrogate, as JSON text


def raw_post(client: Client, url: str, text: str):
    return client.post(url, text, content_type="application/json")


def intake_json(**overrides: object) -> dict:
    body = {
        "plan": "free-chat",
        "vehicle": {"year": 2018, "make": "Toyota", "model": "Corolla", "vin": ""},
        "concern": "Grinding noise from the front left wheel when braking.",
    }
    body.update(overrides)
    return body


@pytest.fixture
def customer_client():
    plan("free-chat")
    client = Client()
    client.force_login(make_customer("alice").user)
    return client


def assert_400(response, field: str) -> None:
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["error"] == "invalid_input"
    assert field in body["detail"], body


def start_intake(client: Client) -> int:
    response = raw_post(client, "/api/intake/start", json.dumps(intake_json()))
    assert response.status_code == 201, response.content
    return response.json()["intake_id"]


@pytest.mark.parametrize(
    ("path", "make_body"),
    [
        ("concern", lambda: json.dumps(intake_json()).replace('"Grinding', SURROGATE[:-1] + "Grinding")),
        ("vehicle.make", lambda: json.dumps(intake_json()).replace('"Toyota"', SURROGATE)),
        ("concern", lambda: json.dumps(intake_json(concern="Grinding noise\u0000 from the wheel"))),
    ],
)
def test_intake_refuses_nul_and_lone_surrogates_naming_the_field(customer_client, path, make_body):
    response = raw_post(customer_client, "/api/intake/start", make_body())
    assert_400(response, path)
    assert Intake.objects.count() == 0


@pytest.mark.parametrize("vehicle", ['"Ford"', "[]", "null", "7"])
def test_a_vehicle_that_is_not_an_object_is_refused_not_dropped(customer_client, vehicle):
    text = json.dumps(intake_json()).replace(
        '{"year": 2018, "make": "Toyota", "model": "Corolla", "vin": ""}', vehicle
    )
    response = raw_post(customer_client, "/api/intake/start", text)
    assert_400(response, "vehicle")
    assert Intake.objects.count() == 0


@pytest.mark.parametrize(
    ("full_name", "field"),
    [("A" * 151, "full_name"), ("Alice\u0000Anderson", "full_name"), (" ", "full_name")],
)
def test_waiver_api_applies_the_waiver_forms_rules(customer_client, full_name, field):
    intake_id = start_intake(customer_client)
    body = json.dumps({"intake_id": intake_id, "full_name": full_name, "agreed": True})
    assert_400(raw_post(customer_client, "/api/waiver/submit", body), field)
    assert not Waiver.objects.exists() and not Session.objects.exists()


def test_waiver_api_refuses_a_lone_surrogate_in_the_name(customer_client):
    intake_id = start_intake(customer_client)
    text = '{"intake_id": ' + str(intake_id) + ', "full_name": ' + SURROGATE + ', "agreed": true}'
    assert_400(raw_post(customer_client, "/api/waiver/submit", text), "full_name")


def test_waiver_api_stores_the_name_as_the_form_cleans_it(customer_client):
    intake_id = start_intake(customer_client)
    body = json.dumps({"intake_id": intake_id, "full_name": "  Alice   Anderson ", "agreed": True})
    assert raw_post(customer_client, "/api/waiver/submit", body).status_code == 201
    assert Waiver.objects.get().full_name == "Alice Anderson"


def test_complete_with_a_nul_byte_in_the_summary_is_400(db):
    mechanic = make_mechanic("mike")
    session = session_accept(assignment=open_assignment(make_session()), mechanic=mechanic)
    session_start(session=session, mechanic=mechanic)
    client = Client()
    client.force_login(mechanic.user)
    body = json.dumps({"summary": "Worn pads\u0000"})
    assert_400(raw_post(client, f"/api/sessions/{session.pk}/complete", body), "summary")
    session.refresh_from_db()
    assert session.status == "live"


def test_a_chat_message_with_a_nul_byte_is_refused_on_the_page(db):
    mechanic = make_mechanic("mike")
    session = session_accept(assignment=open_assignment(make_session()), mechanic=mechanic)
    client = Client()
    client.force_login(mechanic.user)
    response = client.post(f"/sessions/{session.pk}/messages/", {"body": "hello\u0000there"})
    assert response.status_code in (302, 204)
    assert not SessionMessage.objects.exists()


@pytest.mark.parametrize("text", ['{"plan": 5}', '{"plan": "free-chat", "urgent": "very"}', "[1, 2]"])
def test_wrong_json_types_are_400_naming_the_field(customer_client, text):
    response = raw_post(customer_client, "/api/intake/start", text)
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["error"] == "invalid_input" and body["detail"]


def test_an_unexpected_error_in_the_api_is_json_500_with_a_request_id(customer_client, monkeypatch):
    """Mock only the failure: the selector behind the endpoint blows up."""
    import customers.api

    def boom(**_kwargs: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(customers.api, "active_session_for_customer", boom)
    client = customer_client
    client.raise_request_exception = False
    response = client.get("/api/customer/active-session")
    assert response.status_code == 500
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["error"] == "server_error" and body["request_id"] == response["X-Request-ID"]
    assert "disk on fire" not in body["detail"]


def test_the_audit_trail_names_people_by_display_name_never_by_login(db):
    customer = make_customer("alice")
    mechanic = make_mechanic("mike_login_42")
    session = session_accept(assignment=open_assignment(make_session(customer=customer)), mechanic=mechanic)
    client = Client()
    client.force_login(customer.user)
    body = client.get(f"/api/sessions/{session.pk}/events").json()
    actors = {event["actor"] for event in body["events"]}
    assert mechanic.display_name in actors and customer.full_name in actors
    text = json.dumps(body)
    assert "mike_login_42" not in text and customer.user.username not in text.replace(customer.full_name, "")
