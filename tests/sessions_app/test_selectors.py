"""Reads: the customer's place in line and estimated wait, the history tabs, the change stamps,
who may see a session. Query counts are pinned so N+1 queries cannot creep in."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from mechanics.services import mechanic_set_availability, workshop_get_or_create
from sessions_app.models import SessionEvent
from sessions_app.selectors import (
    DEFAULT_WAIT_SECONDS,
    active_session_for_customer,
    active_sessions_for_mechanic,
    mechanic_active_count,
    median_queue_wait_seconds,
    queue_for_mechanic,
    queue_position,
    session_events,
    session_history,
    session_version,
    state_version,
    user_can_view_session,
)
from sessions_app.services import session_accept, session_cancel, session_release
from sessions_app.transitions import SessionEventType as E
from sessions_app.transitions import SessionStatus as S
from tests.factories import make_customer, make_mechanic, make_session

from .lifecycle_states import open_assignment_of, session_in

pytestmark = pytest.mark.django_db


# --- place in line and estimated wait ---------------------------------------------------------------


def test_no_active_session_means_no_banner():
    assert active_session_for_customer(customer=make_customer()) is None
    assert active_session_for_customer(customer=session_in(S.COMPLETED).customer) is None


def test_queue_position_counts_urgent_requests_first(clock):
    mine = make_session()
    clock.advance(minutes=1)
    make_session()  # later, not urgent: behind me
    make_session(urgent=True)  # urgent: ahead of me even though later
    clock.advance(minutes=1)
    urgent_mine = make_session(urgent=True)
    assert queue_position(assignment=open_assignment_of(mine)) == 3
    assert queue_position(assignment=open_assignment_of(urgent_mine)) == 2


def test_queue_position_ignores_other_workshops_private_requests(clock):
    downtown = workshop_get_or_create(name="Downtown Garage")
    make_session(make_customer(workshop=downtown))
    clock.advance(minutes=1)
    general = make_session()
    clock.advance(minutes=1)
    private = make_session(make_customer(workshop=downtown))
    assert queue_position(assignment=open_assignment_of(general)) == 1
    assert queue_position(assignment=open_assignment_of(private)) == 3


def test_pending_customer_sees_place_and_default_wait_without_history():
    make_mechanic()
    make_session()
    mine = make_session()
    with_banner = active_session_for_customer(customer=mine.customer)
    assert with_banner.session == mine
    assert with_banner.queue_position == 2
    assert with_banner.estimated_wait_seconds == DEFAULT_WAIT_SECONDS * 2  # one mechanic available


def test_estimated_wait_is_the_median_recent_wait_per_available_mechanic(clock):
    fast, slow = make_mechanic(capacity=3), make_mechanic(capacity=3)
    first = make_session()
    clock.advance(minutes=10)
    session_accept(assignment=open_assignment_of(first), mechanic=fast)  # waited 600 s
    second = make_session()
    clock.advance(minutes=20)
    session_accept(assignment=open_assignment_of(second), mechanic=slow)  # waited 1200 s
    assert median_queue_wait_seconds() == 900

    ahead = [make_session(), make_session()]
    mine = make_session()
    banner = active_session_for_customer(customer=mine.customer)
    assert banner.queue_position == 3
    assert banner.estimated_wait_seconds == 900 * 2  # ceil(3 places / 2 available mechanics)

    mechanic_set_availability(mechanic=slow, available=False)
    assert active_session_for_customer(customer=mine.customer).estimated_wait_seconds == 900 * 3
    session_accept(assignment=open_assignment_of(ahead[0]), mechanic=fast)
    assert active_session_for_customer(customer=mine.customer).queue_position == 2


def test_old_waits_fall_out_of_the_estimate(clock):
    mechanic = make_mechanic()
    session = make_session()
    clock.advance(minutes=30)
    session_accept(assignment=open_assignment_of(session), mechanic=mechanic)
    assert median_queue_wait_seconds() == 1800
    clock.advance(days=8)
    assert median_queue_wait_seconds() == DEFAULT_WAIT_SECONDS


@pytest.mark.parametrize("status", [S.SCHEDULED, S.WAITING, S.LIVE])
def test_only_a_pending_session_has_a_place_in_line(status):
    session = session_in(status)
    banner = active_session_for_customer(customer=session.customer)
    assert banner.session == session
    assert (banner.queue_position, banner.estimated_wait_seconds) == (None, None)


def test_banner_query_count_is_flat(django_assert_num_queries):
    make_mechanic()
    for _ in range(3):
        make_session()
    mine = make_session()
    # session, its queued assignment, place in line, available mechanics, recent waits
    with django_assert_num_queries(5):
        banner = active_session_for_customer(customer=mine.customer)
        assert banner.session.plan.code and banner.session.customer.user.username
    customer = session_in(S.WAITING).customer
    with django_assert_num_queries(1):
        banner = active_session_for_customer(customer=customer)
        assert banner.session.mechanic.user.username


# --- mechanic panels ---------------------------------------------------------------------------


def test_active_work_is_live_first_and_counts_only_waiting_and_live(django_assert_num_queries):
    mechanic = make_mechanic(capacity=3)
    waiting = session_in(S.WAITING, mechanic=mechanic)
    live = session_in(S.LIVE, mechanic=mechanic)
    session_in(S.COMPLETED, mechanic=make_mechanic())
    with django_assert_num_queries(1):
        rows = list(active_sessions_for_mechanic(mechanic=mechanic))
        assert [s.customer.user.username for s in rows]  # no query per row
    assert rows == [live, waiting]
    assert mechanic_active_count(mechanic=mechanic) == 2


def test_queue_is_one_query_however_long(django_assert_num_queries):
    for _ in range(5):
        make_session()
    mechanic = make_mechanic()
    with django_assert_num_queries(1):
        rows = list(queue_for_mechanic(mechanic=mechanic))
        assert [(a.session.customer.user.username, a.session.plan.name, a.session.intake) for a in rows]
    assert len(rows) == 5


# --- history tabs ------------------------------------------------------------------------------


@pytest.fixture
def history(clock):
    """One mechanic's sessions with two customers over three days."""
    mechanic = make_mechanic(capacity=3)
    alice = make_customer(full_name="Alice Adams")
    bob = make_customer(full_name="Bob Brown", credits=10)
    day1 = session_in(S.COMPLETED, customer=alice, mechanic=mechanic)
    clock.advance(days=1)
    day2 = session_in(S.COMPLETED, customer=bob, mechanic=mechanic, plan_code="video-30", pay_with="credits")
    clock.advance(days=1)
    released_then_cancelled = session_in(S.WAITING, customer=alice, mechanic=mechanic)
    session_release(session=released_then_cancelled, mechanic=mechanic)
    session_cancel(session=released_then_cancelled, user=alice.user)
    waiting = session_in(S.WAITING, customer=alice, mechanic=mechanic)
    live = session_in(S.LIVE, customer=bob, mechanic=mechanic)
    return {
        "mechanic": mechanic,
        "alice": alice,
        "bob": bob,
        "day1": day1,
        "day2": day2,
        "cancelled": released_then_cancelled,
        "waiting": waiting,
        "live": live,
        "today": timezone.now().date(),
    }


