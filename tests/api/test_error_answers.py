"""What the schema fuzzer found, pinned on both databases: every error the API gives is the one
documented shape (`ErrorOut`), every operation documents the errors it can give, and a body
Django cannot parse is the client's 400, not our 500."""

import json

import pytest
from django.middleware.csrf import CSRF_ALLOWED_CHARS
from django.test import Client
from django.utils.crypto import get_random_string

from autodoctor.api import ErrorOut
from sessions_app.services import session_accept
from tests.factories import make_customer, make_mechanic, make_session, open_assignment, plan

pytestmark = pytest.mark.django_db

POSTS = [
    "/api/intake/start",
    "/api/waiver/submit",
    "/api/sessions/1/cancel",
    "/api/sessions/1/complete",
    "/api/mechanic/force-end-all",
]


@pytest.fixture
def customer():
    plan("free-chat")
    return make_customer("alice", credits=1)


def browser_for(user) -> tuple[Client, dict[str, str]]:
    """A client that enforces CSRF like a real browser session, and the header its token rides in."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    token = get_random_string(32, CSRF_ALLOWED_CHARS)
    client.cookies["csrftoken"] = token
    return client, {"X-CSRFToken": token}


def assert_error_shape(response, status: int, code: str) -> dict:
    """The status and code, and a body that is an ErrorOut with no field the schema does not name."""
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["error"] == code and body["detail"]
    assert set(body) <= set(ErrorOut.model_fields), set(body) - set(ErrorOut.model_fields)
    ErrorOut.model_validate(body)
    return body


@pytest.mark.parametrize("url", POSTS)
def test_a_multipart_body_without_a_boundary_is_400_not_500(customer, url):
    """Fuzzer: `Content-Type: multipart/form-data` with no boundary made the CSRF check's read of
    request.POST raise MultiPartParserError, which the catch-all answered 500."""
    client, headers = browser_for(customer.user)
    response = client.post(url, b'{"summary": "0"}', content_type="multipart/form-data", headers=headers)
    body = assert_error_shape(response, 400, "invalid_input")
    assert "application/json" in body["detail"]


def test_a_form_body_with_too_many_fields_is_400_not_500(customer, settings):
    """Django's SuspiciousOperation family (here TooManyFieldsSent, read by the CSRF check) is the
    client's 400, as Django answers it on the pages."""
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10
    client, headers = browser_for(customer.user)
    form = "&".join(f"f{i}=x" for i in range(20))
    response = client.post(
        "/api/intake/start", form, content_type="application/x-www-form-urlencoded", headers=headers
    )
    assert_error_shape(response, 400, "invalid_input")


def test_a_post_without_the_csrf_token_is_403_forbidden_saying_what_is_missing(customer):
    client, _ = browser_for(customer.user)
    response = client.post("/api/intake/start", "{}", content_type="application/json")
    body = assert_error_shape(response, 403, "forbidden")
    assert "X-CSRFToken" in body["detail"]


def test_with_the_token_the_same_post_goes_through(customer):
    client, headers = browser_for(customer.user)
    body = {"plan": "free-chat", "concern": "Grinding noise from the front left wheel."}
    response = client.post(
        "/api/intake/start", json.dumps(body), content_type="application/json", headers=headers
    )
    assert response.status_code == 201, response.content


def test_error_answers_of_every_kind_are_the_one_documented_shape(customer):
    """400 (pydantic's and the form's), 401, 403, 404, 402, and 409 with its session_url."""
    client = Client()
    client.force_login(customer.user)

    def post(url: str, body: object):
        return client.post(url, json.dumps(body), content_type="application/json")

    body = assert_error_shape(post("/api/intake/start", {"plan": 5}), 400, "invalid_input")
    assert body["field"] == "plan" and isinstance(body["errors"], list)
    body = assert_error_shape(post("/api/intake/start", {"plan": "free-chat"}), 400, "invalid_input")
    assert body["field"] == "concern" and isinstance(body["errors"], dict)
    assert_error_shape(Client().get("/api/customer/active-session"), 401, "not_authenticated")
    assert_error_shape(client.get("/api/mechanic/queue"), 403, "forbidden")
    assert_error_shape(client.get("/api/sessions/999999"), 404, "not_found")

    plan("diagnostic-45")
    costly = post("/api/intake/start", {"plan": "diagnostic-45", "pay_with": "credits", "concern": "x" * 20})
    waiver = {"intake_id": costly.json()["intake_id"], "full_name": "Alice", "agreed": True}
    assert_error_shape(post("/api/waiver/submit", waiver), 402, "insufficient_credits")

    session = make_session(customer)
    body = assert_error_shape(post("/api/waiver/submit", waiver), 409, "active_session_exists")
    assert body["session_url"] == session.get_absolute_url()


