"""Ask before expiry on the customer's side: the banner's question and expiry time, its Keep
waiting / Cancel request answers (htmx and plain posts), the API, and the pinned query counts."""

import json
from datetime import timedelta

import pytest
from django.test import Client

from autodoctor.api import ErrorOut
from billing.services import credit_balance
from customers.selectors import banner_stamp
from sessions_app.models import Session, SessionEvent
from sessions_app.services import session_accept, sessions_ask_before_expiry, sessions_expire_stale
from sessions_app.wait_links import wait_link_token
from tests.factories import make_customer, make_mechanic, make_session, open_assignment

pytestmark = pytest.mark.django_db

MINUTE = timedelta(minutes=1)
BANNER = "/customer/banner/"


def fresh(session: Session) -> Session:
    return Session.objects.get(pk=session.pk)


def asked_session(customer, clock, **kwargs) -> Session:
    session = make_session(customer, **kwargs)
    clock.advance(minutes=90)
    assert sessions_ask_before_expiry() == 1
    return fresh(session)


def dashboard(client) -> str:
    return client.get("/customer/dashboard/").content.decode()


# --- the banner ----------------------------------------------------------------------------------


def test_a_pending_banner_says_when_the_request_expires(customer, customer_client, clock):
    session = make_session(customer)
    html = dashboard(customer_client)
    expires = session.queued_at + 120 * MINUTE
    assert 'data-testid="banner-expiry"' in html
    assert f'<time datetime="{expires.isoformat()}">{expires:%H:%M}</time>' in html
    assert "Keep waiting" not in html  # not asked before 90 minutes
    clock.advance(minutes=89)
    assert "Keep waiting" not in dashboard(customer_client)


def test_at_90_minutes_the_banner_asks_with_two_buttons(customer, customer_client, clock):
    session = asked_session(customer, clock)
    html = dashboard(customer_client)
    assert 'data-testid="banner-wait-ask"' in html and "Keep waiting or cancel?" in html
    assert f'action="/customer/sessions/{session.pk}/wait/"' in html  # works without JS
    assert 'name="answer" value="keep"' in html and ">Keep waiting</button>" in html
    assert 'name="answer" value="cancel"' in html and ">Cancel request</button>" in html
    until = session.queued_at + 180 * MINUTE
    assert f'holds your place until <time datetime="{until.isoformat()}">{until:%H:%M}</time>' in html


def test_the_banner_mentions_a_refund_only_when_something_was_paid(customer, customer_client, clock):
    paid = asked_session(customer, clock, plan_code="quick-chat", pay_with="credits")
    assert "cancelling refunds what you paid" in dashboard(customer_client)
    customer_client.post(f"/api/sessions/{paid.pk}/cancel")
    asked_session(customer, clock)  # free
    html = dashboard(customer_client)
    assert "Keep waiting or cancel?" in html and "refund" not in html


def test_the_ask_changes_the_banner_stamp(customer, clock):
    session = make_session(customer)
    before = banner_stamp(customer=customer).version
    clock.advance(minutes=90)
    sessions_ask_before_expiry()
    assert banner_stamp(customer=customer).version != before
    assert SessionEvent.objects.filter(session=session, type="wait_asked").exists()


def test_the_banner_poll_shows_the_question_and_its_query_count_is_pinned(
    customer, customer_client, clock, django_assert_num_queries
):
    make_session(customer)
    version = banner_stamp(customer=customer).version
    customer_client.get(BANNER, {"v": version})  # warm up
    clock.advance(minutes=90)
    sessions_ask_before_expiry()
    # The same 12 as any changed pending banner (tests/customers/test_banner.py): the question
    # and the expiry are columns of the session row it already reads.
    with django_assert_num_queries(12):
        response = customer_client.get(BANNER, {"v": version})
    assert response.status_code == 200 and b"Keep waiting or cancel?" in response.content


