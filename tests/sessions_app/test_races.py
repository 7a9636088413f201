"""Races on real PostgreSQL (SPEC §3 invariants 1, 3, 4, 6, 8): real threads, each with its own
connection, released together by a barrier. SQLite serialises writers, so these skip there.

Each race prints its wall time (run with -s to see it); nothing here asserts on time.
"""

import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection, transaction
from django.utils import timezone

from autodoctor.errors import DomainError
from billing.models import CreditLedger
from billing.services import credit_balance, credits_spend
from sessions_app.models import Session, SessionAssignment, SessionEvent
from sessions_app.selectors import mechanic_active_count
from sessions_app.services import (
    session_accept,
    session_cancel,
    session_complete,
    session_create,
    session_force_end_all,
    session_start,
    sessions_expire_stale,
    sessions_release_idle,
)
from sessions_app.transitions import OPEN_ASSIGNMENT_STATUSES
from sessions_app.transitions import SessionStatus as S
from tests.factories import make_customer, make_mechanic, make_session, plan

from .lifecycle_states import event_types, open_assignment_of, replay_status, session_in

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


@pytest.fixture(autouse=True)
def _postgres_only(on_postgres):
    """Skips on SQLite (see tests/conftest.py)."""


def run_at_once(label: str, calls: list[Callable[[], Any]]) -> list[tuple[str, Any]]:
    """Run every call in its own thread, all released by one barrier once connected. Returns one
    (kind, value) per call: ("ok", result), ("refused", DomainError code) or ("crashed", repr)."""
    barrier = threading.Barrier(len(calls))
    outcomes: list[tuple[str, Any]] = [("crashed", "never ran")] * len(calls)

    def worker(index: int, call: Callable[[], Any]) -> None:
        try:
            connection.ensure_connection()  # connect first, so the barrier releases real work
            barrier.wait(timeout=30)
            outcomes[index] = ("ok", call())
        except DomainError as exc:
            outcomes[index] = ("refused", exc.code)
        except BaseException as exc:  # noqa: BLE001 - any other exception is the failure we look for
            outcomes[index] = ("crashed", repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, call), daemon=True) for i, call in enumerate(calls)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    elapsed = time.perf_counter() - started
    assert not any(t.is_alive() for t in threads), f"{label}: a thread hung (deadlock?)"
    print(f"\n[race] {label}: {len(calls)} threads, {elapsed * 1000:.0f} ms")
    crashed = [value for kind, value in outcomes if kind == "crashed"]
    assert not crashed, f"{label}: {crashed}"
    return outcomes


def tally(outcomes: list[tuple[str, Any]]) -> Counter:
    return Counter(value if kind == "refused" else kind for kind, value in outcomes)


def test_32_mechanics_race_for_one_assignment():
    session = make_session()
    assignment = open_assignment_of(session)
    mechanics = [make_mechanic() for _ in range(32)]

    outcomes = run_at_once(
        "32 mechanics accept one assignment",
        [lambda m=m: session_accept(assignment=assignment, mechanic=m) for m in mechanics],
    )

    assert tally(outcomes) == {"ok": 1, "already_taken": 31}
    winner = next(result for kind, result in outcomes if kind == "ok")
    session.refresh_from_db()
    assignment.refresh_from_db()
    assert session.status == S.WAITING and session.mechanic_id == winner.mechanic_id
    assert (assignment.status, assignment.mechanic_id) == ("accepted", winner.mechanic_id)
    assert event_types(session) == ["created", "accepted"]
    assert session.participants.filter(role="mechanic").count() == 1
    assert sum(mechanic_active_count(mechanic=m) for m in mechanics) == 1


@pytest.mark.parametrize("capacity", [1, 2])
def test_one_mechanic_accepting_eight_at_once_stays_within_capacity(capacity):
    mechanic = make_mechanic(capacity=capacity)
    sessions = [make_session() for _ in range(8)]
    assignments = [open_assignment_of(s) for s in sessions]

    outcomes = run_at_once(
        f"one mechanic (capacity {capacity}) accepts 8 assignments",
        [lambda a=a: session_accept(assignment=a, mechanic=mechanic) for a in assignments],
    )

    assert tally(outcomes) == {"ok": capacity, "at_capacity": 8 - capacity}
    assert mechanic_active_count(mechanic=mechanic) == capacity
    statuses = Counter(
        Session.objects.filter(pk__in=[s.pk for s in sessions]).values_list("status", flat=True)
    )
    assert statuses == {S.WAITING: capacity, S.PENDING: 8 - capacity}
    assert SessionAssignment.objects.filter(status="queued").count() == 8 - capacity


