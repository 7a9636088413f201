"""Every transition of SPEC §3 from every one of the seven statuses: allowed where the table says,
refused with the right code everywhere else, and exactly one event per transition.

Event counts, documented: each transition writes one event. Force end writes `force_ended` plus the
event of the release or completion it performs. A refund (credit or card session that never went
live, see test_refunds.py) adds a `refunded` event; the sessions here are free, so they have none.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from autodoctor.errors import DomainError
from sessions_app.models import Session, SessionEvent
from sessions_app.services import (
    session_accept,
    session_cancel,
    session_complete,
    session_end_by_customer,
    session_expire,
    session_force_end_all,
    session_promote,
    session_release,
    session_start,
    sessions_expire_stale,
    sessions_promote_due,
    sessions_release_idle,
)
from sessions_app.transitions import TRANSITIONS, SessionEventType, actions_from, can
from sessions_app.transitions import SessionStatus as S
from tests.factories import make_mechanic

from .lifecycle_states import (
    ALL_STATUSES,
    assert_human_sentence,
    db_snapshot,
    latest_assignment_of,
    replay_status,
    session_in,
)

pytestmark = pytest.mark.django_db

# SPEC §3 written out by hand, so the transition table is checked against the spec, not itself.
ALLOWED: dict[str, dict[str, str]] = {
    "promote": {S.SCHEDULED: S.PENDING},
    "accept": {S.PENDING: S.WAITING},
    "start": {S.WAITING: S.LIVE},
    "release": {S.WAITING: S.PENDING},
    "complete": {S.LIVE: S.COMPLETED},
    "cancel": {S.PENDING: S.CANCELLED, S.SCHEDULED: S.CANCELLED, S.WAITING: S.CANCELLED},
    "expire": {S.PENDING: S.EXPIRED, S.WAITING: S.EXPIRED},
    # The customer's "End Session": completes a live session, cancels one that is not live yet.
    "end_by_customer": {
        S.PENDING: S.CANCELLED,
        S.SCHEDULED: S.CANCELLED,
        S.WAITING: S.CANCELLED,
        S.LIVE: S.COMPLETED,
    },
}
# Start and complete by the session's own mechanic, when already done: an idempotent no-op.
REPEATS = {("start", S.LIVE), ("complete", S.COMPLETED)}
REFUSAL_CODE = {"accept": "already_taken"}  # every other action: invalid_transition
EVENT_OF_TARGET = {S.CANCELLED: "cancelled", S.COMPLETED: "completed"}


def test_transition_table_matches_the_spec():
    for name, transition in TRANSITIONS.items():
        assert set(ALLOWED[name]) == set(transition.sources), name
        assert set(ALLOWED[name].values()) == {transition.target}, name
    assert actions_from(S.WAITING) == ["start", "release", "cancel", "expire"]
    assert actions_from(S.COMPLETED) == actions_from(S.CANCELLED) == actions_from(S.EXPIRED) == []
    assert can("cancel", S.SCHEDULED) and not can("cancel", S.LIVE)


def perform(action: str, session: Session, mechanic) -> Session:
    """Run `action` the way its rightful caller would."""
    customer_user = session.customer.user
    if action == "promote":
        return session_promote(session=session)
    if action == "accept":
        return session_accept(assignment=latest_assignment_of(session), mechanic=mechanic)
    if action == "start":
        return session_start(session=session, mechanic=mechanic)
    if action == "release":
        return session_release(session=session, mechanic=mechanic)
    if action == "complete":
        return session_complete(session=session, mechanic=mechanic, summary="Loose battery terminal.")
    if action == "cancel":
        return session_cancel(session=session, user=customer_user)
    if action == "end_by_customer":
        return session_end_by_customer(session=session, user=customer_user)
    if action == "expire":
        return session_expire(session=session)
    raise AssertionError(action)


def expected_actor(action: str, session: Session, mechanic):
    if action in ("promote", "expire"):
        return None
    if action in ("cancel", "end_by_customer"):
        return session.customer.user_id
    return mechanic.user_id


# A scheduled session has no assignment at all, so "accept" from scheduled is covered separately.
CASES = [
    (action, status)
    for action in ALLOWED
    for status in ALL_STATUSES
    if not (action == "accept" and status == S.SCHEDULED)
]


@pytest.mark.parametrize(("action", "status"), CASES)
def test_transition_from_every_status(action, status):
    session = session_in(status)
    # The assigned mechanic where there is one (stays set on cancelled/completed sessions too);
    # otherwise a mechanic with nothing on their plate, who would be the one to accept.
    mechanic = session.mechanic if session.mechanic_id and action != "accept" else make_mechanic()
    before = db_snapshot()
    events_before = SessionEvent.objects.filter(session=session).count()

    if (action, status) in REPEATS:
        # The same mechanic did this already (a double click, a retried request): a no-op.
        result = perform(action, session, mechanic)
        assert result.status == status
        assert db_snapshot() == before, "a repeated transition must change nothing"
    elif status in ALLOWED[action]:
        result = perform(action, session, mechanic)
        target = ALLOWED[action][status]
        assert result.status == target
        assert Session.objects.get(pk=session.pk).status == target
        new_events = list(SessionEvent.objects.filter(session=session).order_by("id")[events_before:])
        # route (issue 14): a promotion queues a new request, which with nobody matching opens
        # to everyone at once: an OPENED_TO_ALL event beside the status event (no status change).
        new_events = [e for e in new_events if e.type != SessionEventType.OPENED_TO_ALL]
        assert len(new_events) == 1, [e.type for e in new_events]
        event = new_events[0]
        expected_type = TRANSITIONS[action].event if action in TRANSITIONS else EVENT_OF_TARGET[target]
        assert (event.type, event.from_status, event.to_status) == (expected_type, status, target)
        assert event.actor_id == expected_actor(action, session, mechanic)
        assert replay_status(session) == target
    else:
        with pytest.raises(DomainError) as refused:
            perform(action, session, mechanic)
        assert refused.value.code == REFUSAL_CODE.get(action, "invalid_transition"), refused.value
        assert refused.value.http_status == 409
        assert_human_sentence(refused.value.detail)
        assert db_snapshot() == before, "a refused transition must change nothing"


def test_scheduled_session_is_in_no_queue_so_nothing_can_accept_it():
    session = session_in(S.SCHEDULED)
    assert latest_assignment_of(session) is None
    from sessions_app.selectors import queue_for_mechanic

    assert not queue_for_mechanic(mechanic=make_mechanic()).exists()


def test_accept_of_a_missing_assignment_is_not_found():
    from sessions_app.models import SessionAssignment

    with pytest.raises(DomainError) as err:
        session_accept(assignment=SessionAssignment(pk=987654), mechanic=make_mechanic())
    assert err.value.code == "not_found"
    assert err.value.http_status == 404
    assert_human_sentence(err.value.detail)


# --- side effects of each allowed transition ------------------------------------------------------


def test_accept_sets_the_mechanic_on_session_assignment_and_participants():
    session = session_in(S.PENDING)
    mechanic = make_mechanic()
    assignment = latest_assignment_of(session)
    session = session_accept(assignment=assignment, mechanic=mechanic)
    assignment.refresh_from_db()
    assert session.mechanic_id == mechanic.pk
    assert (assignment.status, assignment.mechanic_id) == ("accepted", mechanic.pk)
    assert assignment.accepted_at is not None
    assert session.participants.filter(user=mechanic.user, role="mechanic", left_at=None).exists()
    assert SessionEvent.objects.get(session=session, type="accepted").data == {
        "mechanic_id": mechanic.pk,
        "assignment_id": assignment.pk,
    }


def test_start_and_complete_record_times_duration_and_summary():
    session = session_in(S.LIVE)
    assert session.started_at is not None
    mechanic = session.mechanic
    session = session_complete(session=session, mechanic=mechanic, summary="  Worn brake pads.  ")
    assert session.summary == "Worn brake pads."
    assert session.ended_at >= session.started_at
    assert session.duration_minutes >= 1
    assert latest_assignment_of(session).status == "completed"
    assert not session.participants.filter(left_at=None).exists()


def test_release_clears_the_mechanic_and_requeues_a_fresh_assignment():
    session = session_in(S.WAITING)
    mechanic = session.mechanic
    accepted = latest_assignment_of(session)
    session = session_release(session=session, mechanic=mechanic)
    accepted.refresh_from_db()
    requeued = latest_assignment_of(session)
    assert session.mechanic_id is None
    assert accepted.status == "released" and accepted.closed_at is not None
    assert requeued.pk != accepted.pk
    assert (requeued.status, requeued.mechanic_id, requeued.queued_at) == ("queued", None, accepted.queued_at)
    assert session.participants.get(user=mechanic.user).left_at is not None
    released = SessionEvent.objects.get(session=session, type="released")
    assert released.data == {"mechanic_id": mechanic.pk, "reason": "mechanic"}


@pytest.mark.parametrize("status", [S.PENDING, S.WAITING])
def test_cancel_and_expire_close_the_open_assignment(status):
    cancelled = session_in(status)
    assignment = latest_assignment_of(cancelled)
    cancelled = session_cancel(session=cancelled, user=cancelled.customer.user)
    assignment.refresh_from_db()
    assert assignment.status == "cancelled" and cancelled.ended_at is not None

    expired = session_in(status)
    assignment = latest_assignment_of(expired)
    expired = session_expire(session=expired)
    assignment.refresh_from_db()
    assert assignment.status == "expired" and expired.ended_at is not None


def test_promote_puts_the_session_in_the_queue_now():
    session = session_in(S.SCHEDULED)
    session = session_promote(session=session)
    assignment = latest_assignment_of(session)
    assert assignment.status == "queued" and assignment.queued_at == session.queued_at
    assert session.mechanic_id is None


def test_end_by_customer_of_a_live_session_completes_it_as_the_customer():
    session = session_in(S.LIVE)
    session = session_end_by_customer(session=session, user=session.customer.user)
    event = SessionEvent.objects.get(session=session, type="completed")
    assert event.data == {"by": "customer"} and event.actor_id == session.customer.user_id


# --- who may do it ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "status"), [("start", S.WAITING), ("release", S.WAITING), ("complete", S.LIVE)]
)
def test_only_the_assigned_mechanic_may_move_their_session(action, status):
    session = session_in(status)
    intruder = make_mechanic()
    before = db_snapshot()
    with pytest.raises(DomainError) as err:
        perform(action, session, intruder)
    assert err.value.code == "forbidden" and err.value.http_status == 403
    assert_human_sentence(err.value.detail)
    assert db_snapshot() == before
    # Staff (mechanic=None) may.
    {"start": session_start, "release": session_release, "complete": session_complete}[action](
        session=session, mechanic=None
    )


def test_a_second_click_on_accept_by_the_winner_is_a_no_op():
    session = session_in(S.PENDING)
    mechanic = make_mechanic()
    assignment = latest_assignment_of(session)
    session_accept(assignment=assignment, mechanic=mechanic)
    before = db_snapshot()
    again = session_accept(assignment=assignment, mechanic=mechanic)
    assert again.pk == session.pk and again.status == S.WAITING
    assert db_snapshot() == before


def test_at_capacity_is_told_in_the_words_of_the_lock_message():
    mechanic = make_mechanic()
    session_in(S.WAITING, mechanic=mechanic)
    other = session_in(S.PENDING)
    with pytest.raises(DomainError) as err:
        session_accept(assignment=latest_assignment_of(other), mechanic=mechanic)
    assert err.value.code == "at_capacity"
    assert err.value.detail.startswith("You have 1 active session assigned to you. Complete or cancel")
    assert_human_sentence(err.value.detail)


# --- force end all ----------------------------------------------------------------------------


@pytest.mark.parametrize("status", ALL_STATUSES)
def test_force_end_all_from_every_status(status):
    mechanic = make_mechanic()
    session = session_in(status, mechanic=mechanic)
    events_before = SessionEvent.objects.filter(session=session).count()
    before = db_snapshot()

    counts = session_force_end_all(mechanic=mechanic)

    session.refresh_from_db()
    new = list(
        SessionEvent.objects.filter(session=session)
        .order_by("id")
        .values_list("type", "from_status", "to_status")[events_before:]
    )
    if status == S.WAITING:
        assert counts == {"released": 1, "completed": 0}
        assert session.status == S.PENDING and session.mechanic_id is None
        assert new == [("force_ended", S.WAITING, S.WAITING), ("released", S.WAITING, S.PENDING)]
        assert latest_assignment_of(session).status == "queued"
    elif status == S.LIVE:
        assert counts == {"released": 0, "completed": 1}
        assert session.status == S.COMPLETED
        assert new == [("force_ended", S.LIVE, S.LIVE), ("completed", S.LIVE, S.COMPLETED)]
    else:
        assert counts == {"released": 0, "completed": 0}
        assert db_snapshot() == before
    assert replay_status(session) == session.status


def test_force_end_all_handles_waiting_and_live_together_and_leaves_others_alone():
    mechanic = make_mechanic(capacity=2)
    colleague = make_mechanic()
    waiting = session_in(S.WAITING, mechanic=mechanic)
    live = session_in(S.LIVE, mechanic=mechanic)
    theirs = session_in(S.LIVE, mechanic=colleague)
    assert session_force_end_all(mechanic=mechanic) == {"released": 1, "completed": 1}
    waiting.refresh_from_db()
    live.refresh_from_db()
    theirs.refresh_from_db()
    assert (waiting.status, live.status, theirs.status) == (S.PENDING, S.COMPLETED, S.LIVE)
    assert SessionEvent.objects.get(session=waiting, type="released").data["reason"] == "force_end"
    assert SessionEvent.objects.get(session=live, type="completed").data == {"by": "force_end"}
    assert session_force_end_all(mechanic=mechanic) == {"released": 0, "completed": 0}


# --- the scheduled jobs, from every status --------------------------------------------------------

LATER = {
    "expire": timedelta(hours=3),
    "release_idle": timedelta(minutes=31),
    "promote": timedelta(hours=2),
}
JOB_MOVES = {
    "expire": {S.PENDING: S.EXPIRED, S.WAITING: S.EXPIRED},
    "release_idle": {S.WAITING: S.PENDING},
    "promote": {S.SCHEDULED: S.PENDING},
}
JOB_EVENT = {"expire": "expired", "release_idle": "released", "promote": "promoted"}
JOBS = {
    "expire": sessions_expire_stale,
    "release_idle": sessions_release_idle,
    "promote": sessions_promote_due,
}


@pytest.mark.parametrize("status", ALL_STATUSES)
@pytest.mark.parametrize("job", list(JOBS))
def test_job_from_every_status(job, status):
    session = session_in(status)
    before = db_snapshot()
    events_before = SessionEvent.objects.filter(session=session).count()

    moved = JOBS[job](now=timezone.now() + LATER[job])

    session.refresh_from_db()
    if status in JOB_MOVES[job]:
        target = JOB_MOVES[job][status]
        assert moved == 1 and session.status == target
        new = list(SessionEvent.objects.filter(session=session).order_by("id")[events_before:])
        new = [e for e in new if e.type != SessionEventType.OPENED_TO_ALL]  # route: see above
        assert [(e.type, e.from_status, e.to_status, e.actor_id) for e in new] == [
            (JOB_EVENT[job], status, target, None)
        ]
    else:
        assert moved == 0
        assert db_snapshot() == before
    # Running it again finds nothing more to do.
    assert JOBS[job](now=timezone.now() + LATER[job]) == 0
    assert replay_status(session) == session.status


def test_a_repeated_release_by_the_same_mechanic_is_a_no_op_but_not_for_anyone_else():
    session = session_in(S.WAITING)
    mechanic = session.mechanic
    session_release(session=session, mechanic=mechanic)
    events = SessionEvent.objects.filter(session=session).count()

    again = session_release(session=Session(pk=session.pk), mechanic=mechanic)

    assert again.status == S.PENDING and again.mechanic_id is None
    assert SessionEvent.objects.filter(session=session).count() == events
    with pytest.raises(DomainError) as refused:
        session_release(session=Session(pk=session.pk), mechanic=make_mechanic())
    assert refused.value.code == "invalid_transition"


def test_the_service_refreshes_the_callers_object_in_place():
    """Callers keep their object: no re-read after a transition (the API answers from it)."""
    session = session_in(S.WAITING)
    stale = Session.objects.get(pk=session.pk)

    returned = session_start(session=stale, mechanic=session.mechanic)

    assert returned is stale and stale.status == S.LIVE and stale.started_at is not None
    assert stale.plan.code and stale.customer.full_name and stale.mechanic is not None
