"""What the schema fuzzer found, pinned on both databases: a body Django cannot parse is the
client's 400, not our 500, and a refused CSRF check is a 403 in the API's error shape."""

import pytest
from django.middleware.csrf import CSRF_ALLOWED_CHARS
from django.test import Client
from django.utils.crypto import get_random_string

from tests.factories import make_customer, plan

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
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["error"] == code and body["detail"]
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
