"""The scheduled sweeps at their thresholds (driven by their `now=` argument or the test clock),
and the django-q2 task functions that run them."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from django_q.tasks import async_task

from sessions_app import tasks
from sessions_app.models import SessionEvent
from sessions_app.schedules import SCHEDULES
from sessions_app.services import (
    session_accept,
    session_promote,
    session_release,
    session_start,
    sessions_expire_stale,
    sessions_promote_due,
    sessions_release_idle,
)
from sessions_app.transitions import SessionStatus as S
from tests.factories import make_mechanic, make_session

from .lifecycle_states import event_types, open_assignment_of, session_in

pytestmark = pytest.mark.django_db

MINUTE = timedelta(minutes=1)


def status_of(session) -> str:
    session.refresh_from_db()
    return session.status


# --- expire: pending or waiting, queued more than 2 h ago -------------------------------------------


@pytest.mark.parametrize("status", [S.PENDING, S.WAITING])
def test_expire_threshold_is_two_hours_in_the_queue(status):
    session = session_in(status)
    queued = session.queued_at
    assert sessions_expire_stale(now=queued + 120 * MINUTE) == 0  # exactly 2 h: not yet
    assert status_of(session) == status
    assert sessions_expire_stale(now=queued + 120 * MINUTE + timedelta(seconds=1)) == 1
    assert status_of(session) == S.EXPIRED
    assert open_assignment_of(session) is None
    assert session.assignments.order_by("-id").first().status == "expired"


def test_a_released_session_keeps_its_original_queue_time_for_expiry(clock):
    mechanic = make_mechanic()
    session = make_session()
    clock.advance(minutes=90)
    session_accept(assignment=open_assignment_of(session), mechanic=mechanic)
    session_release(session=session, mechanic=mechanic)
    clock.advance(minutes=31)
    assert sessions_expire_stale() == 1  # 121 min since it first joined the queue


def test_a_promoted_session_is_queued_from_its_promotion(clock):
    session = make_session(scheduled_for=timezone.now() + timedelta(hours=5))
    clock.advance(hours=4, minutes=45)
    assert sessions_promote_due() == 1
    assert sessions_expire_stale() == 0  # five hours after creation, but just queued
    clock.advance(minutes=121)
    assert sessions_expire_stale() == 1
    assert status_of(session) == S.EXPIRED


@pytest.mark.parametrize("status", [S.SCHEDULED, S.LIVE, S.COMPLETED, S.CANCELLED])
def test_expire_leaves_other_statuses_alone(status):
    session = session_in(status)
    assert sessions_expire_stale(now=timezone.now() + timedelta(days=2)) == 0
    assert status_of(session) == status


# --- idle release: waiting more than 30 min since accept ---------------------------------------------


def test_idle_release_counts_from_the_accept_not_from_creation(clock):
    mechanic = make_mechanic()
    session = make_session()
    clock.advance(minutes=20)
    session_accept(assignment=open_assignment_of(session), mechanic=mechanic)
    accepted_at = clock.now
    assert sessions_release_idle(now=accepted_at + 30 * MINUTE) == 0
    assert status_of(session) == S.WAITING
    assert sessions_release_idle(now=accepted_at + 30 * MINUTE + timedelta(seconds=1)) == 1
    assert status_of(session) == S.PENDING and session.mechanic_id is None
    released = SessionEvent.objects.get(session=session, type="released")
    assert released.actor_id is None
    assert released.data == {"mechanic_id": mechanic.pk, "reason": "idle"}


def test_a_fresh_acceptance_restarts_the_idle_clock(clock):
    first, second = make_mechanic(), make_mechanic()
    session = make_session()
    session_accept(assignment=open_assignment_of(session), mechanic=first)
    clock.advance(minutes=25)
    session_release(session=session, mechanic=first)
    session_accept(assignment=open_assignment_of(session), mechanic=second)
    clock.advance(minutes=10)  # 35 min since the first accept, 10 since the current one
    assert sessions_release_idle() == 0
    assert status_of(session) == S.WAITING


def test_a_started_session_is_never_idle_released(clock):
    mechanic = make_mechanic()
    session = make_session()
    session_accept(assignment=open_assignment_of(session), mechanic=mechanic)
    session_start(session=session, mechanic=mechanic)
    clock.advance(hours=3)
    assert sessions_release_idle() == 0
    assert status_of(session) == S.LIVE


# --- promotion: scheduled -> pending 15 min before --------------------------------------------------


def test_promotion_happens_fifteen_minutes_before(clock):
    due = timezone.now() + timedelta(hours=1)
    session = make_session(scheduled_for=due)
    assert session.status == S.SCHEDULED and open_assignment_of(session) is None
    assert sessions_promote_due(now=due - 15 * MINUTE - timedelta(seconds=1)) == 0
    assert status_of(session) == S.SCHEDULED
    assert sessions_promote_due(now=due - 15 * MINUTE) == 1
    assert status_of(session) == S.PENDING
    assert open_assignment_of(session).status == "queued"
    assert event_types(session) == ["created", "promoted"]


def test_a_request_for_soon_is_queued_at_once():
    session = make_session(scheduled_for=timezone.now() + 10 * MINUTE)
    assert session.status == S.PENDING and open_assignment_of(session) is not None


def test_promoted_sessions_queue_behind_those_already_waiting(clock):
    later = make_session(scheduled_for=timezone.now() + timedelta(hours=1))
    clock.advance(minutes=30)
    already = make_session()
    clock.advance(minutes=20)
    session_promote(session=later)
    from sessions_app.selectors import queue_for_mechanic

    assert [a.session_id for a in queue_for_mechanic(mechanic=make_mechanic())] == [already.pk, later.pk]


# --- the django-q2 tasks call the sweeps -----------------------------------------------------------


def test_task_functions_run_the_sweeps(clock):
    stale = make_session()
    idle = session_in(S.WAITING)
    scheduled = make_session(scheduled_for=timezone.now() + timedelta(minutes=45))
    clock.advance(minutes=31)
    assert tasks.release_idle_sessions() == 1
    assert tasks.promote_due_sessions() == 1
    clock.advance(minutes=90)
    # idle went back to the queue with its original time; the promoted one joined 90 min ago
    assert tasks.expire_stale_sessions() == 2
    assert (status_of(stale), status_of(idle), status_of(scheduled)) == (S.EXPIRED, S.EXPIRED, S.PENDING)


def test_schedules_point_at_the_task_functions():
    import importlib

    for func_path, minutes in SCHEDULES.values():
        module, name = func_path.rsplit(".", 1)
        assert module in ("sessions_app.tasks", "customers.tasks")
        assert callable(getattr(importlib.import_module(module), name))
        assert minutes in (1, 5, 60)


def test_a_sweep_runs_through_django_q(clock):
    make_session()
    clock.advance(hours=3)
    task_id = async_task("sessions_app.tasks.expire_stale_sessions", sync=True)
    from django_q.models import Task

    assert Task.objects.get(id=task_id).result == 1


# --- notifications leave after commit --------------------------------------------------------------


def test_customer_is_emailed_after_accept_release_and_refund(django_capture_on_commit_callbacks):
    mechanic = make_mechanic()
    session = session_in(S.PENDING)
    with django_capture_on_commit_callbacks(execute=True):
        session_accept(assignment=open_assignment_of(session), mechanic=mechanic)
    with django_capture_on_commit_callbacks(execute=True):
        session_release(session=session, mechanic=mechanic)
    subjects = [m.subject for m in mail.outbox]
    assert subjects == [
        "Auto Doctor: A mechanic has accepted your request",
        "Auto Doctor: Your mechanic stepped away: you keep your place in line",
    ]
    assert mail.outbox[0].to == [session.customer.user.email]
    assert mechanic.display_name in mail.outbox[0].body
