"""A database outage is answered 503 + Retry-After (JSON under /api/, a static page otherwise);
/readyz/ reports it; /healthz/ does not look. Only the database call is faked: the cursor of the
default connection raises what psycopg raises when the server is gone."""

import logging
from contextlib import contextmanager
from unittest.mock import patch

import pytest
from asgiref.sync import async_to_sync
from django.db import IntegrityError, OperationalError, connections
from django.test import AsyncClient, Client

from autodoctor.middleware import RETRY_AFTER_SECONDS
from tests.factories import client_for, make_customer, make_mechanic, make_session

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


@contextmanager
def database_down(error: Exception | None = None):
    error = error or OperationalError("connection to server at 127.0.0.1 failed: Connection refused")
    with patch.object(connections["default"], "cursor", side_effect=error):
        yield


def assert_json_503(response) -> None:
    assert response.status_code == 503
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["error"] == "service_unavailable"
    assert "try again" in body["detail"]


def assert_html_503(response) -> None:
    assert response.status_code == 503
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert response["Content-Type"].startswith("text/html")
    assert b"Back in a moment" in response.content


@pytest.fixture
def mechanic_client() -> Client:
    return client_for(make_mechanic("mike").user)


def test_api_endpoint_answers_json_503(mechanic_client, caplog):
    assert mechanic_client.get("/api/mechanic/queue").status_code == 200
    with caplog.at_level(logging.WARNING), database_down():
        response = mechanic_client.get("/api/mechanic/queue")
    assert_json_503(response)
    assert [(r.name, r.levelname) for r in caplog.records] == [("autodoctor.middleware", "WARNING")]


def test_api_endpoint_answers_json_503_with_debug_on(mechanic_client, settings):
    """With DEBUG on, django-ninja answers unhandled errors itself (a 500 traceback)."""
    settings.DEBUG = True
    with database_down():
        response = mechanic_client.get("/api/mechanic/queue")
    assert_json_503(response)


def test_page_answers_html_503_when_the_session_cannot_be_loaded(mechanic_client, caplog):
    """The signed-in user is read from the database before the view body runs."""
    assert mechanic_client.get("/mechanic/dashboard/").status_code == 200
    with caplog.at_level(logging.WARNING), database_down():
        response = mechanic_client.get("/mechanic/dashboard/")
    assert_html_503(response)
    assert [(r.name, r.levelname) for r in caplog.records] == [("autodoctor.middleware", "WARNING")]
    assert "Database unavailable, answered 503: GET /mechanic/dashboard/ (OperationalError" in caplog.text


def test_htmx_chat_post_answers_503_and_stores_nothing():
    customer = make_customer("alice")
    session = make_session(customer)
    client = client_for(customer.user)
    with database_down():
        response = client.post(f"/sessions/{session.pk}/messages/", {"body": "still there?"}, headers=HTMX)
    assert_html_503(response)
    assert not session.messages.exists()


def test_a_json_client_gets_json_on_a_page_url(mechanic_client):
    with database_down():
        response = mechanic_client.get("/mechanic/dashboard/", headers={"Accept": "application/json"})
    assert_json_503(response)


def test_a_browser_accept_header_gets_the_page(mechanic_client):
    accept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    with database_down():
        response = mechanic_client.get("/mechanic/dashboard/", headers={"Accept": accept})
    assert_html_503(response)


def test_interface_error_is_an_outage_too(mechanic_client):
    from django.db import InterfaceError

    with database_down(InterfaceError("connection already closed")):
        response = mechanic_client.get("/api/mechanic/queue")
    assert_json_503(response)


def test_integrity_error_is_not_an_outage(mechanic_client):
    """Conflicts and bugs keep their own handling: the middleware lets them through."""
    with database_down(IntegrityError("duplicate key")), pytest.raises(IntegrityError):
        mechanic_client.get("/mechanic/dashboard/")


@pytest.mark.urls("tests.faults.outage_urls")
def test_a_failing_session_save_after_the_view_answers_503():
    """SessionMiddleware saves the session after the view returned: Django has already turned
    that error into its 500 response when it reaches our middleware, which swaps it for the 503."""
    client = Client(raise_request_exception=False)
    assert client.get("/remember/").status_code == 200
    with database_down():
        response = Client(raise_request_exception=False).get("/remember/")
    assert_html_503(response)


@pytest.mark.urls("tests.faults.outage_urls")
def test_async_stack_answers_503_too():
    """Under ASGI the middleware runs async (no thread hop), with the same answer."""
    get = async_to_sync(AsyncClient().get)
    assert_json_503(get("/async-lost/", headers={"Accept": "application/json"}))


def test_readyz_is_ready_when_the_database_answers(client):
    response = client.get("/readyz/")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "database": "ok"}
    assert "no-store" in response["Cache-Control"]
    assert not response.has_header("Retry-After")


def test_readyz_answers_head_for_load_balancers_that_send_it(client):
    assert client.head("/readyz/").status_code == 200
    with database_down():
        assert client.head("/readyz/").status_code == 503


def test_readyz_is_unavailable_when_the_database_does_not_answer(client):
    with database_down():
        response = client.get("/readyz/")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "unavailable"}
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert "no-store" in response["Cache-Control"]


class FakeBroker:
    def __init__(self, error: Exception | None) -> None:
        self.error = error

    def ping(self) -> bool:
        if self.error:
            raise self.error
        return True


@pytest.mark.parametrize(
    ("error", "status", "broker"), [(None, 200, "ok"), (ConnectionError("refused"), 503, "unavailable")]
)
def test_readyz_pings_the_redis_broker_when_there_is_one(client, settings, error, status, broker):
    settings.REDIS_URL = "redis://127.0.0.1:6379/0"
    with patch("autodoctor.views.get_broker", return_value=FakeBroker(error)):
        response = client.get("/readyz/")
    assert response.status_code == status
    assert response.json()["database"] == "ok"
    assert response.json()["broker"] == broker


def test_readyz_leaves_the_orm_broker_alone(client, settings):
    settings.REDIS_URL = ""
    with patch("autodoctor.views.get_broker") as get_broker:
        assert client.get("/readyz/").status_code == 200
    get_broker.assert_not_called()


def test_healthz_does_not_touch_the_database(client):
    with database_down():
        response = client.get("/healthz/")
    assert response.status_code == 200
    assert response.content == b"ok"
