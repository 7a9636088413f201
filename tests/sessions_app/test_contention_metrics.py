"""Contention metrics for staff (issue 14): accepts lost to a race (AcceptMiss, recorded after the
refused transaction rolled back), releases by reason, transfers, expiries, asks answered, and the
waits to first view and to accept, per day and per mechanic; the page, its pinned query count and
the CSV. The numbers come from a known set of events made through the services (and, for the
events other parts of issue 14 write, through the one event writer)."""

import csv
import io
import threading
from collections import Counter

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone

from autodoctor.errors import DomainError
from mechanics.services import request_viewed_record
from sessions_app.contention_metrics import contention_metrics
from sessions_app.events import event_record
from sessions_app.models import AcceptMiss, Session
from sessions_app.services import (
    session_accept,
    session_cancel,
    session_expire,
    session_force_end_all,
    session_release,
)
from sessions_app.transitions import SessionEventType as E
from tests.factories import client_for, make_customer, make_mechanic, make_session

from .lifecycle_states import open_assignment_of


def _viewed(session: Session, mechanic) -> None:
    assert request_viewed_record(session=session, mechanic=mechanic)  # the Details page's service


def _event(session: Session, type: E, actor=None, **data) -> None:
    event_record(session=session, type=type, actor=actor, data=data)


@pytest.fixture
def known_day(db, clock):
    """One day of contention with exact, hand-counted figures (see the asserts)."""
    mike, maria, max_ = make_mechanic("mike"), make_mechanic("maria"), make_mechanic("max")
    start = clock.now

    # A: viewed by mike after 2 min, maria after 3; mike accepts at 5, maria loses the race, mike
    # releases, max takes it at 9 (same place in the queue: queued at start), then offers a
    # transfer to maria, who declines.
    a = make_session(make_customer("ann"))
    clock.advance(minutes=2)
    _viewed(a, mike)
    clock.advance(minutes=1)
    _viewed(a, maria)
    clock.advance(minutes=2)
    session_accept(assignment=open_assignment_of(a), mechanic=mike)  # 5 min after the request
    with pytest.raises(DomainError) as lost:
        session_accept(assignment=a.assignments.order_by("id").first(), mechanic=maria)
    assert lost.value.code == "already_taken"
    clock.advance(minutes=1)
    session_release(session=a, mechanic=mike)
    clock.advance(minutes=3)
    session_accept(assignment=open_assignment_of(a), mechanic=max_)  # 9 min after the request
    _event(a, E.TRANSFER_OFFERED, max_.user, to_mechanic_id=maria.pk)
    _event(a, E.TRANSFER_DECLINED, maria.user)

    # B: mike accepts after 1 min; the idle sweep releases it; maria accepts, then force-ends all.
    b = make_session(make_customer("bob"))
    clock.advance(minutes=1)
    session_accept(assignment=open_assignment_of(b), mechanic=mike)  # 1 min
    session_release(session=b, mechanic=None, reason="idle")
    session_accept(assignment=open_assignment_of(b), mechanic=maria)  # still 1 min: same place
    session_force_end_all(mechanic=maria)

    # C: asked to keep waiting, then cancelled. D: asked, kept waiting, then expired anyway.
    # E: never asked, expired.
    c, d, e = (make_session(make_customer(name)) for name in ("cat", "dan", "eve"))
    _event(c, E.WAIT_ASKED)
    session_cancel(session=c, user=c.customer.user)
    _event(d, E.WAIT_ASKED)
    _event(d, E.WAIT_EXTENDED, d.customer.user)
    session_expire(session=d)
    session_expire(session=e)
    return {"mike": mike, "maria": maria, "max": max_, "start": start}


def test_the_figures_of_a_known_day(known_day):
    c = contention_metrics(since=known_day["start"] - timezone.timedelta(days=1))
    counts = c.total.counts
    assert counts["accepts_lost"] == 1
    assert (counts["released_mechanic"], counts["released_idle"], counts["released_force_end"]) == (1, 1, 1)
    assert (counts["transfers_offered"], counts["transfers_declined"], counts["transfers_accepted"]) == (
        1,
        1,
        0,
    )
    assert counts["expired"] == 2
    assert (
        counts["asked"],
        counts["kept_waiting"],
        counts["cancelled_after_ask"],
        counts["expired_after_ask"],
    ) == (
        2,
        1,
        1,
        1,
    )
    # first view: only A was viewed, first by mike, 2 min after the request
    assert (c.total.to_first_view.count, c.total.to_first_view.median_seconds) == (1, 120)
    # accepts: A by mike 5 min, A by max 9 min, B by mike 1 min, B by maria 1 min
    assert c.total.to_accept.count == 4
    assert c.total.to_accept.median_seconds == 180  # (1 + 5) / 2 min
    assert c.total.to_accept.p90_seconds == 540

    today = timezone.localdate(known_day["start"])
    day = dict(c.days)[today]
    assert day.counts == c.total.counts  # everything happened on the same day
    assert [d for d, row in c.days if any(row.counts.values())] == [today]

    by_name = {row.label: row for row in c.mechanics}
    mike, maria, max_ = by_name["Mike"], by_name["Maria"], by_name["Max"]
    assert (maria.counts["accepts_lost"], mike.counts["accepts_lost"], max_.counts["accepts_lost"]) == (
        1,
        0,
        0,
    )
    assert (mike.counts["released_mechanic"], mike.counts["released_idle"]) == (1, 1)
    assert maria.counts["released_force_end"] == 1
    assert (max_.counts["transfers_offered"], maria.counts["transfers_declined"]) == (1, 1)
    assert mike.to_first_view.median_seconds == 120 and maria.to_first_view.count == 0
    assert (mike.to_accept.count, mike.to_accept.median_seconds) == (2, 180)
    assert max_.to_accept.median_seconds == 540


