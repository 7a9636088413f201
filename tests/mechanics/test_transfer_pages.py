"""Transfers through the JSON API and the dashboard pages (issue 14)."""

import json

import pytest
from django.test import Client

from mechanics.models import Workshop
from sessions_app.models import SessionTransfer
from sessions_app.services import session_accept, transfer_offer
from tests.factories import client_for, make_customer, make_mechanic, make_session, open_assignment

from .conftest import HTMX

pytestmark = pytest.mark.django_db

TRANSFER_KEYS = {
    "id",
    "session_id",
    "status",
    "session_status",
    "type",
    "plan",
    "customer_first_name",
    "from_mechanic",
    "to_mechanic",
    "note",
    "reason",
    "created_at",
    "lapses_at",
    "answered_at",
    "accept_url",
    "decline_url",
}


def post(client: Client, url: str, body: dict | None = None):
    return client.post(url, json.dumps(body or {}), content_type="application/json")


def assert_error(response, status: int, code: str) -> None:
    assert response.status_code == status, response.content
    body = response.json()
    assert body["error"] == code and len(body["detail"]) > 10, body


def held_by(mechanic, **kwargs):
    session = make_session(**kwargs)
    return session_accept(assignment=open_assignment(session), mechanic=mechanic)


@pytest.fixture
def ann():
    return make_mechanic("ann")


@pytest.fixture
def sam():
    return make_mechanic("sam")


def test_api_offer_accept_round_trip(ann, sam):
    session = held_by(ann, customer=make_customer(full_name="Alice Walker"))
    a, s = client_for(ann.user), client_for(sam.user)

    response = post(a, f"/api/sessions/{session.pk}/transfer", {"to_mechanic": sam.pk, "note": "Brakes"})
    assert response.status_code == 201, response.content
    offer = response.json()
    assert set(offer) == TRANSFER_KEYS
    assert offer["status"] == "offered" and offer["customer_first_name"] == "Alice"
    assert offer["from_mechanic"] == {"id": ann.pk, "name": ann.display_name}
    assert offer["to_mechanic"]["id"] == sam.pk and offer["note"] == "Brakes"

    listed = s.get("/api/mechanic/transfers").json()
    assert [t["id"] for t in listed["offered_to_me"]] == [offer["id"]] and listed["mine"] == []
    assert [t["id"] for t in a.get("/api/mechanic/transfers").json()["mine"]] == [offer["id"]]

    assert_error(
        post(a, f"/api/sessions/{session.pk}/transfer", {"to_mechanic": sam.pk}), 409, "transfer_open"
    )

    response = post(s, offer["accept_url"])
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["url"] == f"/chat/{session.pk}/"
    assert body["session"]["mechanic_name"] == sam.display_name and body["transfer"]["status"] == "accepted"
    # The customer's view of the session names the new mechanic.
    customer = client_for(session.customer.user)
    assert customer.get(f"/api/sessions/{session.pk}").json()["mechanic_name"] == sam.display_name
    # ann no longer holds it: 404 on its actions.
    assert post(a, f"/api/sessions/{session.pk}/release").status_code == 404


def test_api_decline_withdraw_and_refusals(ann, sam):
    session = held_by(ann)
    a, s = client_for(ann.user), client_for(sam.user)
    offer = post(a, f"/api/sessions/{session.pk}/transfer", {"to_mechanic": sam.pk}).json()

    response = post(s, offer["decline_url"], {"reason": "Going home"})
    assert response.status_code == 200 and response.json()["status"] == "declined"
    assert response.json()["reason"] == "Going home"
    assert_error(post(s, offer["accept_url"]), 409, "transfer_closed")

    offer = post(a, f"/api/sessions/{session.pk}/transfer", {"to_mechanic": sam.pk}).json()
    assert post(a, f"/api/transfers/{offer['id']}/withdraw").json()["status"] == "withdrawn"
    assert_error(post(s, offer["accept_url"]), 409, "transfer_closed")

    # At capacity.
    held_by(sam)
    offer = post(a, f"/api/sessions/{session.pk}/transfer", {"to_mechanic": sam.pk}).json()
    assert_error(post(s, offer["accept_url"]), 409, "at_capacity")


