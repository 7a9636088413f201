"""The event streams over HTTP, served by a real uvicorn: headers, authorisation like the pages,
who hears what, Last-Event-ID catch-up and a lost LISTEN connection."""

import pytest
from django.db import connection

from autodoctor.push import LISTENER_NAME
from mechanics.models import Workshop
from sessions_app.selectors import state_version
from sessions_app.services import message_send, session_accept, session_start
from tests.factories import make_customer, make_mechanic, make_session, open_assignment


def test_a_stream_is_an_unbuffered_event_stream_that_starts_with_retry_and_the_version(open_stream):
    mechanic = make_mechanic()
    stream = open_stream("/live/mechanic/", mechanic.user)
    assert stream.status == 200
    assert stream.headers["content-type"].startswith("text/event-stream")
    assert stream.headers["cache-control"] == "no-cache"
    assert stream.headers["x-accel-buffering"] == "no"
    assert "content-encoding" not in stream.headers
    assert 2000 <= (stream.retry or 0) <= 4000
    assert stream.last_id == str(state_version())
    assert stream.first.data == {"kind": "hello"}  # the page checks once, then waits for hints


def test_streams_are_authorised_like_their_pages(open_stream):
    customer, other, mechanic = make_customer(), make_customer(), make_mechanic()
    session = make_session(customer)
    anonymous = open_stream("/live/mechanic/")
    assert anonymous.status == 302 and anonymous.headers["location"].startswith("/accounts/login/")
    assert open_stream("/live/mechanic/", customer.user).status == 403
    assert open_stream("/live/customer/", mechanic.user).status == 403
    assert open_stream(f"/live/session/{session.pk}/", other.user).status == 404
    assert open_stream(f"/live/session/{session.pk}/", mechanic.user).status == 404  # not theirs (yet)
    assert open_stream("/live/session/999999/", customer.user).status == 404
    assert open_stream(f"/live/session/{session.pk}/", customer.user).status == 200


def test_a_new_request_reaches_every_mechanic_who_can_take_it_at_once(open_stream):
    mechanics = [make_mechanic() for _ in range(3)]
    streams = [open_stream("/live/mechanic/", m.user) for m in mechanics]
    make_session()
    for stream in streams:
        event = stream.next(timeout=2)
        assert (event.event, event.data) == ("hint", {"kind": "queue"})
        assert event.id == str(state_version())


def test_a_workshop_request_never_reaches_an_outside_mechanic(open_stream):
    workshop = Workshop.objects.create(name="Joe's Garage")
    inside = make_mechanic(workshop=workshop)
    outside = make_mechanic()
    other_shop = make_mechanic(workshop=Workshop.objects.create(name="Elsewhere"))
    inside_stream = open_stream("/live/mechanic/", inside.user)
    outside_streams = [open_stream("/live/mechanic/", m.user) for m in (outside, other_shop)]

    session = make_session(make_customer(workshop=workshop))
    assert inside_stream.next(timeout=2).data == {"kind": "queue"}
    session_accept(assignment=open_assignment(session), mechanic=inside)
    assert inside_stream.next(timeout=2).data == {"kind": "work"}

    for stream in outside_streams:
        assert stream.events(wait=0.5) == []


def test_a_customer_stream_carries_nothing_about_another_customers_session(open_stream):
    alice, bob = make_customer(), make_customer()
    mechanic = make_mechanic()
    alices = make_session(alice)
    session_accept(assignment=open_assignment(alices), mechanic=mechanic)
    session_start(session=alices, mechanic=mechanic)  # Alice is live: no place in line to watch
    alice_stream = open_stream("/live/customer/", alice.user)
    bob_stream = open_stream("/live/customer/", bob.user)

    bobs = make_session(bob)
    message_send(session=bobs, sender=bob.user, body="Is anyone there?")
    assert bob_stream.next(timeout=2).data == {"kind": "session", "session": bobs.pk}
    assert alice_stream.events(wait=0.5) == []

    message_send(session=alices, sender=alice.user, body="hello")  # her chat is the room's, not the banner's
    assert alice_stream.events(wait=0.3) == []
    mechanic_two = make_mechanic()
    session_accept(assignment=open_assignment(bobs), mechanic=mechanic_two)
    assert alice_stream.events(wait=0.5) == []
    assert bob_stream.events(wait=0.2)[-1].data == {"kind": "session", "session": bobs.pk}


def test_a_waiting_customer_hears_that_the_line_moved_without_learning_whose_request(open_stream):
    alice, bob = make_customer(), make_customer()
    make_session(alice)
    alice_stream = open_stream("/live/customer/", alice.user)
    bobs = make_session(bob)
    event = alice_stream.next(timeout=2)
    assert event.data == {"kind": "queue"}
    assert str(bobs.pk) not in repr(event) and str(bob.pk) not in repr(event.data)


def test_a_room_stream_carries_its_status_and_chat(open_stream):
    customer, mechanic = make_customer(), make_mechanic()
    session = make_session(customer)
    session_accept(assignment=open_assignment(session), mechanic=mechanic)
    customer_room = open_stream(f"/live/session/{session.pk}/", customer.user)
    mechanic_room = open_stream(f"/live/session/{session.pk}/", mechanic.user)

    message = message_send(session=session, sender=customer.user, body="the noise is back")
    for room in (customer_room, mechanic_room):
        assert room.next(timeout=2).data == {"kind": "message", "session": session.pk, "message": message.pk}
    session_start(session=session, mechanic=mechanic)
    for room in (customer_room, mechanic_room):
        assert room.next(timeout=2).data == {"kind": "session", "session": session.pk}


def test_a_reconnecting_page_catches_up_with_one_refetch(open_stream):
    mechanic = make_mechanic()
    stale = state_version()
    make_session()
    behind = open_stream("/live/mechanic/", mechanic.user, last_event_id=str(stale))
    assert behind.first.data == {"kind": "refetch"}
    assert behind.first.id == str(state_version())
    current = open_stream("/live/mechanic/", mechanic.user, last_event_id=str(state_version()))
    assert current.first.data == {"kind": "hello"}
    assert current.events(wait=0.5) == []
    from_page = open_stream(f"/live/mechanic/?v={stale}", mechanic.user)  # the version the page showed
    assert from_page.first.data == {"kind": "refetch"}


def test_a_killed_listen_connection_means_refetch_then_changes_still_arrive(open_stream, on_postgres):
    mechanic = make_mechanic()
    stream = open_stream("/live/mechanic/", mechanic.user)  # listening before its first frame
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE application_name = %s AND datname = current_database()",
            [LISTENER_NAME],
        )
        assert cursor.rowcount == 1
    assert stream.next(timeout=10).data == {"kind": "refetch"}
    make_session()
    assert stream.next(timeout=3).data == {"kind": "queue"}


def test_the_sqlite_fallback_delivers_a_refetch_within_about_a_second(open_stream):
    """Runs on a file-backed SQLite test database (SQLITE_TEST_PATH=...); PostgreSQL has NOTIFY."""
    if connection.vendor != "sqlite":
        pytest.skip("the fallback for databases without LISTEN/NOTIFY")
    mechanic = make_mechanic()
    stream = open_stream("/live/mechanic/", mechanic.user)
    stream.events(wait=1.2)  # let the first version check pass
    make_session()
    event = stream.next(timeout=3)
    assert event.data == {"kind": "refetch"}  # nothing about whose session: the page re-fetches
    assert event.id == str(state_version())
