"""The database itself holds the invariants of SPEC §3 (partial unique indexes, check
constraints), on SQLite and PostgreSQL alike. These tests write rows directly on purpose: they
prove that even code that bypasses the services cannot break them."""

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from billing.models import CreditLedger
from sessions_app.models import Rating, Session, SessionAssignment, SessionEvent
from sessions_app.transitions import SessionStatus as S
from tests.factories import make_customer, make_mechanic, plan

from .lifecycle_states import latest_assignment_of, session_in

pytestmark = pytest.mark.django_db


def raw_session(customer, **fields) -> Session:
    free = plan("free-chat")
    return Session.objects.create(type=free.session_type, plan=free, customer=customer, **fields)


@pytest.mark.parametrize("existing", [S.PENDING, S.SCHEDULED, S.WAITING, S.LIVE])
def test_a_second_active_session_is_refused_by_the_database(existing):
    session = session_in(existing)
    with pytest.raises(IntegrityError), transaction.atomic():
        raw_session(session.customer, status=S.PENDING)


@pytest.mark.parametrize("ended", [S.COMPLETED, S.CANCELLED, S.EXPIRED])
def test_ended_sessions_do_not_count_as_active(ended):
    session = session_in(ended)
    raw_session(session.customer, status=S.PENDING)  # no error


@pytest.mark.parametrize("existing", [S.PENDING, S.WAITING])
def test_a_second_open_assignment_is_refused_by_the_database(existing):
    session = session_in(existing)
    assert latest_assignment_of(session).status in ("queued", "accepted")
    with pytest.raises(IntegrityError), transaction.atomic():
        SessionAssignment.objects.create(session=session, queued_at=timezone.now())


def test_closed_assignments_do_not_count_as_open():
    session = session_in(S.CANCELLED)
    SessionAssignment.objects.create(session=session, queued_at=timezone.now(), status="released")
    SessionAssignment.objects.create(session=session, queued_at=timezone.now())  # one open: fine


@pytest.mark.parametrize("status", [S.WAITING, S.LIVE])
def test_working_sessions_need_a_mechanic(status):
    with pytest.raises(IntegrityError), transaction.atomic():
        raw_session(make_customer(), status=status, mechanic=None)
    raw_session(make_customer(), status=status, mechanic=make_mechanic())  # with one: fine


@pytest.mark.parametrize("status", [S.PENDING, S.SCHEDULED])
def test_unassigned_sessions_never_have_a_mechanic(status):
    with pytest.raises(IntegrityError), transaction.atomic():
        raw_session(make_customer(), status=status, mechanic=make_mechanic())


def test_ledger_entries_are_never_zero_and_ratings_are_one_to_five():
    customer = make_customer()
    with pytest.raises(IntegrityError), transaction.atomic():
        CreditLedger.objects.create(customer=customer, amount=0, kind="grant")
    session = session_in(S.COMPLETED)
    for stars in (0, 6):
        with pytest.raises(IntegrityError), transaction.atomic():
            Rating.objects.create(session=session, stars=stars)
    Rating.objects.create(session=session, stars=5)


def test_events_are_append_only():
    session = session_in(S.PENDING)
    # route: a new request also records OPENED_TO_ALL (nobody matched it), so pick the first event.
    event = SessionEvent.objects.filter(session=session).order_by("id").first()
    event.type = "tampered"
    with pytest.raises(ValueError, match="append-only"):
        event.save()
    assert SessionEvent.objects.get(pk=event.pk).type == "created"