def test_keep_waiting_from_the_banner_with_htmx(customer, customer_client, clock):
    session = asked_session(customer, clock)
    url = f"/customer/sessions/{session.pk}/wait/"
    response = customer_client.post(url, {"answer": "keep"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    toast = json.loads(response["HX-Trigger"])["toast"]
    assert toast["level"] == "success" and toast["message"].startswith("Thanks for waiting")
    html = response.content.decode()
    assert "Keep waiting or cancel?" not in html  # answered: the question goes
    until = session.queued_at + 180 * MINUTE
    assert f"{until:%H:%M}</time></strong> (you chose to keep waiting)" in html
    assert fresh(session).wait_extended_until == until

    again = customer_client.post(url, {"answer": "keep"}, HTTP_HX_REQUEST="true")
    toast = json.loads(again["HX-Trigger"])["toast"]
    assert (
        toast["message"].startswith("You already chose to keep waiting")
        and f"{until:%H:%M}" in toast["message"]
    )
    assert SessionEvent.objects.filter(session=session, type="wait_extended").count() == 1


def test_cancel_from_the_banner_without_js_refunds_and_redirects(customer, customer_client, clock):
    session = asked_session(customer, clock, plan_code="quick-chat", pay_with="credits")
    before = credit_balance(customer=customer)
    response = customer_client.post(
        f"/customer/sessions/{session.pk}/wait/", {"answer": "cancel"}, follow=True
    )
    assert response.redirect_chain[-1][0] == "/customer/dashboard/"
    assert "Your request was cancelled" in response.content.decode()
    assert fresh(session).status == "cancelled"
    assert credit_balance(customer=customer) == before + 1


def test_cancel_with_htmx_removes_the_banner_and_refreshes_the_dashboard(customer, customer_client, clock):
    session = asked_session(customer, clock)
    response = customer_client.post(
        f"/customer/sessions/{session.pk}/wait/", {"answer": "cancel"}, HTTP_HX_REQUEST="true"
    )
    triggers = json.loads(response["HX-Trigger"])
    assert triggers["session-ended"] == {"session_id": session.pk}
    assert b"session-banner-empty" in response.content


def test_answers_after_a_mechanic_took_it_or_it_expired_say_so(customer, customer_client, clock):
    session = asked_session(customer, clock)
    session_accept(assignment=open_assignment(session), mechanic=make_mechanic("mike"))
    response = customer_client.post(f"/customer/sessions/{session.pk}/wait/", {"answer": "keep"}, follow=True)
    assert "A mechanic already took your request" in response.content.decode()
    assert fresh(session).wait_extended_until is None

    other = make_customer("bob")
    late = asked_session(other, clock)
    clock.advance(minutes=31)
    sessions_expire_stale()
    client = Client()
    client.force_login(other.user)
    response = client.post(f"/customer/sessions/{late.pk}/wait/", {"answer": "keep"}, HTTP_HX_REQUEST="true")
    toast = json.loads(response["HX-Trigger"])["toast"]
    assert toast["level"] == "error" and "already expired" in toast["message"]


def test_only_the_customer_answers_and_only_by_post(customer, customer_client, clock):
    session = asked_session(customer, clock)
    url = f"/customer/sessions/{session.pk}/wait/"
    assert customer_client.get(url).status_code == 405
    stranger = Client()
    stranger.force_login(make_customer("mallory").user)
    assert stranger.post(url, {"answer": "keep"}).status_code == 404
    mechanic = Client()
    mechanic.force_login(make_mechanic("mike").user)
    assert mechanic.post(url, {"answer": "keep"}).status_code == 403
    assert Client().post(url, {"answer": "keep"}).status_code == 302  # to the login page
    response = customer_client.post(url, {"answer": "maybe"}, follow=True)
    assert "Choose Keep waiting or Cancel request" in response.content.decode()
    assert fresh(session).wait_extended_until is None


def test_the_link_page_query_count_is_pinned(customer, clock, django_assert_num_queries):
    session = asked_session(customer, clock)
    token = wait_link_token(session)
    client = Client()
    client.get(f"/customer/wait/{token}/")  # warm up
    with django_assert_num_queries(1):  # the session with its plan, customer, user and mechanic
        assert client.get(f"/customer/wait/{token}/").status_code == 200


# --- the API -------------------------------------------------------------------------------------


def test_active_session_payload_says_asked_at_and_expires_at(customer, customer_client, clock):
    session = make_session(customer)
    data = customer_client.get("/api/customer/active-session").json()["session"]
    assert data["asked_at"] is None and data["wait_extended"] is False
    assert data["expires_at"] == (session.queued_at + 120 * MINUTE).isoformat().replace("+00:00", "Z")
    clock.advance(minutes=90)
    sessions_ask_before_expiry()
    data = customer_client.get("/api/customer/active-session").json()["session"]
    assert data["asked_at"] == clock.now.isoformat().replace("+00:00", "Z")


def test_keep_waiting_api_200_then_200_no_op(customer, customer_client, clock):
    session = asked_session(customer, clock)
    url = f"/api/sessions/{session.pk}/keep-waiting"
    response = customer_client.post(url)
    assert response.status_code == 200
    body = response.json()
    assert body["extended"] is True and body["session"]["id"] == session.pk
    assert body["session"]["status"] == "pending" and body["detail"].startswith("Thanks for waiting")
    data = customer_client.get("/api/customer/active-session").json()["session"]
    until = (session.queued_at + 180 * MINUTE).isoformat().replace("+00:00", "Z")
    assert data["expires_at"] == until and data["wait_extended"] is True

    again = customer_client.post(url)
    assert again.status_code == 200
    assert again.json()["extended"] is False
    assert again.json()["detail"].startswith("You already chose to keep waiting")


@pytest.mark.parametrize(
    ("how", "code"),
    [("taken", "already_taken"), ("expired", "already_expired"), ("cancelled", "not_pending")],
)
def test_keep_waiting_api_409_when_not_pending(customer, customer_client, clock, how, code):
    session = asked_session(customer, clock)
    if how == "taken":
        session_accept(assignment=open_assignment(session), mechanic=make_mechanic("mike"))
    elif how == "expired":
        clock.advance(minutes=31)
        assert sessions_expire_stale() == 1
    else:
        customer_client.post(f"/api/sessions/{session.pk}/cancel")
    response = customer_client.post(f"/api/sessions/{session.pk}/keep-waiting")
    assert response.status_code == 409
    body = ErrorOut.model_validate(response.json())
    assert body.error == code and body.detail.endswith(".")


def test_keep_waiting_api_404_for_someone_else_and_403_for_a_mechanic(customer_client, clock):
    other = make_session(make_customer("bob"))
    assert customer_client.post(f"/api/sessions/{other.pk}/keep-waiting").status_code == 404
    mechanic = Client()
    mechanic.force_login(make_mechanic("mike").user)
    assert mechanic.post(f"/api/sessions/{other.pk}/keep-waiting").status_code == 403
    assert fresh(other).wait_extended_until is None


def test_keep_waiting_is_documented_with_its_errors(client):
    op = client.get("/api/openapi.json").json()["paths"]["/api/sessions/{session_id}/keep-waiting"]["post"]
    assert {200, 404, 409} <= {int(code) for code in op["responses"]}
