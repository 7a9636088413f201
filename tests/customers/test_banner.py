"""The active-session banner: what it shows, its cheap poll, and End Session."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from customers.selectors import banner_stamp
from sessions_app.services import session_accept, session_release, session_start
from tests.factories import make_customer, make_mechanic, make_session, open_assignment

pytestmark = pytest.mark.django_db

BANNER = "/customer/banner/"


def banner_html(client) -> str:
    return client.get("/customer/dashboard/").content.decode()


def test_pending_banner_shows_pill_plan_place_in_line_and_wait(customer, customer_client):
    make_session(make_customer("earlier"))
    session = make_session(customer, plan_code="video-30", pay_with="credits")
    html = banner_html(customer_client)
    assert 'id="session-banner"' in html
    assert 'class="pill pill-pending"' in html
    assert "Video Call (30 min)" in html and "Video · 30 min" in html
    assert "You are <strong>#2</strong> in line" in html
    assert "estimated wait about <strong>" in html
    assert f'href="/video/{session.pk}/">Return to Session' in html
    assert f'href="/customer/sessions/{session.pk}/end/"' in html  # End Session works without JS


def test_waiting_and_live_banner(customer, customer_client):
    session = make_session(customer)
    mech = make_mechanic("mike")
    session_accept(assignment=open_assignment(session), mechanic=mech)
    html = banner_html(customer_client)
    assert 'class="pill pill-waiting"' in html and "Mechanic assigned" in html and "Mike" in html
    session_start(session=session, mechanic=mech)
    html = banner_html(customer_client)
    assert 'class="pill pill-live"' in html and "You are live with" in html


def test_scheduled_banner(customer, customer_client):
    make_session(customer, scheduled_for=timezone.now() + timedelta(hours=3))
    html = banner_html(customer_client)
    assert 'class="pill pill-scheduled"' in html and "Scheduled for" in html


def test_release_tells_the_customer_they_keep_their_place(customer, customer_client):
    session = make_session(customer)
    mech = make_mechanic("mike")
    session_accept(assignment=open_assignment(session), mechanic=mech)
    session_release(session=session, mechanic=mech)
    html = banner_html(customer_client)
    assert "pill-pending" in html and "You keep your place in line" in html


def test_no_banner_without_an_active_session(customer_client):
    html = banner_html(customer_client)
    assert 'id="session-banner" class="session-banner-empty" hidden' in html
    assert "Return to Session" not in html


def test_poll_answers_204_when_nothing_changed_and_the_banner_when_it_did(customer, customer_client):
    session = make_session(customer)
    version = banner_stamp(customer=customer).version
    assert customer_client.get(BANNER, {"v": version}).status_code == 204
    session_accept(assignment=open_assignment(session), mechanic=make_mechanic("mike"))
    response = customer_client.get(BANNER, {"v": version})
    assert response.status_code == 200
    assert b"Mechanic assigned" in response.content
    new_version = banner_stamp(customer=customer).version
    assert new_version != version and f"v={new_version}".encode() in response.content
    assert customer_client.get(BANNER, {"v": new_version}).status_code == 204


def test_pending_place_in_line_follows_other_sessions(customer, customer_client):
    ahead = make_session(make_customer("earlier"))
    make_session(customer)
    version = banner_stamp(customer=customer).version
    session_accept(assignment=open_assignment(ahead), mechanic=make_mechanic("mike"))
    response = customer_client.get(BANNER, {"v": version})
    assert response.status_code == 200 and b"You are <strong>#1</strong> in line" in response.content


def test_poll_stops_with_286_once_the_session_is_over(customer, customer_client):
    session = make_session(customer)
    version = banner_stamp(customer=customer).version
    from sessions_app.services import session_cancel

    session_cancel(session=session, user=customer.user)
    response = customer_client.get(BANNER, {"v": version})
    assert response.status_code == 286
    assert b"session-banner-empty" in response.content and b"hx-get" not in response.content


def test_banner_poll_query_counts(customer, customer_client, django_assert_num_queries):
    session = make_session(customer)
    version = banner_stamp(customer=customer).version
    customer_client.get(BANNER, {"v": version})  # warm up (content types, etc.)
    # Without a state token (the checked path): session row + user + customer profile + the
    # global version (for a fresh token) + active session row + version stamp
    with django_assert_num_queries(6):
        assert customer_client.get(BANNER, {"v": version}).status_code == 204
    # changed, pending: + active session (joined) + open assignment + place in line + mechanics
    # available + recent wait times + latest event
    with django_assert_num_queries(12):
        assert customer_client.get(BANNER, {"v": "stale"}).status_code == 200
    mech = make_mechanic("mike")
    session_accept(assignment=open_assignment(session), mechanic=mech)
    # changed, waiting: the same, less the pending-only place in line, mechanics and wait times
    with django_assert_num_queries(8):
        assert customer_client.get(BANNER, {"v": "stale"}).status_code == 200


def test_end_session_with_htmx_removes_the_banner_and_triggers_refresh(customer, customer_client):
    session = make_session(customer, plan_code="quick-chat", pay_with="credits")
    response = customer_client.post(
        f"/customer/sessions/{session.pk}/end/", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="session-banner"
    )
    assert response.status_code == 200
    assert b"session-banner-empty" in response.content
    triggers = json.loads(response["HX-Trigger"])
    assert triggers["session-ended"] == {"session_id": session.pk}
    assert "refunded" in triggers["toast"]["message"]
    session.refresh_from_db()
    assert session.status == "cancelled"
    # The start area refreshes to offer a new request straight away.
    panel = customer_client.get(
        "/customer/dashboard/", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="start-request"
    )
    assert b'href="/customer/request/new/"' in panel.content and b"<html" not in panel.content


def test_end_session_without_js_confirms_then_posts(customer, customer_client):
    session = make_session(customer)
    confirm = customer_client.get(f"/customer/sessions/{session.pk}/end/")
    assert confirm.status_code == 200 and b"End this session?" in confirm.content
    response = customer_client.post(f"/customer/sessions/{session.pk}/end/", follow=True)
    assert response.redirect_chain[-1][0] == "/customer/dashboard/"
    assert b"Your request was cancelled" in response.content


def test_ending_a_live_session_completes_it_and_offers_rating(customer, customer_client):
    session = make_session(customer)
    mech = make_mechanic("mike")
    session_accept(assignment=open_assignment(session), mechanic=mech)
    session_start(session=session, mechanic=mech)
    response = customer_client.post(f"/customer/sessions/{session.pk}/end/", follow=True)
    assert response.redirect_chain[-1][0] == f"/chat/{session.pk}/"
    assert b"How did it go?" in response.content
    session.refresh_from_db()
    assert session.status == "completed"


def test_ending_twice_is_a_message_not_an_error(customer, customer_client):
    session = make_session(customer)
    customer_client.post(f"/customer/sessions/{session.pk}/end/")
    response = customer_client.post(f"/customer/sessions/{session.pk}/end/", follow=True)
    assert response.status_code == 200 and b"can no longer be cancelled" in response.content


def test_cannot_end_someone_elses_session(customer_client):
    other = make_session(make_customer("bob"))
    assert customer_client.post(f"/customer/sessions/{other.pk}/end/").status_code == 404
    other.refresh_from_db()
    assert other.status == "pending"


def test_in_its_own_room_the_banner_shows_the_status_only(customer, customer_client):
    session = make_session(customer)
    room = customer_client.get(f"/chat/{session.pk}/").content.decode()
    banner = room[room.index('id="session-banner"') : room.index('id="main"')]
    assert "pill-pending" in banner and "Return to Session" not in banner and "End Session" not in banner
    # The poll knows which page asked (htmx sends HX-Current-URL).
    poll = customer_client.get(
        BANNER,
        {"v": "x"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_CURRENT_URL=f"http://testserver/chat/{session.pk}/",
    )
    assert b"Return to Session" not in poll.content
    poll = customer_client.get(
        BANNER,
        {"v": "x"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_CURRENT_URL="http://testserver/customer/dashboard/",
    )
    assert b"Return to Session" in poll.content


def test_the_end_dialog_says_what_ending_means_in_each_state():
    from tests.factories import client_for

    customer = make_customer("erin")
    client = client_for(customer.user)
    session = make_session(customer)
    assert "lose your place in line" in client.get("/customer/dashboard/").content.decode()
    mechanic = make_mechanic("mo")
    name = mechanic.display_name
    session_accept(assignment=open_assignment(session), mechanic=mechanic)
    waiting = client.get(f"/customer/sessions/{session.pk}/end/").content.decode()
    assert f"{name} will not start it" in waiting and "place in line" not in waiting
    session_start(session=session, mechanic=mechanic)
    assert f"ends your live session with {name}" in client.get("/customer/dashboard/").content.decode()


def test_a_scheduled_banner_reads_the_promotion_lead_from_settings(customer, customer_client, settings):
    settings.PROMOTE_BEFORE_MINUTES = 25
    make_session(customer, scheduled_for=timezone.now() + timedelta(hours=3))
    assert "You join the queue 25 minutes before." in banner_html(customer_client)


def test_the_banner_pill_and_end_dialog_follow_the_status(customer, customer_client, monkeypatch):
    from sessions_app.transitions import STATUS_LABELS, SessionStatus

    session = make_session(customer, plan_code="quick-chat", pay_with="credits")
    html = banner_html(customer_client)
    assert 'data-testid="banner-status">Pending<' in html
    assert "you will lose your place in line. Anything you paid is refunded in full." in html
    assert f'<form method="post" action="/customer/sessions/{session.pk}/end/"' in html
    monkeypatch.setitem(STATUS_LABELS, SessionStatus.PENDING, "In the queue")
    assert 'data-testid="banner-status">In the queue<' in banner_html(customer_client)


def test_the_banners_end_buttons_say_what_the_table_says(customer, customer_client):
    """The banner's End Session link and dialog button still spell their words (their lines carry
    the dialog attributes); this keeps them equal to the customer's words in the table."""
    from sessions_app.transitions import action_label

    session = make_session(customer)
    html = banner_html(customer_client)
    words = {action_label(action, customer=True) for action in ("complete", "cancel")}
    assert len(words) == 1
    (end,) = words
    assert f'href="/customer/sessions/{session.pk}/end/" ' in html and f">{end}</a>" in html
    assert f'class="btn btn-danger">{end}</button>' in html


