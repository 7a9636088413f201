"""Transfer races on real PostgreSQL (issue 14): real threads, one connection each, released
together by a barrier (tests/sessions_app/test_races.run_at_once)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from sessions_app.models import Session, SessionAssignment, SessionTransfer
from sessions_app.selectors import mechanic_active_count
from sessions_app.services import session_accept, transfer_accept, transfer_lapse, transfer_offer
from sessions_app.transitions import OPEN_ASSIGNMENT_STATUSES
from tests.factories import make_mechanic, make_session, open_assignment

from .test_races import run_at_once, tally

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


@pytest.fixture(autouse=True)
def _postgres_only(on_postgres):
    """Skips on SQLite (see tests/conftest.py)."""


def held_by(mechanic) -> Session:
    session = make_session()
    return session_accept(assignment=open_assignment(session), mechanic=mechanic)


def one_open_assignment_each(*sessions: Session) -> None:
    for session in sessions:
        open_rows = SessionAssignment.objects.filter(session=session, status__in=OPEN_ASSIGNMENT_STATUSES)
        assert open_rows.count() == 1
        session.refresh_from_db()
        assert open_rows.get().mechanic_id == session.mechanic_id


@pytest.mark.parametrize("rounds", range(3))
def test_transfer_accept_races_a_queue_accept_for_the_last_place(rounds):
    ann = make_mechanic()
    sam = make_mechanic()  # capacity 1: one place left
    offered = held_by(ann)
    transfer = transfer_offer(session=offered, mechanic=ann, to_mechanic_id=sam.pk)
    queued = make_session()
    assignment = open_assignment(queued)

    outcomes = run_at_once(
        "transfer accept vs queue accept, one place",
        [
            lambda: transfer_accept(transfer=transfer, mechanic=sam),
            lambda: session_accept(assignment=assignment, mechanic=sam),
        ],
    )

    assert tally(outcomes) == {"ok": 1, "at_capacity": 1}
    assert mechanic_active_count(mechanic=sam) == 1
    transfer.refresh_from_db()
    offered.refresh_from_db()
    queued.refresh_from_db()
    if outcomes[0][0] == "ok":  # the transfer won: the queue request is still waiting
        assert (transfer.status, offered.mechanic_id, queued.status) == ("accepted", sam.pk, "pending")
    else:  # the queue accept won: the offer is still open, the session still ann's
        assert (transfer.status, offered.mechanic_id, queued.mechanic_id) == ("offered", ann.pk, sam.pk)
        assert list(offered.events.values_list("type", flat=True)).count("transfer_accepted") == 0
    one_open_assignment_each(offered, queued)


def test_accept_races_the_lapse_sweep():
    ann = make_mechanic()
    sam = make_mechanic()
    session = held_by(ann)
    transfer = transfer_offer(session=session, mechanic=ann, to_mechanic_id=sam.pk)
    # Exactly at the edge: the sweep, running "now + 5 min", sees it due; the accept, running at
    # real now, is still in time. One of them must win, once.
    later = timezone.now() + timedelta(minutes=5)

    outcomes = run_at_once(
        "transfer accept vs lapse",
        [
            lambda: transfer_accept(transfer=transfer, mechanic=sam),
            lambda: transfer_lapse(transfer=transfer, now=later),
        ],
    )

    transfer.refresh_from_db()
    session.refresh_from_db()
    types = list(session.events.values_list("type", flat=True))
    assert types.count("transfer_accepted") + types.count("transfer_lapsed") == 1
    if transfer.status == "accepted":
        assert tally(outcomes) == {"ok": 1, "transfer_closed": 1}
        assert session.mechanic_id == sam.pk
    else:
        assert transfer.status == "lapsed" and session.mechanic_id == ann.pk
        assert outcomes[1][0] == "ok" and outcomes[0] == ("refused", "transfer_closed")
    one_open_assignment_each(session)


def test_two_mechanics_swapping_sessions_at_once_do_not_deadlock():
    """ann offers to sam while sam offers to ann; both accept at once: the two mechanic rows are
    locked in id order by both, so neither waits on the other forever."""
    ann = make_mechanic(capacity=2)
    sam = make_mechanic(capacity=2)
    a_session, s_session = held_by(ann), held_by(sam)
    to_sam = transfer_offer(session=a_session, mechanic=ann, to_mechanic_id=sam.pk)
    to_ann = transfer_offer(session=s_session, mechanic=sam, to_mechanic_id=ann.pk)

    outcomes = run_at_once(
        "crossed transfers",
        [
            lambda: transfer_accept(transfer=to_sam, mechanic=sam),
            lambda: transfer_accept(transfer=to_ann, mechanic=ann),
        ],
    )

    assert tally(outcomes) == {"ok": 2}
    a_session.refresh_from_db()
    s_session.refresh_from_db()
    assert (a_session.mechanic_id, s_session.mechanic_id) == (sam.pk, ann.pk)
    assert SessionTransfer.objects.filter(status="accepted").count() == 2
    one_open_assignment_each(a_session, s_session)


def test_offer_and_answer_announce_both_mechanics_on_commit():
    """The colleague is not the session's mechanic: the `transfer` hint is what reaches their
    open dashboard (sessions_app.streams.MechanicViewer). Ids only, no note."""
    from autodoctor.push import CHANNEL, _libpq_params
    from sessions_app.services import transfer_decline
    from tests.live.streams import ListenProbe

    ann, sam = make_mechanic(), make_mechanic()
    session = held_by(ann)
    probe = ListenProbe(_libpq_params(), CHANNEL)
    try:
        probe.hints()
        transfer = transfer_offer(session=session, mechanic=ann, to_mechanic_id=sam.pk, note="secret note")
        hints = probe.hints()
        assert {"kind": "transfer", "mechanics": [ann.pk, sam.pk]} in hints
        assert "secret note" not in str(hints)
        transfer_decline(transfer=transfer, mechanic=sam, reason="no")
        assert {"kind": "transfer", "mechanics": [ann.pk, sam.pk]} in probe.hints()
    finally:
        probe.close()
