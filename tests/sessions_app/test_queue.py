"""The queue: its order, a released session's place in it, and who may see and take workshop work."""

import pytest

from autodoctor.errors import DomainError
from mechanics.services import workshop_get_or_create
from sessions_app.selectors import queue_for_mechanic, queue_position
from sessions_app.services import (
    session_accept,
    session_force_end_all,
    session_release,
    sessions_release_idle,
)
from sessions_app.transitions import SessionStatus as S
from tests.factories import make_customer, make_mechanic, make_session

from .lifecycle_states import assert_human_sentence, db_snapshot, open_assignment_of, session_in

pytestmark = pytest.mark.django_db


def queue_ids(mechanic) -> list[int]:
    return [a.session_id for a in queue_for_mechanic(mechanic=mechanic)]


def test_queue_is_urgent_first_then_oldest_first(clock):
    first = make_session()
    clock.advance(minutes=1)
    second = make_session()
    clock.advance(minutes=1)
    urgent_late = make_session(urgent=True)
    clock.advance(minutes=1)
    urgent_later = make_session(urgent=True)
    assert queue_ids(make_mechanic()) == [urgent_late.pk, urgent_later.pk, first.pk, second.pk]


@pytest.mark.parametrize("how", ["mechanic", "idle job", "force end"])
def test_released_session_goes_back_to_its_original_place(clock, how):
    mechanic = make_mechanic()
    oldest = make_session()
    clock.advance(minutes=5)
    middle = make_session()
    clock.advance(minutes=5)
    newest = make_session()
    onlooker = make_mechanic()
    assert queue_ids(onlooker) == [oldest.pk, middle.pk, newest.pk]

    session_accept(assignment=open_assignment_of(middle), mechanic=mechanic)
    assert queue_ids(onlooker) == [oldest.pk, newest.pk]
    clock.advance(minutes=40)
    if how == "mechanic":
        session_release(session=middle, mechanic=mechanic)
    elif how == "idle job":
        assert sessions_release_idle() == 1
    else:
        assert session_force_end_all(mechanic=mechanic) == {"released": 1, "completed": 0}

    assert queue_ids(onlooker) == [oldest.pk, middle.pk, newest.pk]
    assert queue_position(assignment=open_assignment_of(middle)) == 2


def test_released_urgent_session_is_first_again(clock):
    mechanic = make_mechanic()
    urgent = make_session(urgent=True)
    clock.advance(minutes=1)
    plain = make_session()
    session_accept(assignment=open_assignment_of(urgent), mechanic=mechanic)
    clock.advance(minutes=1)
    later_urgent = make_session(urgent=True)
    session_release(session=urgent, mechanic=mechanic)
    assert queue_ids(make_mechanic()) == [urgent.pk, later_urgent.pk, plain.pk]


def test_workshop_assignments_are_visible_only_to_that_workshop():
    downtown = workshop_get_or_create(name="Downtown Garage")
    uptown = workshop_get_or_create(name="Uptown Garage")
    general = make_session()
    private = make_session(make_customer(workshop=downtown))
    assert open_assignment_of(private).workshop_id == downtown.pk

    insider = make_mechanic(workshop=downtown)
    freelancer = make_mechanic()
    rival = make_mechanic(workshop=uptown)
    assert set(queue_ids(insider)) == {general.pk, private.pk}
    assert queue_ids(freelancer) == [general.pk]
    assert queue_ids(rival) == [general.pk]


@pytest.mark.parametrize("outsider_workshop", [None, "Uptown Garage"])
def test_an_outsider_cannot_accept_a_workshop_assignment(outsider_workshop):
    downtown = workshop_get_or_create(name="Downtown Garage")
    outsider = make_mechanic(
        workshop=workshop_get_or_create(name=outsider_workshop) if outsider_workshop else None
    )
    private = make_session(make_customer(workshop=downtown))
    assignment = open_assignment_of(private)
    before = db_snapshot()
    with pytest.raises(DomainError) as err:
        session_accept(assignment=assignment, mechanic=outsider)
    assert err.value.code == "not_found" and err.value.http_status == 404
    assert_human_sentence(err.value.detail)
    assert db_snapshot() == before

    # The same answer once it is taken: an outsider learns nothing about workshop work.
    session_accept(assignment=assignment, mechanic=make_mechanic(workshop=downtown))
    with pytest.raises(DomainError) as err:
        session_accept(assignment=assignment, mechanic=outsider)
    assert err.value.code == "not_found"


def test_a_released_workshop_session_stays_with_its_workshop():
    downtown = workshop_get_or_create(name="Downtown Garage")
    insider = make_mechanic(workshop=downtown)
    private = session_in(S.WAITING, customer=make_customer(workshop=downtown), mechanic=insider)
    session_release(session=private, mechanic=insider)
    assert open_assignment_of(private).workshop_id == downtown.pk
    assert queue_ids(make_mechanic()) == []
    assert queue_ids(insider) == [private.pk]
