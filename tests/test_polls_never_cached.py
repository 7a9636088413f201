"""Every live poll answers with headers that keep browsers and proxies from storing it."""

import pytest

from tests.factories import client_for, make_customer, make_session

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


def assert_never_cached(response) -> None:
    assert response.status_code in (200, 204, 286), response.status_code
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]


def test_the_customer_polls_are_never_cached():
    customer = make_customer("alice")
    session = make_session(customer)
    client = client_for(customer.user)
    assert_never_cached(client.get("/customer/banner/", headers=HTMX))
    assert_never_cached(client.get(f"/sessions/{session.pk}/status/", headers=HTMX))
    assert_never_cached(client.get(f"/sessions/{session.pk}/messages/", headers=HTMX))