def test_api_outsiders_get_404_and_bad_input_400(ann, sam):
    session = held_by(ann)
    a = client_for(ann.user)
    offer = post(a, f"/api/sessions/{session.pk}/transfer", {"to_mechanic": sam.pk}).json()
    stranger = client_for(make_mechanic().user)
    for url in (offer["accept_url"], offer["decline_url"], f"/api/transfers/{offer['id']}/withdraw"):
        assert_error(post(stranger, url), 404, "not_found")
    assert_error(
        post(stranger, f"/api/sessions/{session.pk}/transfer", {"to_mechanic": sam.pk}), 404, "not_found"
    )
    # The offering mechanic cannot accept their own offer; a customer is not a mechanic.
    assert_error(post(a, offer["accept_url"]), 404, "not_found")
    assert_error(post(client_for(session.customer.user), offer["accept_url"]), 403, "forbidden")
    # Bad input: 400 naming the field.
    other = held_by(make_mechanic(capacity=2))
    mech = client_for(other.mechanic.user)
    for body in ({}, {"to_mechanic": "x"}, {"to_mechanic": sam.pk, "note": "n" * 1001}):
        response = post(mech, f"/api/sessions/{other.pk}/transfer", body)
        assert response.status_code == 400 and response.json()["error"] == "invalid_input", body
    response = post(mech, f"/api/sessions/{other.pk}/transfer", {"to_mechanic": other.mechanic.pk})
    assert_error(response, 400, "invalid_input")
    assert response.json()["field"] == "to_mechanic"


def test_dashboard_shows_the_offer_and_accept_goes_to_the_room(ann, sam, django_assert_num_queries):
    session = held_by(ann, customer=make_customer(full_name="Alice Walker"))
    transfer = transfer_offer(session=session, mechanic=ann, to_mechanic_id=sam.pk, note="Knows brakes")
    s = client_for(sam.user)
    page = s.get("/mechanic/dashboard/").content.decode()
    assert f'data-transfer-id="{transfer.pk}"' in page
    assert "ann offers you Alice · Chat" in page.replace("Ann", "ann") and "Knows brakes" in page
    # The panel alone, for the live refresh: pinned.
    with django_assert_num_queries(4):  # session, user, mechanic, transfers
        panel = s.get("/mechanic/dashboard/panels/offers/", headers=HTMX).content.decode()
    assert "Knows brakes" in panel
    # The offering mechanic's card says it is waiting for an answer, with Withdraw.
    own = client_for(ann.user).get("/mechanic/dashboard/").content.decode()
    assert "Offered to <strong>" in own and "Withdraw offer" in own

    response = s.post(f"/mechanic/transfers/{transfer.pk}/accept/")
    assert response.status_code == 302 and response["Location"] == f"/chat/{session.pk}/"
    session.refresh_from_db()
    assert session.mechanic_id == sam.pk
    assert f'data-transfer-id="{transfer.pk}"' not in s.get("/mechanic/dashboard/").content.decode()


def test_dashboard_offer_form_and_decline(ann, sam):
    session = held_by(ann)
    a = client_for(ann.user)
    page = a.get("/mechanic/dashboard/").content.decode()
    assert "Transfer…" in page and f'<option value="{sam.pk}">' in page
    response = a.post(
        f"/mechanic/sessions/{session.pk}/transfer/",
        {"to_mechanic": sam.pk, "note": "Over to you"},
        headers=HTMX,
    )
    assert response.status_code == 204
    assert "dashboard-changed" in response["HX-Trigger"]
    transfer = SessionTransfer.objects.get()
    response = client_for(sam.user).post(f"/mechanic/transfers/{transfer.pk}/decline/", {"reason": "Busy"})
    assert response.status_code == 302
    page = a.get("/mechanic/dashboard/").content.decode()
    assert "declined your transfer: “Busy”" in page and "Transfer…" in page
    # Errors are messages, not 500s: no colleague chosen; outsiders 404.
    response = a.post(f"/mechanic/sessions/{session.pk}/transfer/", {"to_mechanic": ""}, follow=True)
    assert "Choose a colleague" in response.content.decode()
    stranger = client_for(make_mechanic().user)
    assert stranger.post(f"/mechanic/transfers/{transfer.pk}/accept/").status_code == 404
    assert (
        stranger.post(f"/mechanic/sessions/{session.pk}/transfer/", {"to_mechanic": sam.pk}).status_code
        == 404
    )


def test_workshop_card_lists_only_workshop_colleagues():
    garage = Workshop.objects.create(name="Downtown Garage")
    maria = make_mechanic("maria", workshop=garage)
    mo = make_mechanic("mo", workshop=garage)
    max_ = make_mechanic("max")
    held_by(maria, customer=make_customer(workshop=garage))
    page = client_for(maria.user).get("/mechanic/dashboard/").content.decode()
    assert f'<option value="{mo.pk}">' in page and f'<option value="{max_.pk}">' not in page


def test_an_offer_past_its_time_leaves_the_panel(ann, sam, clock):
    transfer = transfer_offer(session=held_by(ann), mechanic=ann, to_mechanic_id=sam.pk)
    s = client_for(sam.user)
    clock.advance(minutes=4, seconds=59)
    assert (
        f'data-transfer-id="{transfer.pk}"'
        in s.get("/mechanic/dashboard/panels/offers/", headers=HTMX).content.decode()
    )
    clock.advance(seconds=1)
    assert (
        f'data-transfer-id="{transfer.pk}"'
        not in s.get("/mechanic/dashboard/panels/offers/", headers=HTMX).content.decode()
    )
    assert s.get("/api/mechanic/transfers").json()["offered_to_me"] == []
