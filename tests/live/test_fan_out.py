"""Who hears what (the viewers) and the per-process broker: one LISTEN, bounded queues, refetch
after a lost connection, and the once-a-second fallback without LISTEN/NOTIFY."""

import asyncio
import threading
import time

import pytest
from django.db import connection, transaction

from autodoctor.push import CLOSE, HEARTBEAT, QUEUE_SIZE, REFETCH, Broker, Delivery, Subscriber
from sessions_app.selectors import state_version, state_version_sql
from sessions_app.services import session_accept, session_release
from sessions_app.streams import CustomerViewer, MechanicViewer, SessionViewer
from tests.factories import make_customer, make_mechanic, make_session, open_assignment


def hint(**fields):
    base = {"kind": "session", "session": 1, "customer": 10, "mechanic": None, "workshop": None}
    return {**base, "status": "pending", "queue": True, "v": 1, **fields}


# --- viewers: pure -----------------------------------------------------------------------------


def test_a_mechanic_hears_the_general_queue_and_their_own_workshop_only():
    outside = MechanicViewer(mechanic_id=1, workshop_id=None)
    member = MechanicViewer(mechanic_id=2, workshop_id=7)

    assert outside.select(hint()) == {"kind": "queue"}
    assert member.select(hint()) == {"kind": "queue"}
    assert member.select(hint(workshop=7)) == {"kind": "queue"}
    assert outside.select(hint(workshop=7)) is None
    assert MechanicViewer(mechanic_id=3, workshop_id=8).select(hint(workshop=7)) is None


def test_a_mechanic_hears_their_work_even_after_the_session_left_them():
    viewer = MechanicViewer(mechanic_id=1, workshop_id=None)
    assert viewer.select(hint(session=5, mechanic=1, status="waiting", workshop=9)) == {"kind": "work"}
    # Released by the system: the mechanic is cleared, the session went back to workshop 9's queue.
    assert viewer.select(hint(session=5, mechanic=None, status="pending", workshop=9)) == {"kind": "work"}
    assert viewer.select(hint(session=6, mechanic=2, status="live", queue=False)) is None
    assert viewer.select({"kind": "message", "session": 5, "customer": 10, "mechanic": 1}) is None


def test_a_mechanic_hears_no_room_only_activity_even_of_their_own_session():
    viewer = MechanicViewer(mechanic_id=1, workshop_id=None)
    room_only = hint(session=5, mechanic=1, status="live", queue=False, shared=False)
    assert viewer.select(room_only) is None
    assert viewer.select({**room_only, "shared": True}) == {"kind": "work"}
    assert SessionViewer(session_id=5).select(room_only) == {"kind": "session", "session": 5}


def test_a_customer_hears_their_own_session_and_their_line_only_while_waiting_in_it():
    viewer = CustomerViewer(customer_id=10, pending=False, workshop_id=None)
    assert viewer.select(hint(customer=11, session=2)) is None  # not in line: nothing of others
    assert viewer.select(hint(customer=10, session=1)) == {"kind": "session", "session": 1}
    assert viewer.pending
    assert viewer.select(hint(customer=11, session=2)) == {"kind": "queue"}  # no id, no name
    assert viewer.select(hint(customer=11, session=2, workshop=7)) is None  # another line
    assert viewer.select(hint(customer=11, session=2, queue=False, status="live")) is None
    assert viewer.select({"kind": "message", "session": 2, "customer": 11, "mechanic": None}) is None
    viewer.select(hint(customer=10, session=1, status="waiting", mechanic=3))
    assert viewer.select(hint(customer=11, session=2)) is None  # out of the line again


def test_a_room_hears_its_own_session_and_chat_only():
    viewer = SessionViewer(session_id=1)
    assert viewer.select(hint(session=1)) == {"kind": "session", "session": 1}
    message = {"kind": "message", "session": 1, "customer": 10, "mechanic": None, "message": 44}
    assert viewer.select(message) == {"kind": "message", "session": 1, "message": 44}
    assert viewer.select(hint(session=2, customer=11)) is None
    assert viewer.select({**message, "session": 2, "customer": 11}) is None


# --- the broker --------------------------------------------------------------------------------


