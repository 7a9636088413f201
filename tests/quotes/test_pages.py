"""The quote pages: compose and send, answer in the app, the email's signed link; access and
query counts."""

import re
from datetime import timedelta

import pytest
from django.core import mail, signing
from django.utils import timezone

from quotes.links import MAX_AGE, quote_link_token
from quotes.models import QuoteStatus, RepairQuote
from sessions_app.models import SessionEvent
from sessions_app.transitions import SessionEventType
from tests.factories import client_for, make_customer, make_mechanic

from .helpers import completed_session, send_quote, with_twelve_lines

pytestmark = pytest.mark.django_db


def compose_data(**overrides) -> dict:
    data = {
        "lines-TOTAL_FORMS": "2",
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "1",
        "lines-MAX_NUM_FORMS": "30",
        "lines-0-kind": "part",
        "lines-0-description": "Front brake pads",
        "lines-0-quantity": "1",
        "lines-0-unit_price": "89.99",
        "lines-1-kind": "labour",
        "lines-1-description": "Fit pads",
        "lines-1-quantity": "1.5",
        "lines-1-unit_price": "95.55",
        "valid_until": (timezone.localdate() + timedelta(days=7)).isoformat(),
        "tax_rate_percent": "8.25",
        "note": "",
    }
    return {**data, **overrides}


def test_the_mechanic_composes_and_sends_from_the_page(done, mike_client, committed):
    url = f"/quotes/sessions/{done.pk}/new/"
    page = mike_client.get(url)
    assert page.status_code == 200 and b"Send quote to Alice" in page.content
    with committed():
        response = mike_client.post(url, compose_data())
    assert response.status_code == 302 and response["Location"] == f"/video/{done.pk}/#quote"
    quote = RepairQuote.objects.get()
    assert (quote.subtotal_cents, quote.tax_cents, quote.total_cents) == (23332, 1925, 25257)
    assert [x.unit_price_cents for x in quote.lines.all()] == [8999, 9555]
    assert len(mail.outbox) == 1
    room = mike_client.get(f"/video/{done.pk}/")
    assert b"Awaiting the customer" in room.content and b"$252.57" in room.content
    again = mike_client.get(url)
    assert b"Waiting for the customer" in again.content and b"Send quote" not in again.content


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"lines-0-quantity": "0"}, "greater than or equal to 0.01"),
        ({"lines-0-unit_price": "-5"}, "greater than or equal to 0"),
        ({"lines-0-description": ""}, "Describe the part or the work."),
        ({"valid_until": "2020-01-01"}, "Choose a date after today"),
        ({"lines-0-DELETE": "on", "lines-1-DELETE": "on"}, "Please submit at least 1 form."),
        ({"lines-TOTAL_FORMS": "31"}, "Please submit at most 30 forms."),
        ({"note": "x" * 2001}, "at most 2000 characters"),
    ],
)
def test_bad_input_shows_next_to_the_field_and_saves_nothing(done, mike_client, change, message):
    response = mike_client.post(f"/quotes/sessions/{done.pk}/new/", compose_data(**change))
    assert response.status_code == 200 and message in response.content.decode()
    assert not RepairQuote.objects.exists()


def test_add_a_line_without_javascript_keeps_what_was_typed(done, mike_client):
    response = mike_client.post(f"/quotes/sessions/{done.pk}/new/", compose_data(add_line="1"))
    body = response.content.decode()
    assert 'name="lines-TOTAL_FORMS" value="3"' in body and 'name="lines-2-description"' in body
    assert 'value="Front brake pads"' in body and not RepairQuote.objects.exists()


def test_the_preview_shows_totals_by_the_stored_rule(done, mike_client):
    response = mike_client.post(f"/quotes/sessions/{done.pk}/preview/", compose_data())
    body = response.content.decode()
    assert "$233.32" in body and "$19.25" in body and "$252.57" in body
    assert not RepairQuote.objects.exists()


def test_compose_is_not_found_for_others_and_refused_for_chat(done, alice_client):
    assert alice_client.get(f"/quotes/sessions/{done.pk}/new/").status_code == 403  # not a mechanic
    assert client_for(make_mechanic().user).get(f"/quotes/sessions/{done.pk}/new/").status_code == 404
    chat = completed_session(mechanic=done.mechanic, plan_code="free-chat")
    page = client_for(done.mechanic.user).get(f"/quotes/sessions/{chat.pk}/new/")
    assert b"Repair quotes are sent from video and diagnostic sessions." in page.content
    assert b'id="quote-form"' not in page.content


def test_the_customer_approves_in_the_room(done, alice_client):
    quote = send_quote(done)
    room = alice_client.get(f"/video/{done.pk}/")
    assert b"Approve $252.57" in room.content
    response = alice_client.post(f"/quotes/{quote.pk}/approve/", {"next": f"/video/{done.pk}/"}, follow=True)
    assert b"Quote approved" in response.content and b"Approve $252.57" not in response.content
    assert RepairQuote.objects.get().status == QuoteStatus.APPROVED
    again = alice_client.post(f"/quotes/{quote.pk}/decline/", follow=True)
    assert b"already approved" in again.content


def test_the_customer_declines_with_a_reason(done, alice_client):
    quote = send_quote(done)
    alice_client.post(f"/quotes/{quote.pk}/decline/", {"reason": "Getting a second opinion"})
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.DECLINED and quote.decline_reason == "Getting a second opinion"


def test_someone_elses_quote_is_not_found(done):
    quote = send_quote(done)
    stranger = client_for(make_customer().user)
    assert stranger.post(f"/quotes/{quote.pk}/approve/").status_code == 404
    assert stranger.get(f"/video/{done.pk}/").status_code == 404
    assert client_for(done.mechanic.user).post(f"/quotes/{quote.pk}/approve/").status_code == 404
    assert RepairQuote.objects.get().status == QuoteStatus.SENT


