"""The mechanic JSON API (SPEC §5)."""

import json

import pytest
from django.test import Client

from sessions_app.services import session_accept, session_start
from sessions_app.transitions import SessionStatus as S
from tests.factories import make_customer, make_mechanic, make_session, open_assignment

pytestmark = pytest.mark.django_db

SESSION_KEYS = {
    "id",
    "type",
    "plan",
    "status",
    "customer_name",
    "mechanic_name",
    "created_at",
    "started_at",
    "ended_at",
    "url",
}


def post(client: Client, url: str, body: dict | None = None):
    return client.post(url, json.dumps(body or {}), content_type="application/json")


def accepted_by(mechanic, **kwargs):
    session = make_session(**kwargs)
    return session_accept(assignment=open_assignment(session), mechanic=mechanic)


def assert_error(response, status: int, code: str) -> None:
    assert response.status_code == status, response.content
    body = response.json()
    assert body["error"] == code
    assert isinstance(body["detail"], str) and len(body["detail"]) > 10


def test_queue(mech_client, mechanic):
    normal = make_session(make_customer(full_name="Alice Walker"))
    urgent = make_session(urgent=True)
    body = mech_client.get("/api/mechanic/queue").json()
    assert [a["session_id"] for a in body["assignments"]] == [urgent.pk, normal.pk]
    assert body["blocked"] is False and body["active_count"] == 0 and body["capacity"] == 1
    assert body["total"] == 2
    first = body["assignments"][1]
    assert (
        first["customer_first_name"] == "Alice" and first["type"] == "chat" and first["plan"] == "free-chat"
    )
    assert first["accept_url"] == f"/api/mechanic/assignments/{first['id']}/accept"

    accepted_by(mechanic)
    body = mech_client.get("/api/mechanic/queue").json()
    assert body["blocked"] is True and body["active_count"] == 1


def test_accept_then_already_taken_then_at_capacity(mech_client, mechanic):
    customer = make_customer(credits=5)
    session = make_session(customer, plan_code="video-30", pay_with="credits")
    assignment = open_assignment(session)

    response = post(mech_client, f"/api/mechanic/assignments/{assignment.pk}/accept")
    assert response.status_code == 200
    body = response.json()
    assert body["url"] == f"/video/{session.pk}/"
    assert set(body["session"]) >= SESSION_KEYS
    assert (
        body["session"]["status"] == "waiting" and body["session"]["mechanic_name"] == mechanic.display_name
    )

    rival = Client()
    rival.force_login(make_mechanic("maria").user)
    assert_error(post(rival, f"/api/mechanic/assignments/{assignment.pk}/accept"), 409, "already_taken")

    other = make_session()
    assert_error(
        post(mech_client, f"/api/mechanic/assignments/{open_assignment(other).pk}/accept"), 409, "at_capacity"
    )
    assert_error(post(mech_client, "/api/mechanic/assignments/999999/accept"), 404, "not_found")


def test_active_sessions_and_lifecycle_endpoints(mech_client, mechanic):
    session = accepted_by(mechanic)
    body = mech_client.get("/api/mechanic/active-sessions").json()
    assert [s["id"] for s in body["sessions"]] == [session.pk]

    assert_error(
        post(mech_client, f"/api/sessions/{session.pk}/complete", {"summary": "x"}), 409, "invalid_transition"
    )

    started = post(mech_client, f"/api/sessions/{session.pk}/start")
    assert started.status_code == 200 and started.json()["status"] == "live" and started.json()["started_at"]
    again = post(mech_client, f"/api/sessions/{session.pk}/start")  # a retried request: a no-op
    assert again.status_code == 200 and again.json()["started_at"] == started.json()["started_at"]
    assert_error(post(mech_client, f"/api/sessions/{session.pk}/release"), 409, "invalid_transition")

    assert_error(
        post(mech_client, f"/api/sessions/{session.pk}/complete", {"summary": "   "}), 400, "invalid_input"
    )
    assert_error(post(mech_client, f"/api/sessions/{session.pk}/complete", {}), 400, "invalid_input")
    done = post(mech_client, f"/api/sessions/{session.pk}/complete", {"summary": "Loose battery terminal."})
    assert done.status_code == 200
    assert done.json()["status"] == "completed" and done.json()["summary"] == "Loose battery terminal."
    assert mech_client.get("/api/mechanic/active-sessions").json() == {"sessions": []}