def test_the_dashboard_offers_a_rating_only_for_completed_sessions(customer, customer_client):
    from sessions_app.services import session_cancel, session_complete

    session_cancel(session=make_session(customer), user=customer.user)
    completed = make_session(customer)
    mech = make_mechanic("mike")
    session_accept(assignment=open_assignment(completed), mechanic=mech)
    session_start(session=completed, mechanic=mech)
    session_complete(session=completed, mechanic=mech, summary="Done")
    html = banner_html(customer_client)
    assert html.count("Rate this session") == 1 and f'href="/chat/{completed.pk}/#rate"' in html


# --- the fast path: a state token answers an unchanged poll before anything is loaded --------


def banner_params(client) -> dict[str, str]:
    """What the banner on a page would poll with: its version and its state token."""
    import re
    from html import unescape
    from urllib.parse import unquote

    html = client.get("/customer/dashboard/").content.decode()
    version = unquote(re.search(r'customer/banner/\?v=([^"&]+)"', html).group(1))
    token = unescape(re.search(r'id="session-banner"[^>]*data-token="([^"]*)"', html).group(1))
    assert token, "an active banner carries a state token"
    return {"v": version, "t": token}


@pytest.fixture
def frozen_memo(monkeypatch):
    from sessions_app import live

    clock = [1000.0]
    monkeypatch.setattr(live, "monotonic", lambda: clock[0])
    return clock