def ids(queryset) -> list[int]:
    return [s.pk for s in queryset]


def test_history_is_the_mechanics_own_sessions_newest_first(history):
    h = history
    # Issue 14: All History keeps the session they released (release cleared its mechanic, their
    # released assignment still names them); the Active and Completed tabs show only their own.
    assert ids(session_history(mechanic=h["mechanic"])) == [
        h["live"].pk,
        h["waiting"].pk,
        h["cancelled"].pk,
        h["day2"].pk,
        h["day1"].pk,
    ]
    assert ids(session_history(customer=h["alice"])) == [h["waiting"].pk, h["cancelled"].pk, h["day1"].pk]


@pytest.mark.parametrize(
    ("group", "expected"),
    [
        ("active", ["live", "waiting"]),
        ("completed", ["day2", "day1"]),
        ("ended", ["day2", "day1"]),
        (None, None),
    ],
)
def test_history_groups(history, group, expected):
    rows = ids(session_history(mechanic=history["mechanic"], group=group))
    if expected is None:
        assert len(rows) == 5  # issue 14: the released one too
    else:
        assert rows == [history[name].pk for name in expected]
    assert ids(session_history(customer=history["alice"], group="ended")) == [
        history["cancelled"].pk,
        history["day1"].pk,
    ]


def test_history_search_by_customer_name(history):
    h = history
    assert ids(session_history(mechanic=h["mechanic"], search="  bob ")) == [h["live"].pk, h["day2"].pk]
    assert ids(session_history(mechanic=h["mechanic"], search="ADAMS")) == [
        h["waiting"].pk,
        h["cancelled"].pk,
        h["day1"].pk,
    ]
    assert ids(session_history(mechanic=h["mechanic"], search="nobody")) == []
    assert len(ids(session_history(mechanic=h["mechanic"], search="   "))) == 5


def test_history_filter_by_type(history):
    h = history
    assert ids(session_history(mechanic=h["mechanic"], session_type="video")) == [h["day2"].pk]
    assert ids(session_history(mechanic=h["mechanic"], session_type="diagnostic")) == []