def test_release_goes_back_to_the_queue(mech_client, mechanic):
    session = accepted_by(mechanic)
    response = post(mech_client, f"/api/sessions/{session.pk}/release")
    assert response.status_code == 200
    assert response.json()["status"] == "pending" and response.json()["mechanic_name"] is None
    assert open_assignment(session).status == "queued"
    # no longer theirs
    assert_error(post(mech_client, f"/api/sessions/{session.pk}/release"), 404, "not_found")


def test_sessions_of_others_are_404(mech_client):
    theirs = accepted_by(make_mechanic("maria"))
    for action in ("start", "release", "complete"):
        assert_error(
            post(mech_client, f"/api/sessions/{theirs.pk}/{action}", {"summary": "x"}), 404, "not_found"
        )
    theirs.refresh_from_db()
    assert theirs.status == S.WAITING


def test_force_end_all(mech_client, mechanic):
    mechanic.max_active_sessions = 3
    mechanic.save()
    accepted_by(mechanic)
    live = accepted_by(mechanic)
    session_start(session=live, mechanic=mechanic)
    response = post(mech_client, "/api/mechanic/force-end-all")
    assert response.status_code == 200 and response.json() == {"released": 1, "completed": 1}
    assert post(mech_client, "/api/mechanic/force-end-all").json() == {"released": 0, "completed": 0}


@pytest.mark.parametrize(
    "method, url",
    [
        ("get", "/api/mechanic/queue"),
        ("get", "/api/mechanic/active-sessions"),
        ("post", "/api/mechanic/force-end-all"),
        ("post", "/api/mechanic/assignments/1/accept"),
        ("post", "/api/sessions/1/start"),
        ("post", "/api/sessions/1/release"),
    ],
)
def test_anonymous_401_and_customer_403(method, url):
    anonymous = Client()
    response = getattr(anonymous, method)(url, content_type="application/json")
    assert_error(response, 401, "not_authenticated")
    customer = Client()
    customer.force_login(make_customer().user)
    response = getattr(customer, method)(url, content_type="application/json")
    assert_error(response, 403, "forbidden")


def test_unsafe_methods_need_the_csrf_token(mechanic):
    session = make_session()
    client = Client(enforce_csrf_checks=True)
    client.force_login(mechanic.user)
    response = post(client, f"/api/mechanic/assignments/{open_assignment(session).pk}/accept")
    assert response.status_code == 403
    assert open_assignment(session).status == "queued"


def test_endpoints_are_in_the_openapi_schema(client):
    schema = client.get("/api/openapi.json").json()
    paths = schema["paths"]
    for path, method in [
        ("/api/mechanic/queue", "get"),
        ("/api/mechanic/assignments/{assignment_id}/accept", "post"),
        ("/api/mechanic/active-sessions", "get"),
        ("/api/mechanic/force-end-all", "post"),
        ("/api/sessions/{session_id}/start", "post"),
        ("/api/sessions/{session_id}/complete", "post"),
        ("/api/sessions/{session_id}/release", "post"),
    ]:
        operation = paths[path][method]
        assert "200" in operation["responses"], path
        assert operation["responses"]["200"]["content"]["application/json"]["schema"], path
    accept = paths["/api/mechanic/assignments/{assignment_id}/accept"]["post"]["responses"]
    assert "409" in accept
    assert "summary" in schema["components"]["schemas"]["CompleteIn"]["properties"]
    assert {"assignments", "blocked", "active_count", "capacity"} <= set(
        schema["components"]["schemas"]["QueueOut"]["properties"]
    )