class LoopThread:
    """An event loop in a thread (as under uvicorn), so the test thread can write to the database."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coro, timeout: float = 10):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def stop(self, broker: Broker) -> None:
        self.run(broker.stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


@pytest.fixture
def loop_thread():
    threads = []

    def start(broker: Broker) -> LoopThread:
        lt = LoopThread()
        threads.append((lt, broker))
        return lt

    yield start
    for lt, broker in threads:
        lt.stop(broker)


def next_delivery(lt: LoopThread, subscriber, timeout: float = 5) -> Delivery:
    return lt.run(asyncio.wait_for(subscriber.queue.get(), timeout), timeout + 1)


def nothing_within(lt: LoopThread, subscriber, seconds: float) -> bool:
    time.sleep(seconds)
    return subscriber.queue.empty()


def test_a_slow_client_is_dropped_not_waited_for():
    broker = Broker(version_sql="SELECT 1")  # fan_out alone: no source, no loop needed
    slow, quick = Subscriber(select=lambda h: h), Subscriber(select=lambda h: h)
    broker.subscribers |= {slow, quick}
    for n in range(QUEUE_SIZE + 1):
        broker.fan_out([{"kind": "probe", "n": n}], version=n)
        quick.queue.get_nowait()  # this one keeps up
    assert slow.dropped and slow not in broker.subscribers
    assert not quick.dropped and quick in broker.subscribers
    # What it had is replaced by CLOSE: its stream ends now, the browser reconnects and catches up.
    assert slow.queue.qsize() == 1 and slow.queue.get_nowait() is CLOSE


def test_every_client_that_hears_the_same_thing_shares_one_encoded_delivery():
    broker = Broker(version_sql="SELECT 1")
    mechanics = [Subscriber(select=MechanicViewer(mechanic_id=n, workshop_id=None).select) for n in range(3)]
    room = Subscriber(select=SessionViewer(session_id=1).select)
    broker.subscribers |= {*mechanics, room}
    broker.fan_out([hint(session=1)], version=42)

    queued = [m.queue.get_nowait() for m in mechanics]
    assert all(delivery is queued[0] for delivery in queued)  # one object, one frame
    assert queued[0].frame == b'event: hint\nid: 42\ndata: {"kind":"queue"}\n\n'
    assert room.queue.get_nowait().frame == b'event: hint\nid: 42\ndata: {"kind":"session","session":1}\n\n'


def test_heartbeats_go_only_to_streams_that_were_quiet():
    broker = Broker(version_sql="SELECT 1", heartbeat=15)
    quiet, busy = Subscriber(select=lambda h: h), Subscriber(select=lambda h: h)
    broker.subscribers |= {quiet, busy}
    quiet.last_sent -= 16
    broker.beat()
    assert quiet.queue.get_nowait() is HEARTBEAT and HEARTBEAT.frame == b": heartbeat\n\n"
    assert busy.queue.empty()
    broker.beat()  # the heartbeat counts as something sent
    assert quiet.queue.empty()


@pytest.mark.django_db(transaction=True)
def test_one_listen_connection_delivers_on_commit_with_the_state_version(on_postgres, loop_thread):
    broker = Broker(version_sql=state_version_sql())
    lt = loop_thread(broker)
    mechanic = make_mechanic()
    sub = lt.run(broker.subscribe(MechanicViewer(mechanic_id=mechanic.pk, workshop_id=None).select))
    lt.run(broker.connected.wait())

    with pytest.raises(RuntimeError), transaction.atomic():
        make_session()
        raise RuntimeError("rolled back")
    assert nothing_within(lt, sub, 0.5)

    make_session()
    delivery = next_delivery(lt, sub)
    assert delivery.hint == {"kind": "queue"}
    assert delivery.version == state_version()


@pytest.mark.django_db(transaction=True)
def test_a_lost_listen_connection_reconnects_and_everyone_refetches(on_postgres, loop_thread):
    broker = Broker(version_sql=state_version_sql())
    lt = loop_thread(broker)
    mechanic = make_mechanic()
    sub = lt.run(broker.subscribe(MechanicViewer(mechanic_id=mechanic.pk, workshop_id=None).select))
    lt.run(broker.connected.wait())
    old_pid = broker.listener_pid

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [old_pid])
    assert next_delivery(lt, sub, timeout=10).hint == REFETCH
    assert broker.listener_pid not in (None, old_pid)

    session = make_session()  # later changes still arrive
    assert next_delivery(lt, sub).hint == {"kind": "queue"}
    session_accept(assignment=open_assignment(session), mechanic=mechanic)
    assert next_delivery(lt, sub).hint == {"kind": "work"}
    session_release(session=session, mechanic=mechanic)
    assert next_delivery(lt, sub).hint == {"kind": "work"}


@pytest.mark.django_db(transaction=True)
def test_without_listen_notify_a_version_check_a_second_tells_everyone_to_refetch(loop_thread):
    """The SQLite fallback (forced here, so it runs on both databases)."""
    broker = Broker(version_sql=state_version_sql(), listen=False)
    lt = loop_thread(broker)
    customer = make_customer()
    sub = lt.run(
        broker.subscribe(CustomerViewer(customer_id=customer.pk, pending=False, workshop_id=None).select)
    )
    lt.run(broker.connected.wait())
    assert nothing_within(lt, sub, 1.5)

    started = time.monotonic()
    make_session()
    delivery = next_delivery(lt, sub, timeout=5)
    assert delivery.hint == REFETCH  # no ids at all: the page re-fetches through its views
    assert delivery.version == state_version()
    assert time.monotonic() - started < 2.5
