"""The one factory: payment method, pending or scheduled, what it writes, what it refuses."""

from datetime import timedelta

import pytest
from django.db.models import QuerySet
from django.utils import timezone

from autodoctor.errors import DomainError
from billing.services import credit_balance
from sessions_app.models import Session, SessionAssignment, SessionEvent
from sessions_app.transitions import SessionStatus as S
from tests.factories import make_customer, make_session, plan

from .lifecycle_states import assert_human_sentence, db_snapshot, session_in

pytestmark = pytest.mark.django_db


def test_create_writes_session_participant_assignment_and_event():
    customer = make_customer()
    session = make_session(customer, urgent=True)
    assert (session.status, session.type, session.payment_method, session.mechanic_id) == (
        S.PENDING,
        "chat",
        "free",
        None,
    )
    assert session.duration_minutes == 10 and session.queued_at is not None
    assert list(session.participants.values_list("user_id", "role")) == [(customer.user_id, "customer")]
    assignment = SessionAssignment.objects.get(session=session)
    assert (assignment.status, assignment.urgent, assignment.queued_at) == ("queued", True, session.queued_at)
    # route (issue 14): with nobody matching, the request opens to every mechanic at once, and
    # says so in a second event.
    event, opened = SessionEvent.objects.filter(session=session).order_by("id")
    assert (opened.type, opened.actor_id, opened.data["reason"]) == (
        "opened_to_all",
        None,
        "no_available_match",
    )
    assert (event.type, event.from_status, event.to_status, event.actor_id) == (
        "created",
        "",
        S.PENDING,
        customer.user_id,
    )
    assert event.data == {"plan": "free-chat", "payment_method": "free", "urgent": True}
    assert session.get_absolute_url() == f"/chat/{session.pk}/"


@pytest.mark.parametrize(
    ("plan_code", "pay_with", "method"),
    [
        ("free-chat", "credits", "free"),  # a free plan is free whatever was asked
        ("free-chat", "card", "free"),
        ("quick-chat", "credits", "credits"),
        ("video-30", "card", "card"),
    ],
)
def test_payment_method(plan_code, pay_with, method):
    customer = make_customer(credits=5)
    checkout = "cs_test_method" if method == "card" else None
    session = make_session(customer, plan_code=plan_code, pay_with=pay_with, stripe_checkout_id=checkout)
    assert session.payment_method == method
    assert credit_balance(customer=customer) == 5 - (
        plan(plan_code).credit_cost if method == "credits" else 0
    )


@pytest.mark.parametrize(
    ("plan_code", "pay_with", "checkout"),
    [("quick-chat", "free", None), ("quick-chat", "", None), ("video-30", "card", None)],
)
def test_unpayable_requests_are_invalid_input(plan_code, pay_with, checkout):
    customer = make_customer(credits=5)
    before = db_snapshot()
    with pytest.raises(DomainError) as err:
        make_session(customer, plan_code=plan_code, pay_with=pay_with, stripe_checkout_id=checkout)
    assert err.value.code == "invalid_input" and err.value.http_status == 400
    assert_human_sentence(err.value.detail)
    assert db_snapshot() == before


def test_a_request_more_than_15_minutes_ahead_is_scheduled_and_not_queued():
    due = timezone.now() + timedelta(minutes=16)
    session = make_session(scheduled_for=due)
    assert (session.status, session.scheduled_for, session.queued_at) == (S.SCHEDULED, due, None)
    assert not session.assignments.exists()
    assert SessionEvent.objects.get(session=session).to_status == S.SCHEDULED


@pytest.mark.parametrize("existing", [S.PENDING, S.SCHEDULED, S.WAITING, S.LIVE])
def test_second_active_session_gets_a_link_back_to_the_first(existing):
    first = session_in(existing, customer=make_customer(credits=3))
    before = db_snapshot()
    with pytest.raises(DomainError) as err:
        make_session(first.customer, plan_code="quick-chat", pay_with="credits")
    assert err.value.code == "active_session_exists" and err.value.http_status == 409
    assert err.value.as_dict() == {
        "error": "active_session_exists",
        "detail": err.value.detail,
        "session_url": first.get_absolute_url(),
    }
    assert_human_sentence(err.value.detail)
    assert db_snapshot() == before  # no session, no spend


@pytest.mark.parametrize("ended", [S.COMPLETED, S.CANCELLED, S.EXPIRED])
def test_a_new_request_after_the_last_one_ended(ended):
    first = session_in(ended)
    second = make_session(first.customer)
    assert second.status == S.PENDING


def test_the_unique_index_has_the_last_word(monkeypatch):
    """If the friendly pre-check misses a concurrent session (a race), the partial unique index
    refuses the insert and the factory still answers active_session_exists, not IntegrityError."""
    first = session_in(S.PENDING)
    real_exists = QuerySet.exists
    checks: list[bool] = []

    def first_check_misses(queryset):
        checks.append(True)
        return False if len(checks) == 1 else real_exists(queryset)

    monkeypatch.setattr(QuerySet, "exists", first_check_misses)
    with pytest.raises(DomainError) as err:
        make_session(first.customer)
    assert err.value.code == "active_session_exists"
    assert Session.objects.filter(customer=first.customer).count() == 1
    assert len(checks) >= 2  # the pre-check was really bypassed, then the error path looked again