def test_an_unchanged_poll_with_a_token_loads_nothing(
    customer, customer_client, frozen_memo, django_assert_num_queries
):
    session = make_session(customer)
    session_accept(assignment=open_assignment(session), mechanic=make_mechanic("mike"))
    params = banner_params(customer_client)
    with django_assert_num_queries(1):  # the state version; no session, user or customer
        response = customer_client.get(BANNER, params, headers={"HX-Request": "true"})
    assert response.status_code == 204 and response["Cache-Control"] == "private, no-store"
    with django_assert_num_queries(0):  # this process read the version less than a second ago
        assert customer_client.get(BANNER, params).status_code == 204


def test_a_change_elsewhere_hands_over_a_fresh_token(
    customer, customer_client, frozen_memo, django_assert_num_queries
):
    session = make_session(customer)
    session_accept(assignment=open_assignment(session), mechanic=make_mechanic("mike"))
    params = banner_params(customer_client)
    make_session(make_customer("bob"))  # someone else's request: the global version moves
    response = customer_client.get(BANNER, params, headers={"HX-Request": "true"})
    assert response.status_code == 204  # this banner did not change...
    fresh = json.loads(response["HX-Trigger"])["banner-token"]["t"]  # ...but here is a new token
    assert fresh != params["t"]
    with django_assert_num_queries(0):  # the version this process just read
        assert customer_client.get(BANNER, {**params, "t": fresh}).status_code == 204


