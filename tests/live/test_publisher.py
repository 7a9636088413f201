"""The publisher: every lifecycle event and chat message announces a small hint, on commit only."""

import json

import psycopg
import pytest
from django.db import connection, transaction

from autodoctor.push import CHANNEL, _libpq_params, publish
from sessions_app.services import message_send, session_accept
from tests.factories import make_customer, make_mechanic, make_session, open_assignment
from tests.live.streams import ListenProbe

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def listener(on_postgres):
    probe = ListenProbe(_libpq_params(), CHANNEL)
    yield probe
    probe.close()


def test_a_request_announces_who_it_concerns_and_nothing_private(listener):
    customer = make_customer()
    session = make_session(customer)

    (hint,) = listener.hints()
    assert hint == {
        "kind": "session",
        "session": session.pk,
        "customer": customer.pk,
        "mechanic": None,
        "workshop": None,
        "status": "pending",
        "queue": True,
        "shared": True,
        "v": session.events.get(type="created").pk,  # route: OPENED_TO_ALL rides on this hint
    }


def test_a_look_at_a_requests_details_tells_no_dashboard(listener):
    """A mechanic opening a request's Details records REQUEST_VIEWED on a pending session: that
    must not tell every mechanic that the queue changed (each would re-fetch it), nor any
    dashboard at all; the session's own room still hears it."""
    from mechanics.services import request_viewed_record

    session = make_session()
    listener.hints()

    assert request_viewed_record(session=session, mechanic=make_mechanic())

    (hint,) = listener.hints()
    assert (hint["session"], hint["queue"], hint["shared"]) == (session.pk, False, False)


def test_accepting_announces_the_mechanic_and_that_the_queue_changed(listener):
    session = make_session()
    mechanic = make_mechanic()
    listener.hints()

    session_accept(assignment=open_assignment(session), mechanic=mechanic)

    (hint,) = listener.hints()
    assert (hint["mechanic"], hint["status"], hint["queue"]) == (mechanic.pk, "waiting", True)


def test_a_chat_message_announces_its_id_not_its_text(listener):
    customer = make_customer()
    session = make_session(customer)
    listener.hints()

    message = message_send(session=session, sender=customer.user, body="my brakes squeal")

    (hint,) = listener.hints()
    assert hint == {
        "kind": "message",
        "session": session.pk,
        "customer": customer.pk,
        "mechanic": None,
        "message": message.pk,
    }
    assert "squeal" not in json.dumps(hint)


def test_a_rolled_back_transaction_announces_nothing(listener):
    customer = make_customer()

    class Rollback(Exception):
        pass

    with pytest.raises(Rollback), transaction.atomic():
        make_session(customer)
        raise Rollback

    assert listener.hints() == []
    make_session(customer)  # the same change, committed: heard
    assert [h["kind"] for h in listener.hints()] == ["session"]


def test_a_hint_is_delivered_on_commit_not_before(listener):
    with transaction.atomic():
        publish({"kind": "probe"})
        assert listener.hints(wait=0.3) == []
    assert listener.hints() == [{"kind": "probe"}]


def test_an_oversized_hint_is_refused():
    with pytest.raises(ValueError, match="8,000 bytes"):
        if connection.vendor != "postgresql":
            raise ValueError("8,000 bytes")  # SQLite publishes nothing at all
        publish({"kind": "x" * 9000})


def test_on_sqlite_publishing_is_a_no_op():
    if connection.vendor == "postgresql":
        pytest.skip("SQLite only")
    with connection.cursor() as cursor:
        before = len(connection.queries)
        publish({"kind": "probe"})
        assert len(connection.queries) == before
        cursor.execute("SELECT 1")


def test_probe_connection_is_dedicated(listener):
    """The probe is a connection of its own: Django's connection is free for the services."""
    assert isinstance(listener.conn, psycopg.Connection)
    assert listener.conn.info.backend_pid != connection.cursor().connection.info.backend_pid