def test_next_may_not_leave_the_site(done, alice_client):
    quote = send_quote(done)
    response = alice_client.post(f"/quotes/{quote.pk}/approve/", {"next": "https://evil.example/"})
    assert response["Location"] == f"/video/{done.pk}/#quote"


def link_of(quote) -> str:
    return f"/quotes/link/{quote_link_token(quote, customer_user_id=quote.session.customer.user_id)}/"


def test_the_email_link_confirms_first_and_acts_only_on_post(done, client, committed):
    with committed():
        quote = send_quote(done)
    link = re.search(r"http://testserver(/quotes/link/[^/\s]+/)", mail.outbox[0].body).group(1)
    page = client.get(link)  # not signed in
    assert page.status_code == 200 and b"Approve $252.57" in page.content
    assert RepairQuote.objects.get().status == QuoteStatus.SENT  # GET does nothing
    response = client.post(link, {"action": "approve"}, follow=True)
    assert b"Quote approved" in response.content
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.APPROVED and quote.decided_by == done.customer.user
    event = SessionEvent.objects.get(type=SessionEventType.QUOTE_APPROVED)
    assert event.actor == done.customer.user
    assert b"Approve $252.57" not in client.get(link).content


def test_the_link_declines_too(done, client):
    quote = send_quote(done)
    client.post(link_of(quote), {"action": "decline", "reason": "Too much"})
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.DECLINED and quote.decline_reason == "Too much"


def test_a_tampered_link_gets_a_clear_page(done, client):
    quote = send_quote(done)
    token = quote_link_token(quote, customer_user_id=done.customer.user_id)
    for bad in (
        token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1],
        "nonsense",
        token.replace(":", "", 1),
    ):
        response = client.get(f"/quotes/link/{bad}/")
        assert response.status_code == 400 and b"This link is not valid" in response.content
        client.post(f"/quotes/link/{bad}/", {"action": "approve"})
    forged = signing.dumps({"q": quote.pk, "u": make_customer().user_id}, salt="quotes.email-link.v1")
    assert client.get(f"/quotes/link/{forged}/").status_code == 400  # signed, but not this quote's customer
    other_salt = signing.dumps({"q": quote.pk, "u": done.customer.user_id}, salt="something-else")
    assert client.get(f"/quotes/link/{other_salt}/").status_code == 400
    assert RepairQuote.objects.get().status == QuoteStatus.SENT


def test_an_expired_link_gets_a_clear_page(done, client, monkeypatch):
    quote = send_quote(done, days=90)
    link = link_of(quote)
    assert quote.valid_until - quote.sent_at <= MAX_AGE  # the link outlives the quote
    later = signing.time.time() + MAX_AGE.total_seconds() + 60
    monkeypatch.setattr(signing.time, "time", lambda: later)
    response = client.post(link, {"action": "approve"})
    assert response.status_code == 410 and b"This link has expired" in response.content
    assert RepairQuote.objects.get().status == QuoteStatus.SENT


def test_the_link_of_an_expired_quote_says_so(done, client, clock):
    quote = send_quote(done, days=1)
    clock.advance(days=2)
    page = client.get(link_of(quote))
    assert b"This quote expired on" in page.content and b"Approve $" not in page.content
    response = client.post(link_of(quote), {"action": "approve"}, follow=True)
    assert b"ask the mechanic for a new one" in response.content
    assert RepairQuote.objects.get().status == QuoteStatus.EXPIRED


# --- query counts ------------------------------------------------------------------------------


def test_query_counts_are_flat_in_the_number_of_lines(
    done, alice_client, mike_client, client, django_assert_num_queries
):
    quote = with_twelve_lines(send_quote(done))
    # session, user, mechanic; the session; the latest quote with its people; its lines; the
    # mechanic's active-session banner on every mechanic page (2)
    with django_assert_num_queries(8):
        assert mike_client.get(f"/quotes/sessions/{done.pk}/new/").status_code == 200
    link = link_of(quote)
    with django_assert_num_queries(2):  # the quote with its people; its lines
        assert client.get(link).status_code == 200
    # the diagnostics report's 7 (diagnostics.views.report), the room's attachments (1), the
    # mechanic's active-session banner (2) + the quote; its lines
    with django_assert_num_queries(12):
        assert b"Repair quote" in mike_client.get(f"/mechanic/sessions/{done.pk}/report/").content
    # the room as before (11, with its shared photos) + the quote and its lines
    with django_assert_num_queries(13):
        assert b"Approve $" in alice_client.get(f"/video/{done.pk}/").content
    with django_assert_num_queries(14):  # the dashboard's 13 (credit packs included) + the quotes card
        assert b"Review and answer" in alice_client.get("/customer/dashboard/").content


def test_the_mechanics_history_links_to_the_quote_form_for_video_and_diagnostic(done, mike, mike_client):
    chat = completed_session(mechanic=mike, plan_code="free-chat")
    page = mike_client.get("/mechanic/dashboard/?tab=completed").content.decode()
    assert f'href="/quotes/sessions/{done.pk}/new/"' in page
    assert f'href="/quotes/sessions/{chat.pk}/new/"' not in page


def test_the_report_shows_the_quote(done, mike_client, alice):
    from quotes.services import quote_approve

    quote_approve(quote=send_quote(done), user=alice.user)
    page = mike_client.get(f"/mechanic/sessions/{done.pk}/report/").content.decode()
    assert "Repair quote" in page and "$252.57" in page and "Approved" in page and "Valid until" in page