@pytest.mark.parametrize("attempts", [2, 8])
def test_a_customer_creating_at_once_gets_one_session(attempts):
    customer = make_customer(credits=3)
    quick_chat = plan("quick-chat")

    outcomes = run_at_once(
        f"one customer creates {attempts} sessions",
        [
            lambda: session_create(
                customer=customer, plan=quick_chat, pay_with="credits", actor=customer.user
            )
            for _ in range(attempts)
        ],
    )

    assert tally(outcomes) == {"ok": 1, "active_session_exists": attempts - 1}
    assert Session.objects.filter(customer=customer).count() == 1
    assert credit_balance(customer=customer) == 2  # one spend only
    assert SessionAssignment.objects.count() == 1


def test_two_expiry_runs_at_once_expire_each_session_once():
    sessions = []
    for index in range(20):
        paid = index % 2 == 0
        customer = make_customer(credits=1 if paid else 0)
        sessions.append(
            make_session(
                customer,
                plan_code="quick-chat" if paid else "free-chat",
                pay_with="credits" if paid else "free",
            )
        )
    three_hours_on = timezone.now() + timedelta(hours=3)

    outcomes = run_at_once(
        "two expiry runs over 20 stale sessions",
        [lambda: sessions_expire_stale(now=three_hours_on) for _ in range(2)],
    )

    assert sum(count for _, count in outcomes) == 20
    for session in sessions:
        session.refresh_from_db()
        assert session.status == S.EXPIRED
        types = event_types(session)
        assert types.count("expired") == 1
        assert types.count("refunded") == (1 if session.payment_method == "credits" else 0)
        assert replay_status(session) == S.EXPIRED
    assert not SessionAssignment.objects.filter(status__in=OPEN_ASSIGNMENT_STATUSES).exists()
    paid = [s for s in sessions if s.payment_method == "credits"]
    assert all(credit_balance(customer=s.customer) == 1 for s in paid)


def test_concurrent_credit_spends_never_go_below_zero():
    customer = make_customer(credits=3)

    outcomes = run_at_once(
        "10 spends of 1 credit, balance 3", [lambda: credits_spend(customer=customer, amount=1)] * 10
    )

    assert tally(outcomes) == {"ok": 3, "insufficient_credits": 7}
    assert credit_balance(customer=customer) == 0
    assert CreditLedger.objects.filter(customer=customer, kind="spend").count() == 3


def test_two_idle_release_runs_at_once_release_each_session_once():
    mechanic = make_mechanic(capacity=10)
    sessions = [make_session() for _ in range(10)]
    for session in sessions:
        session_accept(assignment=open_assignment_of(session), mechanic=mechanic)
    later = timezone.now() + timedelta(minutes=31)

    outcomes = run_at_once(
        "two idle-release runs over 10 waiting sessions", [lambda: sessions_release_idle(now=later)] * 2
    )

    assert sum(count for _, count in outcomes) == 10
    assert mechanic_active_count(mechanic=mechanic) == 0
    for session in sessions:
        session.refresh_from_db()
        assert session.status == S.PENDING and session.mechanic_id is None
        assert event_types(session) == ["created", "accepted", "released"]
        assert list(session.assignments.order_by("id").values_list("status", flat=True)) == [
            "released",
            "queued",
        ]


def test_accept_and_customer_cancel_racing_end_consistent():
    rounds = 10
    customers = [make_customer(credits=1) for _ in range(rounds)]
    sessions = [make_session(c, plan_code="quick-chat", pay_with="credits") for c in customers]
    mechanics = [make_mechanic() for _ in range(rounds)]
    calls: list[Callable[[], Any]] = []
    for session, mechanic, customer in zip(sessions, mechanics, customers, strict=True):
        assignment = open_assignment_of(session)
        calls.append(lambda a=assignment, m=mechanic: session_accept(assignment=a, mechanic=m))
        calls.append(lambda s=session, c=customer: session_cancel(session=s, user=c.user))

    outcomes = run_at_once(f"accept vs cancel on {rounds} sessions", calls)

    accepts, cancels = outcomes[0::2], outcomes[1::2]
    assert all(kind == "ok" for kind, _ in cancels)  # cancel is allowed from pending and waiting
    assert {value if kind == "refused" else kind for kind, value in accepts} <= {"ok", "already_taken"}
    print(f"[race] accept won the race {sum(k == 'ok' for k, _ in accepts)} of {rounds} times")
    for session, mechanic, customer in zip(sessions, mechanics, customers, strict=True):
        session.refresh_from_db()
        assert session.status == S.CANCELLED
        assert replay_status(session) == S.CANCELLED
        assert not session.assignments.filter(status__in=OPEN_ASSIGNMENT_STATUSES).exists()
        assert mechanic_active_count(mechanic=mechanic) == 0
        assert event_types(session).count("refunded") == 1
        assert credit_balance(customer=customer) == 1