def test_a_change_to_my_session_is_never_hidden_by_the_token(customer, customer_client):
    session = make_session(customer)
    mechanic = make_mechanic("mike")
    session_accept(assignment=open_assignment(session), mechanic=mechanic)
    params = banner_params(customer_client)
    session_start(session=session, mechanic=mechanic)
    response = customer_client.get(BANNER, params, headers={"HX-Request": "true"})
    assert response.status_code == 200 and b'class="pill pill-live"' in response.content
    assert b'data-token="' in response.content


def test_a_pending_banner_sees_its_place_in_line_move(customer, customer_client):
    ahead = make_session(make_customer("earlier"))
    make_session(customer)
    params = banner_params(customer_client)
    session_accept(assignment=open_assignment(ahead), mechanic=make_mechanic("mike"))
    response = customer_client.get(BANNER, params)
    assert response.status_code == 200 and b"You are <strong>#1</strong> in line" in response.content


def test_the_token_only_works_with_its_own_session_cookie(customer, customer_client):
    from django.test import Client

    make_session(customer)
    params = banner_params(customer_client)
    anonymous = Client().get(BANNER, params)
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    other = Client()
    other.force_login(make_customer("eve").user)
    assert other.get(BANNER, params).status_code == 286  # Eve's own (empty) banner, not Alice's 204
    forged = customer_client.get(BANNER, {**params, "t": params["t"][:-2] + "xx"})
    assert forged.status_code == 204  # the checked path: Alice's banner is unchanged
    customer_client.logout()
    after_logout = customer_client.get(BANNER, params)
    assert after_logout.status_code == 302 and "/accounts/login/" in after_logout["Location"]


def test_a_stale_token_takes_the_checked_path(
    customer, customer_client, monkeypatch, django_assert_num_queries
):
    import time

    from django.core import signing

    from customers.selectors import BANNER_TOKEN_MAX_AGE

    make_session(customer)
    params = banner_params(customer_client)
    later = time.time() + BANNER_TOKEN_MAX_AGE + 1
    monkeypatch.setattr(signing.time, "time", lambda: later)
    with django_assert_num_queries(6):  # session, user, customer, global version, banner stamp
        assert customer_client.get(BANNER, params).status_code == 204


def test_a_change_during_the_check_is_not_hidden_by_the_fresh_token(customer, customer_client, monkeypatch):
    """The token handed out with a 204 is read before the banner's stamp: a transition that
    commits between the two still shows on the next poll."""
    from customers import selectors

    session = make_session(customer)
    mechanic = make_mechanic("mike")
    session_accept(assignment=open_assignment(session), mechanic=mechanic)
    params = banner_params(customer_client)
    make_session(make_customer("bob"))  # something else changed: the poll takes the checked path
    real_stamp = selectors.banner_stamp

    def stamp_then_go_live(**kwargs):
        stamp = real_stamp(**kwargs)
        session_start(session=session, mechanic=mechanic)  # commits right after the stamp read
        return stamp

    monkeypatch.setattr(selectors, "banner_stamp", stamp_then_go_live)
    response = customer_client.get(BANNER, params, headers={"HX-Request": "true"})
    monkeypatch.setattr(selectors, "banner_stamp", real_stamp)
    assert response.status_code == 204  # waiting, as far as that check saw
    fresh = json.loads(response["HX-Trigger"])["banner-token"]["t"]
    from sessions_app.live import forget_recent_state_version

    forget_recent_state_version()  # a second later: the process's remembered version is renewed
    after = customer_client.get(BANNER, {**params, "t": fresh})
    assert after.status_code == 200 and b'class="pill pill-live"' in after.content
