"""Repair quotes through the JSON API: same rules and 409s as the pages, field-level 400s."""

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from quotes.models import QuoteStatus, RepairQuote
from sessions_app.models import SessionEvent
from sessions_app.transitions import SessionEventType
from tests.factories import client_for, make_customer, make_mechanic

from .helpers import send_quote, with_twelve_lines

pytestmark = pytest.mark.django_db


def post(client: Client, url: str, body: dict | None = None):
    return client.post(url, json.dumps(body or {}), content_type="application/json")


def quote_body(**overrides) -> dict:
    body = {
        "lines": [
            {"kind": "part", "description": "Brake pads", "quantity": 1, "unit_price_cents": 8999},
            {"kind": "labour", "description": "Fit pads", "quantity": "1.5", "unit_price_cents": 9555},
        ],
        "valid_until": (timezone.localdate() + timedelta(days=7)).isoformat(),
        "tax_rate_percent": "8.25",
        "note": "Pads at 2 mm",
    }
    return {**body, **overrides}


def line(**overrides) -> dict:
    return {"kind": "part", "description": "Pads", "quantity": 1, "unit_price_cents": 100, **overrides}


def test_the_mechanic_sends_and_everyone_in_the_session_reads(done, mike_client, alice_client):
    response = post(mike_client, f"/api/sessions/{done.pk}/quotes", quote_body())
    assert response.status_code == 201, response.content
    quote = response.json()
    assert quote["status"] == "sent" and quote["total_cents"] == 25257 and quote["tax_cents"] == 1925
    assert [x["line_total_cents"] for x in quote["lines"]] == [8999, 14333]
    assert quote["lines"][1]["quantity"] == "1.50" and quote["tax_rate_percent"] == "8.25"
    assert alice_client.get(f"/api/quotes/{quote['id']}").json() == quote
    assert alice_client.get(f"/api/sessions/{done.pk}/quotes").json() == {"quotes": [quote]}
    again = post(mike_client, f"/api/sessions/{done.pk}/quotes", quote_body())
    assert again.status_code == 409 and again.json()["error"] == "quote_open"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (quote_body(lines=[]), "lines"),
        (quote_body(lines=[line()] * 31), "lines"),
        (quote_body(lines=[line(unit_price_cents=-1)]), "lines.0.unit_price_cents"),
        (quote_body(lines=[line(quantity=0)]), "lines.0.quantity"),
        (quote_body(lines=[line(quantity="0.001")]), "lines.0.quantity"),
        (quote_body(lines=[line(kind="tyre")]), "lines.0.kind"),
        (quote_body(lines=[line(description="   ")]), "lines.0.description"),
        (quote_body(lines=[line(description="x" * 201)]), "lines.0.description"),
        (quote_body(valid_until="2020-01-01"), "valid_until"),
        (quote_body(valid_until=timezone.localdate().isoformat()), "valid_until"),
        (quote_body(tax_rate_percent=-1), "tax_rate_percent"),
        (quote_body(note="x" * 2001), "note"),
    ],
)
def test_bad_input_is_a_field_level_400_and_saves_nothing(done, mike_client, body, field):
    response = post(mike_client, f"/api/sessions/{done.pk}/quotes", body)
    assert response.status_code == 400, response.content
    assert response.json()["error"] == "invalid_input" and response.json()["field"] == field
    assert not RepairQuote.objects.exists()


def test_the_customer_approves_once_and_then_decline_is_409(done, alice_client):
    quote = send_quote(done)
    first = post(alice_client, f"/api/quotes/{quote.pk}/approve")
    second = post(alice_client, f"/api/quotes/{quote.pk}/approve")
    assert first.status_code == second.status_code == 200
    assert first.json() == second.json() and first.json()["status"] == "approved"
    assert SessionEvent.objects.filter(type=SessionEventType.QUOTE_APPROVED).count() == 1
    refused = post(alice_client, f"/api/quotes/{quote.pk}/decline", {"reason": "changed my mind"})
    assert refused.status_code == 409 and refused.json()["error"] == "quote_decided"
    assert "already approved" in refused.json()["detail"]


def test_approve_after_decline_and_after_expiry_are_409_with_the_reason(done, alice_client, clock):
    declined = send_quote(done)
    assert post(alice_client, f"/api/quotes/{declined.pk}/decline", {"reason": "no"}).status_code == 200
    refused = post(alice_client, f"/api/quotes/{declined.pk}/approve")
    assert refused.status_code == 409 and "already declined" in refused.json()["detail"]
    late = send_quote(done, days=1)
    clock.advance(days=2)
    expired = post(alice_client, f"/api/quotes/{late.pk}/approve")
    assert expired.status_code == 409 and expired.json()["error"] == "quote_expired"
    assert expired.json()["detail"].endswith("ask the mechanic for a new one.")
    assert alice_client.get(f"/api/quotes/{late.pk}").json()["status"] == QuoteStatus.EXPIRED


def test_strangers_get_404_and_roles_are_kept(done, alice_client, mike_client):
    quote = send_quote(done)
    stranger = client_for(make_customer().user)
    other_mechanic = client_for(make_mechanic().user)
    for client in (stranger, other_mechanic):
        assert client.get(f"/api/quotes/{quote.pk}").status_code == 404
        assert client.get(f"/api/sessions/{done.pk}/quotes").status_code == 404
        assert post(client, f"/api/quotes/{quote.pk}/approve").status_code == 404
    assert post(other_mechanic, f"/api/sessions/{done.pk}/quotes", quote_body()).status_code == 404
    assert post(mike_client, f"/api/quotes/{quote.pk}/approve").status_code == 404  # not the customer
    assert post(alice_client, f"/api/sessions/{done.pk}/quotes", quote_body()).status_code == 403
    assert Client().get(f"/api/quotes/{quote.pk}").status_code == 401
    assert RepairQuote.objects.get().status == QuoteStatus.SENT


def test_read_query_counts(done, alice_client, django_assert_num_queries):
    quote = with_twelve_lines(send_quote(done))
    with django_assert_num_queries(4):  # session, user; the quote with its people; its lines
        assert alice_client.get(f"/api/quotes/{quote.pk}").status_code == 200
    with django_assert_num_queries(5):  # session, user; the session; its quotes; their lines
        assert alice_client.get(f"/api/sessions/{done.pk}/quotes").status_code == 200