def test_history_filter_by_date_range(history):
    h = history
    today = h["today"]
    yesterday = today - timedelta(days=1)
    two_days_ago = today - timedelta(days=2)
    mechanic = h["mechanic"]
    assert ids(session_history(mechanic=mechanic, date_from=today)) == [
        h["live"].pk,
        h["waiting"].pk,
        h["cancelled"].pk,
    ]
    assert ids(session_history(mechanic=mechanic, date_to=yesterday)) == [h["day2"].pk, h["day1"].pk]
    assert ids(session_history(mechanic=mechanic, date_from=yesterday, date_to=yesterday)) == [h["day2"].pk]
    assert ids(session_history(mechanic=mechanic, date_from=two_days_ago, date_to=two_days_ago)) == [
        h["day1"].pk
    ]
    both = session_history(mechanic=mechanic, group="completed", search="bob", date_from=two_days_ago)
    assert ids(both) == [h["day2"].pk]


def test_history_page_is_one_query(history, django_assert_num_queries):
    with django_assert_num_queries(1):
        rows = list(session_history(mechanic=history["mechanic"]))
        for row in rows:
            assert row.plan.name and row.customer.user.username
            assert row.mechanic is None or row.mechanic.user.username
            assert row.my_assignment  # issue 14: what happened to them, in the same query
            assert not hasattr(row, "rating") or row.rating is None


# --- change stamps and the audit trail ------------------------------------------------------------


def test_state_version_moves_with_every_transition_and_only_then():
    session = make_session()
    mechanic = make_mechanic()
    stamp, own = state_version(), session_version(session_id=session.pk)
    assert stamp > 0 and own > 0
    assert state_version() == stamp  # reading changes nothing
    session_accept(assignment=open_assignment_of(session), mechanic=mechanic)
    after_accept = state_version()
    assert after_accept != stamp
    assert session_version(session_id=session.pk) > own
    other = make_session()
    assert state_version() not in (stamp, after_accept)
    assert session_version(session_id=session.pk) < session_version(session_id=other.pk)
    assert session_version(session_id=987654) == 0


def test_state_version_ignores_room_only_activity():
    """A look at a request's details or a diagnosis edit concerns one session's room: it must not
    make every open dashboard re-render (SESSION_ONLY_EVENTS); the session's own version moves."""
    from mechanics.services import request_viewed_record

    session = make_session()
    stamp, own = state_version(), session_version(session_id=session.pk)
    assert request_viewed_record(session=session, mechanic=make_mechanic())
    SessionEvent.objects.create(
        session=session, type=E.DIAGNOSIS_EDITED, from_status="pending", to_status="pending"
    )
    assert state_version() == stamp
    assert session_version(session_id=session.pk) > own
    SessionEvent.objects.create(session=session, type=E.JOINED, from_status="pending", to_status="pending")
    assert state_version() != stamp  # presence shows on the mechanic's dashboard: it is shared


@pytest.mark.django_db(transaction=True)
def test_state_version_sees_an_event_that_commits_after_a_newer_one():
    """Ids are taken at insert; a transaction that took a lower id can commit after a higher
    one. The stamp must still move when it does (MAX(id) alone would not)."""
    first, second = make_session(), make_session()
    late = SessionEvent.objects.create(session=first, type="note", from_status="pending", to_status="pending")
    SessionEvent.objects.create(session=second, type="note", from_status="pending", to_status="pending")
    seen, late_id = state_version(), late.pk
    late.delete()  # as if the lower id had not committed yet when `seen` was read
    without_late = state_version()
    assert without_late != seen
    SessionEvent.objects.bulk_create([SessionEvent(id=late_id, session=first, type="note")])
    assert state_version() == seen != without_late


def test_session_events_in_order_with_their_actors(django_assert_num_queries):
    session = session_in(S.LIVE)
    with django_assert_num_queries(1):
        trail = [(e.type, e.actor.username if e.actor else None) for e in session_events(session=session)]
    # route: "opened_to_all" (nobody matched the new request, so it opened to everyone at once)
    assert [kind for kind, _ in trail] == ["created", "opened_to_all", "accepted", "started"]
    assert trail[0][1] == session.customer.user.username


def test_who_may_view_a_session(django_user_model):
    session = session_in(S.WAITING)
    assert user_can_view_session(user=session.customer.user, session=session)
    assert user_can_view_session(user=session.mechanic.user, session=session)
    staff = django_user_model.objects.create_user(username="staffer", password="x", is_staff=True)
    assert user_can_view_session(user=staff, session=session)
    assert not user_can_view_session(user=make_mechanic().user, session=session)
    assert not user_can_view_session(user=make_customer().user, session=session)
    assert not user_can_view_session(user=AnonymousUser(), session=session)
