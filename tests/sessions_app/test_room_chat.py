"""The room chat: both sides see every message once, in order; polling with ?after=<id>."""

import pytest

from autodoctor.errors import DomainError
from sessions_app.models import SessionMessage
from sessions_app.services import message_send, session_accept, session_cancel
from tests.factories import client_for, make_customer, make_mechanic, make_session, open_assignment

pytestmark = pytest.mark.django_db


@pytest.fixture
def room():
    customer = make_customer("alice")
    session = make_session(customer)
    mech = make_mechanic("mike")
    session = session_accept(assignment=open_assignment(session), mechanic=mech)
    return session, client_for(customer.user), client_for(mech.user)


def test_post_without_js_redirects_back_to_the_chat(room):
    session, customer_client, mechanic_client = room
    response = customer_client.post(f"/sessions/{session.pk}/messages/", {"body": "Hello there"})
    assert response.status_code == 302 and response["Location"] == f"/chat/{session.pk}/#chat"
    page = mechanic_client.get(f"/chat/{session.pk}/").content.decode()
    assert "Hello there" in page and "Alice Driver" in page


def test_poll_returns_only_newer_messages_and_204_when_none(room, django_assert_num_queries):
    session, customer_client, mechanic_client = room
    url = f"/sessions/{session.pk}/messages/"
    first = message_send(session=session, sender=session.customer.user, body="First")
    second = message_send(session=session, sender=session.mechanic.user, body="Second")
    response = mechanic_client.get(url, {"after": first.pk})
    body = response.content.decode()
    assert response.status_code == 200 and 'hx-swap-oob="beforeend:#chat-log"' in body
    assert f'id="msg-{second.pk}"' in body and f'id="msg-{first.pk}"' not in body
    mechanic_client.get(url, {"after": second.pk})
    # session row + user + the session (joined) + newer messages
    with django_assert_num_queries(4):
        assert mechanic_client.get(url, {"after": second.pk}).status_code == 204


def test_htmx_send_answers_204_and_asks_the_poller_to_refresh(room):
    session, customer_client, _ = room
    response = customer_client.post(
        f"/sessions/{session.pk}/messages/", {"body": "Hi"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 204 and "chat-refresh" in response["HX-Trigger"]
    assert SessionMessage.objects.get().body == "Hi"


@pytest.mark.parametrize("body", ["", "   ", "x" * 4001])
def test_empty_or_huge_message_is_refused(room, body):
    session, customer_client, _ = room
    response = customer_client.post(f"/sessions/{session.pk}/messages/", {"body": body}, follow=True)
    assert response.status_code == 200 and not SessionMessage.objects.exists()


def test_chat_closes_when_the_session_ends(room):
    session, customer_client, _ = room
    session_cancel(session=session, user=None)
    with pytest.raises(DomainError):
        message_send(session=session, sender=session.customer.user, body="Still there?")
    response = customer_client.get(f"/sessions/{session.pk}/messages/", {"after": 0})
    assert response.status_code == 286


def test_strangers_cannot_read_or_write(room):
    session, _, _ = room
    stranger = client_for(make_customer("eve").user)
    assert stranger.get(f"/sessions/{session.pk}/messages/", {"after": 0}).status_code == 404
    assert stranger.post(f"/sessions/{session.pk}/messages/", {"body": "hi"}).status_code == 404
    with pytest.raises(DomainError):
        message_send(session=session, sender=make_customer("mallory").user, body="hi")
    assert not SessionMessage.objects.exists()


def test_bad_after_is_not_an_error(room):
    session, customer_client, _ = room
    assert customer_client.get(f"/sessions/{session.pk}/messages/", {"after": "abc"}).status_code == 204