def test_a_rate_limited_intake_is_429_with_retry_after_in_the_body_and_the_header(customer, settings):
    settings.INTAKES_PER_HOUR = 1
    client = Client()
    client.force_login(customer.user)
    intake = {"plan": "free-chat", "concern": "Grinding noise from the front left wheel."}
    assert client.post("/api/intake/start", intake, content_type="application/json").status_code == 201
    response = client.post("/api/intake/start", intake, content_type="application/json")
    body = assert_error_shape(response, 429, "rate_limited")
    assert body["retry_after"] == int(response["Retry-After"]) > 0


def test_a_mechanic_conflict_is_the_same_shape(db):
    session = make_session()
    first, second = make_mechanic("mike"), make_mechanic("max")
    session_accept(assignment=open_assignment(session), mechanic=first)
    client = Client()
    client.force_login(second.user)
    response = client.post(f"/api/mechanic/assignments/{session.assignments.get().pk}/accept")
    assert_error_shape(response, 409, "already_taken")


def operations(schema: dict) -> list[tuple[str, str, dict]]:
    return [(method.upper(), path, op) for path, ops in schema["paths"].items() for method, op in ops.items()]


def test_every_operation_documents_its_errors_with_the_one_error_schema(client):
    schema = client.get("/api/openapi.json").json()
    assert "ErrorOut" in schema["components"]["schemas"]
    assert "MechanicApiError" not in schema["components"]["schemas"]
    for method, path, op in operations(schema):
        errors = {int(code): answer for code, answer in op["responses"].items() if int(code) >= 400}
        expected = {401, 503} | ({400, 403, 413} if method == "POST" else set())
        assert expected <= set(errors), (method, path, sorted(errors))
        for code, answer in errors.items():
            ref = answer["content"]["application/json"]["schema"]["$ref"]
            assert ref == "#/components/schemas/ErrorOut", (method, path, code, ref)


@pytest.mark.parametrize(
    ("method", "path", "statuses"),
    [
        ("GET", "/api/sessions/{session_id}", {400, 404}),
        ("GET", "/api/mechanic/queue", {400, 403}),
        ("POST", "/api/mechanic/assignments/{assignment_id}/accept", {404, 409}),
        ("POST", "/api/sessions/{session_id}/start", {404, 409}),
        ("POST", "/api/sessions/{session_id}/cancel", {404, 409}),
        ("GET", "/api/customer/active-session", {403}),
        ("POST", "/api/intake/start", {409, 429}),
        ("POST", "/api/waiver/submit", {402, 404, 409}),
    ],
)
def test_the_errors_particular_to_an_operation_are_documented(client, method, path, statuses):
    op = client.get("/api/openapi.json").json()["paths"][path][method.lower()]
    assert statuses <= {int(code) for code in op["responses"]}


@pytest.mark.parametrize("path", ["/api/nope/", "/api/queue", "/api/sessions/1/no-such-thing"])
def test_an_unknown_api_path_is_a_json_404_in_the_one_shape(customer, path):
    client, _ = browser_for(customer.user)
    response = client.get(path)
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    body = ErrorOut.model_validate(response.json())
    assert body.error == "not_found" and "/api/docs" in body.detail


def test_a_wrong_method_on_an_api_path_is_a_json_405_naming_what_is_allowed(customer):
    client, headers = browser_for(customer.user)
    response = client.delete("/api/sessions/1", headers=headers)
    assert response.status_code == 405
    assert response["Content-Type"].startswith("application/json")
    assert response["Allow"] == "GET"
    body = ErrorOut.model_validate(response.json())
    assert body.error == "method_not_allowed" and "Allowed: GET" in body.detail


def test_a_page_outside_the_api_keeps_its_html_404(customer):
    client, _ = browser_for(customer.user)
    response = client.get("/no-such-page/")
    assert response.status_code == 404 and response["Content-Type"].startswith("text/html")


def test_under_asgi_an_unknown_api_path_is_the_same_json_404(customer):
    """The shaping middleware is async-capable: uvicorn runs it on its loop (no thread hop) and
    the answer is the same."""
    from asgiref.sync import async_to_sync
    from django.test import AsyncClient

    from autodoctor.api import ApiErrorShapeMiddleware

    assert ApiErrorShapeMiddleware.async_capable
    response = async_to_sync(AsyncClient().get)("/api/nope/")
    assert response.status_code == 404 and response.json()["error"] == "not_found"