@pytest.fixture
def staff_client(db):
    return client_for(get_user_model().objects.create_user("boss", password="pw-boss-123", is_staff=True))


def test_the_page_shows_the_charts_and_tables_with_a_pinned_query_count(
    known_day, staff_client, django_assert_num_queries
):
    staff_client.get("/staff/analytics/")
    # 23 = the page before issue 14 (19) + the contention figures' 4 (mechanics, accept misses,
    # events, accepted assignments), however many events, days or mechanics.
    with django_assert_num_queries(23):
        page = staff_client.get("/staff/analytics/?days=7").content.decode()
    for key in ("races", "transfers", "asks", "waits", "mechanics"):
        assert f'data-testid="chart-contention-{key}"' in page
    assert "Accepts lost to a race and releases per day" in page
    assert "Export contention CSV" in page
    table = page.split('data-testid="contention-mechanics"')[1].split("</table>")[0]
    assert '<th scope="row">Maria</th><td>1</td>' in table  # one accept lost
    assert "<td>1 · 1 · 0</td>" in table  # mike: released by himself and by the idle sweep


def test_the_contention_csv_has_days_mechanics_and_a_total(known_day, staff_client):
    response = staff_client.get("/staff/analytics/contention.csv?days=7")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    days = [r for r in rows if r["scope"] == "day"]
    assert len(days) == 8  # seven days back and today
    today = next(r for r in days if r["key"] == timezone.localdate().isoformat())
    assert (
        today["accepts_lost"],
        today["released_idle"],
        today["expired"],
        today["cancelled_after_ask"],
    ) == (
        "1",
        "1",
        "2",
        "1",
    )
    assert today["accept_median_s"] == "180" and today["first_view_median_s"] == "120"
    maria = next(r for r in rows if r["scope"] == "mechanic" and r["key"] == "Maria")
    assert (maria["accepts_lost"], maria["released_force_end"], maria["transfers_declined"]) == (
        "1",
        "1",
        "1",
    )
    (total,) = [r for r in rows if r["scope"] == "total"]
    assert total["asked"] == "2" and total["kept_waiting"] == "1" and total["expired_after_ask"] == "1"


def test_the_contention_csv_is_for_staff_only(client, db):
    assert client.get("/staff/analytics/contention.csv").status_code == 302


def test_a_won_accept_records_no_miss_and_a_repeat_click_neither(db):
    session = make_session()
    mike = make_mechanic("mike")
    assignment = open_assignment_of(session)
    session_accept(assignment=assignment, mechanic=mike)
    session_accept(assignment=assignment, mechanic=mike)  # the holder's second click: a no-op
    assert AcceptMiss.objects.count() == 0


def test_a_refusal_that_is_not_a_race_records_nothing(db):
    """At capacity is the mechanic's own limit, not a lost race."""
    mike = make_mechanic("mike")
    first, second = make_session(), make_session()
    session_accept(assignment=open_assignment_of(first), mechanic=mike)
    with pytest.raises(DomainError) as refused:
        session_accept(assignment=open_assignment_of(second), mechanic=mike)
    assert refused.value.code == "at_capacity"
    assert AcceptMiss.objects.count() == 0


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgres
def test_accepts_lost_to_a_real_race_are_recorded_and_the_won_one_is_not(on_postgres):
    """Eight mechanics, eight threads, one request: one wins, seven are refused and recorded, each
    once, after their refused transaction rolled back."""
    session = make_session()
    assignment = open_assignment_of(session)
    mechanics = [make_mechanic() for _ in range(8)]
    barrier = threading.Barrier(len(mechanics))
    outcomes: dict[int, str] = {}

    def accept(mechanic) -> None:
        try:
            connection.ensure_connection()
            barrier.wait(timeout=30)
            session_accept(assignment=assignment, mechanic=mechanic)
            outcomes[mechanic.pk] = "won"
        except DomainError as exc:
            outcomes[mechanic.pk] = exc.code
        finally:
            connection.close()

    threads = [threading.Thread(target=accept, args=(m,), daemon=True) for m in mechanics]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(t.is_alive() for t in threads)
    assert Counter(outcomes.values()) == {"won": 1, "already_taken": 7}
    (winner,) = [pk for pk, outcome in outcomes.items() if outcome == "won"]
    misses = list(AcceptMiss.objects.values_list("mechanic_id", "session_id", "code"))
    assert sorted(misses) == sorted((pk, session.pk, "already_taken") for pk in outcomes if pk != winner)


def test_staff_read_accept_misses_in_admin_and_cannot_edit_them(known_day):
    admin = get_user_model().objects.create_superuser("root", password="pw-root-123")
    client = client_for(admin)
    page = client.get("/admin/sessions_app/acceptmiss/")
    assert page.status_code == 200 and "already_taken" in page.content.decode()
    assert client.get("/admin/sessions_app/acceptmiss/add/").status_code == 403