def test_force_end_racing_start_and_complete_of_the_same_mechanic():
    """The mechanic's two tabs: Force End All in one, Start and Complete in the other."""
    for round_number in range(8):
        mechanic = make_mechanic(capacity=2)
        waiting = session_in(S.WAITING, mechanic=mechanic)
        live = session_in(S.LIVE, mechanic=mechanic)

        outcomes = run_at_once(
            f"force end vs start vs complete, round {round_number + 1}",
            [
                lambda m=mechanic: session_force_end_all(mechanic=m),
                lambda s=waiting, m=mechanic: session_start(session=s, mechanic=m),
                lambda s=live, m=mechanic: session_complete(session=s, mechanic=m, summary="Done."),
            ],
        )

        assert {kind for kind, _ in outcomes} <= {"ok", "refused"}
        waiting.refresh_from_db()
        live.refresh_from_db()
        assert live.status == S.COMPLETED
        # start won (then force end completed it), or force end released it first.
        assert waiting.status in (S.COMPLETED, S.PENDING)
        assert mechanic_active_count(mechanic=mechanic) == 0
        for session in (waiting, live):
            assert replay_status(session) == session.status
            assert event_types(session).count("completed") <= 1


def test_force_end_waits_for_a_transition_holding_the_session_without_deadlock():
    """Deterministic version of the race above. A start that has locked its session writes its
    event, whose actor is the mechanic's user; force end, holding the mechanic, waits for that
    session. Force end must not also hold the user row, or the two deadlock."""
    mechanic = make_mechanic()
    session = session_in(S.WAITING, mechanic=mechanic)
    holding, force_end_blocked, forcer_pid_known = threading.Event(), threading.Event(), threading.Event()
    forcer_pid: list[int] = []
    outcomes: dict[str, Any] = {}

    def start_holding_the_session() -> None:
        try:
            with transaction.atomic():
                Session.objects.select_for_update().get(pk=session.pk)  # where start is once inside
                holding.set()
                assert force_end_blocked.wait(timeout=15)
                outcomes["start"] = session_start(session=session, mechanic=mechanic).status
        except BaseException as exc:  # noqa: BLE001
            outcomes["start"] = repr(exc)
        finally:
            connection.close()

    def force_end() -> None:
        try:
            assert holding.wait(timeout=15)
            connection.ensure_connection()
            forcer_pid.append(connection.connection.info.backend_pid)
            forcer_pid_known.set()
            outcomes["force_end"] = session_force_end_all(mechanic=mechanic)
        except BaseException as exc:  # noqa: BLE001
            outcomes["force_end"] = repr(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=start_holding_the_session), threading.Thread(target=force_end)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    assert forcer_pid_known.wait(timeout=15)
    with connection.cursor() as cursor:
        for _ in range(300):  # until force end waits on the session lock
            cursor.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", forcer_pid)
            row = cursor.fetchone()
            if row and row[0] == "Lock":
                break
            time.sleep(0.01)
        else:
            pytest.fail("force end never waited for the session lock")
    force_end_blocked.set()
    for thread in threads:
        thread.join(timeout=30)
    print(
        f"\n[race] force end vs a start holding the session: {(time.perf_counter() - started) * 1000:.0f} ms"
    )

    assert outcomes == {"start": S.LIVE, "force_end": {"released": 0, "completed": 1}}
    session.refresh_from_db()
    assert session.status == S.COMPLETED
    assert event_types(session) == ["created", "accepted", "started", "force_ended", "completed"]
    assert SessionEvent.objects.filter(session=session, type="force_ended").get().actor_id == mechanic.user_id
